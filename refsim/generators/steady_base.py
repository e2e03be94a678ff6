"""What a steady equation declares: its parameters and the random input field it maps to a solution.

A steady (time-independent) boundary-value problem on the unit square subclasses :class:`SteadyEquation`;
it registers in the same registry as the PDEs and ODE systems with ``kind = "steady"``, so the contract
tests of the time-dependent kinds (which select ``kind == "pde"``, ``"ibvp"`` or ``"ode"``) never see it.
Its data are input/output pairs for operator learning: one random input field per sample (the
coefficient of an elliptic operator, say) and the solution it determines; there is no time axis and no
initial condition.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import Model


class SteadyEquation(Model):
    """Base class of a steady problem on ``(0, 1)^2``: a random input field ``input_field`` -> ``variable``.

    Subclasses set ``name``, ``title``, ``pde``, ``parameters``, ``references``, ``input_field`` and
    ``coefficient_families`` (name -> class with ``draw(rng, **settings)`` and ``coefficient(num_cells)``),
    and implement :meth:`source`.
    """

    kind = "steady"
    variable: ClassVar[str] = "u"
    input_field: ClassVar[str]
    coefficient_families: ClassVar[dict[str, type]] = {}

    def source(self) -> float | np.ndarray:
        """The right-hand side ``f`` of the problem (a number, or values at the cell centres)."""
        raise NotImplementedError
