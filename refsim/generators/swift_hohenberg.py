"""Swift-Hohenberg equation."""

from __future__ import annotations

import numpy as np

from .base import Equation, Invariant, Parameter


class SwiftHohenberg(Equation):
    r"""Swift-Hohenberg equation, periodic.

    .. math:: u_t = r u - (q_0^2 + \partial_x^2)^2 u + g u^2 - u^3

    ``L(k) = r - (q0^2 - k^2)^2`` (real); ``N(u) = F[g u^2 - u^3]``, dealiased by
    Orszag's rule for cubic terms. A gradient flow: the Lyapunov functional
    ``F = int -(r/2) u^2 + (1/2) ((q0^2 + d_xx) u)^2 - (g/3) u^3 + (1/4) u^4 dx`` is
    non-increasing. The trivial state is unstable for r > 0 to modes with
    ``|k^2 - q0^2| < sqrt(r)``; stripes of wavenumber near q0 form. No closed-form
    solution is known; verification is by self-convergence and the monotone functional.
    """

    name = "swift_hohenberg"
    title = "Swift-Hohenberg equation"
    pde = "u_t = r u - (q0^2 + d_xx)^2 u + g u^2 - u^3"
    parameters = (
        Parameter("r", "r", "distance from the onset of the pattern-forming instability", default=0.2),
        Parameter("q0", "q_0", "critical wavenumber", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("g", "g", "quadratic coefficient (breaks u -> -u symmetry)", default=0.0),
    )
    references = ("Swift & Hohenberg, Phys. Rev. A 15 (1977) 319, doi:10.1103/PhysRevA.15.319",)

    def linear_symbol(self, grid):
        return self.r - (self.q0**2 - grid.k**2) ** 2

    def nonlinear(self, grid):
        return np.ones(grid.num_modes, dtype=complex), (0.0, self.g, -1.0)

    def invariants(self):
        def lyapunov(u, grid):
            operator_u = self.q0**2 * u + grid.derivative(u, 2)
            density = -0.5 * self.r * u**2 + 0.5 * operator_u**2 - self.g / 3.0 * u**3 + 0.25 * u**4
            return grid.integrate(density)

        return (Invariant("lyapunov", "int -(r/2) u^2 + (1/2)((q0^2 + d_xx) u)^2 - (g/3) u^3 + u^4/4 dx",
                          "nonincreasing", 4, lyapunov),)
