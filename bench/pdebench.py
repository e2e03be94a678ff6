"""The ``pdebench`` case: refsim's certified data against PDEBench-style finite volumes on the same inputs.

For each of the built-in recipes ``pdebench-advection``, ``pdebench-burgers`` and
``pdebench-diffusion-reaction`` (PDEBench's equations, parameters, 1024 cell centres on [0, 1) and saved
times; see the recipes' descriptions), trajectories 0..B-1 of the recipe (its own seed) are solved

1. by refsim: the certificate chooses the resolution (``verifier_for(spec).certify``, timed as a whole:
   "certify [s]"), then the production run alone is timed at that resolution ("wall [s]"), which is what
   producing the stored frames costs once the resolution is known;
2. by the second-order MUSCL/Rusanov/SSP-RK2 finite-volume solver of ``fv.py`` on PDEBench's 1024 cells,
   started from the same initial condition sampled at the cell centres.

Errors are against the exact solution for advection (the initial condition's formula, shifted by
beta t) and otherwise against refsim with 4x the grid and 4x the steps per frame of each trajectory's
certified resolution (its own distance from the 2x one is printed as a self-check). Error =
``max_x |u - ref| / max_x |ref|`` at every stored frame, the largest over frames and trajectories (refsim's
metric); the finite-volume values are compared with the reference's point values at the cell centres, as
PDEBench's data are used. Wall times are the best of ``--repeats`` runs after a warm-up (no compile time),
single-threaded, and depend on the load of the machine.
"""

from __future__ import annotations

import time

import numpy as np

from refsim.pipeline.solve import draw, verifier_for
from refsim.schemas.recipe import load_recipe
from refsim.schemas.spec import build_spec
from refsim.solvers.semilinear import solve_frames
from refsim.solvers.verification import Resolution, TrajectoryProblem

from . import fv

PDEBENCH_HEADERS = ["problem", "method", "setting", "rel. error", "wall [s]", "error estimate", "certify [s]"]
PDEBENCH_RIGHT = {3, 4, 5, 6}
PROBLEMS = (
    ("pdebench-advection", "advection beta=0.4", lambda p: fv.FiniteVolumeProblem(fv.ADVECTION, beta=p["c"])),
    ("pdebench-burgers", "Burgers Nu=0.01", lambda p: fv.FiniteVolumeProblem(fv.BURGERS, nu=p["nu"])),
    ("pdebench-diffusion-reaction", "diff.-react. nu=0.5 rho=1",
     lambda p: fv.FiniteVolumeProblem(fv.NO_FLUX, nu=p["nu"], rho=p["rho"])),
)


def _error(u: np.ndarray, reference: np.ndarray) -> float:
    """Largest per-frame ``max_x |u - ref| / max_x |ref|`` over frames and trajectories."""
    per_frame = np.abs(u - reference).max(axis=-1) / np.abs(reference).max(axis=-1)
    worst = per_frame.max()
    return float(worst) if np.isfinite(worst) else float("inf")


def _best(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _refined(spec, draws, resolutions, factor: int) -> np.ndarray:
    out = []
    for (equation, ic), res in zip(draws, resolutions):
        grid = spec.grid.resized(factor * res.num_points)
        frames = solve_frames(grid, [equation.terms(grid)], grid.sample(ic)[None], spec.frame_interval,
                              spec.frames, factor * res.steps_per_frame)[0]
        out.append(spec.grid.restrict(frames, grid.num_points // spec.points))
    return np.array(out)


def _production(spec, draws, resolutions) -> np.ndarray:
    return _refined(spec, draws, resolutions, 1)


def warm_up() -> None:
    """Compile (or load) refsim's and the finite-volume kernels outside the timings."""
    spec = build_spec(*load_recipe("pdebench-burgers"))
    equation, ic = draw(spec, 0)
    grid = spec.grid.resized(32)
    solve_frames(grid, [equation.terms(grid)], grid.sample(ic)[None], 0.01, 2, 1)
    for flux in (fv.ADVECTION, fv.BURGERS, fv.NO_FLUX):
        fv.solve(fv.FiniteVolumeProblem(flux, beta=1.0, nu=0.1, rho=1.0), np.sin(np.arange(8.0))[None], 0.1, 0.01, 2)


def bench_problem(recipe: str, label: str, peer, batch: int, repeats: int, say) -> list[dict]:
    spec = build_spec(*load_recipe(recipe))
    draws = [draw(spec, i) for i in range(batch)]
    params = draws[0][0].params
    say(f"\n[pdebench] {recipe}: {spec.equation} {params}, {spec.points} points on [0, 1) (cell centres), "
        f"T={spec.end_time:g}, {spec.frames} frames, B={batch} (trajectories 0..{batch - 1}, seed {spec.seed}), "
        f"tolerance {spec.tolerance:g}")

    t0 = time.perf_counter()
    results = verifier_for(spec).certify([TrajectoryProblem(eq.terms, ic) for eq, ic in draws],
                                         Resolution(spec.start_points, spec.start_steps_per_frame))
    certify_seconds = time.perf_counter() - t0
    if any(r.status != 0 for r in results):
        raise RuntimeError(f"{recipe}: not every trajectory was certified: {[r.reason for r in results]}")
    resolutions = [r.resolution for r in results]
    seconds, frames = _best(lambda: _production(spec, draws, resolutions), repeats)
    if not np.array_equal(frames, np.array([r.frames for r in results])):
        raise RuntimeError(f"{recipe}: the timed production run differs from the certified frames")
    estimate = max(float(r.error_estimate.max()) for r in results)
    setting = ", ".join(sorted({f"N={r.num_points} s={r.steps_per_frame}" for r in resolutions}))
    say(f"  refsim certified at {setting} (s = steps per frame) in {certify_seconds:.1f} s; production "
        f"best {seconds:.2f} s")

    t0 = time.perf_counter()
    x, times = spec.grid.x, np.linspace(0.0, spec.end_time, spec.frames)
    if spec.equation == "advection":
        reference = np.array([eq.exact_solution(ic, x, times) for eq, ic in draws])
        text = "exact solution u0(x - beta t)"
    else:
        reference = _refined(spec, draws, resolutions, 4)
        check = _error(_refined(spec, draws, resolutions, 2), reference)
        text = f"refsim at 4x grid and 4x steps; self-check |u(2x) - u(4x)| = {check:.1e}"
    say(f"  reference: {text}  [{time.perf_counter() - t0:.1f} s]")

    initial = np.array([ic(x) for _, ic in draws])
    problem = peer(params)
    fv_seconds, (fv_result, substeps) = _best(
        lambda: fv.solve(problem, initial, spec.grid.spacing, spec.frame_interval, spec.frames), repeats)
    fv_error, refsim_error = _error(fv_result, reference), _error(frames, reference)
    say(f"  refsim error {refsim_error:.2e} (estimate {estimate:.2e}); finite volumes error {fv_error:.2e}, "
        f"{substeps} steps per frame, best {fv_seconds:.2f} s")
    return [
        dict(problem=label, method="refsim ETDRK4 (certified)", setting=setting, error=f"{refsim_error:.2e}",
             wall=seconds, estimate=f"{estimate:.2e}", certify=f"{certify_seconds:.2f}"),
        dict(problem="", method="MUSCL-MC/Rusanov SSP-RK2 FV", setting=f"N=1024 cells, {substeps} steps/frame",
             error=f"{fv_error:.2e}", wall=fv_seconds, estimate="", certify=""),
    ]


def bench_pdebench(args, say) -> list[list[str]]:
    say("\n[pdebench] PDEBench's 1D problems: refsim certified data vs a second-order finite-volume solve at "
        "PDEBench's resolution, same initial conditions")
    warm_up()
    rows = []
    for recipe, label, peer in PROBLEMS:
        rows += bench_problem(recipe, label, peer, args.pdebench_batch, args.pdebench_repeats, say)
    return [[r["problem"], r["method"], r["setting"], r["error"], f"{r['wall']:.3f}", r["estimate"], r["certify"]]
            for r in rows]
