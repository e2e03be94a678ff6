"""What a store holds, before any data: the variables of a version (name, dims, dtype, fill, attributes) and
its dataset attributes (recipe, solver, provenance). :mod:`refsim.pipeline.storage` writes them."""

from __future__ import annotations

import json
from importlib import metadata as importlib_metadata

import dask.array as da
import numpy as np
import xarray as xr

from .. import __version__
from ..solvers.exponential import STEPPERS
from ..solvers.verification import ROUNDING, STATUS_MEANINGS, VERIFICATIONS
from . import solve_bounded
from .solve import draw
from .solve_discrete import discrete_layout, discrete_solver_attrs
from .spec import BuildSpec

PACKAGES = ("numpy", "scipy", "numba", "rocket-fft", "zarr", "icechunk", "xarray", "dask", "distributed")


def write_variables(session, variables: dict, sizes: dict, coords: dict, partition_size: int, attrs: dict) -> None:
    """Write a version's metadata, coordinates and empty variables (no chunks): one chunk per partition along
    ``sample``, whole along every other dim; float variables take the layout's fill, integer ones none."""
    data_vars, encoding = {}, {}
    for name, (dims, dtype, fill, var_attrs) in variables.items():
        shape = tuple(sizes[d] for d in dims)
        chunks = tuple(partition_size if d == "sample" else sizes[d] for d in dims)
        data_vars[name] = (dims, da.zeros(shape, dtype=dtype, chunks=chunks), var_attrs)
        encoding[name] = {"chunks": chunks, "_FillValue": fill if np.dtype(dtype).kind in "fc" else None}
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    ds.to_zarr(session.store, compute=False, mode="w", zarr_format=3, consolidated=False, encoding=encoding)


def provenance_attrs(spec, pde: str) -> dict:
    """What every version records of where it came from: name, format, refsim, version id, recipe, equation."""
    return {
        "title": spec.name,
        "refsim_format_version": spec.format_version,
        "refsim_version": __version__,
        "version_id": spec.version_id,
        "recipe_hash": spec.recipe_hash,
        "recipe": json.dumps(spec.canonical, sort_keys=True),
        "equation": spec.equation,
        "kind": spec.kind,
        "pde": pde,
        "parameters": json.dumps({k: v.to_spec() for k, v in spec.parameters.items()}, sort_keys=True),
    }


def package_versions() -> dict[str, str]:
    out = {"refsim": __version__}
    for name in PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def layout(spec: BuildSpec) -> dict[str, tuple[tuple[str, ...], str, object, dict]]:
    """Every data variable: dims, dtype, fill value and attributes."""
    return layout_ode(spec) if spec.kind == "ode" else layout_pde(spec)


def _certificate_variables(per_frame) -> dict:
    return {
        "error_estimate": (per_frame, "float64", np.nan,
                           {"description": "estimated relative error max|u - u_exact| / max|u_exact| of the "
                                           "stored frame: its parts plus the rounding of the stored dtype"}),
        "error_time": (per_frame, "float64", np.nan,
                       {"description": "temporal error by Richardson's extrapolation over step halvings (solver "
                                       "attribute 'verification' says which runs)"}),
        "observed_order": (("sample",), "float64", np.nan,
                           {"description": "temporal order observed from three step sizes (NaN at round-off)"}),
        "error_bound": (("sample",), "float64", np.nan,
                        {"description": "max of error_estimate over the trusted frames"}),
        "trust_horizon": (("sample",), "float64", np.nan,
                          {"description": "last time up to which every frame meets the tolerance"}),
        "trusted": (per_frame, "bool", None, {"description": "frame lies within the trust horizon"}),
        "status": (("sample",), "int8", None,
                   {"flag_values": list(STATUS_MEANINGS), "flag_meanings": " ".join(STATUS_MEANINGS.values())}),
        "seed": (("sample",), "int64", 0,
                 {"description": "root seed; trajectory i uses default_rng(SeedSequence([seed, i]))"}),
    }


def _model_variables(model, per_frame) -> dict:
    out = {}
    for p in model.parameters:
        out[p.name] = (("sample",), "float64", np.nan, {"symbol": p.symbol, "description": p.description})
    for inv in model.invariants():
        out[inv.name] = (per_frame, "float64", np.nan,
                         {"formula": inv.formula, "kind": inv.kind, "description": f"{inv.name} per frame"})
        out[f"drift_{inv.name}"] = (per_frame, "float64", np.nan,
                                    {"description": "(I(t) - I(0)) / max(|I(0)|, size of the state^degree)"})
    return out


def layout_ode(spec: BuildSpec) -> dict:
    system, _ = draw(spec, 0)
    lay = system.layout()
    per_frame = ("sample", "time")
    out = {}
    if lay.kind == "canonical":
        dims = ("sample", "time", "body", "component")
        for name, text in (("q", "canonical coordinates"), ("p", "canonical momenta"),
                           ("dq_dt", "dH/dp from the vector field"), ("dp_dt", "-dH/dq from the vector field")):
            out[name] = (dims, spec.dtype, np.nan, {"description": text})
        noisy = ("q", "p")
    else:
        dims = ("sample", "time", "component")
        out["y"] = (dims, spec.dtype, np.nan, {"description": f"state ({', '.join(lay.names)})"})
        out["dy_dt"] = (dims, spec.dtype, np.nan, {"description": "time derivative from the vector field"})
        noisy = ("y",)
    if spec.observation_noise:
        for name in noisy:
            out[f"{name}_noisy"] = (dims, spec.dtype, np.nan,
                                    {"description": f"{name} plus Gaussian noise of std {spec.observation_noise}, "
                                                    "stream SeedSequence([seed, i, 1])"})
    out.update(_certificate_variables(per_frame))
    out.update({
        "solver_setting": (("sample",), "float64", np.nan,
                           {"description": "steps per output interval (fixed-step) or rtol = atol (adaptive)"}),
        "steps": (("sample",), "int64", 0, {"description": "accepted steps of the stored run"}),
        "newton_residual": (("sample",), "float64", np.nan,
                            {"description": "largest final Newton residual (implicit methods; 0 otherwise)"}),
    })
    out.update(_model_variables(system, per_frame))
    return out


def layout_pde(spec: BuildSpec) -> dict:
    equation, _ = draw(spec, 0)
    per_frame = ("sample", "time")
    state = ("sample", "time", *spec.spatial_dims)
    out = {name: (state, spec.field_dtype, np.nan, {"long_name": name, "description": f"{name} in {equation.pde}"})
           for name in spec.fields}
    if spec.time_derivatives:
        out.update({f"d{name}_dt": (state, spec.field_dtype, np.nan, {
            "long_name": f"d{name}/dt", "description": f"time derivative of {name} from the equation's right-hand "
            "side (L u + N(u), spectral, on the internal grid) at the stored points; not a difference of frames"})
            for name in spec.fields})
        out["error_time_derivative"] = (("sample", "time"), "float64", np.nan, {
            "description": "estimated relative error of the stored time derivatives, per frame: their difference "
                           "from the same right-hand side evaluated on the grid-doubled run (not certified to the "
                           "tolerance: spatial derivatives amplify the state's error)"})
    out.update({
        "error_space": (per_frame, "float64", np.nan, {"description": (
            "spatial error: difference from a grid refined twice plus the root of that grid's spectral tail"
            if spec.truth == "pde-converged" else
            "distance of the semi-discrete model from the PDE (grid refined twice); information only, "
            "not part of error_estimate: the data are the model on the stored grid")}),
        "spectral_tail": (per_frame, "float64", np.nan, {"description": "energy fraction in the top third of the " + (
            "resolved modes" if spec.interval is None else "Chebyshev coefficients") + " (internal grid)"}),
        "internal_points": (("sample",), "int32", 0, {"description": "internal grid used for the stored run"
                            + ("" if spec.interval is None else ": Chebyshev-Gauss-Lobatto points, degree + 1")}),
        "steps_per_frame": (("sample",), "int32", 0, {"description": "time steps per output interval"}),
        "time_step": (("sample",), "float64", np.nan, {"description": "internal time step"}),
    })
    out.update(_certificate_variables(per_frame))
    if spec.interval is None and spec.truth != "dvdm-model":
        out["verification"] = (("sample",), "int8", 0, {
            "flag_values": list(range(len(VERIFICATIONS))), "flag_meanings": " ".join(VERIFICATIONS),
            "description": "which runs verified the stored resolution (refsim.solvers.verification)"})
    out.update(_model_variables(equation, per_frame))
    if spec.truth == "dvdm-model":
        out.update(discrete_layout(spec, out))
    return out


def dataset_attrs(spec: BuildSpec) -> dict:
    model, _ = draw(spec, 0)
    extra = {}
    if spec.kind == "ode":
        from ..solvers.ode import ODE_METHODS

        method = ODE_METHODS[spec.method]
        solver = {"method": spec.method, "order": method.order,
                  "description": (type(method).__doc__ or method.name).strip().splitlines()[0],
                  "conserves": list(method.conserves), "symplectic": method.symplectic,
                  "verification": "step halving with the observed order (fixed step) or a twin at rtol/256 "
                                  "(adaptive), per trajectory",
                  "backend": "numba, float64"}
    elif spec.truth == "dvdm-model":
        solver = discrete_solver_attrs(spec)
        extra["truth_description"] = solver["truth"]
    elif spec.interval is not None:
        solver = solve_bounded.solver_description(spec)
    else:
        stepper = STEPPERS[spec.method]
        solver = {
            "method": stepper.name, "order": stepper.order, "description": stepper.description,
            "conserves": list(stepper.conserves),
            "spatial": "Fourier pseudo-spectral, Orszag dealiasing, Nyquist zeroed for odd derivatives",
            "verification": ("scheme 'coarse' (refsim.solvers.verification): runs at s/2 and s/4 steps per frame "
                             "(Richardson, observed order), a twin at 2s where their order is not asymptotic or the "
                             "equation is chaotic, the refined scheme (twins at 2s and 2N) where s is not a multiple "
                             "of 4 or a coarse run is not finite; ")
                            + ("grid doubling at s/2 per trajectory" if spec.truth == "pde-converged" else
                               "on the fixed stored grid"),
            "backend": "numba + rocket-fft, float64",
        }
    return {
        **provenance_attrs(spec, model.pde),
        "boundary_conditions": _boundary_conditions(spec),
        "solver": json.dumps(solver),
        "tolerance": spec.tolerance,
        "storage_dtype": spec.dtype,
        "storage_rounding": ROUNDING[spec.dtype],
        "truth": spec.truth,
        "packages": json.dumps(package_versions(), sort_keys=True),
        **extra,
    }


def _boundary_conditions(spec: BuildSpec) -> str:
    if spec.kind == "ode":
        return "none (ODE)"
    return "periodic" if spec.interval is None else solve_bounded.describe_boundary(spec)
