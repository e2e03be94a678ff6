"""Conservative DVDM scheme for the cubic nonlinear Schroedinger equation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from .base import DiscreteInvariant, DvdmScheme, PeriodicDifferences, operator_norm


class NLSScheme(DvdmScheme):
    r"""Mass- and energy-conserving scheme for ``i u_t + alpha u_xx + kappa |u|^2 u = 0``, periodic.

    The PDE is ``u_t = -i dH/d conj(u)`` with ``H = int alpha |u_x|^2 - (kappa/2) |u|^4 dx`` (refsim's
    ``nls`` parameters). With ``W = U' + U`` and ``rho = |U'|^2 + |U|^2``

    .. math::

        H_d(U) = \sum_k \Big[\alpha\,\frac{|\delta^+ U_k|^2 + |\delta^- U_k|^2}{2}
                 - \frac{\kappa}{2} |U_k|^4\Big]\Delta x,

        \frac{U^{n+1} - U^n}{\Delta t} = i\Big[\frac{\alpha}{2}\,\delta^{\langle 2\rangle} W
                 + \frac{\kappa}{4}\,\rho\, W\Big].

    The bracket is ``-dH_d/d(U', U)`` / 2 in the discrete chain rule
    ``H_d(U') - H_d(U) = Re sum conj(dH_d/d(U', U)) (U' - U) dx``, and ``U' - U`` is ``i`` times a
    real multiple of it, so ``H_d`` is conserved; ``Re sum conj(W) (U' - U)`` vanishes too, so the
    mass ``sum |U|^2 dx`` is conserved (Furihata & Matsuo 2011, ch. 4). The momentum is not.
    Solved for the real state ``[Re U, Im U]`` (``rho`` is not complex-analytic), with the exact
    2M x 2M Jacobian.
    """

    name = "nls"
    complex_valued = True

    def __init__(self, num_points: int, length: float, alpha: float, kappa: float):
        d = PeriodicDifferences(num_points, length)
        m = num_points
        eye, zero, d2 = sparse.identity(m), sparse.csr_matrix((m, m)), d.second_matrix
        rotation = sparse.bmat([[zero, -0.5 * alpha * d2], [0.5 * alpha * d2, zero]])  # i (alpha/2) delta^<2>
        super().__init__(num_points, length, {
            "identity": sparse.identity(2 * m),
            "rotation_d2": rotation,
            "upper": sparse.bmat([[zero, eye], [zero, zero]]),
            "lower": sparse.bmat([[zero, zero], [eye, zero]]),
        }, stiffness=operator_norm(rotation))
        self.alpha, self.kappa = alpha, kappa

    def _parts(self, new, old):
        m = self.num_points
        p, q = new[..., :m], new[..., m:]
        w_r, w_i = p + old[..., :m], q + old[..., m:]
        rho = p * p + q * q + old[..., :m] ** 2 + old[..., m:] ** 2
        return p, q, w_r, w_i, rho

    def residual(self, new, old, dt):
        _, _, w_r, w_i, rho = self._parts(new, old)
        g_r = 0.5 * self.alpha * self.d.second(w_r) + 0.25 * self.kappa * rho * w_r
        g_i = 0.5 * self.alpha * self.d.second(w_i) + 0.25 * self.kappa * rho * w_i
        return new - old - dt * np.concatenate([-g_i, g_r], axis=-1)  # i (g_r + i g_i)

    def jacobian_terms(self, new, old, dt):
        p, q, w_r, w_i, rho = self._parts(new, old)
        k = self.kappa
        diagonal = 1.0 + dt * 0.5 * k * np.concatenate([p * w_i, -q * w_r], axis=-1)
        zeros = np.zeros_like(p)
        upper = dt * 0.25 * k * np.concatenate([zeros, rho + 2 * q * w_i], axis=-1)
        lower = -dt * 0.25 * k * np.concatenate([rho + 2 * p * w_r, zeros], axis=-1)
        return [("identity", diagonal), ("rotation_d2", -dt), ("upper", upper), ("lower", lower)]

    def invariants(self):
        d = self.d

        def hamiltonian(u):
            return d.integrate(self.alpha * d.gradient_squared(u) - 0.5 * self.kappa * np.abs(u) ** 4)

        return (
            DiscreteInvariant("mass", "sum_k |U_k|^2 dx", "conserved", 2, True,
                              lambda u: d.integrate(np.abs(u) ** 2)),
            DiscreteInvariant("momentum", "Im sum_k conj(U_k) delta<1> U_k dx", "conserved", 2, False,
                              lambda u: d.integrate((np.conj(u) * d.central(u)).imag)),
            DiscreteInvariant("hamiltonian", "sum_k alpha (|delta+ U|^2 + |delta- U|^2)/2 - (kappa/2) |U|^4 dx",
                              "conserved", 4, True, hamiltonian),
        )
