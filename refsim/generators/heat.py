"""Heat equation."""

from __future__ import annotations

import numpy as np

from .base import Equation, ExactCase, Invariant, Parameter, l2_squared, mass
from .initial_conditions import FourierSeries, RandomFourier, poisson_kernel


class Heat(Equation):
    r"""Heat (diffusion) equation, periodic.

    .. math:: u_t = \nu u_{xx}

    Linear symbol ``L(k) = -nu k^2``; no nonlinear term, so exponential steppers
    are exact up to round-off. Exact solution for Fourier-series initial
    conditions: each mode decays as ``exp(-nu k^2 t)`` (reference-cases V1).
    Good values: nu in [1e-3, 1] on a domain of length 2 pi.
    """

    name = "heat"
    title = "Heat equation"
    pde = "u_t = nu u_xx"
    parameters = (Parameter("nu", "nu", "diffusivity", default=0.01, minimum=0.0, exclusive_minimum=True),)
    exact_solutions = "every Fourier-series initial condition (mode-wise exponential decay)"

    def linear_symbol(self, grid):
        return -self.nu * grid.k**2

    def invariants(self):
        return (
            Invariant("mass", "int u dx", "conserved", 1, mass),
            Invariant("l2_squared", "int u^2 dx", "nonincreasing", 2, l2_squared),
        )

    @classmethod
    def exact_cases(cls):
        def initial(eq, length, origin):
            return RandomFourier(modes=10, offset=0.3).sample(np.random.default_rng(7), eq, length, origin)

        return (ExactCase("fourier-decay", {"nu": 0.05}, 2 * np.pi, 64, 3.0, 7, initial),
                ExactCase("poisson-kernel", {"nu": 1e-3}, 2 * np.pi, 16, 1.0, 5, poisson_kernel))

    def admissible_range(self, initial):
        return float(initial.min()), float(initial.max())  # maximum principle

    def exact_solution(self, ic, x, t):
        if isinstance(ic, FourierSeries):
            return ic.evolved(lambda k: -self.nu * k**2, x, t)
        return None
