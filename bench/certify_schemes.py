"""The two verification schemes side by side, in one process: ``python -m bench.certify_schemes [repeats]``.

For each problem, a batch is solved once uncertified at the resolution the certificate ends at, and certified
with the ``coarse`` and the ``refined`` scheme (``refsim.solvers.verification``); the three are timed in turn,
``repeats`` rounds, so machine load falls on all of them alike. Printed: median wall times, each certificate's
wall time as a multiple of the uncertified run, the work (point-steps of every solve) as a multiple of the
production's, the schemes the trajectories ended with, and the largest estimate next to the largest time error
(against the same grid with 16x the steps; the PDE truth's spatial part is not in it).

Problems: KS as in ``ks-jax`` (L = 32 pi, N = 128, 32 trajectories, T = 30, tolerances 2e-3 and 1e-5,
semi-discrete truth, chaotic); Burgers (nu = 0.05, 32 random Fourier initial conditions, T = 2, tolerance 1e-8,
PDE truth, the grid refined as needed).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from refsim.generators import EQUATIONS, FAMILIES
from refsim.solvers.grid import FourierGrid
from refsim.solvers.semilinear import solve_frames
from refsim.solvers.verification import SCHEMES, Resolution, TrajectoryProblem, Verifier, relative_difference


def _problems(name, params, length, batch, **family):
    eq = EQUATIONS[name](**params)
    fam = FAMILIES["fourier"](**family)
    return eq, [TrajectoryProblem(eq.terms, fam.sample(np.random.default_rng(s), eq, length, 0.0))
                for s in range(batch)]


def _case(label, name, params, length, points, end, frames, tolerance, start, chaotic, refine_space, repeats):
    eq, problems = _problems(name, params, length, 32, modes=6, amplitude=1.0)
    grid = FourierGrid(points, length)
    make = lambda scheme: Verifier(grid, end / (frames - 1), frames, tolerance, chaotic=chaotic,  # noqa: E731
                                   refine_space=refine_space, scheme=scheme)
    results = {k: make(k).certify(problems, start) for k in SCHEMES}  # warm-up, and the resolutions reached
    final = {r.resolution for r in results["refined"]}
    top = max(final, key=lambda res: (res.num_points, res.steps_per_frame))
    n, s = top.num_points, top.steps_per_frame
    inner = grid.resized(n)
    terms, u0 = [eq.terms(inner)] * len(problems), np.array([inner.sample(p.initial) for p in problems])
    reference = solve_frames(inner, terms, u0, end / (frames - 1), frames, 16 * s)
    walls = {k: [] for k in ("uncertified", *SCHEMES)}
    work = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        solve_frames(inner, terms, u0, end / (frames - 1), frames, s)
        walls["uncertified"].append(time.perf_counter() - t0)
        for k in SCHEMES:
            verifier = make(k)
            t0 = time.perf_counter()
            results[k] = verifier.certify(problems, start)
            walls[k].append(time.perf_counter() - t0)
            production = sum(len(inner.x) * r.resolution.steps_per_frame * (frames - 1) for r in results[k])
            work[k] = verifier.work / production
    base = float(np.median(walls["uncertified"]))
    print(f"\n{label}: production N={n}, {s} steps per frame; uncertified batch median {base:.3f} s "
          f"({repeats} rounds)")
    for k in SCHEMES:
        wall = float(np.median(walls[k]))
        how = sorted({r.verification for r in results[k]})
        resolutions = sorted({(r.resolution.num_points, r.resolution.steps_per_frame) for r in results[k]})
        true = max((float(relative_difference(r.internal, reference[i]).max()) for i, r in enumerate(results[k])
                    if r.resolution == Resolution(n, s) and r.internal is not None), default=float("nan"))
        estimate = max(float(np.nanmax(r.error_estimate)) for r in results[k])
        print(f"  {k:8s} ({'/'.join(how)}): median {wall:.3f} s = {wall / base:.2f}x the uncertified run; work "
              f"{work[k]:.2f}x the production's point-steps; resolutions {resolutions}; largest estimate "
              f"{estimate:.1e}; largest time error (trajectories at N={n}, s={s}, against 16x the steps) {true:.1e}")
    print(f"  coarse / refined wall: {np.median(walls['coarse']) / np.median(walls['refined']):.2f}; "
          f"work: {work['coarse'] / work['refined']:.2f}")


def main(repeats: int = 5) -> None:
    for tolerance, steps in ((2e-3, 16), (1e-5, 64)):  # the two rows of ks-jax
        _case(f"Kuramoto-Sivashinsky (chaotic, semi-discrete truth, tolerance {tolerance:g})", "kuramoto_sivashinsky",
              {}, 32 * np.pi, 128, 30.0, 31, tolerance, Resolution(128, steps), True, False, repeats)
    _case("Burgers nu=0.05 (PDE truth, tolerance 1e-8)", "burgers", {"nu": 0.05}, 2 * np.pi, 64, 2.0, 11, 1e-8,
          Resolution(64, 4), False, True, repeats)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
