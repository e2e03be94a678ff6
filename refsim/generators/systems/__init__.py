"""ODE systems: Hamiltonian and other finite-dimensional models, one per file."""

from . import (  # noqa: F401  (registration)
    double_pendulum,
    families,
    fpu,
    henon_heiles,
    kepler,
    lorenz63,
    lotka_volterra,
    mass_spring,
    nbody,
    pendulum,
)
from .base import Layout, System, split

__all__ = ["Layout", "System", "split"]
