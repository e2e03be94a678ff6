"""Gravitational N-body problem in the plane."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...solvers.ode.signatures import ENERGY, FIELD, HALF
from ..base import Invariant, Parameter
from ..initial_conditions import Family
from ..samplers import parse_sampler
from .base import Layout, System, split
from .families import PhaseState


@njit(HALF, cache=True)
def _force(q, c, out):
    n = q.size // 2
    g, m = c[0], c[1]
    out[:] = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = q[2 * j] - q[2 * i]
            dy = q[2 * j + 1] - q[2 * i + 1]
            s = g * m * m / (dx * dx + dy * dy) ** 1.5
            out[2 * i] += s * dx
            out[2 * i + 1] += s * dy
            out[2 * j] -= s * dx
            out[2 * j + 1] -= s * dy


@njit(HALF, cache=True)
def _velocity(p, c, out):
    out[:] = p / c[1]


@njit(FIELD, cache=True)
def _field(y, c, out):
    half = y.size // 2
    _velocity(y[half:], c, out[:half])
    _force(y[:half], c, out[half:])


@njit(ENERGY, cache=True)
def _energy(y, c):
    half = y.size // 2
    n = half // 2
    g, m = c[0], c[1]
    kinetic = 0.0
    for i in range(half):
        kinetic += y[half + i] ** 2
    potential = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            potential -= g * m * m / np.sqrt((y[2 * j] - y[2 * i]) ** 2 + (y[2 * j + 1] - y[2 * i + 1]) ** 2)
    return 0.5 * kinetic / m + potential


class NBody(System):
    r"""Newtonian gravity of ``bodies`` equal masses in the plane.

    .. math:: H = \sum_i \frac{|p_i|^2}{2m} - \sum_{i<j} \frac{G m^2}{|q_i - q_j|}

    Invariants: energy, total linear momentum (linear) and angular momentum
    (quadratic). Three or more bodies are chaotic in general. HNN's 2-body and
    3-body datasets use G = m = 1 and near-circular orbits (``circular_orbits``).
    """

    name = "nbody"
    title = "Gravitational N-body problem (2D)"
    pde = "H = sum |p_i|^2/(2m) - sum_{i<j} G m^2/|q_i - q_j|"
    parameters = (
        Parameter("G", "G", "gravitational constant", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("mass", "m", "mass of every body", default=1.0, minimum=0.0, exclusive_minimum=True),
        Parameter("bodies", "n", "number of bodies", default=3.0, minimum=2.0, maximum=16.0),
    )
    references = ("Greydanus, Dzamba & Yosinski, NeurIPS 2019 (HNN), arXiv:1906.01563",)
    chaotic = True

    def layout(self):
        return Layout("canonical", int(self.bodies), 2)

    def functions(self):
        return {"field": _field, "force": _force, "velocity": _velocity, "energy": _energy}

    def invariants(self):
        def momentum(axis):
            return lambda y, system: split(y, self.layout())[1][..., axis].sum(axis=-1)

        def angular(y, system):
            q, p = split(y, self.layout())
            return (q[..., 0] * p[..., 1] - q[..., 1] * p[..., 0]).sum(axis=-1)

        return (
            self.energy_invariant("sum |p_i|^2/(2m) - sum G m^2/|q_i - q_j|"),
            Invariant("momentum_x", "sum p_x", "conserved", 1, momentum(0)),
            Invariant("momentum_y", "sum p_y", "conserved", 1, momentum(1)),
            Invariant("angular_momentum", "sum q x p", "conserved", 2, angular),
        )


@dataclass(frozen=True)
class CircularOrbits(Family):
    """HNN's near-circular configurations: n bodies evenly spaced on a circle of radius r.

    ``radius`` is sampled (HNN: U(0.5, 1.5)); the configuration is rotated by a uniform
    angle; each body gets the speed of the exact circular solution times
    ``1 + velocity_noise * N(0, 1)`` (HNN: 0.05 for two bodies, 0.2 for three).
    The total momentum is then removed, so the centre of mass stays at rest.
    """

    name = "circular_orbits"
    description = "bodies evenly spaced on a circle with near-circular velocities (HNN)"
    radius: float | dict = None  # type: ignore[assignment]
    velocity_noise: float = 0.05

    def __post_init__(self):
        if self.radius is None:
            object.__setattr__(self, "radius", {"uniform": [0.5, 1.5]})
        if parse_sampler(self.radius, "radius").support()[0] <= 0:
            raise ValueError(f"radius: must be > 0, got {self.radius}")
        if self.velocity_noise < 0:
            raise ValueError(f"velocity_noise: must be >= 0, got {self.velocity_noise}")

    def sample(self, rng, system, length=None, origin=None):
        n = int(system.bodies)
        r = parse_sampler(self.radius, "radius").draw(rng)
        angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n) / n
        q = r * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        # circular speed: the pull of the other n-1 bodies, all at chord distances, balances m v^2 / r
        chords = 2 * r * np.sin(np.pi * np.arange(1, n) / n)
        pull = system.G * system.mass * np.sum(1 / chords**2 * np.sin(np.pi * np.arange(1, n) / n))
        speed = np.sqrt(pull * r) * (1 + self.velocity_noise * rng.standard_normal(n))
        v = speed[:, None] * np.stack([-np.sin(angles), np.cos(angles)], axis=1)
        p = system.mass * (v - v.mean(axis=0))
        return PhaseState(np.concatenate([q.ravel(), p.ravel()]))
