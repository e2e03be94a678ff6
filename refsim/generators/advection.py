"""Linear advection."""

from __future__ import annotations

import numpy as np

from .base import Equation, ExactCase, Invariant, Parameter, l2_squared, mass
from .initial_conditions import GaussianRandomField, poisson_kernel


class Advection(Equation):
    r"""Linear advection, periodic.

    .. math:: u_t + c u_x = 0

    Linear symbol ``L(k) = -i c k`` (imaginary: the phi-coefficients are complex);
    the Nyquist mode of the odd derivative is zeroed. Exact solution for every
    initial condition: the shift ``u0(x - c t)`` (reference-cases V2), evaluated
    from the initial condition's own formula, independently of the solver.
    """

    name = "advection"
    title = "Linear advection"
    pde = "u_t + c u_x = 0"
    parameters = (Parameter("c", "c", "advection speed", default=1.0),)
    exact_solutions = "every initial condition: u(x, t) = u0(x - c t)"

    def linear_symbol(self, grid):
        return -1j * self.c * grid.k_odd

    def invariants(self):
        return (
            Invariant("mass", "int u dx", "conserved", 1, mass),
            Invariant("l2_squared", "int u^2 dx", "conserved", 2, l2_squared),
        )

    @classmethod
    def exact_cases(cls):
        def initial(eq, length, origin):
            grf = GaussianRandomField(length_scale=0.05, smoothness=3.0, max_mode=30)
            return grf.sample(np.random.default_rng(3), eq, length, origin)

        return (ExactCase("random-field-shift", {"c": 0.7}, 1.0, 128, 3.0, 13, initial, origin=-0.5),
                ExactCase("poisson-kernel", {"c": 1.0}, 2 * np.pi, 16, 2.0, 5, poisson_kernel))

    def exact_solution(self, ic, x, t):
        length, origin = ic.length, ic.origin
        shifted = origin + np.mod(np.asarray(x)[None, :] - self.c * np.asarray(t)[:, None] - origin, length)
        return ic(shifted.ravel()).reshape(shifted.shape)
