"""Solve one partition of a steady build (``kind == "steady"``, truth ``fv-model``): a pure function of
(spec, partition).

What the data are. Each sample's ``u`` is the solution of the stated discrete problem: the cell-centred
two-point-flux finite-volume scheme of :mod:`refsim.solvers.elliptic` on exactly ``points x points``
cells, solved by sparse LU with iterative refinement; its algebraic residual is stored
(``relative_residual``, ``||b - A u||_2 / ||b||_2``, and the scale-free ``backward_error``) and must be at
round-off. The data are thus *model-consistent* (like ``dvdm-model``), not PDE-converged.

What the estimate is. ``error_estimate`` is the estimated relative distance of that model solution from
the PDE's solution at the same cell centres, ``max|u - u_PDE| / max|u|``, by Richardson over the base grid
refined 2x and 4x (each cell split into children that inherit its coefficient, so every level solves the
same PDE; :func:`refsim.solvers.elliptic.base_level_distance`), plus the storage rounding. It is an honest
~1e-3..1e-2 at PDEBench's 128^2 (the observed order on two-valued coefficients is ~1.35), checked against
the recipe's ``tolerance``: a sample is certified when its solve is at round-off *and* its estimated
distance from the PDE is within the tolerance. The pointwise estimate (absolute) is stored as
``pde_distance``.
"""

from __future__ import annotations

import numpy as np

from ..solvers import elliptic
from ..solvers.verification import ACCEPTED, GATE_FAILED, NONFINITE, OVER_BUDGET, ROUNDING, STATUS_MEANINGS
from .solve import PartitionResult
from .spec_steady import TRUTH_NOTE, SteadySpec, draw_steady

BACKWARD_LIMIT = 1e-14  # normwise backward error of a solve at round-off (measured 1e-16 on 128^2-512^2)


def _sample(spec: SteadySpec, index: int) -> dict:
    """Coefficient, model solution, estimates and solve record of one sample."""
    equation, draw = draw_steady(spec, index)
    coefficient = draw.coefficient(spec.points)
    result = elliptic.solve_refined(coefficient, equation.source(), spec.refinement)
    u = result.levels[0]
    distance = elliptic.base_level_distance(result)
    with np.errstate(all="ignore"):
        relative = float(distance.max() / np.abs(u).max()) + ROUNDING[spec.dtype]
    status, reason = _verdict(spec, u, relative, result.backward_errors[0])
    if status != ACCEPTED:
        u, distance = np.full_like(u, np.nan), np.full_like(distance, np.nan)
    return {"equation": equation, "a": coefficient, "u": u, "pde_distance": distance, "error_estimate": relative,
            "relative_residual": result.relative_residuals[0], "backward_error": result.backward_errors[0],
            "observed_order": result.observed_order, "status": status, "reason": reason}


def _verdict(spec: SteadySpec, u: np.ndarray, estimate: float, backward: float) -> tuple[int, str]:
    if not (np.isfinite(u).all() and np.isfinite(estimate)):
        return NONFINITE, "non-finite values in the solution or its estimate"
    if not backward <= BACKWARD_LIMIT:
        return GATE_FAILED, (f"algebraic solve not at round-off: backward error {backward:.1e} "
                             f"(limit {BACKWARD_LIMIT:.0e})")
    if estimate > spec.tolerance:
        return OVER_BUDGET, (f"estimated distance of the {spec.points}^2 finite-volume model from the PDE "
                             f"{estimate:.2e} above tolerance {spec.tolerance:.1e} (the grid is the model: "
                             "raise domain.points or the tolerance)")
    return ACCEPTED, ""


def solve_steady_partition(spec: SteadySpec, partition: int) -> PartitionResult:
    start, stop = spec.partition_bounds(partition)
    samples = [_sample(spec, i) for i in range(start, stop)]
    input_field, output_field = spec.fields
    arrays: dict[str, np.ndarray] = {
        input_field: np.stack([s["a"] for s in samples]).astype(spec.dtype),
        output_field: np.stack([s["u"] for s in samples]).astype(spec.dtype),
        "pde_distance": np.stack([s["pde_distance"] for s in samples]),
        "seed": np.full(stop - start, spec.seed, dtype=np.int64),
        "status": np.array([s["status"] for s in samples], dtype=np.int8),
    }
    for key in ("error_estimate", "relative_residual", "backward_error", "observed_order"):
        arrays[key] = np.array([s[key] for s in samples], dtype=float)
    for name in samples[0]["equation"].params:
        arrays[name] = np.array([s["equation"].params[name] for s in samples])
    rejections = [{"sample": start + row, "seed": spec.seed, "status": STATUS_MEANINGS[s["status"]],
                   "reason": s["reason"], "parameters": dict(s["equation"].params)}
                  for row, s in enumerate(samples) if s["status"] != ACCEPTED]
    work = (stop - start) * spec.points**2 * sum(f * f for f in spec.refinement)  # unknowns solved for
    return PartitionResult(partition, start, stop, arrays, rejections, work)


def resolve_steady(spec: SteadySpec, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``index`` solved again from the recipe, for ``refsim verify``: its coefficient, the model by
    another factorisation (COLAMD ordering instead of minimum degree on ``A + A^T``), and the 2x-refined
    solve at the base centres."""
    equation, draw = draw_steady(spec, index)
    coefficient = draw.coefficient(spec.points)
    model = elliptic.solve(coefficient, equation.source(), ordering="COLAMD").values
    fine = elliptic.solve(elliptic.refine_coefficient(coefficient, 2), equation.source()).values
    return coefficient, model, elliptic.restrict_to_centres(fine, 2)


def steady_solver_attrs(spec: SteadySpec) -> dict:
    finest = spec.points * spec.refinement[-1]
    return {
        "method": spec.method, "order": 2,
        "description": "cell-centred finite volumes, two-point flux with harmonic face means, Dirichlet faces "
                       "at half-cell distance; source sampled at the centres",
        "linear_solve": "SuperLU (minimum degree on A + A^T) with two steps of iterative refinement",
        "verification": f"algebraic residual per sample; distance from the PDE by Richardson over "
                        f"{'/'.join(f'{f}x' for f in spec.refinement)} refinement (up to {finest}^2 cells), "
                        "coefficient inherited by child cells, observed order clamped to [0.5, 1] for the tail",
        "references": ["Patankar, Numerical Heat Transfer and Fluid Flow (1980), 4.2-3",
                       "Eymard, Gallouet, Herbin, Finite Volume Methods (2000), doi:10.1016/S1570-8659(00)07005-8",
                       "Roache, J. Fluids Eng. 116 (1994) 405, doi:10.1115/1.2910291"],
        "backend": "numpy + scipy, float64",
        "truth": TRUTH_NOTE,
    }
