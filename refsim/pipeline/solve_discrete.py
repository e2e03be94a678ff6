"""Solve one partition of a ``truth: dvdm-model`` build: the discrete variational-derivative model itself.

The data are exact samples (up to the estimate below) of a DVDM scheme (``refsim.solvers.dvdm``) on
exactly ``domain.points`` points with the step ``solver.time_step``: the discrete model that DGNet-style
discrete-gradient learning assumes, *model-consistent, not PDE-converged*. Nothing is refined: the
grid and the step are the model.

Error of a stored frame against the exact discrete model (``error_time``, and ``error_estimate`` with
the storage rounding). Every step is solved by Newton's method to the round-off floor, so the computed
sequence is the model's exact solution perturbed at step n by a defect of relative size ``r_n`` (the
final Newton residual, stored). The estimate adds two measurements of the effect of those defects:

* ``sum_{n <= frame} r_n``: the defects themselves, unamplified (a bound when the model's flow does not
  amplify perturbations, as for the conservative and dissipative schemes here over these horizons);
* ``max_x |U - U_twin| / max_x |U_twin|``, where the twin solves the same model from the same initial
  values with Newton started elsewhere (``U^n`` instead of ``2 U^n - U^{n-1}``): a second realisation of
  the same round-off and residual defects, propagated by the model's own dynamics, so any amplification
  shows in the difference.

The exact model solution is within the spread of such realisations; the re-solve of ``refsim verify``
(a third Newton path, from explicit Euler guesses) checks that the estimate covers it.

For information only, ``error_space`` holds the distance of the model from the PDE: the frames compared
with a PDE-converged pseudo-spectral solve (tolerance ``PDE_TOLERANCE``) of the same equation from the
trigonometric interpolant of the same initial grid values (NaN where that solve cannot be certified).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..generators.initial_conditions import GridSamples
from ..solvers import gates
from ..solvers.dvdm import SCHEMES, DvdmScheme, integrate
from ..solvers.verification import (
    ACCEPTED,
    GATE_FAILED,
    INVARIANT_VIOLATED,
    NONFINITE,
    OVER_BUDGET,
    ROUNDING,
    STATUS_MEANINGS,
    Resolution,
    TrajectoryProblem,
    Verifier,
    relative_difference,
    spectral_tail,
)
from .solve import PartitionResult, draw, invariant_drift
from .spec import BuildSpec

# The model's distance from the PDE is O(dx^2), >= 1e-3 on DGNet's 50-point grids: a reference certified to 1e-5
# gives it to 1% there, at about 0.5 s per trajectory (1e-6 costs 3-5 times more).
PDE_TOLERANCE = 1e-5
NEWTON_LIMIT = 1e-12  # relative residual a step must reach to count as solved (as for the implicit ODE methods)
MODEL_NOTE = ("the data are exact samples of the discrete variational-derivative model on domain.points with "
              "solver.time_step; model-consistent, not PDE-converged")


def scheme_for(spec: BuildSpec, equation) -> DvdmScheme:
    return SCHEMES[spec.equation](spec.points, spec.length, **equation.params)


def run_model(spec: BuildSpec, equation, initial: np.ndarray, guess: str):
    """The model from initial grid values (B, M): field frames (B, F, M) and the run's Newton record."""
    scheme = scheme_for(spec, equation)
    steps = spec.start_steps_per_frame  # the model's steps per frame (solver.time_step divides the interval)
    run = integrate(scheme, scheme.to_state(initial), spec.frame_interval / steps, steps, spec.frames, guess)
    return scheme.to_field(run.frames), run


def resolve_discrete(spec: BuildSpec, index: int) -> np.ndarray:
    """Trajectory ``index`` solved again from the recipe by a third Newton path (for ``refsim verify``)."""
    equation, ic = draw(spec, index)
    return run_model(spec, equation, spec.grid.sample(ic)[None], "euler")[0][0]


def discrete_invariants(spec: BuildSpec):
    return scheme_for(spec, draw(spec, 0)[0]).invariants()


def _interpolant(values: np.ndarray, spec: BuildSpec):
    """Trigonometric interpolant of grid values (real and imaginary parts apart)."""
    real = GridSamples(values.real, spec.length, spec.origin)
    if not np.iscomplexobj(values):
        return real
    imag = GridSamples(values.imag, spec.length, spec.origin)
    return lambda x: real(x) + 1j * imag(x)


def pde_distance(spec: BuildSpec, equations: list, frames: np.ndarray) -> tuple[np.ndarray, int]:
    """Relative distance per frame (B, F) of model frames from the certified PDE solution of the same
    initial values; NaN for a trajectory whose PDE solve cannot be certified. Also returns the work."""
    verifier = Verifier(spec.grid, spec.frame_interval, spec.frames, PDE_TOLERANCE, "etdrk4", "float64", spec.budget)
    problems = [TrajectoryProblem(eq.terms, _interpolant(f[0], spec)) for eq, f in zip(equations, frames)]
    out = np.full(frames.shape[:2], np.nan)
    # the interpolant's own top modes steepen (KdV) or sharpen (Cahn-Hilliard): start on a grid twice as fine
    for row, r in enumerate(verifier.certify(problems, Resolution(2 * spec.points, 2))):
        if r.status == ACCEPTED:
            out[row] = relative_difference(frames[row], r.frames)
    return out, verifier.work


def _verdict(spec: BuildSpec, equation, scheme, frames, estimate, residual, residual_sum, drift):
    """Status, reason and last trusted frame of one trajectory."""
    bad = np.flatnonzero(~np.isfinite(frames.reshape(spec.frames, -1)).all(axis=-1))
    if bad.size or not np.isfinite(estimate).all():
        when = f"frame {bad[0]}" if bad.size else "its error estimate"
        return NONFINITE, f"non-finite values at {when} (a blow-up of the discrete model, or a failed Newton solve)", -1
    if residual.max() > NEWTON_LIMIT:
        frame = int(np.argmax(residual))
        return GATE_FAILED, (f"Newton did not converge: relative residual {residual.max():.1e} before frame {frame} "
                             f"(limit {NEWTON_LIMIT:.0e})"), -1
    problems = [gates.duplicate_frames(frames) if spec.gates.get("duplicate_frames", True) else None,
                gates.constant_frames(frames) if spec.gates.get("constant_frames", True) else None,
                gates.admissible_range(frames, equation.admissible_range(frames[0]))
                if spec.gates.get("admissible_range", True) else None]
    problems = [p for p in problems if p]
    if problems:
        return GATE_FAILED, "; ".join(problems), -1
    steps = spec.start_steps_per_frame * (spec.frames - 1)
    for inv in scheme.invariants():
        if not inv.exact:
            continue  # converges to the PDE's value at second order but is not the model's: monitored only
        # exact up to round-off and the Newton defects (the invariant's gradient times the residual)
        allowance = 64 * np.finfo(float).eps * np.sqrt(steps) + inv.degree * residual_sum
        change = np.abs(drift[inv.name]) if inv.kind == "conserved" else np.diff(drift[inv.name], prepend=0.0)
        if (change > allowance).any():
            i = int(np.argmax(change - allowance))
            return INVARIANT_VIOLATED, (f"{inv.kind} invariant {inv.name} of the scheme changed by "
                                        f"{drift[inv.name][i]:.2e} at frame {i} (allowed {allowance[i]:.1e})"), -1
    within = np.cumprod(estimate <= spec.tolerance).astype(bool)
    horizon = int(within.sum()) - 1
    if horizon == spec.frames - 1:
        return ACCEPTED, "", horizon
    reason = (f"model-error estimate {estimate.max():.2e} above tolerance {spec.tolerance:.1e} (the Newton solves "
              "are at round-off: a fixed discrete model has no finer setting)")
    if spec.horizon == "flag" and horizon >= 1:
        return ACCEPTED, f"trust horizon at frame {horizon}: {reason}", horizon
    return OVER_BUDGET, reason, -1


def solve_discrete_partition(spec: BuildSpec, partition: int) -> PartitionResult:
    start, stop = spec.partition_bounds(partition)
    draws = [draw(spec, i) for i in range(start, stop)]
    count, num_frames = stop - start, spec.frames
    initial = np.array([spec.grid.sample(ic) for _, ic in draws])
    frames = np.empty((count, num_frames, spec.points), dtype=initial.dtype)
    twin = np.empty_like(frames)
    residual, residual_sum = np.empty((count, num_frames)), np.empty((count, num_frames))
    batches = defaultdict(list)  # one batch per parameter set (rows are independent, so this is only speed)
    for row, (eq, _) in enumerate(draws):
        batches[tuple(sorted(eq.params.items()))].append(row)
    for rows in batches.values():
        frames[rows], run = run_model(spec, draws[rows[0]][0], initial[rows], "extrapolate")
        twin[rows] = run_model(spec, draws[rows[0]][0], initial[rows], "previous")[0]
        residual[rows], residual_sum[rows] = run.residual, run.residual_sum
    with np.errstate(all="ignore"):
        model_error = relative_difference(frames, twin) + residual_sum
    estimate = model_error + ROUNDING[spec.dtype]

    scheme = scheme_for(spec, draws[0][0])
    names = [inv.name for inv in scheme.invariants()]
    values = {name: np.full((count, num_frames), np.nan) for name in names}
    drift = {name: np.full((count, num_frames), np.nan) for name in names}
    status, reasons, horizon = np.zeros(count, dtype=np.int8), [""] * count, np.full(count, -1)
    for row, (eq, _) in enumerate(draws):
        scheme_row = scheme_for(spec, eq)
        with np.errstate(all="ignore"):
            for inv in scheme_row.invariants():
                values[inv.name][row] = inv.evaluate(frames[row])
                scale = spec.length * np.abs(frames[row, 0]).max() ** inv.degree
                drift[inv.name][row] = invariant_drift(values[inv.name][row], scale)
        status[row], reasons[row], horizon[row] = _verdict(spec, eq, scheme_row, frames[row], estimate[row],
                                                           residual[row], residual_sum[row],
                                                           {k: v[row] for k, v in drift.items()})
        if status[row] != ACCEPTED:
            frames[row] = np.nan
            for name in names:
                values[name][row] = drift[name][row] = np.nan
    good = np.flatnonzero(status == ACCEPTED)
    distance = np.full((count, num_frames), np.nan)
    distance[good], pde_work = pde_distance(spec, [draws[i][0] for i in good], frames[good])

    times = np.linspace(0.0, spec.end_time, num_frames)
    degree = draws[0][0].terms(spec.grid).degree
    with np.errstate(all="ignore"):
        tail = spectral_tail(frames, spec.grid, degree)
    steps = spec.start_steps_per_frame
    arrays: dict[str, np.ndarray] = {
        **spec.split_fields(frames.astype(spec.field_dtype)),
        "error_estimate": estimate,
        "error_time": model_error,
        "error_space": distance,
        "spectral_tail": tail,
        "observed_order": np.full(count, np.nan),
        "status": status,
        "internal_points": np.full(count, spec.points, dtype=np.int32),
        "steps_per_frame": np.full(count, steps, dtype=np.int32),
        "seed": np.full(count, spec.seed, dtype=np.int64),
        "trust_horizon": np.where(horizon >= 0, times[np.maximum(horizon, 0)], np.nan),
        "trusted": np.arange(num_frames)[None, :] <= horizon[:, None],
        "error_bound": np.array([estimate[i, : h + 1].max() if h >= 0 else np.nan for i, h in enumerate(horizon)]),
        "time_step": np.full(count, spec.frame_interval / steps),
        "newton_residual": residual.max(axis=1),
        "newton_residual_frame": residual,
    }
    for name in draws[0][0].params:
        arrays[name] = np.array([eq.params[name] for eq, _ in draws])
    for name in names:
        arrays[name], arrays[f"drift_{name}"] = values[name], drift[name]
    rejections = [{"sample": start + row, "seed": spec.seed, "status": STATUS_MEANINGS[int(status[row])],
                   "reason": reasons[row], "parameters": dict(eq.params)}
                  for row, (eq, _) in enumerate(draws) if status[row] != ACCEPTED]
    work = 2 * count * spec.points * steps * (num_frames - 1) + pde_work
    return PartitionResult(partition, start, stop, arrays, rejections, work)


def discrete_layout(spec: BuildSpec, layout: dict) -> dict:
    """The entries of a PDE layout that differ for a dvdm-model store."""
    per_frame = ("sample", "time")
    out = {
        "error_time": (per_frame, "float64", np.nan, {"description": (
            "estimated relative error against the exact discrete model: the Newton residuals summed over the "
            "steps so far plus the difference from a twin solve by another Newton path")}),
        "error_space": (per_frame, "float64", np.nan, {"description": (
            f"distance of the discrete model from the PDE: from a pseudo-spectral solve certified to "
            f"{PDE_TOLERANCE:g} from the trigonometric interpolant of the same initial values (NaN where that "
            "solve could not be certified); information only, not part of error_estimate")}),
        "observed_order": (("sample",), "float64", np.nan,
                           {"description": "NaN: the time step is part of the model, not an error to converge"}),
        "newton_residual": (("sample",), "float64", np.nan,
                            {"description": "largest final relative Newton residual over all steps"}),
        "newton_residual_frame": (per_frame, "float64", np.nan, {"description": (
            "largest final relative Newton residual of the steps ending at each frame (0 at frame 0); relative "
            "to max|U^n| (1 + dt ||A||), A the linear part of the scheme's right-hand side")}),
    }
    for inv in discrete_invariants(spec):
        dims, dtype, fill, attrs = layout[inv.name]
        kept = "kept exactly by the scheme" if inv.exact else "not kept by the scheme: monitored only"
        out[inv.name] = (dims, dtype, fill, {**attrs, "formula": inv.formula,
                                             "description": f"discrete {inv.name} per frame ({kept})"})
    return out


def discrete_solver_attrs(spec: BuildSpec) -> dict:
    scheme = scheme_for(spec, draw(spec, 0)[0])
    return {
        "method": "dvdm", "order": scheme.order,
        "description": (type(scheme).__doc__ or "").strip().splitlines()[0],
        "conserves": [inv.name for inv in scheme.invariants() if inv.exact and inv.kind == "conserved"],
        "dissipates": [inv.name for inv in scheme.invariants() if inv.exact and inv.kind == "nonincreasing"],
        "spatial": f"second-order central differences on exactly {spec.points} periodic points",
        "time_step": spec.frame_interval / spec.start_steps_per_frame,
        "nonlinear_solve": "Newton with the analytic Jacobian to the round-off floor of the relative residual",
        "verification": "twin solve by another Newton path plus the summed Newton residuals; distance to the PDE "
                        "stored as error_space",
        "references": ["Furihata, J. Comput. Phys. 156 (1999) 181, doi:10.1006/jcph.1999.6377",
                       "Furihata & Matsuo, Discrete Variational Derivative Method, CRC Press (2011)"],
        "backend": "numpy + scipy, float64",
        "truth": MODEL_NOTE,
    }
