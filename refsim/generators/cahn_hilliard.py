"""Cahn-Hilliard equation."""

from __future__ import annotations

from .base import Equation, Invariant, Parameter, mass


class CahnHilliard(Equation):
    r"""Cahn-Hilliard equation, periodic.

    .. math:: u_t = \partial_x^2 \left( f'(u) - \gamma u_{xx} \right), \qquad
              f(u) = -\frac{a}{2} u^2 + \frac{b}{4} u^4

    ``L(k) = a k^2 - gamma k^4`` (real; the linear part of ``f'`` is kept in L, so
    the stiff and the unstable linear terms are both integrated exactly);
    ``N(u) = -b k^2 F[u^3]``, dealiased by Orszag's rule for cubic terms.

    Mass ``int u`` is conserved (the k = 0 mode of L and of N vanish, so every
    Runge-Kutta or exponential method keeps it to round-off); the free energy
    ``E = int f(u) + (gamma/2) u_x^2 dx`` is non-increasing, ``dE/dt = -int mu_x^2``
    with ``mu = f'(u) - gamma u_xx``. Small perturbations of ``u = 0`` grow like
    ``exp(k^2 (a - gamma k^2) t)`` (reference-cases V13). No closed-form solution is
    known. DGNet's data use a = b = 1, gamma = 5e-4 on a domain of width 1.
    """

    name = "cahn_hilliard"
    title = "Cahn-Hilliard equation"
    pde = "u_t = (f'(u) - gamma u_xx)_xx,  f(u) = -(a/2) u^2 + (b/4) u^4"
    parameters = (
        Parameter("gamma", "gamma", "interface (surface tension) coefficient", default=0.01, minimum=0.0,
                  exclusive_minimum=True),
        Parameter("a", "a", "coefficient of the double well's quadratic term", default=1.0, minimum=0.0),
        Parameter("b", "b", "coefficient of the double well's quartic term", default=1.0, minimum=0.0,
                  exclusive_minimum=True),
    )
    references = (
        "Cahn & Hilliard, J. Chem. Phys. 28 (1958) 258, doi:10.1063/1.1744102",
        "Matsubara, Ishikawa & Yaguchi, NeurIPS 2020 (DGNet), arXiv:1905.08604",
    )

    def linear_symbol(self, grid):
        return self.a * grid.k**2 - self.gamma * grid.k**4

    def nonlinear(self, grid):
        return -(grid.k**2).astype(complex), (0.0, 0.0, self.b)

    def invariants(self):
        def free_energy(u, grid):
            ux = grid.derivative(u)
            return grid.integrate(-0.5 * self.a * u**2 + 0.25 * self.b * u**4 + 0.5 * self.gamma * ux**2)

        return (
            Invariant("mass", "int u dx", "conserved", 1, mass),
            Invariant("free_energy", "int -(a/2) u^2 + (b/4) u^4 + (gamma/2) u_x^2 dx", "nonincreasing", 4,
                      free_energy),
        )
