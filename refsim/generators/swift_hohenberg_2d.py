"""Swift-Hohenberg equation in two dimensions."""

from __future__ import annotations

import numpy as np

from .base import ExactCase, Invariant, Parameter
from .initial_conditions import Constant
from .polynomial_2d import PolynomialEquation2D, laplacian


class SwiftHohenberg2D(PolynomialEquation2D):
    r"""Swift-Hohenberg equation on a periodic square.

    .. math:: u_t = r u - (q_0^2 + \Delta)^2 u + g u^2 - u^3

    ``L = r - (q0^2 - |k|^2)^2``; ``N = F[g u^2 - u^3]``, dealiased by Orszag's rule for
    cubic terms in each direction. Gradient flow of ``F = int -(r/2) u^2 +
    (1/2)((q0^2 + lap) u)^2 - (g/3) u^3 + u^4/4``, non-increasing. Stripes (g = 0) or
    hexagons (g > 0) of wavenumber near q0 form from noise. Exact for a uniform
    state when g = 0: with ``lambda = r - q0^4``, ``u = u0 e^{lambda t} / sqrt(1 + u0^2
    (e^{2 lambda t} - 1) / lambda)``.
    """

    name = "swift_hohenberg_2d"
    title = "Swift-Hohenberg equation in 2D"
    pde = "u_t = r u - (q0^2 + lap)^2 u + g u^2 - u^3"
    parameters = (
        Parameter("r", "r", "distance from the onset of the pattern-forming instability", default=0.2),
        Parameter("q0", "q_0", "critical wavenumber", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("g", "g", "quadratic coefficient (hexagons for g != 0)", default=0.0),
    )
    references = ("Swift & Hohenberg, Phys. Rev. A 15 (1977) 319, doi:10.1103/PhysRevA.15.319",)
    exact_solutions = "spatially uniform initial conditions when g = 0 (Bernoulli ODE)"

    def symbol(self, k2):
        return self.r - (self.q0**2 - k2) ** 2

    def polynomial(self):
        return self.g, -1.0

    def invariants(self):
        def lyapunov(u, grid):
            operator_u = self.q0**2 * u + laplacian(u, grid)
            return grid.integrate(-0.5 * self.r * u**2 + 0.5 * operator_u**2 - self.g / 3.0 * u**3 + 0.25 * u**4)

        return (Invariant("lyapunov", "int -(r/2) u^2 + (1/2)((q0^2 + lap) u)^2 - (g/3) u^3 + u^4/4 dx dy",
                          "nonincreasing", 4, lyapunov),)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("uniform", {"r": 1.5, "q0": 1.0, "g": 0.0}, 2 * np.pi, 16, 3.0, 7,
                          lambda eq, length, origin: Constant(0.2)),)

    def exact_solution(self, ic, x, t):
        if not isinstance(ic, Constant) or self.g != 0:
            return None
        rate = self.r - self.q0**4
        growth = np.exp(rate * np.atleast_1d(np.asarray(t, dtype=float)))
        u = ic.value * growth / np.sqrt(1 + ic.value**2 * (growth**2 - 1) / rate)
        return np.broadcast_to(u[:, None, None], (u.size, x.size, x.size)).copy()
