"""The plain, picklable description of a build that the pipeline executes.

The schema layer validates a recipe and produces a :class:`BuildSpec`; the
pipeline needs nothing else (it never imports pydantic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..generators import EQUATIONS, ArrayFamily, Family, Sampler
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
    gates: dict[str, bool] = field(default_factory=dict)
    max_rejected: int | None = None

    @property
    def grid(self) -> FourierGrid:
        return FourierGrid(self.points, self.length, self.origin)

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
