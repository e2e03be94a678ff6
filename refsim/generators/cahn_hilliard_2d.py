"""Cahn-Hilliard equation in two dimensions."""

from __future__ import annotations

from .base import Invariant, Parameter, mass
from .polynomial_2d import PolynomialEquation2D, gradient_squared


class CahnHilliard2D(PolynomialEquation2D):
    r"""Cahn-Hilliard equation on a periodic square.

    .. math:: u_t = \Delta \left( f'(u) - \gamma \Delta u \right), \qquad f(u) = -\frac{a}{2} u^2 + \frac{b}{4} u^4

    ``L = a |k|^2 - gamma |k|^4`` (the unstable and the stiff linear parts both
    integrated exactly); ``N = -|k|^2 F[b u^3]``, dealiased by Orszag's rule for
    cubic terms in each direction. Mass ``int u`` is conserved to round-off (the
    k = 0 mode of L and N vanish); the free energy ``int f(u) + (gamma/2) |grad u|^2``
    is non-increasing. No closed-form solution is known: verified by refinement and
    the free energy's monotone decay.
    """

    name = "cahn_hilliard_2d"
    title = "Cahn-Hilliard equation in 2D"
    pde = "u_t = lap(f'(u) - gamma lap u),  f(u) = -(a/2) u^2 + (b/4) u^4"
    conserved_form = True
    parameters = (
        Parameter("gamma", "gamma", "interface (surface tension) coefficient", default=0.1, minimum=0.0,
                  exclusive_minimum=True),
        Parameter("a", "a", "coefficient of the double well's quadratic term", default=1.0, minimum=0.0),
        Parameter("b", "b", "coefficient of the double well's quartic term", default=1.0, minimum=0.0,
                  exclusive_minimum=True),
    )
    references = ("Cahn & Hilliard, J. Chem. Phys. 28 (1958) 258, doi:10.1063/1.1744102",)

    def symbol(self, k2):
        return self.a * k2 - self.gamma * k2**2

    def polynomial(self):
        return 0.0, self.b

    def invariants(self):
        def free_energy(u, grid):
            density = -0.5 * self.a * u**2 + 0.25 * self.b * u**4 + 0.5 * self.gamma * gradient_squared(u, grid)
            return grid.integrate(density)

        return (
            Invariant("mass", "int u dx dy", "conserved", 1, mass),
            Invariant("free_energy", "int -(a/2) u^2 + (b/4) u^4 + (gamma/2) |grad u|^2 dx dy", "nonincreasing", 4,
                      free_energy),
        )
