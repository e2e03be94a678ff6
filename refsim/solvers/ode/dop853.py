"""DOP853: the explicit Dormand–Prince 8(5,3) pair with step-size control and dense output.

Twelve stages give the order-8 solution; the error is estimated from the
5th- and 3rd-order embedded differences combined as in Hairer's code,

    err = |h| ||e5||^2 / sqrt(n (||e5||^2 + 0.01 ||e3||^2)),   both scaled by atol + rtol max(|y0|, |y1|),

and the step is accepted when ``err <= 1``, then ``h <- h clip(0.9 err^(-1/8), 1/3, 6)``
(never increased right after a rejection). Three more stages give the
continuous extension of order 7 used for the frames between steps. The
coefficients are read at import from ``scipy.integrate._ivp.dop853_coefficients``
(data only) and checked as a ``ButcherTableau`` against all 200 rooted-tree
conditions up to order 8. Like every Runge–Kutta method it conserves linear
invariants (up to round-off).

References: Hairer, Nørsett & Wanner, *Solving Ordinary Differential Equations I*,
2nd ed., Sec. II.5 and II.6, doi:10.1007/978-3-540-78862-1; Dormand & Prince,
J. Comput. Appl. Math. 6 (1980) 19–26, doi:10.1016/0771-050X(80)90013-3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, final

import numpy as np
from numba import njit, types
from scipy.integrate._ivp import dop853_coefficients as coefficients

from .base import OdeMethod, OdeResult, counters, prepare
from .signatures import COUNTS, FIELD_FUNCTION, FRAMES, MATRIX, VEC
from .tableau import ButcherTableau

STAGES = coefficients.N_STAGES
TABLEAU = ButcherTableau(coefficients.A[:STAGES, :STAGES], coefficients.B, coefficients.C[:STAGES], order=8)
SAFETY, SHRINK_LIMIT, GROWTH_LIMIT = 0.9, 1.0 / 3.0, 6.0
MAX_STEPS = 10_000_000
# Hairer's code stops below 10 eps ~ 2.2e-15; down to 1e-15 the controller still works
# (Kepler e = 0.6 over 10 periods: 2e-12 at rtol = 1e-15), it just cannot honour the tolerance per step.
MIN_RTOL = 1e-15


@njit(cache=True, nogil=True)
def combine(y, h, weights, slopes, count, out):
    """``out = y + h sum_{j < count} weights[j] slopes[j]``."""
    for r in range(y.shape[0]):
        total = 0.0
        for j in range(count):
            total += weights[j] * slopes[j, r]
        out[r] = y[r] + h * total


@njit(cache=True, nogil=True)
def error_norm(slopes, y, y_new, h, e3, e5, rtol, atol):
    n = y.shape[0]
    sum5, sum3 = 0.0, 0.0
    for r in range(n):
        scale = atol + rtol * max(abs(y[r]), abs(y_new[r]))
        err5, err3 = 0.0, 0.0
        for j in range(e5.shape[0]):
            err5 += e5[j] * slopes[j, r]
            err3 += e3[j] * slopes[j, r]
        sum5 += (err5 / scale) ** 2
        sum3 += (err3 / scale) ** 2
    if sum5 == 0.0 and sum3 == 0.0:
        return 0.0
    return abs(h) * sum5 / np.sqrt(n * (sum5 + 0.01 * sum3))


@njit(cache=True, nogil=True)
def initial_step(field, y, parameters, f0, rtol, atol, span, work, f1):
    """Hairer's starting-step heuristic (HNW I, Sec. II.4) for an order-8 method."""
    n = y.shape[0]
    d0, d1 = 0.0, 0.0
    for r in range(n):
        scale = atol + rtol * abs(y[r])
        d0 += (y[r] / scale) ** 2
        d1 += (f0[r] / scale) ** 2
    d0, d1 = np.sqrt(d0 / n), np.sqrt(d1 / n)
    h0 = 1e-6 if d0 < 1e-10 or d1 < 1e-10 else 0.01 * d0 / d1
    h0 = min(h0, span)
    for r in range(n):
        work[r] = y[r] + h0 * f0[r]
    field(work, parameters, f1)
    d2 = 0.0
    for r in range(n):
        d2 += ((f1[r] - f0[r]) / (atol + rtol * abs(y[r]))) ** 2
    d2 = np.sqrt(d2 / n) / h0
    if max(d1, d2) <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / 8.0)
    return min(100.0 * h0, h1, span)


@njit(types.void(FIELD_FUNCTION, MATRIX, MATRIX, MATRIX, VEC, VEC, VEC, VEC, MATRIX, types.float64,
                 types.float64, types.float64, types.float64, FRAMES, COUNTS, COUNTS, COUNTS), cache=True, nogil=True)
def dop853_kernel(field, y0, params, a, b, c, e3, e5, d, frame_interval, rtol, atol, fixed_step,
                  frames, steps, rejected, evaluations):
    batch, n = y0.shape
    num_frames = frames.shape[1]
    end = (num_frames - 1) * frame_interval
    for trajectory in range(batch):
        parameters = params[trajectory]
        frames[trajectory, 0, :] = y0[trajectory]
        if num_frames == 1:
            continue
        y = y0[trajectory].copy()
        y_new, work, f1 = np.empty(n), np.empty(n), np.empty(n)
        y_increment, y_carry = np.empty(n), np.zeros(n)
        slopes = np.empty((c.shape[0], n))
        dense = np.empty((7, n))
        field(y, parameters, slopes[0])
        count, accepted, failed = 1, 0, 0
        if fixed_step > 0.0:
            h = fixed_step
        else:
            h = initial_step(field, y, parameters, slopes[0], rtol, atol, end, work, f1)
            count += 1
        # the clock is summed with compensation: over 10^5 steps its plain sum would drift by ~1e-11
        t, t_carry, next_frame, last_rejected, err = 0.0, 0.0, 1, False, 0.0
        while next_frame < num_frames:
            if accepted + failed >= MAX_STEPS or (fixed_step == 0.0 and h < 10.0 * np.spacing(max(t, 1.0))):
                frames[trajectory, next_frame:, :] = np.nan
                break
            final = fixed_step == 0.0 and t + h >= end
            if final:
                h = end - t
            for s in range(1, STAGES):
                combine(y, h, a[s], slopes, s, work)
                field(work, parameters, slopes[s])
            for r in range(n):
                total = 0.0
                for j in range(STAGES):
                    total += b[j] * slopes[j, r]
                y_increment[r] = h * total + y_carry[r]
                y_new[r] = y[r] + y_increment[r]
            field(y_new, parameters, slopes[STAGES])
            count += STAGES
            if fixed_step == 0.0:
                err = error_norm(slopes, y, y_new, h, e3, e5, rtol, atol)
                if err > 1.0:
                    h *= max(SHRINK_LIMIT, SAFETY * err ** (-1.0 / 8.0))
                    failed += 1
                    last_rejected = True
                    continue
            if final:
                t_new, carry_new = end, 0.0
            elif fixed_step > 0.0:
                t_new, carry_new = (accepted + 1) * h, 0.0
            else:
                increment = h + t_carry
                t_new = t + increment
                carry_new = (t - t_new) + increment
            have_dense = False
            while next_frame < num_frames and next_frame * frame_interval <= t_new:
                t_frame = next_frame * frame_interval
                if t_frame == t_new:
                    frames[trajectory, next_frame, :] = y_new
                else:
                    if not have_dense:
                        for s in range(STAGES + 1, c.shape[0]):
                            combine(y, h, a[s], slopes, s, work)
                            field(work, parameters, slopes[s])
                        count += c.shape[0] - STAGES - 1
                        for r in range(n):
                            delta = y_new[r] - y[r]
                            dense[0, r] = delta
                            dense[1, r] = h * slopes[0, r] - delta
                            dense[2, r] = 2.0 * delta - h * (slopes[STAGES, r] + slopes[0, r])
                            for k in range(4):
                                total = 0.0
                                for j in range(c.shape[0]):
                                    total += d[k, j] * slopes[j, r]
                                dense[3 + k, r] = h * total
                        have_dense = True
                    x = ((t_frame - t) - t_carry) / h
                    for r in range(n):
                        value = 0.0
                        for k in range(6, -1, -1):
                            value += dense[k, r]
                            value *= x if (6 - k) % 2 == 0 else 1.0 - x
                        frames[trajectory, next_frame, r] = y[r] + value
                next_frame += 1
            for r in range(n):
                y_carry[r] = (y[r] - y_new[r]) + y_increment[r]
                y[r] = y_new[r]
            slopes[0, :] = slopes[STAGES]
            t, t_carry = t_new, carry_new
            accepted += 1
            if fixed_step == 0.0:
                factor = GROWTH_LIMIT
                if err > 0.0:
                    factor = min(GROWTH_LIMIT, max(SHRINK_LIMIT, SAFETY * err ** (-1.0 / 8.0)))
                h *= min(factor, 1.0) if last_rejected else factor
                last_rejected = False
        steps[trajectory] = accepted
        rejected[trajectory] = failed
        evaluations[trajectory] = count


@final
@dataclass(frozen=True)
class DormandPrince853(OdeMethod):
    """Adaptive DOP853 (see module doc). ``rtol``/``atol`` select error control; a
    ``steps_per_frame`` (or ``fixed_step``, which need not divide ``frame_interval``)
    instead forces constant steps without control, for convergence studies.

    A trajectory whose step falls below 10 ulp of ``t``, or that exceeds ``MAX_STEPS``
    steps, gets NaN frames from there on (the others are unaffected)."""

    kind: ClassVar[str] = "adaptive"
    name: str = "dop853"
    order: int = 8
    requires: str = "field"
    conserves: tuple[str, ...] = ("linear",)
    symplectic: bool = False

    def solve(self, functions, y0, params, frame_interval, num_frames, *, steps_per_frame=None,
              rtol=None, atol=None, fixed_step: float | None = None) -> OdeResult:
        self.check_functions(functions)
        if steps_per_frame is not None:
            if fixed_step is not None or int(steps_per_frame) < 1:
                raise ValueError("give at most one of steps_per_frame >= 1 and fixed_step")
            fixed_step = frame_interval / int(steps_per_frame)
        if fixed_step is None:
            rtol = 1e-6 if rtol is None else float(rtol)
            atol = 1e-9 if atol is None else float(atol)
            if not (rtol >= MIN_RTOL and atol >= 0.0):
                raise ValueError(f"need rtol >= {MIN_RTOL:.0e} and atol >= 0; "
                                 f"got rtol={rtol}, atol={atol}")
            fixed_step = 0.0
        elif rtol is not None or atol is not None or not fixed_step > 0.0:
            raise ValueError("a forced fixed step excludes rtol/atol and must be positive")
        y0, params, frames = prepare(y0, params, frame_interval, num_frames, half_split=False)
        steps, rejected, residual, evaluations = counters(y0.shape[0])
        dop853_kernel(functions["field"], y0, params, np.ascontiguousarray(coefficients.A),
                      np.ascontiguousarray(coefficients.B), np.ascontiguousarray(coefficients.C),
                      np.ascontiguousarray(coefficients.E3), np.ascontiguousarray(coefficients.E5),
                      np.ascontiguousarray(coefficients.D), float(frame_interval), float(rtol or 0.0),
                      float(atol or 0.0), float(fixed_step), frames, steps, rejected, evaluations)
        return OdeResult(frames, steps, rejected, residual, evaluations)
