"""Gauss–Legendre collocation methods ``gauss4``, ``gauss6``, ``gauss8`` (s = 2, 3, 4 stages).

For ``y' = f(y)`` the stage increments ``Z_i = Y_i - y0`` solve

    Z_i = h sum_j a_ij f(y0 + Z_j),      y1 = y0 + h sum_i b_i f(y0 + Z_i),

with the Gauss–Legendre tableau of ``tableau.py`` (order ``2s``, stage order ``s``).
The methods are symmetric and symplectic and conserve every quadratic invariant
(and every linear one) exactly — here up to round-off, because the stage
equations are solved to round-off: simplified Newton with ``I - h A (x) J``,
``J`` a central-difference Jacobian of ``f`` at ``y0`` and one LU factorisation
per step, iterated until the increment is at the round-off level of ``y0`` or
stops decreasing (Hairer, McLachlan & Razakarivony, BIT 48 (2008) 231–243,
doi:10.1007/s10543-008-0170-3, on reaching Brouwer's law). The update is summed
with compensation. Stage values of the previous step start the iteration.

References: Butcher, Math. Comp. 18 (1964) 50–64, doi:10.1090/S0025-5718-1964-0159424-9;
Hairer, Lubich & Wanner, *Geometric Numerical Integration*, Sec. II.1.3, VIII.6.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, final

import numpy as np
from numba import njit, types

from .base import OdeMethod, OdeResult, check_steps, compensated_add, counters, prepare
from .newton import EPS, MAX_ITERATIONS, jacobian, lu_factor, lu_solve, max_abs
from .signatures import COUNTS, FIELD_FUNCTION, FRAMES, MATRIX, VEC
from .tableau import ButcherTableau, gauss_legendre_tableau


@njit(types.void(FIELD_FUNCTION, MATRIX, MATRIX, MATRIX, VEC, types.float64, types.int64,
                 FRAMES, COUNTS, VEC), cache=True, nogil=True)
def collocation_kernel(field, y0, params, a, b, h, steps_per_frame, frames, evaluations, residual):
    batch, n = y0.shape
    s = b.shape[0]
    for trajectory in range(batch):
        parameters = params[trajectory]
        y = y0[trajectory].copy()
        carry = np.zeros(n)
        z = np.zeros((s, n))
        slopes = np.empty((s, n))
        stage = np.empty(n)
        work, plus, minus = np.empty(n), np.empty(n), np.empty(n)
        jac = np.empty((n, n))
        matrix = np.empty((s * n, s * n))
        pivots = np.empty(s * n, np.int64)
        rhs = np.empty(s * n)
        increment = np.zeros(n)
        count, worst = 0, 0.0
        frames[trajectory, 0, :] = y
        for frame in range(1, frames.shape[1]):
            for _ in range(steps_per_frame):
                jacobian(field, y, parameters, jac, work, plus, minus)
                count += 2 * n
                for i in range(s):
                    for j in range(s):
                        for r in range(n):
                            for c in range(n):
                                matrix[i * n + r, j * n + c] = -h * a[i, j] * jac[r, c]
                for k in range(s * n):
                    matrix[k, k] += 1.0
                lu_factor(matrix, pivots)
                floor = 2.0 * EPS * max(max_abs(y), 1e-300)
                previous = np.inf
                for _ in range(MAX_ITERATIONS):
                    for i in range(s):
                        for r in range(n):
                            stage[r] = y[r] + z[i, r]
                        field(stage, parameters, slopes[i])
                    count += s
                    for i in range(s):
                        for r in range(n):
                            total = 0.0
                            for j in range(s):
                                total += a[i, j] * slopes[j, r]
                            rhs[i * n + r] = z[i, r] - h * total
                    lu_solve(matrix, pivots, rhs)
                    for i in range(s):
                        for r in range(n):
                            z[i, r] -= rhs[i * n + r]
                    change = max_abs(rhs)
                    if change <= floor or change >= previous:
                        break
                    previous = change
                for i in range(s):
                    for r in range(n):
                        stage[r] = y[r] + z[i, r]
                    field(stage, parameters, slopes[i])
                count += s
                for i in range(s):
                    for r in range(n):
                        total = 0.0
                        for j in range(s):
                            total += a[i, j] * slopes[j, r]
                        worst = max(worst, abs(z[i, r] - h * total))
                for r in range(n):
                    total = 0.0
                    for i in range(s):
                        total += b[i] * slopes[i, r]
                    increment[r] = total
                compensated_add(y, carry, h, increment)
            frames[trajectory, frame, :] = y
        evaluations[trajectory] = count
        residual[trajectory] = worst


@final
@dataclass(frozen=True, eq=False)
class GaussLegendre(OdeMethod):
    """Implicit Gauss–Legendre collocation with ``tableau`` (see module doc)."""

    kind: ClassVar[str] = "fixed"
    name: str
    tableau: ButcherTableau = dataclasses.field(repr=False)
    requires: str = "field"
    conserves: tuple[str, ...] = ("linear", "quadratic")
    symplectic: bool = True

    @property
    def order(self) -> int:
        return self.tableau.order

    def solve(self, functions, y0, params, frame_interval, num_frames, *, steps_per_frame=None,
              rtol=None, atol=None) -> OdeResult:
        self.check_functions(functions)
        steps_per_frame = check_steps(steps_per_frame, rtol, atol, self.name)
        y0, params, frames = prepare(y0, params, frame_interval, num_frames, half_split=False)
        steps, rejected, residual, evaluations = counters(y0.shape[0])
        collocation_kernel(functions["field"], y0, params, self.tableau.A.copy(), self.tableau.b.copy(),
                           frame_interval / steps_per_frame, steps_per_frame, frames, evaluations, residual)
        steps[:] = steps_per_frame * (frames.shape[1] - 1)
        return OdeResult(frames, steps, rejected, residual, evaluations)


GAUSS_METHODS = tuple(GaussLegendre(f"gauss{2 * s}", gauss_legendre_tableau(s)) for s in (2, 3, 4))
