"""Fisher-KPP reaction-diffusion equation on an interval."""

from __future__ import annotations

import numpy as np

from ..solvers.chebyshev import BoundaryCondition, IntervalTerms
from .base import Parameter
from .initial_conditions import InitialCondition
from .interval_base import IntervalEquation, IntervalExactCase, constant_data


class FisherKPPInterval(IntervalEquation):
    r"""Fisher-KPP (logistic reaction-diffusion) equation on [a, b] with Dirichlet or Neumann boundaries.

    .. math:: u_t = \nu u_{xx} + \rho u (1 - u), \qquad x \in [a, b],

    with ``u = g`` or ``u_x = g`` at each end (the recipe's ``domain.boundary``: ``u_x = 0`` is a closed
    habitat, ``u(a) = 1, u(b) = 0`` an invasion front). Terms: ``nu u_xx + rho u`` is the linear operator
    treated exactly; ``-rho u^2`` is pointwise. The parameters are those of the periodic ``fisher_kpp``
    (the literature's D = nu, r = rho). Data in [0, 1] with boundary values in [0, 1] (or ``u_x = 0``)
    stay in [0, 1].

    Exact solution (Ablowitz & Zeppetella 1979; reference-cases V8): the travelling front

    .. math:: u = \left(1 + C e^{k x - 5\rho t/6}\right)^{-2}, \qquad k = \sqrt{\rho / (6\nu)},

    of speed ``5 sqrt(rho nu / 6)`` (5/sqrt 6 for nu = rho = 1), on [a, b] with its own values as
    time-dependent Dirichlet data; or, on an interval wide enough that the front equals 1 and 0 at the ends
    to round-off (``k a - 5 rho t/6 < -38`` and ``k b - 5 rho t / 6 > 19`` for C = 1), with the constant data
    1 and 0. Good values: nu = rho = 1 on [-10, 20] (N = 64) or [-100, 55] (N = 256), t <= 2.
    """

    name = "fisher_kpp_interval"
    title = "Fisher-KPP reaction-diffusion equation on an interval"
    pde = "u_t = nu u_xx + rho u (1 - u) on [a, b]"
    parameters = (
        Parameter("nu", "nu", "diffusion coefficient", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("rho", "rho", "reaction rate", default=1.0, minimum=0.0, exclusive_minimum=True),
    )
    references = (
        "Fisher, Ann. Eugenics 7 (1937) 355, doi:10.1111/j.1469-1809.1937.tb02153.x",
        "Ablowitz & Zeppetella, Bull. Math. Biol. 41 (1979) 835, doi:10.1007/BF02462380",
    )
    exact_solutions = "the Ablowitz-Zeppetella front with its own values as Dirichlet data"

    def terms(self):
        return IntervalTerms(self.nu, self.rho, poly=(0.0, -self.rho, 0.0))

    def admissible_range(self, initial, left, right):
        if initial.min() < 0:
            return None
        for side in (left, right):
            value = constant_data(side, "dirichlet")
            if not (value is not None and 0.0 <= value <= 1.0 or constant_data(side, "neumann") == 0.0):
                return None
        return 0.0, max(float(initial.max()), 1.0)

    @classmethod
    def exact_cases(cls):
        return (IntervalExactCase("ablowitz-zeppetella", {"nu": 1.0, "rho": 1.0}, 30.0, 31, 2.0, 5,
                                  lambda eq, length, origin: AblowitzZeppetellaFront(eq.nu, eq.rho, 1.0),
                                  origin=-10.0),)

    def exact_solution(self, ic, x, t):
        if not (isinstance(ic, AblowitzZeppetellaFront) and (ic.nu, ic.rho) == (self.nu, self.rho)):
            return None
        return ic.at(x, t)

    def exact_boundary(self, ic, a, b):
        return (BoundaryCondition("dirichlet", lambda t: ic.at(np.array([a]), t)[:, 0]),
                BoundaryCondition("dirichlet", lambda t: ic.at(np.array([b]), t)[:, 0]))


class AblowitzZeppetellaFront(InitialCondition):
    """``(1 + C exp(k x - 5 rho t / 6))^-2`` with ``k = sqrt(rho / (6 nu))``, at t = 0 as an initial condition."""

    def __init__(self, nu, rho, shift):
        self.nu, self.rho, self.shift = nu, rho, shift

    def at(self, x, t):
        x = np.asarray(x, dtype=float)[None, :]
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
        return (1.0 + self.shift * np.exp(np.sqrt(self.rho / (6 * self.nu)) * x - 5 * self.rho * t / 6)) ** -2

    def __call__(self, x):
        return self.at(np.ravel(x), 0.0)[0].reshape(np.shape(x))

    def describe(self):
        return {"shift": self.shift}
