"""Kuramoto-Sivashinsky equation."""

from __future__ import annotations

from .base import Equation, Invariant, mass


class KuramotoSivashinsky(Equation):
    r"""Kuramoto-Sivashinsky equation, periodic, conservative form.

    .. math:: u_t + u u_x + u_{xx} + u_{xxxx} = 0

    ``L(k) = k^2 - k^4`` (real); ``N(u) = -(1/2)(u^2)_x`` dealiased by the 2/3 rule.
    Chaotic for long domains (L = 32 pi: errors grow like exp(0.05 t) or faster);
    no exact solution is known, so verification is by self-convergence
    (reference-cases V12, Kassam & Trefethen 2005).
    """

    name = "kuramoto_sivashinsky"
    title = "Kuramoto-Sivashinsky equation"
    pde = "u_t + u u_x + u_xx + u_xxxx = 0"
    references = ("Kassam & Trefethen, SIAM J. Sci. Comput. 26 (2005) 1214, doi:10.1137/S1064827502410633",)
    chaotic = True

    def linear_symbol(self, grid):
        return grid.k**2 - grid.k**4

    def nonlinear(self, grid):
        return -0.5j * grid.k_odd, (0.0, 1.0, 0.0)

    def invariants(self):
        return (Invariant("mass", "int u dx", "conserved", 1, mass),)
