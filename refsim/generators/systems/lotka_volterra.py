"""Lotka-Volterra predator-prey system."""

from __future__ import annotations

import numpy as np
from numba import njit

from ...solvers.ode.signatures import FIELD
from ..base import Invariant, Parameter
from .base import Layout, System


@njit(FIELD, cache=True)
def _field(y, c, out):
    out[0] = y[0] * (c[0] * y[1] - c[1])
    out[1] = y[1] * (c[2] - c[3] * y[0])


class LotkaVolterra(System):
    r"""Lotka-Volterra equations (Hairer, Lubich & Wanner I.1 with alpha = 1, beta = 2, gamma = delta = 1).

    .. math:: \dot u = u(\alpha v - \beta),\qquad \dot v = v(\gamma - \delta u)

    A Poisson (not canonical) system with the invariant
    ``I = gamma ln u - delta u + beta ln v - alpha v``, since dI/dt = 0 along solutions.
    States stay positive.
    """

    name = "lotka_volterra"
    title = "Lotka-Volterra system"
    pde = "u' = u (alpha v - beta), v' = v (gamma - delta u)"
    parameters = tuple(Parameter(n, n, d, default=v, minimum=0.0, exclusive_minimum=True) for n, d, v in (
        ("alpha", "growth of u per v", 1.0), ("beta", "decay of u", 2.0),
        ("gamma", "growth of v", 1.0), ("delta", "decay of v per u", 1.0)))
    references = ("Hairer, Lubich & Wanner, Geometric Numerical Integration, 2nd ed., Springer 2006, I.1",)
    hamiltonian = False
    separable = False

    def layout(self):
        return Layout("state", names=("u", "v"))

    def functions(self):
        return {"field": _field}

    def invariants(self):
        def first_integral(y, system):
            u, v = y[..., 0], y[..., 1]
            return self.gamma * np.log(u) - self.delta * u + self.beta * np.log(v) - self.alpha * v

        return (Invariant("first_integral", "gamma ln u - delta u + beta ln v - alpha v", "conserved", 0,
                          first_integral),)

    def admissible_range(self, initial):
        return 0.0, np.inf
