"""Discrete variational derivative (DVDM) schemes on periodic finite-difference grids.

One equation per module, registered in :data:`SCHEMES` by the refsim equation name whose
parameters it takes: ``kdv`` (energy and mass conserved), ``cahn_hilliard`` (mass conserved,
free energy non-increasing), ``nls`` (energy and mass conserved). All are second order in dt
and dx, and implicit: every step is a Newton solve to the round-off floor (see ``base``).
"""

from __future__ import annotations

from . import cahn_hilliard, kdv, nls  # noqa: F401 - register the schemes
from .base import SCHEMES, TARGET, DiscreteInvariant, DvdmRun, DvdmScheme, integrate, newton

__all__ = ["SCHEMES", "TARGET", "DiscreteInvariant", "DvdmRun", "DvdmScheme", "integrate", "newton"]
