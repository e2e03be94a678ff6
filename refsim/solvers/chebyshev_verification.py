"""Certificates for problems on an interval: the periodic verifier's refinement with Chebyshev runs.

The error model and the refinement policy are those of :mod:`refsim.solvers.verification` (production
``(N, s)``, time twin ``(N, 2s)``, order run ``(N, s/2)``, space twin ``(2N, s)``; Richardson in time with
the observed order; grid doubled or steps multiplied until ``safety * tolerance``). Here ``N`` is the
Chebyshev degree (N + 1 Gauss-Lobatto points; doubling it nests the grids), and every run is compared at
the stored points, a uniform grid that includes both endpoints: each run's polynomial interpolant is
evaluated there by the barycentric formula, so the stored values are exact point samples of the converged
interpolant and its error is what is measured.

The spatial indicators use the Chebyshev coefficients ``c_k`` (k = 1..N) in place of Fourier modes:
``spectral_tail`` is the energy fraction in the top third, and the amplitude the grid-doubled run's own
coefficients extrapolate to beyond its degree is added to ``error_space`` (the size of the twin's own
error), as on the periodic path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .chebyshev import (
    BoundaryCondition,
    IntervalOperator,
    IntervalTerms,
    UniformPoints,
    chebyshev_coefficients,
    chebyshev_grid,
)
from .chebyshev_etdrk4 import INTERVAL_STEPPERS, solve_interval_frames
from .verification import _ORDER_FLOOR, ACCEPTED, Budget, Certified, Resolution, Verifier, relative_difference


@dataclass(frozen=True)
class IntervalProblem:
    """One trajectory on an interval: its terms, boundary conditions and initial condition u0(x)."""

    terms: IntervalTerms
    left: BoundaryCondition
    right: BoundaryCondition
    initial: Callable[[np.ndarray], np.ndarray]


def _bands(values: np.ndarray):
    """Energy of the Chebyshev coefficients 1..N in total, in the middle and in the top third, per frame."""
    energy = np.abs(chebyshev_coefficients(values)[..., 1:]) ** 2
    third = energy.shape[-1] // 3
    return energy.sum(axis=-1), energy[..., third:2 * third].sum(axis=-1), energy[..., 2 * third:].sum(axis=-1)


def _fraction(part, whole):
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 0.0)


def chebyshev_tail(values: np.ndarray) -> np.ndarray:
    """Energy fraction of the top third of the Chebyshev coefficients (the constant excluded), per frame."""
    total, _, top = _bands(values)
    return _fraction(top, total)


def chebyshev_unresolved(values: np.ndarray) -> np.ndarray:
    """Relative amplitude expected just beyond degree N: the root of the top third's energy fraction carried one
    more third at the decay rate of the middle to the top third (capped at no decay), as
    :func:`refsim.solvers.verification.unresolved_amplitude` does for Fourier modes."""
    total, mid, top = _bands(values)
    return np.sqrt(_fraction(top, total)) * np.minimum(_fraction(top, mid), 1.0) ** 0.5


class IntervalVerifier(Verifier):
    """:class:`~refsim.solvers.verification.Verifier` for :class:`IntervalProblem` batches (module docstring).

    ``Resolution.num_points`` is the Chebyshev degree N. Frame 0 of a certified trajectory holds the initial
    condition sampled at the stored points (exact samples, as on the periodic path).
    """

    def __init__(self, output: UniformPoints, frame_interval: float, num_frames: int, tolerance: float,
                 method: str = "etdrk4", storage_dtype: str = "float64", budget: Budget = Budget(max_points=512),
                 safety: float = 0.5, horizon: str = "refuse", chaotic: bool = False):
        # the periodic constructor looks the method up among the Fourier steppers; the order is set below
        super().__init__(output, frame_interval, num_frames, tolerance, "etdrk4", storage_dtype, budget, safety,
                         horizon, chaotic, refine_space=True)
        self.method, self.order = method, INTERVAL_STEPPERS[method].order

    def interpolation(self, degree: int) -> np.ndarray:
        grid = chebyshev_grid(degree, self.output_grid.a, self.output_grid.b)
        return grid.interpolation_matrix(self.output_grid.x)

    def _run(self, problems, degree, steps):
        """Values at the N + 1 Chebyshev points, (B, F, N + 1)."""
        grid = chebyshev_grid(degree, self.output_grid.a, self.output_grid.b)
        self.work += len(problems) * grid.num_points * steps * (self.num_frames - 1)
        out = np.empty((len(problems), self.num_frames, grid.num_points))
        with np.errstate(all="ignore"):
            for row, p in enumerate(problems):
                operator = IntervalOperator(grid, p.terms, p.left, p.right)
                initial = np.broadcast_to(np.asarray(p.initial(grid.x), dtype=float), grid.x.shape)
                out[row] = solve_interval_frames(operator, initial, self.frame_interval, self.num_frames, steps,
                                                 self.method)
        return out

    def evaluate(self, problems: list[IntervalProblem], res: Resolution):
        """Production frames (at the Chebyshev points), error parts, observed order and the degree-doubled run."""
        n, s = res.num_points, res.steps_per_frame
        at_output = self.interpolation(n).T
        production = self._run(problems, n, s)
        time_twin = self._run(problems, n, 2 * s)
        space_twin = self._run(problems, 2 * n, s)
        with np.errstate(all="ignore"):
            d_fine = relative_difference(production @ at_output, time_twin @ at_output)
            if s % 2 == 0:
                d_coarse = relative_difference(self._run(problems, n, s // 2) @ at_output, production @ at_output)
                ratio = d_coarse.max(axis=1) / d_fine.max(axis=1)
            else:
                d_finer = relative_difference(time_twin @ at_output, self._run(problems, n, 4 * s) @ at_output)
                ratio = d_fine.max(axis=1) / d_finer.max(axis=1)
            observed = np.where(d_fine.max(axis=1) > _ORDER_FLOOR, np.log2(ratio), np.nan)
            q = np.clip(np.nan_to_num(observed, nan=self.order), 1.0, self.order)
            e_time = d_fine * (2.0**q / (2.0**q - 1.0))[:, None]
            e_space = relative_difference(production @ at_output, space_twin @ self.interpolation(2 * n).T)
            e_space += chebyshev_unresolved(space_twin)
            tail = chebyshev_tail(production)
        return production, e_time, e_space, tail, observed, space_twin

    def _result(self, status, reason, res, parts, estimate, horizon) -> Certified:
        production, et, es, tail, observed, twin = parts
        accepted = status == ACCEPTED
        frames = production @ self.interpolation(res.num_points).T if accepted else np.full(
            (self.num_frames, self.output_grid.num_points), np.nan)
        return Certified(status, reason, res, frames, et, es, estimate, tail, float(observed), horizon,
                         production if accepted else None, twin if accepted else None)

    def certify(self, problems: list[IntervalProblem], start: Resolution) -> list[Certified]:
        results = super().certify(problems, start)
        for result, problem in zip(results, problems):
            if result.status == ACCEPTED:
                result.frames[0] = self.output_grid.sample(problem.initial)
        return results
