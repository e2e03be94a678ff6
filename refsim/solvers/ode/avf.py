"""Average-vector-field methods ``avf`` (order 2) and ``avf4`` (order 4), energy preserving.

For ``y' = f(y) = J grad H(y)`` with ``J`` skew-symmetric, the AVF method
(Quispel & McLachlan, J. Phys. A 41 (2008) 045206, doi:10.1088/1751-8113/41/4/045206)

    y1 = y0 + h int_0^1 f((1 - s) y0 + s y1) ds

conserves ``H`` exactly, since ``H(y1) - H(y0) = (y1 - y0)^T int grad H = h g^T J^T g = 0``.
It is symmetric, of order 2, B-series but not symplectic. The integral is
evaluated with the ``nodes``-point Gauss–Legendre rule on [0, 1], exact when
``f`` is polynomial of degree ``<= 2 nodes - 1`` along the segment, i.e. for
polynomial ``H`` of degree ``<= 2 nodes`` (``nodes = 8``: degree 16). For
non-polynomial ``H`` (pendulum, Kepler) the energy is conserved up to that
quadrature error, which is ``O(|y1 - y0|^(2 nodes))`` per step. Measured on Kepler,
e = 0.6, h = 2 pi/200, 10^4 steps, relative energy error for 1, 2, 3, 4, 5, 6, 8 nodes:
8e-3, 2e-6, 5e-9, 1e-11, 2e-14, 4e-15, 3e-15 (8 nodes: at round-off).

The implicit equation for ``D = y1 - y0`` is solved by simplified Newton with
``I - h (sum_k w_k s_k) J_f`` (``J_f`` a central-difference Jacobian at ``y0``, one
LU per sub-step) to round-off, and the update is summed with compensation.

``avf4`` is the symmetric triple-jump composition (Yoshida 1990, doi:10.1016/0375-9601(90)90092-3)
``AVF(g1 h) AVF(g2 h) AVF(g1 h)``, ``g1 = 1/(2 - 2^(1/3))``, ``g2 = 1 - 2 g1``: order 4,
still energy preserving because each sub-step is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, final

import numpy as np
from numba import njit, types

from .base import OdeMethod, OdeResult, check_steps, compensated_add, counters, prepare
from .newton import EPS, MAX_ITERATIONS, jacobian, lu_factor, lu_solve, max_abs
from .signatures import COUNTS, FIELD_FUNCTION, FRAMES, MATRIX, VEC
from .tableau import gauss_legendre_rule


@njit(cache=True, nogil=True)
def averaged_field(field, y, difference, parameters, nodes, weights, point, slope, out):
    """``out = sum_k w_k f(y + s_k difference)``."""
    out[:] = 0.0
    for k in range(nodes.shape[0]):
        for r in range(y.shape[0]):
            point[r] = y[r] + nodes[k] * difference[r]
        field(point, parameters, slope)
        for r in range(y.shape[0]):
            out[r] += weights[k] * slope[r]


@njit(types.void(FIELD_FUNCTION, MATRIX, MATRIX, VEC, VEC, VEC, types.float64, types.int64,
                 FRAMES, COUNTS, VEC), cache=True, nogil=True)
def avf_kernel(field, y0, params, nodes, weights, fractions, h, steps_per_frame, frames, evaluations, residual):
    batch, n = y0.shape
    q = nodes.shape[0]
    mean_node = 0.0
    for k in range(q):
        mean_node += weights[k] * nodes[k]
    for trajectory in range(batch):
        parameters = params[trajectory]
        y = y0[trajectory].copy()
        carry = np.zeros(n)
        differences = np.zeros((fractions.shape[0], n))
        average, point, slope = np.empty(n), np.empty(n), np.empty(n)
        work, plus, minus = np.empty(n), np.empty(n), np.empty(n)
        jac = np.empty((n, n))
        matrix = np.empty((n, n))
        pivots = np.empty(n, np.int64)
        rhs = np.empty(n)
        count, worst = 0, 0.0
        frames[trajectory, 0, :] = y
        for frame in range(1, frames.shape[1]):
            for _ in range(steps_per_frame):
                jacobian(field, y, parameters, jac, work, plus, minus)
                count += 2 * n
                for sub in range(fractions.shape[0]):
                    step = fractions[sub] * h
                    difference = differences[sub]
                    for r in range(n):
                        for c in range(n):
                            matrix[r, c] = -step * mean_node * jac[r, c]
                        matrix[r, r] += 1.0
                    lu_factor(matrix, pivots)
                    floor = 2.0 * EPS * max(max_abs(y), 1e-300)
                    previous = np.inf
                    for _ in range(MAX_ITERATIONS):
                        averaged_field(field, y, difference, parameters, nodes, weights, point, slope, average)
                        count += q
                        for r in range(n):
                            rhs[r] = difference[r] - step * average[r]
                        lu_solve(matrix, pivots, rhs)
                        for r in range(n):
                            difference[r] -= rhs[r]
                        change = max_abs(rhs)
                        if change <= floor or change >= previous:
                            break
                        previous = change
                    averaged_field(field, y, difference, parameters, nodes, weights, point, slope, average)
                    count += q
                    for r in range(n):
                        worst = max(worst, abs(difference[r] - step * average[r]))
                    compensated_add(y, carry, step, average)
            frames[trajectory, frame, :] = y
        evaluations[trajectory] = count
        residual[trajectory] = worst


@final
@dataclass(frozen=True, eq=False)
class AverageVectorField(OdeMethod):
    """AVF (``fractions = (1,)``) or a symmetric composition of AVF sub-steps ``fractions``
    with ``nodes``-point Gauss quadrature of the averaged field (see module doc)."""

    kind: ClassVar[str] = "fixed"
    name: str
    order: int
    fractions: tuple[float, ...] = (1.0,)
    nodes: int = 8
    requires: str = "field"
    conserves: tuple[str, ...] = ("linear", "energy")
    symplectic: bool = False

    def solve(self, functions, y0, params, frame_interval, num_frames, *, steps_per_frame=None,
              rtol=None, atol=None) -> OdeResult:
        self.check_functions(functions)
        steps_per_frame = check_steps(steps_per_frame, rtol, atol, self.name)
        y0, params, frames = prepare(y0, params, frame_interval, num_frames, half_split=False)
        steps, rejected, residual, evaluations = counters(y0.shape[0])
        nodes, weights = gauss_legendre_rule(self.nodes)
        avf_kernel(functions["field"], y0, params, nodes, weights, np.array(self.fractions, dtype=np.float64),
                   frame_interval / steps_per_frame, steps_per_frame, frames, evaluations, residual)
        steps[:] = steps_per_frame * (frames.shape[1] - 1)
        return OdeResult(frames, steps, rejected, residual, evaluations)


_G1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
AVF_METHODS = (
    AverageVectorField("avf", 2),
    AverageVectorField("avf4", 4, fractions=(_G1, 1.0 - 2.0 * _G1, _G1)),
)
