"""Störmer–Verlet and its symmetric compositions for separable ``H(q, p) = T(p) + V(q)``.

Störmer–Verlet (velocity form, kick-drift-kick) with step ``h``::

    p_half = p + h/2 F(q),   q1 = q + h v(p_half),   p1 = p_half + h/2 F(q1)

with ``F = -dV/dq`` (``force``) and ``v = dT/dp`` (``velocity``). It is symmetric,
symplectic and of order 2. A symmetric composition ``Phi_{g_s h} ... Phi_{g_1 h}``
(``g_i = g_{s+1-i}``, ``sum g_i = 1``) of it stays symmetric and symplectic and
reaches higher order (Yoshida, Phys. Lett. A 150 (1990) 262–268,
doi:10.1016/0375-9601(90)90092-3). Every sub-step conserves the total linear
momentum of translation-invariant ``V`` and the angular momentum of rotation-
invariant ``T`` and ``V`` exactly, so the compositions do too (up to round-off).

Coefficients ``g_1 .. g_m`` of the first half (the rest mirrored):

* ``composition6`` – Yoshida (1990), order 6, 7 stages, "solution A"
  (``w3, w2, w1, w0``); 28-digit values as tabulated with McLachlan's refinement.
* ``composition8`` – order 8, 15 stages, Suzuki & Umeno (1993) / McLachlan,
  SIAM J. Sci. Comput. 16 (1995) 151–168, doi:10.1137/0916010; listed as "p8 s15"
  in Hairer, Lubich & Wanner, *Geometric Numerical Integration*, Sec. V.3.2,
  doi:10.1007/3-540-30666-8.

The orders are verified numerically by fitted convergence on Kepler's problem
(tests/test_ode_integrators.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, final

import numpy as np
from numba import njit, types

from .base import OdeMethod, OdeResult, check_steps, compensated_add, counters, prepare
from .signatures import COUNTS, FRAMES, HALF_FUNCTION, MATRIX, VEC

YOSHIDA6_A = ("0.78451361047755726381949763", "0.23557321335935813368479318",
              "-1.17767998417887100694641568", "1.31518632068391121888424973")
SUZUKI_UMENO8_S15 = ("0.74167036435061295344822780", "-0.40910082580003159399730010",
                     "0.19075471029623837995387626", "-0.57386247111608226665638773",
                     "0.29906418130365592384446354", "0.33462491824529818378495798",
                     "0.31529309239676659663205666", "-0.79688793935291635401978884")


def symmetric_coefficients(first_half: tuple[str, ...]) -> np.ndarray:
    """All ``s = 2m - 1`` composition weights from the first ``m`` (the middle one
    last); the middle weight is recomputed as ``1 - 2 sum(others)`` so that the
    consistency condition ``sum g = 1`` holds to round-off."""
    outer = np.array([float(g) for g in first_half[:-1]])
    middle = 1.0 - 2.0 * outer.sum()
    if abs(middle - float(first_half[-1])) > 1e-15:
        raise ValueError("composition coefficients are inconsistent")
    return np.concatenate([outer, [middle], outer[::-1]])


@njit(types.void(HALF_FUNCTION, HALF_FUNCTION, MATRIX, MATRIX, VEC, VEC, types.float64, types.int64,
                 FRAMES, COUNTS), cache=True, nogil=True)
def composition_kernel(force, velocity, y0, params, kicks, drifts, h, steps_per_frame, frames, evaluations):
    batch, dimension = y0.shape
    n = dimension // 2
    for b in range(batch):
        parameters = params[b]
        q = y0[b, :n].copy()
        p = y0[b, n:].copy()
        carry_q, carry_p = np.zeros(n), np.zeros(n)
        acceleration, speed = np.empty(n), np.empty(n)
        frames[b, 0, :] = y0[b]
        force(q, parameters, acceleration)
        count = 1
        for frame in range(1, frames.shape[1]):
            for _ in range(steps_per_frame):
                for stage in range(drifts.shape[0]):
                    compensated_add(p, carry_p, kicks[stage] * h, acceleration)
                    velocity(p, parameters, speed)
                    compensated_add(q, carry_q, drifts[stage] * h, speed)
                    # reused by the next kick, which merges this stage's closing half-kick with the next opening one
                    force(q, parameters, acceleration)
                    count += 1
                compensated_add(p, carry_p, kicks[drifts.shape[0]] * h, acceleration)
            frames[b, frame, :n] = q
            frames[b, frame, n:] = p
        evaluations[b] = count


@final
@dataclass(frozen=True, eq=False)
class SplittingMethod(OdeMethod):
    """A symmetric composition of Störmer–Verlet with weights ``weights`` (see module doc)."""

    kind: ClassVar[str] = "fixed"
    name: str
    order: int
    weights: np.ndarray = field(repr=False)
    requires: str = "separable"
    conserves: tuple[str, ...] = ("linear", "angular_momentum")
    symplectic: bool = True

    @property
    def kicks(self) -> np.ndarray:
        """Kick fractions: ``g_1/2, (g_1+g_2)/2, ..., g_s/2`` (adjacent half-kicks merged)."""
        g = self.weights
        return np.ascontiguousarray(np.concatenate([[g[0] / 2], (g[:-1] + g[1:]) / 2, [g[-1] / 2]]))

    def solve(self, functions, y0, params, frame_interval, num_frames, *, steps_per_frame=None,
              rtol=None, atol=None) -> OdeResult:
        self.check_functions(functions)
        steps_per_frame = check_steps(steps_per_frame, rtol, atol, self.name)
        y0, params, frames = prepare(y0, params, frame_interval, num_frames, half_split=True)
        steps, rejected, residual, evaluations = counters(y0.shape[0])
        composition_kernel(functions["force"], functions["velocity"], y0, params, self.kicks,
                           np.ascontiguousarray(self.weights), frame_interval / steps_per_frame,
                           steps_per_frame, frames, evaluations)
        steps[:] = steps_per_frame * (frames.shape[1] - 1)
        return OdeResult(frames, steps, rejected, residual, evaluations)


SPLITTING_METHODS = (
    SplittingMethod("verlet", 2, np.array([1.0])),
    SplittingMethod("composition6", 6, symmetric_coefficients(YOSHIDA6_A)),
    SplittingMethod("composition8", 8, symmetric_coefficients(SUZUKI_UMENO8_S15)),
)
