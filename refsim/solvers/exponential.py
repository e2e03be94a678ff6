"""Exponential time steppers for semilinear problems ``v' = L v + N(v)`` with diagonal L.

Each stepper is data: a class that turns the diagonal symbol ``L`` and step ``h``
into the complex coefficient arrays its compiled kernel needs. The kernels are in
``kernels.py``.

* ETDRK4: Cox & Matthews, J. Comput. Phys. 176 (2002) 430-455,
  doi:10.1006/jcph.2002.6995, with the phi-functions of ``phi.py`` (complex).
* IFRK4: the classical RK4 applied to ``exp(-L t) v`` (integrating factor);
  see Kassam & Trefethen, SIAM J. Sci. Comput. 26 (2005) 1214-1233,
  doi:10.1137/S1064827502410633.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from . import kernels, system_kernels
from .phi import phi

STEPPERS: dict[str, type[ExponentialStepper]] = {}


@dataclass(frozen=True)
class ExponentialStepper:
    """Base class: ``name``, ``order`` and ``coefficients(L, h)`` define a method."""

    name: ClassVar[str]
    order: ClassVar[int]
    description: ClassVar[str]
    # Invariants preserved to round-off: an exponential RK method is a Runge-Kutta method in the
    # transformed variable, so it keeps every linear invariant (the k = 0 mode's mass) and no other.
    conserves: ClassVar[tuple[str, ...]] = ("linear",)
    nonlinear_evaluations: ClassVar[int]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        STEPPERS[cls.name] = cls

    def coefficients(self, symbol: np.ndarray, step: float) -> tuple[np.ndarray, ...]:
        raise NotImplementedError

    def run(self, v0, num_points, symbol, step, multiplier, poly, steps_per_frame, num_frames):
        """Advance the batch ``v0`` (rfft coefficients, shape (B, N/2+1)) and return
        the physical-space frames, shape (B, num_frames, num_points)."""
        raise NotImplementedError

    def run_system(self, nonlinear, v0, symbol, step, params, coef, dims, steps_per_frame, num_frames):
        """Advance the flat spectral states ``v0`` (B, M) of a spectral system; spectral frames (B, T, M)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ETDRK4(ExponentialStepper):
    name = "etdrk4"
    order = 4
    description = "Cox-Matthews exponential time differencing RK4 (complex phi-functions)"
    nonlinear_evaluations = 4

    def coefficients(self, symbol, step):
        z = symbol * step
        half = z / 2
        e = np.exp(z)
        e2 = np.exp(half)
        q = 0.5 * step * phi(1, half)
        p1, p2, p3 = phi(1, z), phi(2, z), phi(3, z)
        f1 = step * (p1 - 3 * p2 + 4 * p3)
        f2 = step * (p2 - 2 * p3)
        f3 = step * (4 * p3 - p2)
        return e, e2, q, f1, f2, f3

    def run(self, v0, num_points, symbol, step, multiplier, poly, steps_per_frame, num_frames):
        coef = self.coefficients(symbol, step)
        return kernels.etdrk4_frames(
            v0, num_points, *coef, multiplier, *poly, steps_per_frame, num_frames
        )

    def run_system(self, nonlinear, v0, symbol, step, params, coef, dims, steps_per_frame, num_frames):
        stages = tuple(np.ascontiguousarray(c) for c in self.coefficients(symbol, step))
        return system_kernels.etdrk4_system(nonlinear, v0, *stages, params, coef, dims, steps_per_frame,
                                            num_frames)


@dataclass(frozen=True)
class IFRK4(ExponentialStepper):
    name = "ifrk4"
    order = 4
    description = "integrating-factor classical Runge-Kutta 4"
    nonlinear_evaluations = 4

    def coefficients(self, symbol, step):
        return np.exp(symbol * step), np.exp(symbol * step / 2)

    def run(self, v0, num_points, symbol, step, multiplier, poly, steps_per_frame, num_frames):
        e, e2 = self.coefficients(symbol, step)
        return kernels.ifrk4_frames(
            v0, num_points, e, e2, step, multiplier, *poly, steps_per_frame, num_frames
        )

    def run_system(self, nonlinear, v0, symbol, step, params, coef, dims, steps_per_frame, num_frames):
        e, e2 = (np.ascontiguousarray(c) for c in self.coefficients(symbol, step))
        return system_kernels.ifrk4_system(nonlinear, v0, e, e2, float(step), params, coef, dims,
                                           steps_per_frame, num_frames)
