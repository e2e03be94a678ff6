"""Double pendulum in canonical coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...solvers.ode.signatures import ENERGY, FIELD
from ..base import Parameter
from ..initial_conditions import Family
from ..samplers import parse_sampler
from .base import Layout, System
from .families import PhaseState


@njit(FIELD, cache=True)
def _field(y, c, out):
    m1, m2, l1, l2, g = c[0], c[1], c[2], c[3], c[4]
    t1, t2, p1, p2 = y[0], y[1], y[2], y[3]
    cs, sn = np.cos(t1 - t2), np.sin(t1 - t2)
    d = m1 + m2 * sn * sn
    out[0] = (l2 * p1 - l1 * p2 * cs) / (l1 * l1 * l2 * d)
    out[1] = (l1 * (m1 + m2) * p2 - l2 * m2 * p1 * cs) / (l1 * l2 * l2 * m2 * d)
    a1 = p1 * p2 * sn / (l1 * l2 * d)
    a2 = ((m2 * l2 * l2 * p1 * p1 + (m1 + m2) * l1 * l1 * p2 * p2 - 2 * m2 * l1 * l2 * p1 * p2 * cs)
          * sn * cs / (l1 * l1 * l2 * l2 * d * d))
    out[2] = -(m1 + m2) * g * l1 * np.sin(t1) - a1 + a2
    out[3] = -m2 * g * l2 * np.sin(t2) + a1 - a2


@njit(ENERGY, cache=True)
def _energy(y, c):
    m1, m2, l1, l2, g = c[0], c[1], c[2], c[3], c[4]
    t1, t2, p1, p2 = y[0], y[1], y[2], y[3]
    cs, sn = np.cos(t1 - t2), np.sin(t1 - t2)
    kinetic = ((m2 * l2 * l2 * p1 * p1 + (m1 + m2) * l1 * l1 * p2 * p2 - 2 * m2 * l1 * l2 * p1 * p2 * cs)
               / (2 * m2 * l1 * l1 * l2 * l2 * (m1 + m2 * sn * sn)))
    return kinetic - (m1 + m2) * g * l1 * np.cos(t1) - m2 * g * l2 * np.cos(t2)


class DoublePendulum(System):
    r"""Planar double pendulum, angles from the downward vertical and their canonical momenta.

    .. math:: H = \frac{m_2 l_2^2 p_1^2 + (m_1+m_2) l_1^2 p_2^2 - 2 m_2 l_1 l_2 p_1 p_2 \cos(\theta_1-\theta_2)}
                   {2 m_2 l_1^2 l_2^2 (m_1 + m_2 \sin^2(\theta_1-\theta_2))}
              - (m_1+m_2) g l_1 \cos\theta_1 - m_2 g l_2 \cos\theta_2

    Not separable. Chaotic at large energy; the energy is the only invariant
    (reference-cases V22). The vector field is checked against J grad H in the tests.
    """

    name = "double_pendulum"
    title = "Double pendulum"
    pde = "H(theta1, theta2, p1, p2), canonical"
    parameters = (
        Parameter("m1", "m1", "upper mass", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("m2", "m2", "lower mass", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("l1", "l1", "upper length", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("l2", "l2", "lower length", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("g", "g", "gravity", default=9.81, minimum=0.0),
    )
    chaotic = True
    separable = False

    def layout(self):
        return Layout("canonical", 2, 1)

    def functions(self):
        return {"field": _field, "energy": _energy}

    def invariants(self):
        return (self.energy_invariant("H(theta, p)"),)


@dataclass(frozen=True)
class RestAngles(Family):
    """Released from rest at angles drawn from ``angle`` (radians, each independently)."""

    name = "rest_angles"
    description = "double pendulum released from rest at random angles"
    angle: float | dict = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.angle is None:
            object.__setattr__(self, "angle", {"uniform": [-1.5, 1.5]})
        parse_sampler(self.angle, "angle")

    def sample(self, rng, system, length=None, origin=None):
        sampler = parse_sampler(self.angle, "angle")
        return PhaseState([sampler.draw(rng), sampler.draw(rng), 0.0, 0.0])
