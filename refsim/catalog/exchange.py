"""Other projects' HDF5 layouts: PDEBench and The Well, written from a refsim version and read for audits.

PDEBench (1D files of its advection, Burgers and reaction-diffusion sets): datasets
``tensor`` (samples, time, x), ``x-coordinate`` and ``t-coordinate``, and its
parameters as root attributes named as PDEBench names them (``beta``, ``Nu``,
``rho``), in PDEBench's conventions (below). The Well: the specification in its
``docs/data_format.md`` (root attributes, ``dimensions``, ``boundary_conditions``,
``scalars``, ``t0_fields`` ...). refsim's certificate and provenance travel along as
extra attributes (``refsim_*``) and an extra ``refsim`` group, which neither
project's loaders read, so their training code runs unchanged.

Conventions that differ are stated, never guessed: refsim writes one time entry
per stored frame (PDEBench's own files carry one more, trailing), the exact grid
points (PDEBench's are cell centres; both are uniform and periodic), and float64
unless float32 is asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from .plots import state_fields

# refsim equation -> PDEBench attribute -> (refsim parameter, factor: PDEBench value = factor * refsim value)
PDEBENCH_PARAMETERS = {
    "advection": {"beta": ("c", 1.0)},  # u_t + beta u_x = 0
    "burgers": {"Nu": ("nu", np.pi)},  # u_t + (u^2/2)_x = (Nu/pi) u_xx
    "fisher_kpp": {"Nu": ("nu", 1.0), "rho": ("rho", 1.0)},  # u_t = Nu u_xx + rho u (1 - u)
}
FORMATS = ("pdebench", "the-well")


class ExchangeError(ValueError):
    """A store or file that does not fit the layout asked for; the message says why."""


def _fixed_parameters(ds) -> dict[str, float]:
    """Parameters with one value for every trajectory (the others are per-sample variables)."""
    out = {}
    for name in json.loads(ds.attrs.get("parameters", "{}")):
        if name in ds and np.ptp(ds[name].values) == 0 and ds.sizes["sample"]:
            out[name] = float(ds[name].values[0])
    return out


def _scalar_1d_field(ds) -> str:
    fields = state_fields(ds) if ds.attrs.get("kind") == "pde" else []
    if len(fields) != 1 or "y" in ds.dims or np.iscomplexobj(ds[fields[0]]):
        raise ExchangeError("the PDEBench layout holds one real 1D field per file (tensor: samples x time x x); "
                            f"this store has {', '.join(n for n in ds.data_vars if ds[n].ndim >= 3) or 'none'}")
    return fields[0]


def _provenance(ds) -> dict[str, str]:
    keys = ("version_id", "recipe", "recipe_hash", "equation", "pde", "truth", "tolerance", "solver", "certificate",
            "storage_dtype", "refsim_version")
    return {k if k.startswith("refsim_") else f"refsim_{k}":
            ds.attrs[k] if isinstance(ds.attrs[k], str) else json.dumps(ds.attrs[k]) for k in keys if k in ds.attrs}


def _write_refsim_group(f: h5py.File, ds) -> None:
    """Per-trajectory certificate and parameters, beside the layout's own datasets."""
    g = f.create_group("refsim")
    for name in ("error_estimate", "error_bound", "trusted", "trust_horizon", "seed"):
        if name in ds:
            g.create_dataset(name, data=ds[name].values)
    params = g.create_group("parameters")
    for name in json.loads(ds.attrs.get("parameters", "{}")):
        if name in ds:
            params.create_dataset(name, data=ds[name].values.astype(float))


def _time_series_only(ds, layout: str) -> None:
    if ds.attrs.get("kind") == "steady":
        raise ExchangeError(f"refsim writes {layout} layout for time series only; a steady store (input -> output "
                            "pairs) exports with --zarr DIR")


def _periodic_only(ds, layout: str) -> None:
    """Both layouts are written with periodic grids and boundary conditions; a store on an interval is refused."""
    conditions = ds.attrs.get("boundary_conditions", "periodic")
    if ds.attrs.get("kind") == "pde" and conditions != "periodic":
        raise ExchangeError(f"refsim writes {layout} layout for periodic grids only; this store has {conditions}")


def export_pdebench(ds, out: Path, dtype: str = "float64") -> Path:
    """Write a certified 1D version in PDEBench's layout."""
    _time_series_only(ds, "PDEBench's")
    _periodic_only(ds, "PDEBench's")
    field = _scalar_1d_field(ds)
    out = Path(out)
    fixed = _fixed_parameters(ds)
    with h5py.File(out, "w-") as f:
        f.create_dataset("tensor", data=ds[field].values.astype(dtype))
        f.create_dataset("x-coordinate", data=ds.x.values)
        f.create_dataset("t-coordinate", data=ds.time.values)
        for attr, (name, factor) in PDEBENCH_PARAMETERS.get(ds.attrs["equation"], {}).items():
            if name in fixed:
                f.attrs[attr] = factor * fixed[name]
        f.attrs.update(_provenance(ds))
        f.attrs["refsim_t-coordinate"] = "one entry per stored frame (PDEBench's own files carry one extra, trailing)"
        f.attrs["refsim_x-coordinate"] = "the periodic grid points origin + j L / N (PDEBench's are cell centres)"
        _write_refsim_group(f, ds)
    return out


def export_the_well(ds, out: Path, dtype: str = "float64") -> Path:
    """Write a certified PDE version in The Well's layout (scalar fields as t0_fields; complex ones split)."""
    _time_series_only(ds, "The Well's")
    if ds.attrs.get("kind") != "pde":
        raise ExchangeError("The Well's layout is for fields on grids; an ODE store has none")
    _periodic_only(ds, "The Well's")
    out = Path(out)
    spatial = [d for d in ("x", "y") if d in ds.dims]
    fields = [n for n in ds.data_vars if ds[n].dims[:2] == ("sample", "time") and ds[n].dims[2:] == tuple(
        reversed(spatial))]
    fixed = _fixed_parameters(ds)
    with h5py.File(out, "w-") as f:
        f.attrs.update({"dataset_name": ds.attrs.get("title", "refsim"), "grid_type": "cartesian",
                        "n_spatial_dims": len(spatial), "n_trajectories": ds.sizes["sample"],
                        "simulation_parameters": sorted(fixed), **fixed})
        f.attrs.update(_provenance(ds))
        dims = f.create_group("dimensions")
        dims.attrs["spatial_dims"] = spatial
        time = dims.create_dataset("time", data=ds.time.values.astype(dtype))
        time.attrs["sample_varying"] = False
        for d in spatial:
            coord = dims.create_dataset(d, data=ds[d].values.astype(dtype))
            coord.attrs.update({"sample_varying": False, "time_varying": False})
        bcs = f.create_group("boundary_conditions")
        for d in spatial:
            bc = bcs.create_group(f"{d}_periodic")
            bc.attrs.update({"associated_dims": [d], "associated_fields": [], "bc_type": "periodic",
                             "sample_varying": False, "time_varying": False})
            mask = np.zeros(ds.sizes[d], dtype=bool)
            mask[[0, -1]] = True
            bc.create_dataset("mask", data=mask)
        scalars = f.create_group("scalars")
        scalars.attrs["field_names"] = sorted(fixed)
        for name, value in fixed.items():
            s = scalars.create_dataset(name, data=np.array([value], dtype=dtype))
            s.attrs.update({"sample_varying": False, "time_varying": False})
        t0 = f.create_group("t0_fields")
        names = []
        for name in fields:
            values = ds[name].values
            parts = {name: values} if not np.iscomplexobj(values) else {f"{name}_real": values.real,
                                                                         f"{name}_imag": values.imag}
            for part, data in parts.items():
                # The Well orders the spatial axes as its dimensions list: (x, y); refsim stores (y, x)
                data = np.swapaxes(data, -1, -2) if len(spatial) == 2 else data
                d = t0.create_dataset(part, data=data.astype(dtype))
                d.attrs.update({"dim_varying": [True] * len(spatial), "sample_varying": True, "time_varying": True})
                names.append(part)
        t0.attrs["field_names"] = names
        for group in ("t1_fields", "t2_fields"):
            f.create_group(group).attrs["field_names"] = []
        _write_refsim_group(f, ds)
    return out


@dataclass
class ExternalData:
    """Trajectories read from another project's file, on a uniform periodic grid and uniform times."""

    values: np.ndarray  # (samples, frames, points), float64
    x: np.ndarray
    times: np.ndarray
    attrs: dict

    @property
    def length(self) -> float:
        return float(self.x[1] - self.x[0]) * self.x.size

    def check_uniform(self) -> None:
        for name, v in (("x", self.x), ("time", self.times)):
            step = np.diff(v)
            if v.size < 2 or not np.allclose(step, step[0], rtol=1e-6, atol=0):
                raise ExchangeError(f"{name}: the audit needs equispaced values (got spacings from "
                                    f"{step.min():g} to {step.max():g})")


def read_external(path: Path, fmt: str, field: str | None = None, time_coordinate: str = "frames") -> ExternalData:
    """Read a 1D PDEBench or The Well file. ``time_coordinate``: ``frames`` (one entry per frame) or
    ``drop-last`` (PDEBench's own files: one extra trailing entry)."""
    if fmt not in FORMATS:
        raise ExchangeError(f"--format: unknown {fmt!r}; allowed: {', '.join(FORMATS)}")
    with h5py.File(path, "r") as f:
        if fmt == "pdebench":
            missing = [k for k in ("tensor", "x-coordinate", "t-coordinate") if k not in f]
            if missing:
                raise ExchangeError(f"{path}: not in PDEBench's 1D layout (no {', '.join(missing)})")
            values, x, t = f["tensor"][()], f["x-coordinate"][()], f["t-coordinate"][()]
        else:
            if "t0_fields" not in f or "dimensions" not in f:
                raise ExchangeError(f"{path}: not in The Well's layout (no t0_fields or dimensions group)")
            names = list(f["t0_fields"].attrs.get("field_names", list(f["t0_fields"])))
            name = field or (names[0] if len(names) == 1 else None)
            if name not in names:
                raise ExchangeError(f"--field: choose one of {', '.join(map(str, names))}")
            values, x, t = f["t0_fields"][name][()], f["dimensions"]["x"][()], f["dimensions"]["time"][()]
        attrs = dict(f.attrs)
    values = np.asarray(values, dtype=float)
    if values.ndim != 3:
        raise ExchangeError(f"{path}: the audit reads 1D trajectories (samples, time, x); got shape {values.shape}")
    if time_coordinate == "drop-last":
        t = t[:-1]
    if t.size != values.shape[1]:
        raise ExchangeError(f"the time coordinate has {t.size} entries for {values.shape[1]} frames; "
                            "pass --time-coordinate drop-last if the file carries one extra trailing entry "
                            "(PDEBench's own files do)")
    data = ExternalData(values, np.asarray(x, dtype=float).ravel(), np.asarray(t, dtype=float).ravel(), attrs)
    data.check_uniform()
    return data
