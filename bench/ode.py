"""The ODE case ``kepler``: refsim's DOP853 and gauss8 against scipy's ``solve_ivp(method="DOP853")``.

Problem: the planar Kepler problem ``H = |p|^2/2 - 1/|q|`` (mu = 1, a = 1, period
2 pi), a batch of 64 orbits from pericentre with eccentricities drawn uniformly
in [0.3, 0.7] (seed 0; the HLW test orbit e = 0.6 lies in that range), over 10
periods with 101 output frames (interval 2 pi / 10). Every orbit has an exact
solution (Kepler's equation, ``Kepler.exact_solution``), so both solvers are
measured against the truth, at all 101 frames.

Error: refsim's ODE metric, relative per frame ``max_i |y_i - exact_i| / max_i |exact_i|``
over the 4 state components, the largest over the frames, the worst orbit of the batch.

* refsim: ``integrate("dop853", ...)`` on the whole batch (one compiled call,
  per-orbit step-size control, frames from the dense output) at
  ``rtol`` in ``DOP853_RTOLS`` with ``atol = rtol * 1e-3``, which land near
  1e-8 and 1e-11; and ``integrate("gauss8", ...)`` (symplectic 4-stage Gauss
  collocation, fixed step, Newton to round-off) at ``GAUSS8_STEPS_PER_FRAME``
  steps per frame, which lands just below the 1e-11 DOP853 row.
* scipy: one ``solve_ivp`` call per orbit, one orbit after another (``solve_ivp``
  integrates one system; each orbit keeps its own step sizes and error norm,
  like refsim), ``t_eval`` = the 101 frame times, no dense output, ``atol = rtol * 1e-3``.
  The right-hand side is a plain Python function of the Kepler field returning a
  NumPy array (``kepler_rhs``), what a scipy user writes; scipy calls Python at
  every stage. scipy raises any ``rtol`` below ``100 eps = 2.22e-14`` to that value
  (with a warning); ``scipy_dop853`` does it first, so atol = 1e-3 x the rtol
  actually used, which is the one shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from refsim.generators import EQUATIONS
from refsim.generators.systems.kepler import KeplerState
from refsim.solvers.ode import integrate

from .measure import ToleranceSearch, Trial, best_of

ATOL_FACTOR = 1e-3  # atol = rtol * 1e-3 for both solvers (refsim's ODE verifier uses the same)
SCIPY_RTOL_FLOOR = float(100 * np.finfo(float).eps)  # scipy.integrate._ivp.common.validate_tol
DOP853_RTOLS = (3e-12, 1e-14)  # refsim errors ~1.0e-8 and ~1.0e-11 on this batch
GAUSS8_STEPS_PER_FRAME = 44  # error ~7e-12, just below the 1e-11 DOP853 row


@dataclass
class KeplerBatch:
    eccentricities: np.ndarray  # (B,)
    y0: np.ndarray  # (B, 4)
    params: np.ndarray  # (B, 1)
    functions: dict
    frame_interval: float
    times: np.ndarray  # (F,)
    exact: np.ndarray  # (B, F, 4)

    @property
    def batch(self) -> int:
        return self.y0.shape[0]

    @property
    def num_frames(self) -> int:
        return self.times.shape[0]


def kepler_batch(batch: int = 64, periods: int = 10, num_frames: int = 101, seed: int = 0) -> KeplerBatch:
    system = EQUATIONS["kepler"](mu=1.0)
    eccentricities = np.random.default_rng(seed).uniform(0.3, 0.7, batch)
    states = [KeplerState(e, 1.0, system.mu) for e in eccentricities]
    frame_interval = periods * 2 * np.pi / (num_frames - 1)
    times = frame_interval * np.arange(num_frames)
    exact = np.array([system.exact_solution(s, times) for s in states])
    return KeplerBatch(eccentricities, np.array([s() for s in states]), np.tile(system.params_array(), (batch, 1)),
                       system.functions(), frame_interval, times, exact)


def frame_error(frames: np.ndarray, exact: np.ndarray) -> float:
    """Relative per frame (max over components), max over frames, worst orbit."""
    per_frame = np.abs(frames - exact).max(axis=-1) / np.abs(exact).max(axis=-1)
    worst = per_frame.max()
    return float(worst) if np.isfinite(worst) else float("inf")


def invariant_drift(frames: np.ndarray) -> tuple[float, float]:
    """Largest relative change of energy and of angular momentum over the frames, worst orbit."""
    q1, q2, p1, p2 = np.moveaxis(frames, -1, 0)
    energy = 0.5 * (p1**2 + p2**2) - 1.0 / np.hypot(q1, q2)
    angular = q1 * p2 - q2 * p1

    def drift(x):
        return float((np.abs(x - x[:, :1]) / np.abs(x[:, :1])).max())

    return drift(energy), drift(angular)


def kepler_rhs(t, y):
    """The scipy peer's right-hand side, plain Python, mu = 1. ``tolist()`` makes the
    arithmetic run on Python floats: 0.8 us per call instead of 2.5 us on NumPy scalars."""
    q1, q2, p1, p2 = y.tolist()
    r3 = (q1 * q1 + q2 * q2) ** 1.5
    return np.array([p1, p2, -q1 / r3, -q2 / r3])


def scipy_dop853(case: KeplerBatch, rtol: float) -> tuple[np.ndarray, int, bool]:
    """Every orbit with its own ``solve_ivp`` call, one after another; frames (B, F, 4), total nfev, success.
    An rtol below scipy's floor is raised to it here (scipy would do so itself, with a warning),
    and atol follows the rtol actually used."""
    rtol = max(rtol, SCIPY_RTOL_FLOOR)
    frames = np.full(case.exact.shape, np.nan)
    nfev, ok = 0, True
    for b in range(case.batch):
        sol = solve_ivp(kepler_rhs, (0.0, case.times[-1]), case.y0[b], method="DOP853", t_eval=case.times,
                        rtol=rtol, atol=rtol * ATOL_FACTOR)
        nfev += int(sol.nfev)
        ok &= bool(sol.success)
        frames[b, : sol.y.shape[1]] = sol.y.T
    return frames, nfev, ok


def refsim_run(case: KeplerBatch, method: str, **settings):
    return integrate(method, case.functions, case.y0, case.params, case.frame_interval, case.num_frames, **settings)


def warm_up(case: KeplerBatch) -> float:
    """First refsim ODE calls of this process (kernels are compiled with explicit signatures,
    so numba compiles or loads them from its cache at import; this is what is left)."""
    t0 = time.perf_counter()
    for method, settings in (("dop853", dict(rtol=1e-6, atol=1e-9)), ("gauss8", dict(steps_per_frame=2))):
        integrate(method, case.functions, case.y0[:1], case.params[:1], case.frame_interval, 3, **settings)
    return time.perf_counter() - t0


def numba_cache_state() -> str:
    from refsim.solvers.ode import dop853, gauss_legendre

    stats = [dop853.dop853_kernel.stats, gauss_legendre.collocation_kernel.stats]
    if any(sum(s.cache_misses.values()) for s in stats):
        return "compiled in this process (numba cache miss)"
    if all(sum(s.cache_hits.values()) for s in stats):
        return "loaded from numba's on-disk cache"
    return "numba cache state unknown"


def bench_kepler(args, say: Callable[[str], None]) -> list[dict]:
    case = kepler_batch()
    periods = case.times[-1] / (2 * np.pi)
    label = f"Kepler B={case.batch}"
    say(f"\n[kepler] Kepler problem H = |p|^2/2 - 1/|q| (mu=1, a=1): B={case.batch} orbits from pericentre, "
        f"e ~ U[0.3, 0.7] (seed 0; {case.eccentricities.min():.3f}..{case.eccentricities.max():.3f}), "
        f"{periods:g} periods, {case.num_frames} frames")
    say(f"  reference: exact solution (Kepler's equation); first refsim ODE calls {warm_up(case):.2f} s "
        f"({numba_cache_state()}), excluded from timings")

    def run_scipy(rtol: float):
        t = time.perf_counter()
        frames, nfev, ok = scipy_dop853(case, rtol)
        seconds = time.perf_counter() - t
        return frame_error(frames, case.exact), nfev, ok, seconds

    def shown(rtol: float) -> str:
        used = max(rtol, SCIPY_RTOL_FLOOR)
        return f"rtol={used:.2e}" + (" (floor)" if rtol < SCIPY_RTOL_FLOOR else "")

    # scipy cannot be asked for less than 100 eps: the walk stops at 1e-14, which scipy runs at 2.22e-14
    search = ToleranceSearch(run_scipy, lambda line: say(f"    scipy {line}"), tightest=1e-14,
                             bisections=args.bisections)
    rows = []
    dop853_last = None  # (seconds, error, result) of the tightest refsim DOP853 row
    scipy_last: Trial | None = None  # the scipy row next to it
    for rtol in DOP853_RTOLS:
        seconds, res = best_of(lambda r=rtol: refsim_run(case, "dop853", rtol=r, atol=r * ATOL_FACTOR),
                               args.refsim_repeats)
        error = frame_error(res.frames, case.exact)
        steps = int(res.steps.sum())
        dop853_last = (seconds, error, res)
        say(f"  refsim dop853 rtol={rtol:.0e}: error {error:.2e}, best {seconds:.4f} s of {args.refsim_repeats}, "
            f"{steps} steps ({int(res.rejected.sum())} rejected), {int(res.evaluations.sum())} RHS evals")
        rows.append(dict(problem=label, method="refsim DOP853", setting=f"rtol={rtol:.0e}", error=f"{error:.2e}",
                         wall=seconds, rate=steps / seconds, rhs=str(int(res.evaluations.sum())), ratio=""))
        say(f"  scipy DOP853 (sequential, one solve_ivp per orbit): loosest rtol with error <= {error:.2e} "
            f"(walk starts at refsim's rtol decade)")
        match = search.match(error, start=rtol)
        chosen = match.chosen if match.chosen is not None else min(match.trials, key=lambda t: t.error)
        search.retime(chosen, args.repeats)  # also when the target is missed: the ratio below is then a bound
        scipy_last = chosen
        ratio = chosen.seconds / seconds
        if match.chosen is None:
            say(f"    target not reached down to scipy's floor rtol = 100 eps = {SCIPY_RTOL_FLOOR:.2e}; most accurate "
                f"trial {shown(chosen.rtol)}: error {chosen.error:.2e}, best {chosen.seconds:.3f} s of "
                f"{len(chosen.times)}; refsim is {ratio:.1f}x faster there, a lower bound at equal accuracy")
            error_text, ratio_text = f"{chosen.error:.2e} (> target!)", f">{ratio:.1f}x"
        else:
            say(f"    -> {shown(chosen.rtol)}: error {chosen.error:.2e}, best {chosen.seconds:.3f} s of "
                f"{len(chosen.times)}, {chosen.nfev} RHS evals; refsim is {ratio:.1f}x faster"
                + (f" ({match.note})" if match.note else ""))
            error_text = f"{chosen.error:.2e}" + ("" if chosen.success else " (solver failed)")
            ratio_text = f"{ratio:.1f}x"
        rows.append(dict(problem="", method="scipy DOP853 sequential", setting=shown(chosen.rtol), error=error_text,
                         wall=chosen.seconds, rate=steps / chosen.seconds, rhs=str(chosen.nfev), ratio=ratio_text))

    spf = GAUSS8_STEPS_PER_FRAME
    seconds, res = best_of(lambda: refsim_run(case, "gauss8", steps_per_frame=spf), args.refsim_repeats)
    error = frame_error(res.frames, case.exact)
    steps = int(res.steps.sum())
    h = case.frame_interval / spf
    say(f"  refsim gauss8 {spf} steps/frame (h={h:.3g}): error {error:.2e}, best {seconds:.3f} s of "
        f"{args.refsim_repeats}, {int(res.evaluations.sum())} RHS evals (Jacobians included), "
        f"Newton residual <= {res.residual.max():.1e}")
    # against the scipy row above, only where scipy is no more accurate (then it is a lower bound)
    ratio_text = ""
    if scipy_last is not None and scipy_last.error >= error:
        ratio_text = f"{'>' if scipy_last.error > error else ''}{scipy_last.seconds / seconds:.1f}x"
    rows.append(dict(problem="", method="refsim gauss8 (symplectic)", setting=f"h={h:.3g} ({spf}/frame)",
                     error=f"{error:.2e}", wall=seconds, rate=steps / seconds, rhs=str(int(res.evaluations.sum())),
                     ratio=ratio_text))
    d_seconds, d_error, d_res = dop853_last
    d_energy, d_angular = invariant_drift(d_res.frames)
    g_energy, g_angular = invariant_drift(res.frames)
    say(f"    gauss8 vs refsim DOP853 rtol={DOP853_RTOLS[-1]:.0e} (error {d_error:.2e}): "
        f"{seconds / d_seconds:.0f}x the wall time, {res.evaluations.sum() / d_res.evaluations.sum():.1f}x "
        f"the RHS evals; drift over the frames (worst orbit), gauss8 vs DOP853: energy {g_energy:.1e} vs "
        f"{d_energy:.1e}, angular momentum {g_angular:.1e} vs {d_angular:.1e}")
    return rows
