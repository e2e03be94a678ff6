"""Solve and certify one partition of a build: a pure function of (spec, partition)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..generators import ArrayFamily, trajectory_rng
from ..solvers import gates
from ..solvers.semilinear import time_derivative
from ..solvers.verification import (
    ACCEPTED,
    GATE_FAILED,
    INVARIANT_VIOLATED,
    STATUS_MEANINGS,
    VERIFICATIONS,
    Resolution,
    TrajectoryProblem,
    Verifier,
)
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


def verifier_for(spec: BuildSpec) -> Verifier:
    return Verifier(spec.grid, spec.frame_interval, spec.frames, spec.tolerance, spec.method, spec.dtype,
                    spec.budget, horizon=spec.horizon, chaotic=spec.equation_class.chaotic,
                    refine_space=spec.truth == "pde-converged", keep_twin=spec.time_derivatives)


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


def _check(spec: BuildSpec, equation, result, drifts: dict[str, np.ndarray]) -> tuple[int, str]:
    """Sanity gates and invariant expectations of one certified trajectory."""
    frames = result.frames
    problems = []
    if spec.gates.get("duplicate_frames", True):
        problems.append(gates.duplicate_frames(frames))
    if spec.gates.get("constant_frames", True):
        problems.append(gates.constant_frames(frames))
    if spec.gates.get("admissible_range", True):
        problems.append(gates.admissible_range(result.internal, equation.admissible_range(result.internal[0])))
    problems = [p for p in problems if p]
    if problems:
        return GATE_FAILED, "; ".join(problems)
    steps = result.resolution.steps_per_frame * (spec.frames - 1)
    horizon = result.trust_horizon_index + 1
    for inv in equation.invariants():
        if spec.truth != "pde-converged" and inv.degree > 1:
            continue  # the PDE's nonlinear invariants are not the semi-discrete model's: monitored only
        problem = gates.invariant_expectation(inv.name, inv.kind, inv.degree, drifts[inv.name][:horizon],
                                              result.error_estimate[:horizon], steps)
        if problem:
            return INVARIANT_VIOLATED, problem
    return ACCEPTED, result.reason


def _time_derivative(spec: BuildSpec, result, equation) -> tuple[np.ndarray, np.ndarray]:
    """The equation's right-hand side at the stored frames, evaluated on the internal grid (where the
    solution is resolved) and sampled at the output points, and its estimated relative error per frame:
    the difference from the same evaluation on the grid-doubled run (derivatives amplify the spatial
    error, so the labels need an estimate of their own; that run has half the step with the coarse
    verification scheme, so the difference carries the frames' time error too). NaN for a rejected
    trajectory."""
    if result.status != ACCEPTED:
        return np.full_like(result.frames, np.nan), np.full(spec.frames, np.nan)
    n = result.resolution.num_points
    grid, fine = spec.grid.resized(n), spec.grid.resized(2 * n)
    rate = spec.grid.restrict(time_derivative(grid, equation.terms(grid), result.internal), n // spec.points)
    twin = spec.grid.restrict(time_derivative(fine, equation.terms(fine), result.space_twin), 2 * n // spec.points)
    flat, reference = rate.reshape(spec.frames, -1), twin.reshape(spec.frames, -1)
    scale = np.abs(reference).max(axis=-1)
    error = np.abs(flat - reference).max(axis=-1) / np.where(scale > 0, scale, 1.0)
    return rate, error


def certificate_arrays(spec: BuildSpec, results: list, point_offset: int = 0) -> dict[str, np.ndarray]:
    """The per-trajectory certificate variables of a partition, from its verified results; ``point_offset``
    is added to the stored internal grid size (``N + 1`` Chebyshev points for degree ``N``)."""
    times = np.linspace(0.0, spec.end_time, spec.frames)
    horizon = np.array([r.trust_horizon_index for r in results])
    steps = np.array([r.resolution.steps_per_frame for r in results], dtype=np.int32)
    return {
        "error_estimate": np.stack([r.error_estimate for r in results]),
        "error_time": np.stack([r.error_time for r in results]),
        "error_space": np.stack([r.error_space for r in results]),
        "spectral_tail": np.stack([r.spectral_tail for r in results]),
        "observed_order": np.array([r.observed_order for r in results]),
        "status": np.array([r.status for r in results], dtype=np.int8),
        "internal_points": np.array([r.resolution.num_points + point_offset for r in results], dtype=np.int32),
        "steps_per_frame": steps,
        "seed": np.full(len(results), spec.seed, dtype=np.int64),
        "trust_horizon": np.where(horizon >= 0, times[np.maximum(horizon, 0)], np.nan),
        "trusted": np.arange(spec.frames)[None, :] <= horizon[:, None],
        "error_bound": np.array([r.error_estimate[: h + 1].max() if h >= 0 else np.nan
                                 for r, h in zip(results, horizon)]),
        "time_step": spec.frame_interval / steps,
    }


def solve_partition(spec: BuildSpec, partition: int) -> PartitionResult:
    start, stop = spec.partition_bounds(partition)
    draws = [draw(spec, i) for i in range(start, stop)]
    verifier = verifier_for(spec)
    problems = [TrajectoryProblem(eq.terms, ic) for eq, ic in draws]
    results = verifier.certify(problems, Resolution(spec.start_points, spec.start_steps_per_frame))

    count, frames = stop - start, spec.frames
    invariants = draws[0][0].invariants()
    values = {inv.name: np.full((count, frames), np.nan) for inv in invariants}
    drift = {inv.name: np.full((count, frames), np.nan) for inv in invariants}
    for row, (r, (eq, _)) in enumerate(zip(results, draws)):
        if r.status != ACCEPTED:
            continue
        grid = spec.grid.resized(r.resolution.num_points)
        for inv in eq.invariants():
            values[inv.name][row] = inv.evaluate(r.internal, grid)
            scale = grid.volume * np.abs(r.internal[0]).max() ** inv.degree
            drift[inv.name][row] = invariant_drift(values[inv.name][row], scale)
        status, reason = _check(spec, eq, r, {k: v[row] for k, v in drift.items()})
        if status != ACCEPTED:
            r.status, r.reason, r.trust_horizon_index = status, reason, -1
            r.frames = np.full_like(r.frames, np.nan)
            for name in values:
                values[name][row] = drift[name][row] = np.nan

    fields = spec.split_fields(np.stack([r.frames for r in results]).astype(spec.field_dtype))
    if spec.time_derivatives:
        rates, errors = zip(*(_time_derivative(spec, r, eq) for r, (eq, _) in zip(results, draws)))
        fields.update({f"d{name}_dt": values for name, values in
                       spec.split_fields(np.stack(rates).astype(spec.field_dtype)).items()})
        fields["error_time_derivative"] = np.stack(errors)
    arrays: dict[str, np.ndarray] = {
        **fields,
        **certificate_arrays(spec, results),
        "verification": np.array([VERIFICATIONS.index(r.verification) for r in results], dtype=np.int8),
    }
    for name in draws[0][0].params:
        arrays[name] = np.array([eq.params[name] for eq, _ in draws])
    for inv in invariants:
        arrays[inv.name] = values[inv.name]
        arrays[f"drift_{inv.name}"] = drift[inv.name]
    rejections = [
        {"sample": start + row, "seed": spec.seed, "status": STATUS_MEANINGS[r.status], "reason": r.reason,
         "parameters": dict(eq.params)}
        for row, (r, (eq, _)) in enumerate(zip(results, draws)) if r.status != ACCEPTED
    ]
    return PartitionResult(partition, start, stop, arrays, rejections, verifier.work)
