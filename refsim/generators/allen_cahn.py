"""Allen-Cahn equation."""

from __future__ import annotations

import numpy as np

from .base import Equation, ExactCase, Invariant, Parameter
from .initial_conditions import Constant


class AllenCahn(Equation):
    r"""Allen-Cahn equation, periodic.

    .. math:: u_t = \epsilon u_{xx} + r (u - u^3)

    ``L(k) = r - epsilon k^2``; ``N(u) = -r u^3``, dealiased by Orszag's rule for
    cubic terms (modes below N/4 kept). Gradient flow of the free energy
    ``E = int (epsilon/2) u_x^2 + (r/4)(u^2 - 1)^2 dx``, which is non-increasing.
    Mass is not conserved. Exact solution for a uniform state:
    ``u = u0 e^{rt} / sqrt(1 + u0^2 (e^{2rt} - 1))``.
    Raissi's AC.mat uses epsilon = 1e-4, r = 5 on [-1, 1].
    """

    name = "allen_cahn"
    title = "Allen-Cahn equation"
    pde = "u_t = epsilon u_xx + r (u - u^3)"
    parameters = (
        Parameter("epsilon", "epsilon", "diffusion coefficient", default=0.01, minimum=0.0, exclusive_minimum=True),
        Parameter("r", "r", "reaction rate", default=1.0, minimum=0.0, exclusive_minimum=True),
    )
    exact_solutions = "spatially uniform initial conditions (logistic-type ODE solution)"

    def linear_symbol(self, grid):
        return self.r - self.epsilon * grid.k**2

    def nonlinear(self, grid):
        return np.ones(grid.num_modes, dtype=complex), (0.0, 0.0, -self.r)

    def invariants(self):
        def free_energy(u, grid):
            ux = grid.derivative(u)
            return grid.integrate(0.5 * self.epsilon * ux**2 + 0.25 * self.r * (u**2 - 1) ** 2)

        return (Invariant("free_energy", "int (eps/2) u_x^2 + (r/4)(u^2-1)^2 dx", "nonincreasing", 4, free_energy),)

    def admissible_range(self, initial):
        # maximum principle: [-1, 1] is invariant and states outside it are attracted to it
        return min(float(initial.min()), -1.0), max(float(initial.max()), 1.0)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("uniform", {"epsilon": 0.01, "r": 2.0}, 2 * np.pi, 16, 3.0, 7,
                          lambda eq, length, origin: Constant(0.1)),)

    def exact_solution(self, ic, x, t):
        if not isinstance(ic, Constant):
            return None
        growth = np.exp(self.r * np.asarray(t, dtype=float))
        u0 = ic.value
        u = u0 * growth / np.sqrt(1 + u0**2 * (growth**2 - 1))
        return np.repeat(u[:, None], np.size(x), axis=1)
