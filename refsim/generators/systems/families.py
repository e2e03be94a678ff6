"""Initial-condition families of ODE systems: functions of (rng, system), no grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..initial_conditions import Family, InitialCondition
from ..samplers import parse_sampler


class PhaseState(InitialCondition):
    """A fixed initial state ``y0`` of an ODE system."""

    def __init__(self, state):
        self.state = np.asarray(state, dtype=float)

    def __call__(self, x=None):
        return self.state.copy()

    def describe(self):
        return {"state": self.state.tolist()}


@dataclass(frozen=True)
class State(Family):
    """An explicit initial state (the flat ``y``: q then p, or the named scalars), plus optional noise."""

    name = "state"
    description = "explicit initial state, optionally perturbed by Gaussian noise"
    values: tuple[float, ...] = ()
    noise: float = 0.0

    def __post_init__(self):
        if not self.values:
            raise ValueError("values: give the initial state as a list of numbers")
        if self.noise < 0:
            raise ValueError(f"noise: must be >= 0, got {self.noise}")

    def sample(self, rng, system, length=None, origin=None):
        values = np.asarray(self.values, dtype=float)
        if values.size != system.layout().dimension:
            raise ValueError(f"values: {system.name} has a state of {system.layout().dimension} numbers, "
                             f"got {values.size}")
        return PhaseState(values + self.noise * rng.standard_normal(values.size))


@dataclass(frozen=True)
class PhaseRing(Family):
    """HNN's sampler for one degree of freedom: ``(q, p) = r (cos a, sin a)``.

    ``radius`` is a sampler (HNN: spring U(0.1, 1), pendulum U(1.3, 2.3)), the angle is uniform.
    """

    name = "phase_ring"
    description = "one-degree-of-freedom states on a ring of random radius in phase space (HNN)"
    radius: float | dict = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.radius is None:
            object.__setattr__(self, "radius", {"uniform": [0.1, 1.0]})
        parse_sampler(self.radius, "radius")

    def sample(self, rng, system, length=None, origin=None):
        if system.layout().dimension != 2:
            raise ValueError(f"phase_ring needs a one-degree-of-freedom system, not {system.name}")
        r = parse_sampler(self.radius, "radius").draw(rng)
        angle = rng.uniform(0, 2 * np.pi)
        return PhaseState([r * np.cos(angle), r * np.sin(angle)])
