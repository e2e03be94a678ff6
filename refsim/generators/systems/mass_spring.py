"""Mass-spring (harmonic oscillator)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ...solvers.ode.signatures import ENERGY, FIELD, HALF
from ..base import ExactCase, Parameter
from .base import Layout, System
from .families import PhaseState


@njit(FIELD, cache=True)
def _field(y, c, out):
    out[0] = y[1] / c[0]
    out[1] = -c[1] * y[0]


@njit(HALF, cache=True)
def _force(q, c, out):
    out[0] = -c[1] * q[0]


@njit(HALF, cache=True)
def _velocity(p, c, out):
    out[0] = p[0] / c[0]


@njit(ENERGY, cache=True)
def _energy(y, c):
    return 0.5 * y[1] ** 2 / c[0] + 0.5 * c[1] * y[0] ** 2


class MassSpring(System):
    r"""Mass on a linear spring.

    .. math:: H(q, p) = \frac{p^2}{2m} + \frac{k q^2}{2}

    Exact solution ``q = q0 cos(w t) + p0/(m w) sin(w t)``, ``w = sqrt(k/m)``.
    HNN's spring (Greydanus et al. 2019) is H = q^2 + p^2: m = 1/2, k = 2 (period pi).
    """

    name = "mass_spring"
    energy_degree = 2
    title = "Mass-spring oscillator"
    pde = "H = p^2/(2m) + k q^2/2"
    parameters = (
        Parameter("m", "m", "mass", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("k", "k", "spring constant", default=1.0, minimum=0.0, exclusive_minimum=True),
    )
    references = ("Greydanus, Dzamba & Yosinski, NeurIPS 2019 (HNN), arXiv:1906.01563",)
    exact_solutions = "every initial condition (harmonic motion)"

    def layout(self):
        return Layout("canonical", 1, 1)

    def functions(self):
        return {"field": _field, "force": _force, "velocity": _velocity, "energy": _energy}

    def invariants(self):
        return (self.energy_invariant("p^2/(2m) + k q^2/2"),)

    def exact_solution(self, ic, t):
        q0, p0 = ic.state
        w = np.sqrt(self.k / self.m)
        t = np.asarray(t, dtype=float)
        q = q0 * np.cos(w * t) + p0 / (self.m * w) * np.sin(w * t)
        p = -q0 * self.m * w * np.sin(w * t) + p0 * np.cos(w * t)
        return np.stack([q, p], axis=-1)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("hnn-spring", {"m": 0.5, "k": 2.0}, 0, 0, 3.0, 31,
                          lambda sys, length, origin: PhaseState(np.array([0.6, -0.3]))),)
