"""Solve and certify one partition of a build: a pure function of (spec, partition)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..generators import ArrayFamily, trajectory_rng
from ..solvers.grid import FourierGrid
from ..solvers.verification import ACCEPTED, STATUS_MEANINGS, Resolution, TrajectoryProblem, Verifier
from .spec import BuildSpec


def draw(spec: BuildSpec, index: int):
    """Parameters, equation and initial condition of trajectory ``index``.

    The random stream is ``default_rng(SeedSequence([seed, index]))``: parameters
    are drawn first, in alphabetical order, then the initial condition.
    """
    rng = trajectory_rng(spec.seed, index)
    drawn = {name: spec.parameters[name].draw(rng) for name in sorted(spec.parameters)}
    equation = spec.equation_class(**drawn)
    family = spec.initial_condition
    if isinstance(family, ArrayFamily):
        ic = family.sample_index(index, spec.length, spec.origin)
    else:
        ic = family.sample(rng, equation, spec.length, spec.origin)
    return equation, ic


@dataclass
class PartitionResult:
    partition: int
    start: int
    stop: int
    arrays: dict[str, np.ndarray]
    rejections: list[dict] = field(default_factory=list)
    work: int = 0


def invariant_drift(values: np.ndarray, scale: float) -> np.ndarray:
    """Relative change from the first frame, against ``max(|I(0)|, scale)``."""
    return (values - values[0]) / max(abs(values[0]), scale, np.finfo(float).tiny)


def solve_partition(spec: BuildSpec, partition: int) -> PartitionResult:
    start, stop = spec.partition_bounds(partition)
    draws = [draw(spec, i) for i in range(start, stop)]
    verifier = Verifier(spec.grid, spec.frame_interval, spec.frames, spec.tolerance, spec.method,
                        spec.dtype, spec.budget)
    problems = [TrajectoryProblem(eq.terms, ic) for eq, ic in draws]
    results = verifier.certify(problems, Resolution(spec.start_points, spec.start_steps_per_frame))

    count, frames = stop - start, spec.frames
    invariants = draws[0][0].invariants()
    arrays: dict[str, np.ndarray] = {
        "u": np.stack([r.frames for r in results]).astype(spec.dtype),
        "error_estimate": np.stack([r.error_estimate for r in results]),
        "error_time": np.stack([r.error_time for r in results]),
        "error_space": np.stack([r.error_space for r in results]),
        "status": np.array([r.status for r in results], dtype=np.int8),
        "internal_points": np.array([r.resolution.num_points for r in results], dtype=np.int32),
        "steps_per_frame": np.array([r.resolution.steps_per_frame for r in results], dtype=np.int32),
        "seed": np.full(count, spec.seed, dtype=np.int64),
    }
    arrays["time_step"] = spec.frame_interval / arrays["steps_per_frame"]
    for name in draws[0][0].params:
        arrays[name] = np.array([eq.params[name] for eq, _ in draws])
    for inv in invariants:
        values = np.full((count, frames), np.nan)
        drift = np.full((count, frames), np.nan)
        for row, (r, (eq, _)) in enumerate(zip(results, draws)):
            if r.status != ACCEPTED:
                continue
            grid = FourierGrid(r.resolution.num_points, spec.length, spec.origin)
            inv_eq = {i.name: i for i in eq.invariants()}[inv.name]
            values[row] = inv_eq.evaluate(r.internal, grid)
            scale = spec.length * np.abs(r.internal[0]).max() ** inv.degree
            drift[row] = invariant_drift(values[row], scale)
        arrays[inv.name] = values
        arrays[f"drift_{inv.name}"] = drift
    rejections = [
        {"sample": start + row, "seed": spec.seed, "status": STATUS_MEANINGS[r.status], "reason": r.reason,
         "parameters": dict(eq.params)}
        for row, (r, (eq, _)) in enumerate(zip(results, draws)) if r.status != ACCEPTED
    ]
    return PartitionResult(partition, start, stop, arrays, rejections, verifier.work)
