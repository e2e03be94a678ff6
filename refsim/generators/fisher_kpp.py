"""Fisher-KPP reaction-diffusion equation."""

from __future__ import annotations

import numpy as np

from .base import Equation, ExactCase, Parameter
from .initial_conditions import Constant


class FisherKPP(Equation):
    r"""Fisher-KPP (logistic reaction-diffusion) equation, periodic.

    .. math:: u_t = \nu u_{xx} + \rho u (1 - u)

    ``L(k) = rho - nu k^2`` (real); ``N(u) = -rho F[u^2]``, dealiased by the 2/3 rule.
    This is PDEBench's 1D diffusion-reaction problem. Maximum principle: data in
    [0, 1] stay in [0, 1]. Exact solution for a uniform state, the logistic curve
    ``u = u0 e^{rho t} / (1 - u0 + u0 e^{rho t})``. (The Ablowitz-Zeppetella front,
    reference-cases V8, lives on the line, not on a periodic domain.) No invariant
    is conserved: mass grows towards the stable state u = 1.
    """

    name = "fisher_kpp"
    title = "Fisher-KPP reaction-diffusion equation"
    pde = "u_t = nu u_xx + rho u (1 - u)"
    parameters = (
        Parameter("nu", "nu", "diffusion coefficient", default=0.01, minimum=0.0, exclusive_minimum=True),
        Parameter("rho", "rho", "reaction rate", default=1.0, minimum=0.0, exclusive_minimum=True),
    )
    references = (
        "Fisher, Ann. Eugenics 7 (1937) 355, doi:10.1111/j.1469-1809.1937.tb02153.x",
        "Takamoto et al., PDEBench, NeurIPS 2022 Datasets and Benchmarks, arXiv:2210.07182",
    )
    exact_solutions = "spatially uniform initial conditions (logistic curve)"

    def linear_symbol(self, grid):
        return self.rho - self.nu * grid.k**2

    def nonlinear(self, grid):
        return np.ones(grid.num_modes, dtype=complex), (0.0, -self.rho, 0.0)

    def admissible_range(self, initial):
        # [0, 1] is invariant; data in [0, m] with m > 1 decay monotonically towards 1
        if initial.min() < 0:
            return None
        return 0.0, max(float(initial.max()), 1.0)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("uniform", {"nu": 0.01, "rho": 1.5}, 2 * np.pi, 16, 3.0, 7,
                          lambda eq, length, origin: Constant(0.05)),)

    def exact_solution(self, ic, x, t):
        if not isinstance(ic, Constant):
            return None
        growth = np.exp(self.rho * np.asarray(t, dtype=float))
        u = ic.value * growth / (1 - ic.value + ic.value * growth)
        return np.repeat(u[:, None], np.size(x), axis=1)
