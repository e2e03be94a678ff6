"""Hénon-Heiles system."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...solvers.ode.signatures import ENERGY, FIELD, HALF
from ..base import Parameter
from ..initial_conditions import Family
from ..samplers import parse_sampler
from .base import Layout, System
from .families import PhaseState


@njit(HALF, cache=True)
def _force(q, c, out):
    out[0] = -q[0] - 2 * c[0] * q[0] * q[1]
    out[1] = -q[1] - c[0] * (q[0] ** 2 - q[1] ** 2)


@njit(HALF, cache=True)
def _velocity(p, c, out):
    out[0] = p[0]
    out[1] = p[1]


@njit(FIELD, cache=True)
def _field(y, c, out):
    out[0] = y[2]
    out[1] = y[3]
    out[2] = -y[0] - 2 * c[0] * y[0] * y[1]
    out[3] = -y[1] - c[0] * (y[0] ** 2 - y[1] ** 2)


@njit(ENERGY, cache=True)
def _energy(y, c):
    return 0.5 * (y[2] ** 2 + y[3] ** 2 + y[0] ** 2 + y[1] ** 2) + c[0] * (y[0] ** 2 * y[1] - y[1] ** 3 / 3)


def potential(q1, q2, lam):
    return 0.5 * (q1**2 + q2**2) + lam * (q1**2 * q2 - q2**3 / 3)


class HenonHeiles(System):
    r"""Hénon-Heiles system.

    .. math:: H = \tfrac12(p_1^2 + p_2^2) + \tfrac12(q_1^2 + q_2^2) + \lambda(q_1^2 q_2 - q_2^3/3)

    No exact solution; the energy is the only invariant. With lambda = 1 the saddle
    energy is 1/6; E = 1/12 is mostly regular, E = 1/8 mixed, near 1/6 chaotic
    (Hénon & Heiles, Astron. J. 69 (1964) 73, doi:10.1086/109234).
    """

    name = "henon_heiles"
    energy_degree = 3
    title = "Hénon-Heiles system"
    pde = "H = (p1^2 + p2^2)/2 + (q1^2 + q2^2)/2 + lambda (q1^2 q2 - q2^3/3)"
    parameters = (Parameter("lam", "lambda", "cubic coupling", default=1.0),)
    references = ("Hénon & Heiles, Astron. J. 69 (1964) 73, doi:10.1086/109234",)
    chaotic = True

    def layout(self):
        return Layout("canonical", 2, 1)

    def functions(self):
        return {"field": _field, "force": _force, "velocity": _velocity, "energy": _energy}

    def invariants(self):
        return (self.energy_invariant("H(q, p)"),)


@dataclass(frozen=True)
class EnergyShell(Family):
    """States of given energy E: q uniform in the disc of radius ``q_radius`` where V(q) < E,
    then p of modulus sqrt(2(E - V(q))) in a uniform random direction.
    """

    name = "energy_shell"
    description = "Hénon-Heiles states on an energy shell H = E"
    energy: float | dict = 0.125
    q_radius: float = 0.5

    def __post_init__(self):
        lo, hi = parse_sampler(self.energy, "energy").support()
        if lo <= 0 or hi >= 1 / 6:
            raise ValueError(f"energy: must lie in (0, 1/6) for bounded motion, got {self.energy}")

    def sample(self, rng, system, length=None, origin=None):
        if system.name != "henon_heiles":
            raise ValueError(f"energy_shell needs equation henon_heiles, not {system.name}")
        e = parse_sampler(self.energy, "energy").draw(rng)
        while True:  # rejection sampling: the draw count depends only on this trajectory's stream
            q = rng.uniform(-self.q_radius, self.q_radius, 2)
            v = potential(q[0], q[1], system.lam)
            if q @ q <= self.q_radius**2 and v < e:
                break
        angle = rng.uniform(0, 2 * np.pi)
        speed = np.sqrt(2 * (e - v))
        return PhaseState([q[0], q[1], speed * np.cos(angle), speed * np.sin(angle)])
