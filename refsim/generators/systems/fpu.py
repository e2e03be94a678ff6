"""Fermi-Pasta-Ulam problem with stiff springs (Hairer, Lubich & Wanner)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...solvers.ode.signatures import ENERGY, FIELD, HALF
from ..base import Invariant, Parameter
from ..initial_conditions import Family
from .base import Layout, System
from .families import PhaseState


@njit(HALF, cache=True)
def _force(x, c, out):
    n = x.size  # 2m positions; x_0 = x_{2m+1} = 0 are the fixed walls
    w2 = c[0] ** 2
    out[:] = 0.0
    for i in range(n // 2):  # stiff linear springs between x_{2i+1} and x_{2i+2} (1-based: x_{2i}, x_{2i-1})
        d = x[2 * i + 1] - x[2 * i]
        out[2 * i] += 0.5 * w2 * d
        out[2 * i + 1] -= 0.5 * w2 * d
    for i in range(n // 2 + 1):  # soft quartic springs between x_{2i} and x_{2i+1} (1-based)
        left = x[2 * i - 1] if i > 0 else 0.0
        right = x[2 * i] if i < n // 2 else 0.0
        f = 4.0 * (right - left) ** 3
        if i > 0:
            out[2 * i - 1] += f
        if i < n // 2:
            out[2 * i] -= f


@njit(HALF, cache=True)
def _velocity(p, c, out):
    out[:] = p


@njit(FIELD, cache=True)
def _field(y, c, out):
    half = y.size // 2
    _velocity(y[half:], c, out[:half])
    _force(y[:half], c, out[half:])


@njit(ENERGY, cache=True)
def _energy(y, c):
    half = y.size // 2
    m = half // 2
    w2 = c[0] ** 2
    h = 0.0
    for i in range(half):
        h += 0.5 * y[half + i] ** 2
    for i in range(m):
        h += 0.25 * w2 * (y[2 * i + 1] - y[2 * i]) ** 2
    for i in range(m + 1):
        left = y[2 * i - 1] if i > 0 else 0.0
        right = y[2 * i] if i < m else 0.0
        h += (right - left) ** 4
    return h


class FPU(System):
    r"""Fermi-Pasta-Ulam chain of alternating stiff linear and soft quartic springs.

    .. math:: H = \tfrac12\sum_{i=1}^{2m} y_i^2 + \tfrac{\omega^2}{4}\sum_{i=1}^{m}(x_{2i} - x_{2i-1})^2
              + \sum_{i=0}^{m}(x_{2i+1} - x_{2i})^4,\quad x_0 = x_{2m+1} = 0

    The total oscillatory energy of the stiff springs,
    ``I = sum_j (y_{1,j}^2 + w^2 x_{1,j}^2)/2`` with ``x_{1,j} = (x_{2j} - x_{2j-1})/sqrt 2``,
    is an adiabatic invariant (I(t) = I(0) + O(1/w)), recorded as a monitor.
    Hairer, Lubich & Wanner, Geometric Numerical Integration, I.5.1 and XIII: m = 3, w = 50.
    """

    name = "fpu"
    energy_degree = 4
    title = "Fermi-Pasta-Ulam chain (stiff springs)"
    pde = "H = sum y^2/2 + w^2/4 sum (x_2i - x_2i-1)^2 + sum (x_2i+1 - x_2i)^4"
    parameters = (
        Parameter("omega", "omega", "stiff spring frequency", default=50.0, minimum=0.0, exclusive_minimum=True),
        Parameter("springs", "m", "number of stiff springs", default=3.0, minimum=1.0, maximum=64.0),
    )
    references = ("Hairer, Lubich & Wanner, Geometric Numerical Integration, 2nd ed., Springer 2006, I.5.1",)

    def layout(self):
        return Layout("canonical", 2 * int(self.springs), 1)

    def functions(self):
        return {"field": _field, "force": _force, "velocity": _velocity, "energy": _energy}

    def invariants(self):
        def oscillatory(y, system):
            half = y.shape[-1] // 2
            x, v = y[..., :half], y[..., half:]
            x1 = (x[..., 1::2] - x[..., 0::2]) / np.sqrt(2)
            y1 = (v[..., 1::2] - v[..., 0::2]) / np.sqrt(2)
            return 0.5 * (y1**2 + self.omega**2 * x1**2).sum(axis=-1)

        return (self.energy_invariant("H(x, y)"),
                Invariant("oscillatory_energy", "sum (y1^2 + w^2 x1^2)/2", "adiabatic", 2, oscillatory))


@dataclass(frozen=True)
class HLWInitial(Family):
    """HLW's initial value: x_{0,1} = 1, y_{0,1} = 1, x_{1,1} = 1/w, y_{1,1} = 1, all else 0."""

    name = "fpu_hlw"
    description = "the Hairer-Lubich-Wanner FPU initial value"

    def sample(self, rng, system, length=None, origin=None):
        if system.name != "fpu":
            raise ValueError(f"fpu_hlw needs equation fpu, not {system.name}")
        n = 2 * int(system.springs)
        x0, x1, y0, y1 = (np.zeros(n // 2) for _ in range(4))
        x0[0], y0[0], x1[0], y1[0] = 1.0, 1.0, 1.0 / system.omega, 1.0
        x, y = np.empty(n), np.empty(n)
        x[0::2], x[1::2] = (x0 - x1) / np.sqrt(2), (x0 + x1) / np.sqrt(2)
        y[0::2], y[1::2] = (y0 - y1) / np.sqrt(2), (y0 + y1) / np.sqrt(2)
        return PhaseState(np.concatenate([x, y]))
