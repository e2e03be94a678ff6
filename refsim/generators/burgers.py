"""Viscous Burgers equation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Equation, ExactCase, Invariant, Parameter, l2_squared, mass
from .initial_conditions import Family, InitialCondition


class Burgers(Equation):
    r"""Viscous Burgers equation, periodic.

    .. math:: u_t + u u_x = \nu u_{xx}

    ``L(k) = -nu k^2``; ``N(u) = -(1/2) (u^2)_x`` in conservative form, dealiased
    by the 2/3 rule. Exact solutions through the Cole-Hopf transform
    ``u = -2 nu theta_x / theta`` with ``theta_t = nu theta_xx``
    (reference-cases V6): the ``cole_hopf`` initial-condition family.
    Good values: nu >= 1e-3 with amplitude O(1) on a 2 pi domain at N >= 256.
    """

    name = "burgers"
    title = "Viscous Burgers equation"
    pde = "u_t + u u_x = nu u_xx"
    parameters = (Parameter("nu", "nu", "viscosity", default=0.01, minimum=0.0, exclusive_minimum=True),)
    references = ("Cole, Q. Appl. Math. 9 (1951) 225-236, doi:10.1090/qam/42889",)
    exact_solutions = "cole_hopf initial conditions (Cole-Hopf transform of a heat solution)"

    def linear_symbol(self, grid):
        return -self.nu * grid.k**2

    def nonlinear(self, grid):
        return -0.5j * grid.k_odd, (0.0, 1.0, 0.0)

    def invariants(self):
        return (
            Invariant("mass", "int u dx", "conserved", 1, mass),
            Invariant("l2_squared", "int u^2 dx", "nonincreasing", 2, l2_squared),
        )

    def admissible_range(self, initial):
        return float(initial.min()), float(initial.max())  # maximum principle

    @classmethod
    def exact_cases(cls):
        def initial(eq, length, origin):
            return ColeHopfWave(eq.nu, 1.2, 1, length, origin)

        return (ExactCase("cole-hopf", {"nu": 0.1}, 2 * np.pi, 64, 2.0, 9, initial),)

    def exact_solution(self, ic, x, t):
        if isinstance(ic, ColeHopfWave) and ic.nu == self.nu:
            return ic.at(x, t)
        return None


class ColeHopfWave(InitialCondition):
    """``u = -2 nu theta_x / theta`` with ``theta = b + exp(-nu k^2 t) cos(k (x - x0))``."""

    def __init__(self, nu, offset, wavenumber, length, origin):
        self.nu, self.offset, self.length, self.origin = nu, offset, length, origin
        self.k = 2 * np.pi * wavenumber / length

    def at(self, x, t):
        x = np.asarray(x, dtype=float)[None, :]
        decay = np.exp(-self.nu * self.k**2 * np.atleast_1d(np.asarray(t, dtype=float)))[:, None]
        phase = self.k * (x - self.origin)
        return 2 * self.nu * self.k * decay * np.sin(phase) / (self.offset + decay * np.cos(phase))

    def __call__(self, x):
        return self.at(x, 0.0)[0]

    def describe(self):
        return {"offset": self.offset, "k": self.k}


@dataclass(frozen=True)
class ColeHopf(Family):
    """Burgers initial condition with a closed-form solution (Cole-Hopf of a cosine heat mode).

    ``offset`` b > 1 sets the steepness (b -> 1 approaches a shock); ``wavenumber``
    is the integer number of periods in the domain.
    """

    name = "cole_hopf"
    description = "Cole-Hopf wave of viscous Burgers with a closed-form solution"
    offset: float = 1.5
    wavenumber: int = 1

    def __post_init__(self):
        if not self.offset > 1:
            raise ValueError(f"offset: must be > 1 so that theta stays positive, got {self.offset}")
        if self.wavenumber < 1:
            raise ValueError(f"wavenumber: must be >= 1, got {self.wavenumber}")

    def sample(self, rng, equation, length, origin):
        return ColeHopfWave(equation.nu, self.offset, self.wavenumber, length, origin)
