"""Kepler problem (relative two-body motion)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...solvers.ode.signatures import ENERGY, FIELD, HALF
from ..base import ExactCase, Invariant, Parameter
from ..initial_conditions import Family
from ..samplers import parse_sampler
from .base import Layout, System, split
from .families import PhaseState


@njit(FIELD, cache=True)
def _field(y, c, out):
    r3 = (y[0] ** 2 + y[1] ** 2) ** 1.5
    out[0] = y[2]
    out[1] = y[3]
    out[2] = -c[0] * y[0] / r3
    out[3] = -c[0] * y[1] / r3


@njit(HALF, cache=True)
def _force(q, c, out):
    r3 = (q[0] ** 2 + q[1] ** 2) ** 1.5
    out[0] = -c[0] * q[0] / r3
    out[1] = -c[0] * q[1] / r3


@njit(HALF, cache=True)
def _velocity(p, c, out):
    out[0] = p[0]
    out[1] = p[1]


@njit(ENERGY, cache=True)
def _energy(y, c):
    return 0.5 * (y[2] ** 2 + y[3] ** 2) - c[0] / np.sqrt(y[0] ** 2 + y[1] ** 2)


class Kepler(System):
    r"""Kepler problem in the plane.

    .. math:: H(q, p) = \frac{|p|^2}{2} - \frac{\mu}{|q|}

    Invariants: energy, angular momentum ``L = q1 p2 - q2 p1`` and the Runge-Lenz
    vector ``A = p x L - mu q/|q|``. Exact solution from pericentre through Kepler's
    equation ``E - e sin E = n t`` (reference-cases V17; Hairer, Lubich & Wanner,
    Geometric Numerical Integration, I.2.3): with a = 1 and mu = 1, e = 0.6 gives
    H = -1/2, L = 0.8, A = (0.6, 0), period 2 pi.
    """

    name = "kepler"
    title = "Kepler problem"
    pde = "H = |p|^2/2 - mu/|q|"
    parameters = (Parameter("mu", "mu", "gravitational parameter G (m1 + m2)", default=1.0, minimum=0.0,
                            exclusive_minimum=True),)
    references = ("Hairer, Lubich & Wanner, Geometric Numerical Integration, 2nd ed., Springer 2006, I.2.3",)
    exact_solutions = "kepler_orbit initial conditions (any eccentricity < 1), via Kepler's equation"

    def layout(self):
        return Layout("canonical", 1, 2)

    def functions(self):
        return {"field": _field, "force": _force, "velocity": _velocity, "energy": _energy}

    def invariants(self):
        def angular(y, system):
            q, p = split(y, self.layout())
            return q[..., 0, 0] * p[..., 0, 1] - q[..., 0, 1] * p[..., 0, 0]

        def lenz(index):
            def evaluate(y, system):
                q, p = split(y, self.layout())
                q, p = q[..., 0, :], p[..., 0, :]
                ell = q[..., 0] * p[..., 1] - q[..., 1] * p[..., 0]
                r = np.hypot(q[..., 0], q[..., 1])
                a = (p[..., 1] * ell, -p[..., 0] * ell)[index]
                return a - self.mu * q[..., index] / r
            return evaluate

        return (
            self.energy_invariant("|p|^2/2 - mu/|q|"),
            Invariant("angular_momentum", "q1 p2 - q2 p1", "conserved", 2, angular),
            Invariant("lenz_x", "(p x L - mu q/|q|)_x", "conserved", 3, lenz(0)),
            Invariant("lenz_y", "(p x L - mu q/|q|)_y", "conserved", 3, lenz(1)),
        )

    def exact_solution(self, ic, t):
        if not isinstance(ic, KeplerState):
            return None
        e, a = ic.eccentricity, ic.semi_major_axis
        n = np.sqrt(self.mu / a**3)
        mean = n * np.asarray(t, dtype=float)
        big_e = mean + e * np.sin(mean)
        for _ in range(60):  # Newton on E - e sin E = M; quadratic convergence from this start
            big_e = big_e - (big_e - e * np.sin(big_e) - mean) / (1 - e * np.cos(big_e))
        b = np.sqrt(1 - e**2)
        speed = np.sqrt(self.mu / a) / (1 - e * np.cos(big_e))
        return np.stack([a * (np.cos(big_e) - e), a * b * np.sin(big_e),
                         -speed * np.sin(big_e), speed * b * np.cos(big_e)], axis=-1)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("hlw-e06", {"mu": 1.0}, 0, 0, 4 * np.pi, 41,
                          lambda sys, length, origin: KeplerState(0.6, 1.0, sys.mu)),)


class KeplerState(PhaseState):
    """Pericentre of an orbit with eccentricity e and semi-major axis a."""

    def __init__(self, eccentricity, semi_major_axis, mu):
        e, a = eccentricity, semi_major_axis
        self.eccentricity, self.semi_major_axis = e, a
        super().__init__([a * (1 - e), 0.0, 0.0, np.sqrt(mu / a * (1 + e) / (1 - e))])

    def describe(self):
        return {"eccentricity": self.eccentricity, "semi_major_axis": self.semi_major_axis}


@dataclass(frozen=True)
class KeplerOrbit(Family):
    """Kepler orbits starting at pericentre: ``q0 = (a(1-e), 0)``, ``p0 = (0, sqrt(mu/a (1+e)/(1-e)))``."""

    name = "kepler_orbit"
    description = "Kepler orbit from pericentre with given (or sampled) eccentricity and semi-major axis"
    eccentricity: float | dict = 0.6
    semi_major_axis: float | dict = 1.0

    def __post_init__(self):
        lo, hi = parse_sampler(self.eccentricity, "eccentricity").support()
        if lo < 0 or hi >= 1:
            raise ValueError(f"eccentricity: must lie in [0, 1), got {self.eccentricity}")
        if parse_sampler(self.semi_major_axis, "semi_major_axis").support()[0] <= 0:
            raise ValueError(f"semi_major_axis: must be > 0, got {self.semi_major_axis}")

    def sample(self, rng, system, length=None, origin=None):
        e = parse_sampler(self.eccentricity, "eccentricity").draw(rng)
        a = parse_sampler(self.semi_major_axis, "semi_major_axis").draw(rng)
        return KeplerState(e, a, system.mu)
