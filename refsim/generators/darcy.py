r"""Steady Darcy flow (the ``darcy`` equation) and its two-valued random coefficient fields, PDEBench-style.

.. math::  -\nabla\cdot\big(a(x)\nabla u\big) = \beta \ \text{on}\ (0,1)^2,\qquad u = 0 \ \text{on the boundary},

with ``a`` equal to ``high`` where a sum of random Gaussian bumps exceeds its mean over the base grid's
cells and ``low`` elsewhere (PDEBench's Darcy data: ``a`` in {1, 0.1}, ``beta`` in {0.01, 0.1, 1, 10, 100},
128 x 128 cell centres; Takamoto et al., arXiv:2210.07182). The bump recipe is this module's, stated
here, not a copy of PDEBench's generator (which was not read): ``num_bumps`` centres uniform in the square,
widths log-uniform in ``width_range``, weights uniform in [-1, 1].

The field is a function of the *cell index on the base grid*: the smooth sum is evaluated at the base
centres, thresholded there, and a refined grid inherits each base cell's value (see
:func:`refsim.solvers.elliptic.refine_coefficient`), so every discontinuity stays on a base face at every
resolution and the same draw defines one PDE for the whole refinement sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

import numpy as np

from ..solvers.elliptic import cell_centres
from .base import Parameter
from .steady_base import SteadyEquation


@final
@dataclass(frozen=True)
class ThresholdedBumps:
    """One draw: bump centres ``(num_bumps, 2)`` as (x, y), widths and weights; values ``high``/``low``."""

    centres: np.ndarray
    widths: np.ndarray
    weights: np.ndarray
    high: float = 1.0
    low: float = 0.1

    @classmethod
    def draw(cls, rng: np.random.Generator, num_bumps: int = 12, width_range=(0.05, 0.2),
             high: float = 1.0, low: float = 0.1) -> ThresholdedBumps:
        centres = rng.uniform(0.0, 1.0, size=(num_bumps, 2))
        widths = np.exp(rng.uniform(np.log(width_range[0]), np.log(width_range[1]), size=num_bumps))
        weights = rng.uniform(-1.0, 1.0, size=num_bumps)
        return cls(centres, widths, weights, high, low)

    def smooth(self, num_cells: int) -> np.ndarray:
        """The bump sum at the centres of the ``num_cells``-squared grid, indexed ``[iy, ix]``."""
        x = cell_centres(num_cells)
        dx = x[None, :, None] - self.centres[:, 0]
        dy = x[:, None, None] - self.centres[:, 1]
        return np.exp(-(dx**2 + dy**2) / (2.0 * self.widths**2)) @ self.weights

    def coefficient(self, num_cells: int = 128) -> np.ndarray:
        """``high`` where the bump sum exceeds its mean over the cells, else ``low``; ``[iy, ix]``."""
        s = self.smooth(num_cells)
        return np.where(s > s.mean(), self.high, self.low)


COEFFICIENT_FAMILIES = {"thresholded_bumps": ThresholdedBumps}


@final
class Darcy(SteadyEquation):
    r"""PDEBench's steady Darcy flow, :math:`-\nabla\cdot(a\nabla u) = \beta` on :math:`(0,1)^2`, ``u = 0`` on
    the boundary.

    The input is the coefficient ``a`` (``high`` / ``low`` per cell, :class:`ThresholdedBumps`), the output
    ``u``; ``beta`` is the constant source (PDEBench: 0.01, 0.1, 1, 10, 100; ``u`` is linear in it). Solved
    by :mod:`refsim.solvers.elliptic` (cell-centred two-point-flux finite volumes, harmonic faces). No
    closed form is known for a random coefficient; the layered case with an exact piecewise-quadratic
    solution is checked in the solver's tests. Stores of it (recipe ``pdebench-darcy``) hold the discrete
    model's solution on the stored grid (truth ``fv-model``) with its estimated distance from the PDE
    (:mod:`refsim.pipeline.solve_steady`).
    """

    name = "darcy"
    title = "Steady Darcy flow (PDEBench)"
    pde = "-div(a(x) grad u) = beta on (0,1)^2, u = 0 on the boundary"
    parameters = (Parameter("beta", "β", "constant source (forcing) term", default=1.0, minimum=0.0,
                            exclusive_minimum=True),)
    references = ("Takamoto et al., PDEBench, NeurIPS 2022 Datasets and Benchmarks, arXiv:2210.07182",)
    input_field = "a"
    coefficient_families = COEFFICIENT_FAMILIES

    def source(self) -> float:
        return self.beta
