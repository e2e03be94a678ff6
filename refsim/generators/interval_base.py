"""What an equation on an interval declares: its semilinear terms; the recipe declares the boundary.

An equation on a bounded interval [a, b] subclasses :class:`IntervalEquation`; it registers in the same
registry as the periodic PDEs and the ODE systems, with ``kind = "ibvp"`` (initial-boundary value
problem), so the periodic contract tests, which select ``kind == "pde"``, never see it. It turns into
grid-independent :class:`~refsim.solvers.chebyshev.IntervalTerms`; the boundary conditions (Dirichlet or
Neumann at each end, values constant or functions of time) are given separately, because the same
equation is posed with several of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..solvers.chebyshev import BoundaryCondition, IntervalTerms
from .base import ExactCase, Model


@dataclass(frozen=True)
class IntervalExactCase(ExactCase):
    """An exact case on [origin, origin + length]; its boundary conditions are those of
    :meth:`IntervalEquation.exact_boundary` for its initial condition."""


class IntervalEquation(Model):
    """Base class of a 1D semilinear PDE ``u_t = d u_xx + r u + P(u) + (F(u))_x`` on an interval.

    Subclasses set ``name``, ``title``, ``pde``, ``parameters``, ``references`` and implement
    :meth:`terms`; with exact solutions also :meth:`exact_solution` and :meth:`exact_boundary`.
    """

    kind = "ibvp"
    variable: ClassVar[str] = "u"

    def terms(self) -> IntervalTerms:
        raise NotImplementedError

    def admissible_range(self, initial: np.ndarray, left: BoundaryCondition,
                         right: BoundaryCondition) -> tuple[float, float] | None:
        """Bounds the solution keeps for all time given its initial values and boundary conditions, or None."""
        return None

    def exact_solution(self, initial_condition, x: np.ndarray, t: np.ndarray) -> np.ndarray | None:
        """Exact solution (shape (T, len(x))) under :meth:`exact_boundary`'s conditions, or None."""
        return None

    def exact_boundary(self, initial_condition, a: float, b: float) -> tuple[BoundaryCondition, BoundaryCondition]:
        """The boundary conditions on [a, b] under which :meth:`exact_solution` holds."""
        raise NotImplementedError


def constant_data(side: BoundaryCondition, kind: str) -> float | None:
    """The value of a time-independent condition of ``kind``, else None."""
    return None if side.kind != kind or callable(side.value) else float(side.value)
