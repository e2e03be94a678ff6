"""Allen-Cahn equation in two dimensions."""

from __future__ import annotations

import numpy as np

from .base import ExactCase, Invariant, Parameter
from .initial_conditions import Constant
from .polynomial_2d import PolynomialEquation2D, gradient_squared


class AllenCahn2D(PolynomialEquation2D):
    r"""Allen-Cahn equation on a periodic square.

    .. math:: u_t = \epsilon \Delta u + r (u - u^3)

    ``L = r - epsilon |k|^2``; ``N = -r F[u^3]``, dealiased by Orszag's rule for cubic
    terms in each direction. Gradient flow of ``E = int (epsilon/2) |grad u|^2 +
    (r/4)(u^2 - 1)^2``, which is non-increasing; ``[-1, 1]`` is invariant (maximum
    principle). Exact for a uniform state: ``u = u0 e^{rt} / sqrt(1 + u0^2 (e^{2rt} - 1))``.
    """

    name = "allen_cahn_2d"
    title = "Allen-Cahn equation in 2D"
    pde = "u_t = epsilon lap u + r (u - u^3)"
    parameters = (
        Parameter("epsilon", "epsilon", "diffusion coefficient", default=0.05, minimum=0.0, exclusive_minimum=True),
        Parameter("r", "r", "reaction rate", default=1.0, minimum=0.0, exclusive_minimum=True),
    )
    references = ("Allen & Cahn, Acta Metall. 27 (1979) 1085, doi:10.1016/0001-6160(79)90196-2",)
    exact_solutions = "spatially uniform initial conditions (logistic-type ODE solution)"

    def symbol(self, k2):
        return self.r - self.epsilon * k2

    def polynomial(self):
        return 0.0, -self.r

    def invariants(self):
        def free_energy(u, grid):
            return grid.integrate(0.5 * self.epsilon * gradient_squared(u, grid) + 0.25 * self.r * (u**2 - 1) ** 2)

        return (Invariant("free_energy", "int (eps/2) |grad u|^2 + (r/4)(u^2-1)^2 dx dy", "nonincreasing", 4,
                          free_energy),)

    def admissible_range(self, initial):
        return min(float(initial.min()), -1.0), max(float(initial.max()), 1.0)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("uniform", {"epsilon": 0.01, "r": 2.0}, 2 * np.pi, 16, 3.0, 7,
                          lambda eq, length, origin: Constant(0.1)),)

    def exact_solution(self, ic, x, t):
        if not isinstance(ic, Constant):
            return None
        growth = np.exp(self.r * np.atleast_1d(np.asarray(t, dtype=float)))
        u = ic.value * growth / np.sqrt(1 + ic.value**2 * (growth**2 - 1))
        return np.broadcast_to(u[:, None, None], (u.size, x.size, x.size)).copy()
