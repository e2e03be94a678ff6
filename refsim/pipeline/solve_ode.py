"""Solve and certify one partition of an ODE build."""

from __future__ import annotations

import numpy as np

from ..generators.systems import split
from ..solvers import gates
from ..solvers.ode_verification import OdeBudget, OdeVerifier
from ..solvers.verification import ACCEPTED, GATE_FAILED, INVARIANT_VIOLATED, STATUS_MEANINGS
from .solve import PartitionResult, draw, invariant_drift
from .spec import BuildSpec


def ode_verifier(spec: BuildSpec, system) -> OdeVerifier:
    b = spec.budget
    return OdeVerifier(spec.method, system.functions(), spec.frame_interval, spec.frames, spec.tolerance,
                       spec.dtype, OdeBudget(b.max_steps_per_frame, b.max_total_steps), horizon=spec.horizon,
                       chaotic=spec.equation_class.chaotic)


def state_arrays(system, frames: np.ndarray) -> dict[str, np.ndarray]:
    """Stored variables of states ``frames`` (..., d): q, p and their exact time derivatives, or y."""
    layout = system.layout()
    rates = system.field(frames)
    if layout.kind == "canonical":
        q, p = split(frames, layout)
        dq, dp = split(rates, layout)
        return {"q": q, "p": p, "dq_dt": dq, "dp_dt": dp}
    return {"y": frames, "dy_dt": rates}


NEWTON_LIMIT = 1e-12  # relative residual an implicit step must reach to count as solved


def _check(spec, system, r, drifts) -> tuple[int, str]:
    size = float(np.abs(r.frames).max())
    if r.residual > NEWTON_LIMIT * max(size, 1.0):
        return GATE_FAILED, f"implicit solve did not converge: Newton residual {r.residual:.1e}"
    if spec.gates.get("duplicate_frames", True):
        problem = gates.duplicate_frames(r.frames)
        if problem:
            return GATE_FAILED, problem
    if spec.gates.get("admissible_range", True):
        problem = gates.admissible_range(r.frames, system.admissible_range(r.frames[0]))
        if problem:
            return GATE_FAILED, problem
    steps = int(r.setting * (spec.frames - 1)) if r.setting >= 1 else r.steps
    horizon = r.trust_horizon_index + 1
    for inv in system.invariants():
        if inv.kind not in ("conserved", "nonincreasing"):
            continue
        degree = inv.degree or 2  # energies of non-polynomial H: treat like a quadratic invariant
        problem = gates.invariant_expectation(inv.name, inv.kind, degree, drifts[inv.name][:horizon],
                                              r.error_estimate[:horizon], steps)
        if problem:
            return INVARIANT_VIOLATED, problem
    return ACCEPTED, r.reason


def solve_ode_partition(spec: BuildSpec, partition: int) -> PartitionResult:
    start, stop = spec.partition_bounds(partition)
    draws = [draw(spec, i) for i in range(start, stop)]
    system = draws[0][0]
    y0 = np.array([ic() for _, ic in draws], dtype=float)
    params = np.array([s.params_array() for s, _ in draws], dtype=float)
    verifier = ode_verifier(spec, system)
    results = verifier.certify(y0, params)

    count, frames = stop - start, spec.frames
    invariants = system.invariants()
    values = {inv.name: np.full((count, frames), np.nan) for inv in invariants}
    drift = {inv.name: np.full((count, frames), np.nan) for inv in invariants}
    for row, (r, (sys_i, _)) in enumerate(zip(results, draws)):
        if r.status != ACCEPTED:
            continue
        size = float(np.abs(r.frames[0]).max())
        for inv in sys_i.invariants():
            values[inv.name][row] = inv.evaluate(r.frames, sys_i)
            # an invariant that starts at 0 (a Lenz component, a centred momentum) is measured
            # against the size of the state to its degree
            drift[inv.name][row] = invariant_drift(values[inv.name][row], size ** max(inv.degree, 1))
        status, reason = _check(spec, sys_i, r, {k: v[row] for k, v in drift.items()})
        if status != ACCEPTED:
            r.status, r.reason, r.trust_horizon_index = status, reason, -1
            r.frames = np.full_like(r.frames, np.nan)
            for name in values:
                values[name][row] = drift[name][row] = np.nan

    times = np.linspace(0.0, spec.end_time, frames)
    horizon = np.array([r.trust_horizon_index for r in results])
    states = np.stack([r.frames for r in results])
    arrays = {name: v.astype(spec.dtype) for name, v in state_arrays(system, states).items()}
    if spec.observation_noise:
        # a stream of its own per trajectory, drawn after the clean data exist
        noise = np.stack([np.random.default_rng(np.random.SeedSequence([spec.seed, i, 1]))
                          .standard_normal(states.shape[1:]) for i in range(start, stop)])
        noisy = states + spec.observation_noise * noise
        arrays.update({f"{k}_noisy": v for k, v in state_arrays(system, noisy).items() if not k.startswith("d")})
    arrays.update({
        "error_estimate": np.stack([r.error_estimate for r in results]),
        "error_time": np.stack([r.error_time for r in results]),
        "observed_order": np.array([r.observed_order for r in results]),
        "status": np.array([r.status for r in results], dtype=np.int8),
        "solver_setting": np.array([r.setting for r in results], dtype=float),
        "steps": np.array([r.steps for r in results], dtype=np.int64),
        "newton_residual": np.array([r.residual for r in results]),
        "seed": np.full(count, spec.seed, dtype=np.int64),
        "trust_horizon": np.where(horizon >= 0, times[np.maximum(horizon, 0)], np.nan),
        "trusted": np.arange(frames)[None, :] <= horizon[:, None],
        "error_bound": np.array([r.error_estimate[: h + 1].max() if h >= 0 else np.nan
                                 for r, h in zip(results, horizon)]),
    })
    for name in system.params:
        arrays[name] = np.array([s.params[name] for s, _ in draws])
    for inv in invariants:
        arrays[inv.name] = values[inv.name]
        arrays[f"drift_{inv.name}"] = drift[inv.name]
    rejections = [
        {"sample": start + row, "seed": spec.seed, "status": STATUS_MEANINGS[r.status], "reason": r.reason,
         "parameters": dict(s.params)}
        for row, (r, (s, _)) in enumerate(zip(results, draws)) if r.status != ACCEPTED
    ]
    return PartitionResult(partition, start, stop, arrays, rejections, verifier.work)
