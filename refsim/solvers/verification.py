"""Precision verification by refinement, and automatic choice of resolution.

Every trajectory is solved four or five times at a resolution (N points, s
steps per output interval), by one of two schemes (``Verifier(scheme=...)``).

``coarse`` (the default; s a multiple of 4), in 1D about 1.9 production runs
of verification work (3.6-3.9 with the time twin, below):

* production ``(N, s)``: the solution that is stored;
* half-step run ``(N, s/2)`` and quarter-step run ``(N, s/4)``: the observed
  order ``p_obs = log2(|u_{s/4} - u_{s/2}| / |u_{s/2} - u_s|)`` (of the frame
  maxima, and per frame), ``q = clamp(p_obs, 1, p)`` for a method of order p,
  and the temporal error of the production run ``|u_{s/2} - u_s| / (2^q - 1)``.
  Why this bounds the error ``E_s = u_s - u``: by the triangle inequality
  ``|u_{s/2} - u_s| >= |E_{s/2}| - |E_s|``, so the estimate is at least
  ``|E_s|`` whenever halving the step from 2h to h divides the error by at least
  ``2^q``. The three runs show the ratio one halving earlier; taking it for
  the next one is Richardson's assumption, and it errs on the safe side when
  the error is ``C h^p (1 + x h)`` with a correction of either sign: for
  ``x < 0`` the observed order is below p and ``1 / (2^q - 1)`` grows by more
  than the correction, for ``x > 0`` it is above p, the clamp keeps p, and the
  difference carries the correction ``(2^(p+1) - 1) / (2^p - 1) > 1`` times.
  The per-frame order (the smaller one is used) keeps a frame that converges
  more slowly than the trajectory's maximum from borrowing its rate. What it
  cannot see is an order that falls below the observed one only at steps
  finer than h (order reduction setting in late); the ``refined`` scheme is
  the more robust one there, as its factor ``2^q / (2^q - 1)`` is between 1 and 2.
  So the extrapolation is used only where it is checked: the observed order of
  the trajectory and of every frame with a measurable difference within
  ``_ASYMPTOTIC_BAND`` of p. Elsewhere, and always for a chaotic equation (its
  error's ratio between two steps is erratic frame by frame: on
  Kuramoto-Sivashinsky the extrapolation was measured up to 16x below the true
  error of some frames), the time twin ``(N, 2s)`` is run as well (no
  quarter-step run then) and gives the refined scheme's estimate below, with the
  order from ``s/2, s, 2s`` (recorded as ``coarse+twin``);
* space twin ``(2N, s/2)``, compared with the half-step run (same step): the
  spatial error, as below. The two grids' time errors at one step are equal on
  the modes both resolve, so their difference leaves only the spatial error
  and a cross term of the size (time error) x (spatial error), second order
  in small quantities; the spatial error of a spectral method does not depend
  on the step, so it is the production's too.

A resolution whose s is not a multiple of 4, or a trajectory whose coarse runs
are not finite where its production is (a coarse step can be unstable), is
verified by the ``refined`` scheme, in 1D about 4.7 production runs of work:

* production ``(N, s)``;
* time twin ``(N, 2s)``: Richardson's estimate of the temporal error of the
  production run, ``|u_s - u_2s| * 2^q / (2^q - 1)``;
* order run ``(N, s/2)`` (or ``(N, 4s)`` when s is odd): with the other two it
  gives the observed order ``p_obs = log2(|u_{s/2} - u_s| / |u_s - u_{2s}|)``;
  ``q = clamp(p_obs, 1, p)`` for a method of order p, so an order below theory
  (not yet asymptotic) makes the estimate more conservative, never less;
* space twin ``(2N, s)``: the spatial error of the production run,
  ``|u_N - u_2N|`` on the N production points (spectral convergence makes the
  2N run far more accurate, so the difference is the N run's error), plus the
  amplitude the twin's own spectrum extrapolates to just beyond its kept modes
  (:func:`unresolved_amplitude`), the size of the twin's own error: a twin that is
  not resolved either cannot hide behind a small difference.

Each certificate records its scheme (``Certified.verification``).
Errors are relative per frame, ``max_x |difference| / max_x |u|``; the estimate
is ``error_time + error_space + rounding`` (half an ulp of the stored dtype).
When the truth is the semi-discrete model on the output grid (``refine_space``
false: the grid is never refined), the spatial part is still measured and
stored, as the model's distance from the PDE, but it is not an error of the
data and stays out of the estimate.
The fraction of spectral energy in the top third of the resolved (dealiased)
modes is recorded per frame as a further, independent indicator of spatial
resolution.

Starting from a guess, a trajectory whose estimate exceeds ``safety *
tolerance`` moves to a finer resolution: the grid doubles when the spatial part
is too large, and the number of steps grows by the power of two that
Richardson's estimate predicts. Each trajectory's path depends only on its own
errors, so its result does not depend on which others share its batch. When the
budget is spent, a trajectory is rejected, or, with the ``flag`` horizon policy
(chaotic systems), kept with a trust horizon: the last frame time up to which
every estimate is within the tolerance; later frames are flagged untrusted.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .certificate import (  # noqa: F401 - re-exported: the names callers of the verifier use
    ACCEPTED,
    GATE_FAILED,
    INVARIANT_VIOLATED,
    NONFINITE,
    OVER_BUDGET,
    ROUNDING,
    STATUS_MEANINGS,
    Budget,
    Certified,
    Resolution,
    TrajectoryProblem,
    _flat,
    relative_difference,
    spectral_tail,
    unresolved_amplitude,
)
from .exponential import STEPPERS
from .grid import FourierGrid
from .semilinear import solve_frames
from .verification_runs import _ORDER_FLOOR, evaluate_coarse, evaluate_refined

HORIZON_POLICIES = ("refuse", "flag")
SCHEMES = ("coarse", "refined")  # which runs verify a resolution (module docstring); the first is the default
VERIFICATIONS = ("refined", "coarse", "coarse+twin")  # what verified a certificate, as stored (index = code)
_NOISE_CEILING = 1e-3  # a non-converging difference below this is noise, not a step too large
_TWIN_SUSPECT = 1e-2  # a spatial difference 100x above the production's own unresolved amplitude is the twin's
_MAX_STEP_DOUBLINGS = 4  # per refinement: far from the asymptotic regime the predicted factor means nothing


# Peak bytes one trajectory adds while its batch is evaluated at one resolution, per float64 value of its
# state on that grid: _FRAME_VALUES per stored frame (the four runs' frames, the twin's spectrum for the
# tail, the differences) plus _WORK_VALUES (stepper stages, phi-coefficients, initial data). Measured by
# peak RSS on 2D Navier-Stokes (128^2 and 256^2, 11-41 frames, batches 1-4): 280-320 values per trajectory
# at 11 frames, 2.5 MiB more per frame at 128^2; rounded up so the estimate stays above every measurement.
_FRAME_VALUES, _WORK_VALUES = 24, 80


class Verifier:
    """Certify trajectories to a tolerance by refinement (see the module docstring)."""

    def __init__(
        self,
        output_grid: FourierGrid,
        frame_interval: float,
        num_frames: int,
        tolerance: float,
        method: str = "etdrk4",
        storage_dtype: str = "float64",
        budget: Budget = Budget(),
        safety: float = 0.5,
        horizon: str = "refuse",
        chaotic: bool = False,
        refine_space: bool = True,
        keep_twin: bool = True,
        scheme: str = SCHEMES[0],
    ):
        if horizon not in HORIZON_POLICIES:
            raise ValueError(f"horizon must be one of {HORIZON_POLICIES}, got {horizon!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
        self.output_grid = output_grid
        self.frame_interval = frame_interval
        self.num_frames = num_frames
        self.tolerance = tolerance
        self.method = method
        self.order = STEPPERS[method].order
        self.rounding = ROUNDING[storage_dtype]
        self.budget = budget
        self.safety = safety
        self.horizon = horizon
        self.chaotic = chaotic
        self.refine_space = refine_space
        self.dimension = getattr(output_grid, "dimension", 1)
        self.keep_twin = keep_twin  # keep each accepted trajectory's grid-doubled run (time-derivative labels)
        self.scheme = scheme
        self.work = 0  # point-steps computed, all runs included

    def _grid(self, num_points: int) -> FourierGrid:
        return self.output_grid.resized(num_points)

    def _inputs(self, problems, num_points):
        """The grid, the terms and the sampled initial data of a batch at one grid size; the runs of one
        resolution share them (sampling an initial condition on a fine 2D grid costs more than a run)."""
        grid = self._grid(num_points)
        return grid, [p.terms(grid) for p in problems], np.array([grid.sample(p.initial) for p in problems])

    def trajectory_bytes(self, num_points: int) -> int:
        """Estimated peak memory one trajectory adds to a batch evaluated on ``num_points`` per direction."""
        values = num_points**self.dimension * self._values_per_point
        return 8 * values * (_FRAME_VALUES * self.num_frames + _WORK_VALUES)

    def _batches(self, idx: list[int], res: Resolution) -> tuple[list[list[int]], list[int]]:
        """``idx`` cut into batches that fit the memory budget, and the trajectories that alone do not."""
        limit = self.budget.max_memory_bytes
        if limit is None:
            return [idx], []
        per = self.trajectory_bytes(res.num_points)
        if per > limit:
            return [], idx
        size = max(1, limit // per)
        return [idx[k:k + size] for k in range(0, len(idx), size)], []

    def _over_memory(self, res: Resolution) -> Certified:
        nan = np.full(self.num_frames, np.nan)
        need, limit = self.trajectory_bytes(res.num_points), self.budget.max_memory_bytes
        reason = (f"one trajectory at N={res.num_points} needs about {need / 2**20:.0f} MiB, above the memory "
                  f"budget of {limit / 2**20:.0f} MiB (raise solver.memory_mib or start on a coarser grid)")
        return Certified(OVER_BUDGET, reason, res, np.full((self.num_frames, *self._state_shape), np.nan),
                         nan, nan, nan, nan)

    def _run(self, problems, num_points, steps):
        return self._solve(self._inputs(problems, num_points), steps)

    def _solve(self, inputs, steps):
        grid, terms, u0 = inputs
        self.work += len(terms) * grid.size * steps * (self.num_frames - 1)
        with np.errstate(all="ignore"):
            return solve_frames(grid, terms, u0, self.frame_interval, self.num_frames, steps, self.method)

    def evaluate(self, problems: list[TrajectoryProblem], res: Resolution):
        """Production frames, error parts, observed order and the grid-doubled run of a batch at one resolution,
        and which runs verified each trajectory (``SCHEMES``, or ``coarse+twin``: see the module docstring)."""
        if self.scheme == "refined" or res.steps_per_frame % 4:
            return (*evaluate_refined(self, problems, res), ["refined"] * len(problems))
        parts, d_half, asymptotic, coarse_finite = evaluate_coarse(self, problems, res)
        production, e_time, _, _, observed, _ = parts
        finite = np.isfinite(_flat(production)).all(axis=(1, 2))
        blew_up = finite & ~coarse_finite
        schemes = ["coarse"] * len(problems)
        twin_rows = np.flatnonzero(finite & ~blew_up & ~asymptotic)
        if twin_rows.size:  # outside the asymptotic range: the production's time error from its time twin
            s = res.steps_per_frame
            inputs = self._inputs([problems[i] for i in twin_rows], res.num_points)
            with np.errstate(all="ignore"):
                d_fine = relative_difference(_flat(production[twin_rows]), _flat(self._solve(inputs, 2 * s)))
                found = np.log2(d_half[twin_rows].max(axis=1) / d_fine.max(axis=1))
                observed[twin_rows] = np.where(d_fine.max(axis=1) > _ORDER_FLOOR, found, np.nan)
                q = np.clip(np.nan_to_num(observed[twin_rows], nan=self.order), 1.0, self.order)
                e_time[twin_rows] = d_fine * (2.0**q / (2.0**q - 1.0))[:, None]
            for i in twin_rows:
                schemes[i] = "coarse+twin"
        if blew_up.any():  # a coarse run is not finite where the production is: the refined scheme decides
            idx = np.flatnonzero(blew_up)
            for part, values in zip(parts, evaluate_refined(self, [problems[i] for i in idx], res)):
                part[idx] = values
            for i in idx:
                schemes[i] = "refined"
        return (*parts, schemes)

    def certify(self, problems: list[TrajectoryProblem], start: Resolution) -> list[Certified]:
        results: list[Certified | None] = [None] * len(problems)
        pending = {}
        for i, problem in enumerate(problems):
            u0 = self.output_grid.sample(problem.initial)
            self._state_shape = u0.shape
            self._values_per_point = (2 if np.iscomplexobj(u0) else 1) * u0.size // u0.shape[-1] ** self.dimension
            if np.isfinite(u0).all():
                pending[i] = start
                continue
            nan = np.full(self.num_frames, np.nan)
            results[i] = Certified(NONFINITE, "the initial condition is not finite on the grid", start,
                                   np.full((self.num_frames, *u0.shape), np.nan), nan, nan, nan, nan)
        attempts = dict.fromkeys(pending, 0)
        coarser_space: dict[int, tuple[int, float]] = {}  # trajectory -> (grid, largest e_space) of its last try
        target = self.safety * self.tolerance
        while pending:
            groups: dict[Resolution, list[int]] = defaultdict(list)
            for i, res in pending.items():
                groups[res].append(i)
            pending = {}
            batches = []
            for res, idx in sorted(groups.items(), key=lambda kv: (kv[0].num_points, kv[0].steps_per_frame)):
                fitting, alone_too_big = self._batches(idx, res)
                batches += [(res, batch) for batch in fitting]
                for i in alone_too_big:
                    results[i] = self._over_memory(res)
            for res, idx in batches:
                production, e_time, e_space, tail, observed, twin, *rest = self.evaluate(
                    [problems[i] for i in idx], res)
                schemes = rest[0] if rest else ["refined"] * len(idx)
                for row, i in enumerate(idx):
                    coarser = coarser_space.get(i)
                    # the grid-doubled twin, not the production, is wrong when the spatial difference grew as the
                    # grid doubled, or when it is far above what the production's own spectrum leaves unresolved:
                    # the finer grid is unstable at this step (an explicit advective limit, dt ~ 1/N)
                    grew = bool(coarser and coarser[0] * 2 == res.num_points and
                                not np.nanmax(e_space[row]) <= coarser[1])
                    grew = grew or bool(np.sqrt(np.nanmax(tail[row])) < _TWIN_SUSPECT * np.nanmax(e_space[row]))
                    e_space[row] *= self._space_richardson(coarser, res.num_points, e_space[row])
                    coarser_space[i] = (res.num_points, float(np.nanmax(e_space[row])))
                    parts = (production[row], e_time[row], e_space[row], tail[row], observed[row], twin[row])
                    space = e_space[row] if self.refine_space else 0.0
                    estimate = e_time[row] + space + self.rounding
                    finite = bool(np.isfinite(production[row]).all() and np.isfinite(estimate).all())
                    if finite and estimate.max() <= target:
                        results[i] = self._result(ACCEPTED, "", res, parts, estimate, self.num_frames - 1)
                        results[i].verification = schemes[row]
                        continue
                    attempts[i] += 1
                    nxt = self._next(res, e_time[row], e_space[row], finite, observed[row], grew)
                    if nxt is None or attempts[i] > self.budget.max_refinements:
                        results[i] = self._final(res, parts, estimate, finite)
                        results[i].verification = schemes[row]
                    else:
                        pending[i] = nxt
        return results  # type: ignore[return-value]

    @staticmethod
    def _space_richardson(coarser: tuple[int, float] | None, num_points: int, e_space: np.ndarray) -> float:
        """Factor ``1 / (1 - 1/r)`` on ``|u_N - u_2N|``, where ``r`` is how much the difference shrank since the
        grid of half the size (Richardson in space). Spectral convergence has a huge ``r`` and a factor of 1;
        a kink or a jump in the data converges algebraically (``r = 2^p``), and then ``|u_N - u_2N|`` alone
        would be up to half of the error. Capped at 3; 1 until a coarser grid has been tried."""
        if coarser is None or coarser[0] * 2 != num_points:
            return 1.0
        now = float(np.nanmax(e_space))
        if not (now > 0 and np.isfinite(now) and np.isfinite(coarser[1])):
            return 1.0
        ratio = coarser[1] / now
        return 3.0 if ratio <= 1.5 else min(3.0, 1.0 / (1.0 - 1.0 / ratio))

    def _result(self, status, reason, res, parts, estimate, horizon) -> Certified:
        production, et, es, tail, observed, twin = parts
        stride = res.num_points // self.output_grid.num_points
        frames = self.output_grid.restrict(production, stride).copy() if status == ACCEPTED else np.full(
            (self.num_frames, *self._state_shape), np.nan)
        return Certified(status, reason, res, frames, et, es, estimate, tail, float(observed), horizon,
                         production if status == ACCEPTED else None,
                         twin if status == ACCEPTED and self.keep_twin else None)

    def _next(self, res: Resolution, et, es, finite, observed=np.nan, grew=False) -> Resolution | None:
        n, s = res.num_points, res.steps_per_frame
        part = self.safety * self.tolerance / 2
        if not finite:  # an unstable step or an unresolved grid: refine both
            s *= 4
            n *= 2 if self.refine_space else 1
        elif grew and es.max() > part:  # same grid, a step the grid-doubled twin is stable at
            s *= 4
        else:
            if es.max() > part and self.refine_space:
                n *= 2
                if es.max() >= 0.5:  # the grids disagree at O(1): the finer one may be unstable at this step too
                    s *= 4
            if self.chaotic and et.max() > part and observed < 1.0 and et.max() < _NOISE_CEILING:
                # runs that agree closely yet do not converge as the step shrinks: the
                # difference is amplified round-off (chaos), and smaller steps only add more
                return None
            if et.max() > part:
                ratio = (et.max() / part) ** (1.0 / self.order)
                s *= 2 ** min(max(1, math.ceil(math.log2(ratio * 1.1))), _MAX_STEP_DOUBLINGS)
            if n == res.num_points and s == res.steps_per_frame:
                s *= 2
        b = self.budget
        too_big = (
            n > b.max_points
            or n**self.output_grid.dimension > max(b.max_grid_values, b.max_points)
            or s > b.max_steps_per_frame
            or s * (self.num_frames - 1) > b.max_total_steps
            or (b.max_memory_bytes is not None and self.trajectory_bytes(n) > b.max_memory_bytes)
        )
        return None if too_big else Resolution(n, s)

    def _final(self, res, parts, estimate, finite) -> Certified:
        production = parts[0]
        if not finite:
            bad = np.flatnonzero(~np.isfinite(production.reshape(self.num_frames, -1)).all(axis=-1))
            when = f"frame {bad[0]}" if bad.size else "its error estimate"
            reason = (
                f"non-finite values at {when} at every resolution tried, up to N={res.num_points} and "
                f"{res.steps_per_frame} steps per frame, where the budget ends (a blow-up, or too coarse to tell)"
            )
            return self._result(NONFINITE, reason, res, parts, estimate, -1)
        within = np.cumprod(estimate <= self.tolerance).astype(bool)
        horizon = int(within.sum()) - 1
        if self.horizon == "flag" and horizon >= 1:
            reason = (f"trust horizon at frame {horizon} of {self.num_frames - 1}: later frames exceed the "
                      f"tolerance within the budget (N={res.num_points}, {res.steps_per_frame} steps per frame)")
            return self._result(ACCEPTED, reason, res, parts, estimate, horizon)
        et, es = parts[1], parts[2] if self.refine_space else np.zeros_like(parts[2])
        reason = (
            f"estimated error {estimate.max():.2e} (time {et.max():.1e}, space {es.max():.1e}) "
            f"above tolerance {self.tolerance:.1e} within the budget "
            f"(N={res.num_points}, {res.steps_per_frame} steps per frame)"
        )
        limit = self.budget.max_memory_bytes
        if limit is not None and self.trajectory_bytes(2 * res.num_points) > limit:
            reason += (f"; a grid of N={2 * res.num_points} would need about "
                       f"{self.trajectory_bytes(2 * res.num_points) / 2**20:.0f} MiB, above the memory budget of "
                       f"{limit / 2**20:.0f} MiB (solver.memory_mib)")
        return self._result(OVER_BUDGET, reason, res, parts, estimate, -1)
