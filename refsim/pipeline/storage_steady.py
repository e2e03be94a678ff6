"""The stored layout, attributes and certificate summary of a steady version (``kind == "steady"``).

Dims ``(sample, y, x)``; ``y`` and ``x`` are the true cell centres ``(i + 1/2) / points`` of the unit
square. Per sample: the input coefficient ``a`` and the solution ``u`` (float64), the equation's
parameters (``beta``), ``error_estimate`` (relative distance from the PDE, checked against the tolerance),
its pointwise absolute form ``pde_distance``, the solve's ``relative_residual`` and ``backward_error``,
``observed_order``, ``status`` and ``seed``. :mod:`refsim.pipeline.storage` dispatches here; the
repository, branches, partition commits, manifest and tags are the shared ones.
"""

from __future__ import annotations

import json

import numpy as np

from ..solvers.verification import ROUNDING, STATUS_MEANINGS
from .layout import package_versions, provenance_attrs, write_variables
from .solve_steady import steady_solver_attrs
from .spec_steady import TRUTH_NOTE, SteadySpec, draw_steady


def steady_layout(spec: SteadySpec) -> dict[str, tuple[tuple[str, ...], str, object, dict]]:
    equation, _ = draw_steady(spec, 0)
    field_dims = ("sample", "y", "x")
    input_field, output_field = spec.fields
    out = {
        input_field: (field_dims, spec.dtype, np.nan, {
            "long_name": input_field, "description": f"input: the coefficient {input_field} at the cell centres "
            f"(constant per cell) in {equation.pde}", "role": "input"}),
        output_field: (field_dims, spec.dtype, np.nan, {
            "long_name": output_field, "description": f"output: the finite-volume solution at the cell centres "
            f"of {equation.pde} (truth fv-model)", "role": "output"}),
        "error_estimate": (("sample",), "float64", np.nan, {"description": (
            "estimated relative distance max|u - u_PDE| / max|u| of the stored finite-volume solution from the "
            "PDE's solution at the cell centres (Richardson over 1x/2x/4x refinement) plus the storage rounding; "
            "checked against the tolerance")}),
        "pde_distance": (field_dims, "float64", np.nan, {"description": (
            "estimated |u - u_PDE| per cell centre (absolute); error_estimate is its maximum over max|u|")}),
        "relative_residual": (("sample",), "float64", np.nan, {"description": (
            "||b - A u||_2 / ||b||_2 of the stored solve (grows like the condition number, ~1e-12 at 128^2)")}),
        "backward_error": (("sample",), "float64", np.nan, {"description": (
            "||b - A u||_inf / (||A||_inf ||u||_inf + ||b||_inf) of the stored solve: round-off is ~1e-16")}),
        "observed_order": (("sample",), "float64", np.nan, {"description": (
            "order observed from the 1x/2x/4x solves, log2(max|u_2 - u_1| / max|u_4 - u_2|)")}),
        "status": (("sample",), "int8", None,
                   {"flag_values": list(STATUS_MEANINGS), "flag_meanings": " ".join(STATUS_MEANINGS.values())}),
        "seed": (("sample",), "int64", 0,
                 {"description": "root seed; sample i uses default_rng(SeedSequence([seed, i]))"}),
    }
    for p in equation.parameters:
        out[p.name] = (("sample",), "float64", np.nan, {"symbol": p.symbol, "description": p.description})
    return out


def steady_attrs(spec: SteadySpec) -> dict:
    equation, _ = draw_steady(spec, 0)
    return {
        **provenance_attrs(spec, equation.pde),
        "coefficient": json.dumps(spec.coefficient, sort_keys=True),
        "boundary_conditions": "u = 0 on the boundary of the unit square (homogeneous Dirichlet)",
        "grid": f"{spec.points} x {spec.points} cells on (0, 1)^2; y and x are the cell centres "
                f"(i + 1/2)/{spec.points}",
        "inputs": json.dumps([spec.fields[0], *equation.params]),
        "outputs": json.dumps([spec.fields[1]]),
        "solver": json.dumps(steady_solver_attrs(spec)),
        "tolerance": spec.tolerance,
        "storage_dtype": spec.dtype,
        "storage_rounding": ROUNDING[spec.dtype],
        "truth": spec.truth,
        "truth_description": TRUTH_NOTE,
        "packages": json.dumps(package_versions(), sort_keys=True),
    }


def write_steady_template(session, spec: SteadySpec) -> None:
    n, p = spec.samples, spec.partition_size
    sizes = {"sample": n, "y": spec.points, "x": spec.points}
    coords = {
        "sample": ("sample", np.arange(n, dtype=np.int64), {"description": "sample index"}),
        "y": ("y", spec.x, {"description": "cell centres (i + 1/2) / points"}),
        "x": ("x", spec.x, {"description": "cell centres (i + 1/2) / points"}),
    }
    write_variables(session, steady_layout(spec), sizes, coords, p, steady_attrs(spec))


def summarize_steady(group, spec: SteadySpec) -> dict:
    """The certificate summary of a complete steady build, from the stored data."""
    status = group["status"][:]
    good = status == 0
    summary = {
        "kind": spec.kind,
        "samples": int(status.size),
        "certified": int(good.sum()),
        "rejected": {meaning: int((status == code).sum()) for code, meaning in STATUS_MEANINGS.items() if code},
        "tolerance": spec.tolerance,
        "truth": spec.truth,
        "grid": [spec.points, spec.points],
        "refinement_points": [spec.points * f for f in spec.refinement],
    }
    if good.any():
        estimate = group["error_estimate"][:][good]
        summary.update({
            "error_estimate_max": float(estimate.max()),
            "error_estimate_median": float(np.median(estimate)),
            "relative_residual_max": float(group["relative_residual"][:][good].max()),
            "backward_error_max": float(group["backward_error"][:][good].max()),
            "observed_order_median": float(np.median(group["observed_order"][:][good])),
            "invariant_drift_max": {},
        })
    return summary
