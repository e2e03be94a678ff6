"""Target 1: Kuramoto-Sivashinsky, refsim against exponax (JAX ETDRK4) at equal measured error.

The problem is the ``ks`` case of ``cases.py`` (conservative form, L = 32 pi, N = 128,
B = 64, T = 30), solved as the semi-discrete Fourier system on those 128 points, the
system exponax solves too. Errors are measured at T against that system's own
converged solution (refsim ETDRK4 with 8x the finest step, as for the scipy rows), the
worst trajectory of the batch, for every solver from its own final states. N = 128 does
not resolve the PDE itself at L = 32 pi to better than ~1e-2 by T = 30 (refsim's space
twin at 2N says so, and a build that certifies the PDE refines to N = 256): that
distance is printed once for information and is the same for every solver here.

Rows per step h (each solver runs with the same h, so equal error is a check, not a search):

* exponax: ``bench/exponax_peer.py`` in ``.venv-bench`` (same initial conditions through an
  .npy file; its final states come back the same way), median of its timed runs; the cores it
  used = its process CPU time / wall.

Every median (exponax's and refsim's) is over at least ``--peer-repeats`` runs and at least
``MIN_SECONDS`` of them: the h = 1/16 runs take only 40-100 ms.
* refsim, 1 process: ``solve_frames`` on the batch (31 frames, one per time unit).
* refsim, 2 processes: the batch split in two halves, one per worker of a process pool of
  ``os.cpu_count()`` (2) workers, each warmed up first; wall from submit to both results back.
* refsim certified, 2 processes: ``Verifier.certify`` of each half (truth ``fourier-semidiscrete``:
  the N = 128 system is what is certified; the default ``coarse`` scheme, which for a chaotic
  equation runs production (N, h), half-step run (N, 2h), time twin (N, h/2), space twin (2N, 2h),
  and any refinement it decides; the previous ``refined`` scheme, time twin (N, h/2), order run
  (N, 2h), space twin (2N, h), is timed beside it in the same pool), tolerance ``CERTIFY_TOLERANCE[h]``
  chosen so that the production step is h. Throughput = production sample-steps
  (B x the certified steps) / wall.

Throughput is sample-steps per second: B x steps / wall. Ratios are exponax's median wall over
refsim's median wall for the same work; targets: uncertified >= 2x, certified >= 1x.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from . import cases as cases_module

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = Path(os.environ.get("REFSIM_BENCH_VENV", ROOT / ".venv-bench"))
FRAME_INTERVAL = 1.0
STEPS_PER_FRAME = {"1/16": 16, "1/64": 64}
CERTIFY_TOLERANCE = {16: 2e-3, 64: 1e-5}  # estimate <= tolerance / 2 at (128, h) for all 64 trajectories
POOL_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
TARGET_UNCERTIFIED, TARGET_CERTIFIED = 2.0, 1.0
MIN_SECONDS, MAX_REPEATS = 1.0, 50  # every median is over at least a second of runs (exponax's too)
SCHEMES = ("coarse", "refined")  # refsim.solvers.verification.SCHEMES, default first


def exponax_dealiasing_fraction(n: int) -> float:
    """exponax keeps modes j <= fraction * (N/2) - 1; refsim keeps 3 j < N. The midpoint of the
    fractions that keep exactly refsim's modes."""
    top = (n - 1) // 3  # refsim's highest kept mode
    return (top + 1.5) / (n // 2)


def run_exponax(case: cases_module.Case, steps: int, repeats: int) -> dict:
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{python} not found: `make bench` (or `make bench-venv`) creates it")
    with tempfile.TemporaryDirectory(prefix="refsim-bench-exponax-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "u0.npy", case.initial)
        job = {"initial": str(tmp / "u0.npy"), "final": str(tmp / "final.npy"), "length": case.grid.domain_length,
               "points": case.grid.num_points, "dt": case.end_time / steps, "steps": steps, "repeats": repeats,
               "min_seconds": MIN_SECONDS, "max_repeats": MAX_REPEATS,
               "dealiasing_fraction": exponax_dealiasing_fraction(case.grid.num_points)}
        (tmp / "job.json").write_text(json.dumps(job))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR")}
        out = subprocess.run([str(python), str(ROOT / "bench" / "exponax_peer.py"), str(tmp / "job.json")],
                             capture_output=True, text=True, env=env, timeout=900)
        if out.returncode != 0:
            raise RuntimeError(f"exponax peer failed ({out.returncode}):\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["final"] = np.load(tmp / "final.npy")
    return result


def _ks_problems(seeds):
    from refsim.generators import EQUATIONS, FAMILIES
    from refsim.solvers.verification import TrajectoryProblem

    eq = EQUATIONS["kuramoto_sivashinsky"]()
    family = FAMILIES["fourier"](modes=6, amplitude=1.0)
    return [TrajectoryProblem(eq.terms, family.sample(np.random.default_rng(s), eq, 32 * np.pi, 0.0)) for s in seeds]


def _solve(initial: np.ndarray, steps_per_frame: int, num_frames: int) -> np.ndarray:
    from refsim.generators import EQUATIONS
    from refsim.solvers.grid import FourierGrid
    from refsim.solvers.semilinear import solve_frames

    grid = FourierGrid(initial.shape[1], 32 * np.pi)
    terms = EQUATIONS["kuramoto_sivashinsky"]().terms(grid)
    return solve_frames(grid, [terms] * initial.shape[0], initial, FRAME_INTERVAL, num_frames, steps_per_frame)[:, -1]


def _certify(seeds, steps_per_frame: int, num_frames: int, tolerance: float, scheme: str = SCHEMES[0]) -> dict:
    from refsim.solvers.grid import FourierGrid
    from refsim.solvers.verification import Resolution, Verifier

    verifier = Verifier(FourierGrid(128, 32 * np.pi), FRAME_INTERVAL, num_frames, tolerance, chaotic=True,
                        refine_space=False, scheme=scheme)
    results = verifier.certify(_ks_problems(seeds), Resolution(128, steps_per_frame))
    return {"final": np.array([r.frames[-1] for r in results]),
            "steps": [r.resolution.steps_per_frame * (num_frames - 1) for r in results],
            "points": [r.resolution.num_points for r in results], "status": [r.status for r in results],
            "estimate": max(float(np.nanmax(r.error_estimate)) for r in results),
            "pde_distance": max(float(np.nanmax(r.error_space)) for r in results), "work": verifier.work,
            "verification": [r.verification for r in results]}


def _warm() -> None:
    _solve(np.cos(np.arange(16) * 2 * np.pi / 16)[None], 2, 2)
    for scheme in SCHEMES:
        _certify([0], 4, 2, 1.0, scheme)


def make_pool(workers: int) -> ProcessPoolExecutor:
    os.environ.update(POOL_ENV)
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_warm)
    list(pool.map(time.sleep, [0.5] * workers))  # every worker started and warmed before any timing
    return pool


def _timed(fn: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Wall times of at least ``repeats`` calls, more until they add up to ``MIN_SECONDS`` (at most
    ``MAX_REPEATS``): a 40 ms run timed 5 times on a shared machine is mostly noise."""
    walls, result = [], None
    while len(walls) < repeats or (sum(walls) < MIN_SECONDS and len(walls) < MAX_REPEATS):
        t0 = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
    return walls, result


def _exponax_row(case, label: str, steps: int, reference, args, say) -> tuple[dict, float, np.ndarray | None]:
    """exponax's row, its median wall time and its final states; NaN and None when it cannot run."""
    work = case.batch * steps
    try:
        peer = run_exponax(case, steps, args.peer_repeats)
    except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as err:
        say(f"  h={label}: exponax not run: {str(err).splitlines()[0]}")
        return (dict(problem=case.label, method="exponax ETDRK4", setting=f"h={label}", error="not run",
                     wall=float("nan"), rate=float("nan"), cores="", ratio="peer", target=""), float("nan"), None)
    mode = peer["modes"][peer["best"]]
    wall = float(np.median(mode["walls"]))
    cores = float(np.median(mode["cpu"])) / wall
    error = cases_module.relative_error(peer["final"], reference)
    other = [m for m in peer["modes"] if m != peer["best"]][0]
    kept = int(peer["settings"]["dealiasing_fraction"] * (case.grid.num_points // 2) - 1)
    say(f"  h={label}: exponax {peer['exponax']} (jax {peer['jax']}, {peer['devices'][0]}; order 4, "
        f"dt {peer['settings']['dt']:g}, dealiasing_fraction {peer['settings']['dealiasing_fraction']:.4f}: "
        f"modes 0..{kept}, as refsim), "
        f"{peer['best']} stepping: error {error:.2e}, median {wall:.3f} s of {len(mode['walls'])}, "
        f"{cores:.2f} cores (CPU time / wall); first call {mode['first_call']:.1f} s (compile, untimed); {other} "
        f"stepping: median {np.median(peer['modes'][other]['walls']):.3f} s; the two agree to "
        f"{peer['modes_agree']:.1e}")
    return (dict(problem=case.label, method=f"exponax ETDRK4 ({peer['best']})", setting=f"h={label}", error=error,
                 wall=wall, rate=work / wall, cores=f"{cores:.2f}", ratio="peer", target=""), wall, peer["final"])


def _ratio(peer_wall: float, wall: float, target: float | None = None) -> tuple[str, str]:
    """(ratio text, target verdict) of exponax's wall time over refsim's for the same work."""
    if np.isnan(peer_wall):
        return "n/a", "" if target is None else f">= {target:g}x: no peer"
    ratio = peer_wall / wall
    return f"{ratio:.2f}x", "" if target is None else _verdict(ratio, target)


def bench_ks_peers(args, say: Callable[[str], None], case=None, reference=None) -> list[dict]:
    case = case or cases_module.kuramoto_sivashinsky()
    if reference is None:
        reference, text = cases_module.reference(case)
        say(f"  reference: {text}")
    batch, frames = case.batch, int(round(case.end_time / FRAME_INTERVAL)) + 1
    halves = np.array_split(np.arange(batch), 2)
    workers = os.cpu_count() or 2
    rows = []
    say(f"\n[ks-jax] {case.title}; exponax vs refsim at the same step (target 1); {workers} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    pool = make_pool(min(workers, 2))
    say(f"  refsim process pool: 2 spawned workers (NUMBA_NUM_THREADS=1), started and warmed in "
        f"{time.perf_counter() - t0:.1f} s (untimed)")
    try:
        for label, spf in list(STEPS_PER_FRAME.items())[: 1 if args.quick else None]:
            steps = spf * (frames - 1)
            work = batch * steps
            row, ex_wall, ex_final = _exponax_row(case, label, steps, reference, args, say)
            rows.append(row)

            walls, final = _timed(lambda s=spf: _solve(case.initial, s, frames), args.peer_repeats)
            wall = float(np.median(walls))
            error = cases_module.relative_error(final, reference)
            agree = "" if ex_final is None else (
                f"; |refsim - exponax| = {cases_module.relative_error(final, ex_final):.1e} (same scheme and "
                "modes: far below either error)")
            say(f"    refsim 1 process: error {error:.2e}, median {wall:.3f} s{agree}")
            ratio, _ = _ratio(ex_wall, wall)
            rows.append(dict(problem="", method="refsim ETDRK4, 1 process", setting=f"h={label}", error=error,
                             wall=wall, rate=work / wall, cores="1", ratio=ratio, target=""))

            def two(s=spf):
                parts = list(pool.map(_solve, [case.initial[h] for h in halves], [s, s], [frames, frames]))
                return np.concatenate(parts)

            walls, final = _timed(two, args.peer_repeats)
            wall = float(np.median(walls))
            error = cases_module.relative_error(final, reference)
            ratio, verdict = _ratio(ex_wall, wall, TARGET_UNCERTIFIED)
            say(f"    refsim 2 processes: error {error:.2e}, median {wall:.3f} s: {ratio} exponax "
                f"(target >= {TARGET_UNCERTIFIED:g}x)")
            rows.append(dict(problem="", method="refsim ETDRK4, 2 processes", setting=f"h={label}", error=error,
                             wall=wall, rate=work / wall, cores="2", ratio=ratio, target=verdict))

            tol = CERTIFY_TOLERANCE[spf]
            for scheme in SCHEMES:  # the default first; the previous scheme beside it, same pool, same moment

                def certified(s=spf, tol=tol, scheme=scheme):
                    seeds = [[int(i) for i in h] for h in halves]
                    return list(pool.map(_certify, seeds, [s, s], [frames, frames], [tol, tol], [scheme, scheme]))

                walls, parts = _timed(certified, args.peer_repeats)
                wall = float(np.median(walls))
                final = np.concatenate([p["final"] for p in parts])
                error = cases_module.relative_error(final, reference)
                production = sum(sum(p["steps"]) for p in parts)
                points = sorted({n for p in parts for n in p["points"]})
                rejected = sum(int(s != 0) for p in parts for s in p["status"])
                how = sorted({v for p in parts for v in p["verification"]})
                # same work as exponax's run: compare throughputs (the production may have refined)
                ratio, verdict = _ratio(ex_wall, wall * work / production, TARGET_CERTIFIED)
                say(f"    refsim certified, scheme {scheme} ({'/'.join(how)}; tolerance {tol:g}, semi-discrete "
                    f"truth), 2 processes: error {error:.2e} "
                    f"(largest estimate {max(p['estimate'] for p in parts):.1e}), median {wall:.3f} s of "
                    f"{len(walls)}; production {production} sample-steps on N={points} ({rejected} rejected); all "
                    f"solves {sum(p['work'] for p in parts) / (production * case.grid.num_points):.1f}x the "
                    f"production's point-steps; distance of the N=128 system from the PDE (refsim's 2N twin): "
                    f"{max(p['pde_distance'] for p in parts):.1e}; {ratio} exponax (target >= {TARGET_CERTIFIED:g}x)")
                rows.append(dict(problem="", method=f"refsim certified ({scheme}), 2 processes",
                                 setting=f"h={label} tol={tol:g}", error=error, wall=wall, rate=production / wall,
                                 cores="2", ratio=ratio, target=verdict if scheme == SCHEMES[0] else ""))
    finally:
        pool.shutdown()
    return rows


def _verdict(ratio: float, target: float) -> str:
    return f">= {target:g}x: {'met' if ratio >= target else 'NOT met'}"
