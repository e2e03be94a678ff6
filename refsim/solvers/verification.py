"""Precision verification by refinement, and automatic choice of resolution.

Every trajectory is solved three times at a resolution (N points, s steps per
output interval):

* production ``(N, s)``: the solution that is stored;
* time twin ``(N, 2s)``: Richardson's estimate of the temporal error of the
  production run, ``|u_s - u_2s| * 2^p / (2^p - 1)`` for a method of order p;
* space twin ``(2N, s)``: the spatial error of the production run,
  ``|u_N - u_2N|`` on the N production points (spectral convergence makes the
  2N run far more accurate, so the difference is the N run's error).

Errors are relative per frame, ``max_x |difference| / max_x |u|``, and the
estimate is their sum plus the rounding of the stored dtype. Starting from a
guess, a trajectory whose estimate exceeds ``safety * tolerance`` moves to a
finer resolution: the grid doubles when the spatial part is too large, and the
number of steps grows by the factor that Richardson's estimate predicts. Each
trajectory's path depends only on its own errors, so the result of a trajectory
does not depend on which others share its batch. A trajectory that cannot meet
the tolerance within the budget, or that is not finite, is rejected with a
reason.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .exponential import STEPPERS
from .grid import FourierGrid
from .semilinear import SemilinearTerms, solve_frames

ACCEPTED, NONFINITE, OVER_BUDGET = 0, 1, 2
STATUS_MEANINGS = {ACCEPTED: "certified", NONFINITE: "non_finite", OVER_BUDGET: "tolerance_not_reached"}

ROUNDING = {"float64": 2.0**-53, "float32": 2.0**-24}


@dataclass(frozen=True)
class Resolution:
    num_points: int
    steps_per_frame: int


@dataclass(frozen=True)
class Budget:
    max_points: int = 16384
    max_steps_per_frame: int = 1 << 20
    max_total_steps: int = 4_000_000
    max_refinements: int = 8


@dataclass(frozen=True)
class TrajectoryProblem:
    """One trajectory: its terms and initial condition as functions of the grid."""

    terms: Callable[[FourierGrid], SemilinearTerms]
    initial: Callable[[np.ndarray], np.ndarray]


@dataclass
class Certified:
    """The verified result of one trajectory."""

    status: int
    reason: str
    resolution: Resolution
    frames: np.ndarray  # (F, N_out) at the output points; NaN when rejected
    error_time: np.ndarray  # (F,)
    error_space: np.ndarray  # (F,)
    error_estimate: np.ndarray  # (F,)
    internal: np.ndarray | None = field(default=None, repr=False)  # (F, N) production frames


def relative_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``max_x |a - b| / max_x |b|`` per frame (rows of the last axis)."""
    scale = np.abs(b).max(axis=-1)
    floor = scale.max() * 1e-300 if scale.max() > 0 else 1.0
    return np.abs(a - b).max(axis=-1) / np.maximum(scale, floor)


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
    ):
        self.output_grid = output_grid
        self.frame_interval = frame_interval
        self.num_frames = num_frames
        self.tolerance = tolerance
        self.method = method
        self.order = STEPPERS[method].order
        self.rounding = ROUNDING[storage_dtype]
        self.budget = budget
        self.safety = safety
        self.work = 0  # point-steps computed, all runs included

    def _grid(self, num_points: int) -> FourierGrid:
        g = self.output_grid
        return FourierGrid(num_points, g.domain_length, g.origin)

    def _run(self, problems, num_points, steps):
        grid = self._grid(num_points)
        terms = [p.terms(grid) for p in problems]
        u0 = np.array([p.initial(grid.x) for p in problems], dtype=float)
        self.work += len(problems) * num_points * steps * (self.num_frames - 1)
        with np.errstate(all="ignore"):
            return solve_frames(grid, terms, u0, self.frame_interval, self.num_frames, steps, self.method)

    def evaluate(self, problems: list[TrajectoryProblem], res: Resolution):
        """Production frames and the error parts of a batch at one resolution."""
        n, s = res.num_points, res.steps_per_frame
        production = self._run(problems, n, s)
        time_twin = self._run(problems, n, 2 * s)
        space_twin = self._run(problems, 2 * n, s)[:, :, ::2]
        richardson = 2.0**self.order / (2.0**self.order - 1.0)
        with np.errstate(all="ignore"):
            e_time = relative_difference(production, time_twin) * richardson
            e_space = relative_difference(production, space_twin)
        return production, e_time, e_space

    def certify(self, problems: list[TrajectoryProblem], start: Resolution) -> list[Certified]:
        results: list[Certified | None] = [None] * len(problems)
        pending = {i: start for i in range(len(problems))}
        attempts = dict.fromkeys(pending, 0)
        target = self.safety * self.tolerance
        stride_of = lambda n: n // self.output_grid.num_points  # noqa: E731
        while pending:
            groups: dict[Resolution, list[int]] = defaultdict(list)
            for i, res in pending.items():
                groups[res].append(i)
            pending = {}
            for res, idx in sorted(groups.items(), key=lambda kv: (kv[0].num_points, kv[0].steps_per_frame)):
                production, e_time, e_space = self.evaluate([problems[i] for i in idx], res)
                for row, i in enumerate(idx):
                    prod = production[row]
                    et, es = e_time[row], e_space[row]
                    estimate = et + es + self.rounding
                    finite = bool(np.isfinite(prod).all() and np.isfinite(estimate).all())
                    if finite and estimate.max() <= target:
                        results[i] = Certified(
                            ACCEPTED, "", res, prod[:, :: stride_of(res.num_points)].copy(), et, es, estimate, prod
                        )
                        continue
                    attempts[i] += 1
                    nxt = self._next(res, et, es, finite)
                    if nxt is None or attempts[i] > self.budget.max_refinements:
                        results[i] = self._reject(res, prod, et, es, estimate, finite)
                    else:
                        pending[i] = nxt
        return results  # type: ignore[return-value]

    def _next(self, res: Resolution, et, es, finite) -> Resolution | None:
        n, s = res.num_points, res.steps_per_frame
        part = self.safety * self.tolerance / 2
        if not finite:
            s *= 4
        else:
            if es.max() > part:
                n *= 2
            if et.max() > part:
                ratio = (et.max() / part) ** (1.0 / self.order)
                s *= 2 ** max(1, math.ceil(math.log2(ratio * 1.1)))
            if n == res.num_points and s == res.steps_per_frame:
                s *= 2
        b = self.budget
        too_big = (
            n > b.max_points
            or s > b.max_steps_per_frame
            or s * (self.num_frames - 1) > b.max_total_steps
        )
        return None if too_big else Resolution(n, s)

    def _reject(self, res, prod, et, es, estimate, finite) -> Certified:
        frames = np.full((self.num_frames, self.output_grid.num_points), np.nan)
        if not finite:
            bad = np.flatnonzero(~np.isfinite(prod).all(axis=-1))
            when = f"frame {bad[0]}" if bad.size else "its error estimate"
            reason = (
                f"non-finite values at {when} at every resolution up to "
                f"N={res.num_points}, {res.steps_per_frame} steps per frame (blow-up)"
            )
            status = NONFINITE
        else:
            reason = (
                f"estimated error {estimate.max():.2e} (time {et.max():.1e}, space {es.max():.1e}) "
                f"above tolerance {self.tolerance:.1e} within the budget "
                f"(N={res.num_points}, {res.steps_per_frame} steps per frame)"
            )
            status = OVER_BUDGET
        return Certified(status, reason, res, frames, et, es, estimate, None)
