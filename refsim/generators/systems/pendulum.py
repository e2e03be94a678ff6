"""Nonlinear pendulum."""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import ellipj, ellipk, ellipkinc

from ...solvers.ode.signatures import ENERGY, FIELD, HALF
from ..base import ExactCase, Parameter
from .base import Layout, System
from .families import PhaseState


@njit(FIELD, cache=True)
def _field(y, c, out):
    out[0] = y[1] / c[0]
    out[1] = -c[1] * np.sin(y[0])


@njit(HALF, cache=True)
def _force(q, c, out):
    out[0] = -c[1] * np.sin(q[0])


@njit(HALF, cache=True)
def _velocity(p, c, out):
    out[0] = p[0] / c[0]


@njit(ENERGY, cache=True)
def _energy(y, c):
    return 0.5 * y[1] ** 2 / c[0] + c[1] * (1.0 - np.cos(y[0]))


class Pendulum(System):
    r"""Nonlinear pendulum.

    .. math:: H(q, p) = \frac{p^2}{2 I} + \kappa (1 - \cos q)

    Librations (E < 2 kappa) have period ``T = 4 K(m) / w0`` with ``w0 = sqrt(kappa/I)``
    and ``m = E / (2 kappa)`` (K with parameter convention m = k^2); the exact solution is
    ``q = 2 arcsin(sqrt(m) sn(u0 + w0 t | m))``, ``p = 2 I w0 sqrt(m) cn(u0 + w0 t | m)``
    (reference-cases V18). HNN's pendulum is H = 3(1 - cos q) + p^2: I = 1/2, kappa = 3.
    """

    name = "pendulum"
    title = "Nonlinear pendulum"
    pde = "H = p^2/(2I) + kappa (1 - cos q)"
    parameters = (
        Parameter("inertia", "I", "moment of inertia m l^2", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("kappa", "kappa", "gravity torque m g l", default=1.0, minimum=0.0, exclusive_minimum=True),
    )
    references = ("Greydanus, Dzamba & Yosinski, NeurIPS 2019 (HNN), arXiv:1906.01563",)
    exact_solutions = "librations (energy below 2 kappa): Jacobi elliptic functions"

    def layout(self):
        return Layout("canonical", 1, 1)

    def functions(self):
        return {"field": _field, "force": _force, "velocity": _velocity, "energy": _energy}

    def invariants(self):
        return (self.energy_invariant("p^2/(2I) + kappa (1 - cos q)"),)

    def period(self, energy: float) -> float:
        return 4 * ellipk(energy / (2 * self.kappa)) / np.sqrt(self.kappa / self.inertia)

    def exact_solution(self, ic, t):
        q0, p0 = ic.state
        m = (0.5 * p0**2 / self.inertia + self.kappa * (1 - np.cos(q0))) / (2 * self.kappa)
        if not 0 < m < 1:
            return None
        w0, k = np.sqrt(self.kappa / self.inertia), np.sqrt(m)
        u0 = ellipkinc(np.arcsin(np.clip(np.sin(q0 / 2) / k, -1, 1)), m)
        if p0 < 0:
            u0 = 2 * ellipk(m) - u0
        sn, cn, _, _ = ellipj(u0 + w0 * np.asarray(t, dtype=float), m)
        return np.stack([2 * np.arcsin(k * sn), 2 * self.inertia * w0 * k * cn], axis=-1)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("hnn-pendulum", {"inertia": 0.5, "kappa": 3.0}, 0, 0, 3.0, 46,
                          lambda sys, length, origin: PhaseState(np.array([1.2, 0.9]))),)
