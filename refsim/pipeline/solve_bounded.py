"""Solve and certify one partition of a build on an interval: a pure function of (spec, partition).

The counterpart of :func:`refsim.pipeline.solve.solve_partition` for equations of kind ``ibvp``: the same
stored variables (fields at the stored points, ``error_estimate`` and its parts, ``spectral_tail``,
``observed_order``, ``status``, ``internal_points``, ``steps_per_frame``, ...), computed by the Chebyshev
verifier (:mod:`refsim.solvers.chebyshev_verification`). ``internal_points`` is the number of
Chebyshev-Gauss-Lobatto points, degree + 1.
"""

from __future__ import annotations

import numpy as np

from ..solvers import gates
from ..solvers.chebyshev import BoundaryCondition
from ..solvers.chebyshev_etdrk4 import INTERVAL_STEPPERS
from ..solvers.chebyshev_verification import IntervalProblem, IntervalVerifier
from ..solvers.verification import ACCEPTED, GATE_FAILED, STATUS_MEANINGS, Resolution
from .solve import PartitionResult, draw
from .spec import BuildSpec


def boundary_conditions(spec: BuildSpec) -> tuple[BoundaryCondition, BoundaryCondition]:
    """The recipe's (left, right) conditions, each ``{kind: value}``."""
    return tuple(BoundaryCondition(*next(iter(spec.boundary[side].items()))) for side in ("left", "right"))


def describe_boundary(spec: BuildSpec) -> str:
    left, right = boundary_conditions(spec)
    return f"{left.describe(spec.interval[0])}; {right.describe(spec.interval[1])}"


def solver_description(spec: BuildSpec) -> dict:
    stepper = INTERVAL_STEPPERS[spec.method]
    return {
        "method": stepper.name, "order": stepper.order, "description": stepper.description, "conserves": ["linear"],
        "spatial": "Chebyshev-Gauss-Lobatto collocation, boundary rows eliminated; stored values are the "
                   "barycentric interpolant at uniform points including both ends",
        "verification": "step halving (Richardson, observed order) and degree doubling per trajectory",
        "backend": "numba + BLAS (dense matrices), float64",
    }


def interval_verifier(spec: BuildSpec) -> IntervalVerifier:
    return IntervalVerifier(spec.grid, spec.frame_interval, spec.frames, spec.tolerance, spec.method, spec.dtype,
                            spec.budget, horizon=spec.horizon, chaotic=spec.equation_class.chaotic)


def _problem(spec: BuildSpec, equation, ic) -> IntervalProblem:
    return IntervalProblem(equation.terms(), *boundary_conditions(spec), ic)


def _gates(spec: BuildSpec, equation, result) -> str | None:
    problems = []
    if spec.gates.get("duplicate_frames", True):
        problems.append(gates.duplicate_frames(result.frames))
    if spec.gates.get("constant_frames", True):
        problems.append(gates.constant_frames(result.frames))
    if spec.gates.get("admissible_range", True):
        bounds = equation.admissible_range(result.internal[0], *boundary_conditions(spec))
        problems.append(gates.admissible_range(result.internal, bounds))
    return "; ".join(p for p in problems if p) or None


def solve_bounded_partition(spec: BuildSpec, partition: int) -> PartitionResult:
    start, stop = spec.partition_bounds(partition)
    draws = [draw(spec, i) for i in range(start, stop)]
    verifier = interval_verifier(spec)
    results = verifier.certify([_problem(spec, eq, ic) for eq, ic in draws],
                               Resolution(spec.start_points, spec.start_steps_per_frame))
    for r, (eq, _) in zip(results, draws):
        problem = _gates(spec, eq, r) if r.status == ACCEPTED else None
        if problem:
            r.status, r.reason, r.trust_horizon_index = GATE_FAILED, problem, -1
            r.frames = np.full_like(r.frames, np.nan)

    times = np.linspace(0.0, spec.end_time, spec.frames)
    horizon = np.array([r.trust_horizon_index for r in results])
    steps = np.array([r.resolution.steps_per_frame for r in results], dtype=np.int32)
    arrays: dict[str, np.ndarray] = {
        **spec.split_fields(np.stack([r.frames for r in results]).astype(spec.field_dtype)),
        "error_estimate": np.stack([r.error_estimate for r in results]),
        "error_time": np.stack([r.error_time for r in results]),
        "error_space": np.stack([r.error_space for r in results]),
        "spectral_tail": np.stack([r.spectral_tail for r in results]),
        "observed_order": np.array([r.observed_order for r in results]),
        "status": np.array([r.status for r in results], dtype=np.int8),
        "internal_points": np.array([r.resolution.num_points + 1 for r in results], dtype=np.int32),
        "steps_per_frame": steps,
        "seed": np.full(stop - start, spec.seed, dtype=np.int64),
        "trust_horizon": np.where(horizon >= 0, times[np.maximum(horizon, 0)], np.nan),
        "trusted": np.arange(spec.frames)[None, :] <= horizon[:, None],
        "error_bound": np.array([r.error_estimate[: h + 1].max() if h >= 0 else np.nan
                                 for r, h in zip(results, horizon)]),
        "time_step": spec.frame_interval / steps,
    }
    for name in draws[0][0].params:
        arrays[name] = np.array([eq.params[name] for eq, _ in draws])
    rejections = [
        {"sample": start + row, "seed": spec.seed, "status": STATUS_MEANINGS[r.status], "reason": r.reason,
         "parameters": dict(eq.params)}
        for row, (r, (eq, _)) in enumerate(zip(results, draws)) if r.status != ACCEPTED
    ]
    return PartitionResult(partition, start, stop, arrays, rejections, verifier.work)


def tighter_run(spec: BuildSpec, index: int, points: int, steps_per_frame: int) -> tuple[np.ndarray, dict]:
    """Trajectory ``index`` re-solved at twice the stored degree and four times the steps (``points`` is the
    stored ``internal_points``, degree + 1), at the stored points: ``refsim verify``'s independent run."""
    equation, ic = draw(spec, index)
    verifier = interval_verifier(spec)
    tight = Resolution(2 * (points - 1), 4 * steps_per_frame)
    frames = verifier._run([_problem(spec, equation, ic)], tight.num_points, tight.steps_per_frame)[0]
    return frames @ verifier.interpolation(tight.num_points).T, tight.__dict__
