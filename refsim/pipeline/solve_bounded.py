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
from .solve import PartitionResult, certificate_arrays, draw
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

    arrays: dict[str, np.ndarray] = {
        **spec.split_fields(np.stack([r.frames for r in results]).astype(spec.field_dtype)),
        **certificate_arrays(spec, results, point_offset=1),
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
