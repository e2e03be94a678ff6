"""Furihata's dissipative DVDM scheme for the Cahn-Hilliard equation."""

from __future__ import annotations

import scipy.sparse as sparse

from .base import DiscreteInvariant, DvdmScheme, PeriodicDifferences, operator_norm


class CahnHilliardScheme(DvdmScheme):
    r"""Mass-conserving, free-energy-dissipating scheme for ``u_t = (f'(u) - gamma u_xx)_xx``.

    ``f(u) = -(a/2) u^2 + (b/4) u^4`` (refsim's ``cahn_hilliard`` parameters, periodic). Discretely

    .. math::

        G_d(U) = \sum_k \Big[-\frac{a}{2} U_k^2 + \frac{b}{4} U_k^4
                 + \frac{\gamma}{2}\,\frac{(\delta^+ U_k)^2 + (\delta^- U_k)^2}{2}\Big]\Delta x,

        \mu = \frac{\delta G_d}{\delta(U', U)} = -\frac{a}{2}(U' + U)
              + \frac{b}{4}(U'^3 + U'^2 U + U' U^2 + U^3) - \frac{\gamma}{2}\,\delta^{\langle 2\rangle}(U' + U),

        \frac{U^{n+1} - U^n}{\Delta t} = \delta^{\langle 2\rangle} \mu,

    so ``G_d(U^{n+1}) - G_d(U^n) = -dt sum_k (delta^+ mu_k)^2 dx <= 0`` and ``sum U dx`` is
    conserved, for every step size (Furihata 1999, section 5). This is exactly the 50-point model of
    DGNet's Cahn-Hilliard data (``experiment-ch/data.py``, class ``CahnHilliardNd``).
    Jacobian: ``I + dt (gamma/2) (delta^<2>)^2 - delta^<2> diag(dt (-a/2 + (b/4)(3U'^2 + 2U'U + U^2)))``.
    """

    name = "cahn_hilliard"

    def __init__(self, num_points: int, length: float, gamma: float, a: float, b: float):
        d = PeriodicDifferences(num_points, length)
        d2 = d.second_matrix
        super().__init__(num_points, length, {"identity": sparse.identity(num_points), "d2": d2, "d2d2": d2 @ d2},
                         stiffness=0.5 * gamma * operator_norm(d2 @ d2) + 0.5 * abs(a) * operator_norm(d2))
        self.gamma, self.a, self.b = gamma, a, b

    def chemical_potential(self, new, old):
        cubic = (new * new + old * old) * (new + old)  # U'^3 + U'^2 U + U' U^2 + U^3
        return -0.5 * self.a * (new + old) + 0.25 * self.b * cubic - 0.5 * self.gamma * self.d.second(new + old)

    def residual(self, new, old, dt):
        return new - old - dt * self.d.second(self.chemical_potential(new, old))

    def jacobian_terms(self, new, old, dt):
        slope = -0.5 * self.a + 0.25 * self.b * (3 * new * new + 2 * new * old + old * old)
        return [("identity", 1.0), ("d2d2", 0.5 * dt * self.gamma), ("d2", -dt * slope)]

    def invariants(self):
        d = self.d

        def free_energy(u):
            return d.integrate(-0.5 * self.a * u**2 + 0.25 * self.b * u**4 + 0.5 * self.gamma * d.gradient_squared(u))

        return (
            DiscreteInvariant("mass", "sum_k U_k dx", "conserved", 1, True, d.integrate),
            DiscreteInvariant("free_energy", "sum_k -(a/2) U^2 + (b/4) U^4 + (gamma/2) ((delta+ U)^2 + "
                              "(delta- U)^2)/2 dx", "nonincreasing", 4, True, free_energy),
        )
