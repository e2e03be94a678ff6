"""The plain, picklable description of a build that the pipeline executes.

The schema layer validates a recipe and produces a :class:`BuildSpec`; the
pipeline needs nothing else (it never imports pydantic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..generators import EQUATIONS, ArrayFamily, Family, Sampler
from ..solvers.chebyshev import UniformPoints
from ..solvers.grid import FourierGrid
from ..solvers.verification import Budget


@dataclass(frozen=True)
class BuildSpec:
    name: str
    equation: str
    parameters: dict[str, Sampler]
    length: float | None
    points: int | None
    origin: float | None
    end_time: float
    frames: int
    initial_condition: Family | ArrayFamily
    samples: int
    seed: int
    tolerance: float
    dtype: str
    partition_size: int
    method: str
    start_points: int
    start_steps_per_frame: int
    budget: Budget
    canonical: dict[str, Any] = field(repr=False)
    recipe_hash: str = ""
    version_id: str = ""
    format_version: int = 1
    truth: str = "pde-converged"
    horizon: str = "refuse"
    kind: str = "pde"
    observation_noise: float = 0.0
    time_derivatives: bool = False
    gates: dict[str, bool] = field(default_factory=dict)
    max_rejected: int | None = None
    # a PDE on an interval [a, b] (kind stays "pde": the stored layout is the same); boundary is the recipe's
    # {"left": {"dirichlet" | "neumann": value}, "right": {...}}
    interval: tuple[float, float] | None = None
    boundary: dict[str, dict[str, float]] | None = None

    @property
    def grid(self) -> FourierGrid | UniformPoints:
        """The stored points: the periodic grid, or uniform points including both ends of an interval."""
        if self.interval is not None:
            return UniformPoints(self.points, *self.interval)
        cls = getattr(self.equation_class, "grid_class", lambda: FourierGrid)()
        return cls(self.points, self.length, self.origin)

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the stored state variables of a PDE, as in its equation."""
        cls = self.equation_class
        return tuple(getattr(cls, "fields", (cls.variable,)))

    @property
    def spatial_dims(self) -> tuple[str, ...]:
        return ("y", "x") if self.grid.dimension == 2 else ("x",)

    @property
    def complex_valued(self) -> bool:
        return bool(getattr(self.equation_class, "complex_valued", False))

    @property
    def field_dtype(self) -> str:
        """Storage dtype of the state variables (complex fields keep their precision)."""
        if self.complex_valued:
            return "complex128" if self.dtype == "float64" else "complex64"
        return self.dtype

    def split_fields(self, frames):
        """Solver frames (..., T, *state) -> {field: (..., T, *spatial)}."""
        names = self.fields
        if len(names) == 1:
            return {names[0]: frames}
        axis = frames.ndim - self.grid.dimension - 1
        return {name: frames.take(i, axis=axis) for i, name in enumerate(names)}

    def join_fields(self, parts):
        """Inverse of :meth:`split_fields` for arrays in field order."""
        import numpy as np

        parts = list(parts)
        if len(parts) == 1:
            return parts[0]
        return np.stack(parts, axis=parts[0].ndim - self.grid.dimension)

    @property
    def frame_interval(self) -> float:
        return self.end_time / (self.frames - 1)

    @property
    def equation_class(self):
        return EQUATIONS[self.equation]

    @property
    def num_partitions(self) -> int:
        return -(-self.samples // self.partition_size)

    def partition_bounds(self, partition: int) -> tuple[int, int]:
        start = partition * self.partition_size
        return start, min(start + self.partition_size, self.samples)
