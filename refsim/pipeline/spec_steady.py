"""The plain, picklable description of a steady build (``kind == "steady"``) and its per-sample draw.

The counterpart of :class:`refsim.pipeline.spec.BuildSpec` for steady problems on the unit square: no
time axis, no initial condition; each sample is a draw of the equation's parameters and of its input
coefficient field on ``points x points`` cells. The attributes the shared pipeline dispatches on
(``kind``, ``truth``, ``method``, ``interval``, ``name``, ``version_id``, ``max_rejected``, the partitions)
have the same names and meanings as there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..generators import EQUATIONS, Sampler, trajectory_rng
from ..solvers.elliptic import cell_centres

TRUTH = "fv-model"
TRUTH_NOTE = ("the data are the solution of the stated discrete finite-volume problem (cell-centred two-point "
              "flux, harmonic face means) on exactly domain.points x domain.points cells, solved by sparse LU to "
              "an algebraic residual at round-off (stored: relative_residual, backward_error): model-consistent, "
              "not PDE-converged. error_estimate is the estimated distance of that model from the PDE at the "
              "cell centres (Richardson over 1x/2x/4x refinement, the coefficient inherited by the child cells, so "
              "every level solves the same PDE), checked against the recipe's tolerance")


@dataclass(frozen=True)
class SteadySpec:
    """A validated steady recipe. ``coefficient`` is the input family's settings (``family`` and its fields)."""

    name: str
    equation: str
    parameters: dict[str, Sampler]
    points: int
    coefficient: dict[str, Any]
    samples: int
    seed: int
    tolerance: float
    dtype: str
    partition_size: int
    canonical: dict[str, Any] = field(repr=False)
    recipe_hash: str = ""
    version_id: str = ""
    format_version: int = 1
    max_rejected: int | None = None
    refinement: tuple[int, ...] = (1, 2, 4)
    truth: str = TRUTH
    kind: str = "steady"
    method: str = "fv-tpfa-superlu"
    interval: ClassVar[None] = None  # the shared pipeline asks; a steady problem lives on the unit square

    @property
    def equation_class(self):
        return EQUATIONS[self.equation]

    @property
    def x(self) -> np.ndarray:
        """Cell centres ``(i + 1/2) / points`` (the same along y)."""
        return cell_centres(self.points)

    @property
    def fields(self) -> tuple[str, ...]:
        """Stored fields: the input coefficient, then the solution."""
        cls = self.equation_class
        return cls.input_field, cls.variable

    @property
    def num_partitions(self) -> int:
        return -(-self.samples // self.partition_size)

    def partition_bounds(self, partition: int) -> tuple[int, int]:
        start = partition * self.partition_size
        return start, min(start + self.partition_size, self.samples)


def draw_steady(spec: SteadySpec, index: int):
    """Equation and coefficient draw of sample ``index``.

    The random stream is ``default_rng(SeedSequence([seed, index]))``: parameters are drawn first, in
    alphabetical order, then the coefficient field.
    """
    rng = trajectory_rng(spec.seed, index)
    drawn = {name: spec.parameters[name].draw(rng) for name in sorted(spec.parameters)}
    equation = spec.equation_class(**drawn)
    settings = {k: v for k, v in spec.coefficient.items() if k != "family"}
    if "width_range" in settings:
        settings["width_range"] = tuple(settings["width_range"])
    family = equation.coefficient_families[spec.coefficient["family"]]
    return equation, family.draw(rng, **settings)
