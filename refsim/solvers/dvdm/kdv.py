"""Furihata's conservative DVDM scheme for the Korteweg-de Vries equation."""

from __future__ import annotations

import scipy.sparse as sparse

from .base import DiscreteInvariant, DvdmScheme, PeriodicDifferences, operator_norm


class KdVScheme(DvdmScheme):
    r"""Energy- and mass-conserving scheme for ``u_t + alpha u u_x + beta u_xxx = 0``, periodic.

    The PDE is ``u_t = d/dx dG/du`` with ``G = int (beta/2) u_x^2 - (alpha/6) u^3 dx`` (refsim's
    ``kdv`` parameters; DGNet's ``a, b`` are ``alpha = a, beta = -b``). Discretely

    .. math::

        G_d(U) = \sum_k \Big[-\frac{\alpha}{6} U_k^3
                 + \frac{\beta}{2}\,\frac{(\delta^+ U_k)^2 + (\delta^- U_k)^2}{2}\Big]\Delta x,

        \frac{\delta G_d}{\delta(U', U)} = -\frac{\alpha}{6}(U'^2 + U' U + U^2)
                 - \frac{\beta}{2}\,\delta^{\langle 2\rangle}(U' + U),

        \frac{U^{n+1} - U^n}{\Delta t} = \delta^{\langle 1\rangle}
                 \frac{\delta G_d}{\delta(U^{n+1}, U^n)}.

    ``delta^<1>`` is skew-symmetric, so ``G_d`` and the mass ``sum U dx`` are conserved exactly;
    ``sum U^2 dx`` is not (it converges at second order). This is Furihata (1999), section 4, and
    exactly the 50-point model of DGNet's KdV data (``experiment-ch/data.py``, class ``KdVNd``).
    Jacobian: ``I + dt (beta/2) delta^<1> delta^<2> + delta^<1> diag(dt (alpha/6)(2U' + U))``.
    """

    name = "kdv"

    def __init__(self, num_points: int, length: float, alpha: float, beta: float):
        d = PeriodicDifferences(num_points, length)
        d1 = d.central_matrix
        d1d2 = d1 @ d.second_matrix
        super().__init__(num_points, length, {"identity": sparse.identity(num_points), "d1": d1, "d1d2": d1d2},
                         stiffness=0.5 * abs(beta) * operator_norm(d1d2))
        self.alpha, self.beta = alpha, beta

    def variational_derivative(self, new, old):
        return -(self.alpha / 6) * (new * new + new * old + old * old) - 0.5 * self.beta * self.d.second(new + old)

    def residual(self, new, old, dt):
        return new - old - dt * self.d.central(self.variational_derivative(new, old))

    def jacobian_terms(self, new, old, dt):
        return [("identity", 1.0), ("d1d2", 0.5 * dt * self.beta), ("d1", dt * self.alpha / 6 * (2 * new + old))]

    def invariants(self):
        d = self.d

        def energy(u):
            return d.integrate(0.5 * self.beta * d.gradient_squared(u) - self.alpha / 6 * u**3)

        return (
            DiscreteInvariant("mass", "sum_k U_k dx", "conserved", 1, True, d.integrate),
            DiscreteInvariant("momentum", "sum_k U_k^2 dx", "conserved", 2, False, lambda u: d.integrate(u * u)),
            DiscreteInvariant("energy", "sum_k (beta/2) ((delta+ U)^2 + (delta- U)^2)/2 - (alpha/6) U^3 dx",
                              "conserved", 3, True, energy),
        )
