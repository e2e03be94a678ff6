"""Writing refsim stores: one icechunk repository per dataset, one tagged commit per version.

A build works on branch ``build-<version>``: the template (metadata and
coordinates, no chunks) is one commit, every finished partition another, so an
interrupted build resumes from its last commit. Finalising checks that every
chunk exists, records content checksums, commits, tags the version and moves
``main`` to it. A tag is never moved: a finished version is immutable.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

import dask.array as da
import icechunk
import numpy as np
import xarray as xr
import zarr
from zarr.core.sync import sync

from .. import __version__
from ..solvers.exponential import STEPPERS
from ..solvers.verification import ROUNDING, STATUS_MEANINGS, VERIFICATIONS
from . import solve_bounded
from .locks import build_lock
from .solve import draw
from .solve_discrete import discrete_invariants, discrete_layout, discrete_solver_attrs
from .spec import BuildSpec

icechunk.set_logs_filter("error")  # its Rust warnings go to stdout otherwise
# A chunk equal to the fill value must still be written: the manifest proves every chunk exists.
zarr.config.set({"array.write_empty_chunks": True})

PACKAGES = ("numpy", "scipy", "numba", "rocket-fft", "zarr", "icechunk", "xarray", "dask", "distributed")


def build_branch(version_id: str) -> str:
    return f"build-{version_id}"


def open_repository(path: Path, create: bool = True) -> icechunk.Repository:
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} exists and is a file, not a refsim store")
    storage = icechunk.local_filesystem_storage(str(path))
    if path.is_dir() and icechunk.Repository.exists(storage):
        return icechunk.Repository.open(storage)
    if not create:
        raise FileNotFoundError(f"no refsim store at {path}")
    with build_lock(path, "create", wait=True):  # array tasks start together: one creates, the others open
        if path.is_dir() and icechunk.Repository.exists(storage):
            return icechunk.Repository.open(storage)
        return _create_repository(path, storage)


def _create_repository(path: Path, storage) -> icechunk.Repository:
    if path.is_dir() and any(path.iterdir()):
        raise FileExistsError(f"{path} exists, is not empty and is not a refsim store; choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    probe = path / ".refsim-write-probe"
    probe.write_text("")  # an unwritable place fails here with a plain OSError, not inside icechunk
    probe.unlink()
    return icechunk.Repository.create(storage)


def version_exists(repo: icechunk.Repository, version_id: str) -> bool:
    return version_id in repo.list_tags()


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
        "title": spec.name,
        "refsim_format_version": spec.format_version,
        "refsim_version": __version__,
        "version_id": spec.version_id,
        "recipe_hash": spec.recipe_hash,
        "recipe": json.dumps(spec.canonical, sort_keys=True),
        "equation": spec.equation,
        "kind": spec.kind,
        "pde": model.pde,
        "parameters": json.dumps({k: v.to_spec() for k, v in spec.parameters.items()}, sort_keys=True),
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


def write_template(session: icechunk.Session, spec: BuildSpec) -> None:
    if spec.kind == "steady":
        from .storage_steady import write_steady_template

        return write_steady_template(session, spec)
    n, f, p = spec.samples, spec.frames, spec.partition_size
    sizes = {"sample": n, "time": f}
    coords = {
        "sample": ("sample", np.arange(n, dtype=np.int64), {"description": "trajectory index"}),
        "time": ("time", np.linspace(0.0, spec.end_time, f), {"description": "solver clock at each frame"}),
    }
    if spec.kind == "pde":
        for dim in spec.spatial_dims:
            sizes[dim] = spec.points
            coords[dim] = (dim, spec.grid.x, {"description": "periodic grid points, right endpoint excluded"
                                              if spec.interval is None else "uniform points, both ends included"})
    else:
        lay = draw(spec, 0)[0].layout()
        sizes.update(body=lay.bodies, component=lay.components if lay.kind == "canonical" else len(lay.names))
        if lay.kind == "state":
            coords["component"] = ("component", np.array(lay.names), {"description": "state variable"})
    data_vars, encoding = {}, {}
    for name, (dims, dtype, fill, attrs) in layout(spec).items():
        shape = tuple(sizes[d] for d in dims)
        chunks = tuple(p if d == "sample" else sizes[d] for d in dims)
        data_vars[name] = (dims, da.zeros(shape, dtype=dtype, chunks=chunks), attrs)
        encoding[name] = {"chunks": chunks, "_FillValue": fill if np.dtype(dtype).kind in "fc" else None}
    ds = xr.Dataset(data_vars, coords=coords, attrs=dataset_attrs(spec))
    ds.to_zarr(session.store, compute=False, mode="w", zarr_format=3, consolidated=False, encoding=encoding)


def start_build(repo: icechunk.Repository, spec: BuildSpec) -> str:
    """Create the build branch with its template, or reuse it to resume."""
    branch = build_branch(spec.version_id)
    if branch not in repo.list_branches():
        root = list(repo.ancestry(branch="main"))[-1].id
        repo.create_branch(branch, snapshot_id=root)
    elif any(s.metadata.get("kind") == "template" for s in repo.ancestry(branch=branch)):
        return branch
    # a new branch, or one whose creator died before committing the template
    session = repo.writable_session(branch)
    write_template(session, spec)
    session.commit(f"template of {spec.name} version {spec.version_id}", metadata={"kind": "template"})
    return branch


def write_partition(store, result) -> None:
    group = zarr.open_group(store, mode="r+")
    for name, values in result.arrays.items():
        group[name][result.start : result.stop] = values


def written_chunks(store, name: str) -> set[str]:
    """Keys ``"i.j..."`` of the chunks of array ``name`` that exist in the store."""

    async def keys():
        return [k async for k in store.list_prefix(name)]

    prefix = f"{name}/c/"
    return {k[len(prefix):].replace("/", ".") for k in sync(keys()) if k.startswith(prefix)}


def completed_partitions(repo: icechunk.Repository, branch: str, spec: BuildSpec) -> set[int]:
    """Partitions whose chunks are committed (every partition commit writes all of them at once)."""
    keys = written_chunks(repo.readonly_session(branch=branch).store, "status")
    return {int(k) for k in keys}


def chunk_checksum(array: zarr.Array, index: tuple[int, ...]) -> str:
    """sha256 of one chunk's decoded values (independent of compression)."""
    region = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(index, array.chunks, array.shape))
    return hashlib.sha256(np.ascontiguousarray(array[region]).tobytes()).hexdigest()


def chunk_checksums(group: zarr.Group) -> dict[str, dict[str, str]]:
    """Checksums of every chunk, by variable and chunk index ``"i.j.k"``."""
    return {
        name: {".".join(map(str, index)): chunk_checksum(array, index) for index in np.ndindex(*array.cdata_shape)}
        for name, array in sorted(group.arrays())
    }


def missing_chunks(group: zarr.Group) -> list[str]:
    missing = []
    for name, array in sorted(group.arrays()):
        if array.nchunks_initialized < array.nchunks:
            missing.append(f"{name} ({array.nchunks - array.nchunks_initialized} of {array.nchunks} chunks)")
    return missing


def partition_rejections(repo: icechunk.Repository, branch: str) -> list[dict]:
    """The rejections recorded in the metadata of every partition commit of a build."""
    out = []
    for snap in repo.ancestry(branch=branch):
        if snap.metadata.get("kind") == "partition":
            out.extend(json.loads(snap.metadata.get("rejections", "[]")))
    return sorted(out, key=lambda r: r["sample"])  # commit order is completion order


def partition_work(repo: icechunk.Repository, branch: str) -> int:
    return sum(int(s.metadata.get("work", 0)) for s in repo.ancestry(branch=branch)
               if s.metadata.get("kind") == "partition")


class RejectionLimitError(RuntimeError):
    """More trajectories were rejected than the recipe allows."""


def summarize(group: zarr.Group, spec: BuildSpec, invariants: list) -> dict:
    """The certificate summary of a complete build, computed from the stored data."""
    if spec.kind == "steady":
        from .storage_steady import summarize_steady

        return summarize_steady(group, spec)
    status = group["status"][:]
    good = status == 0
    summary = {
        "samples": int(status.size),
        "certified": int(good.sum()),
        "rejected": {meaning: int((status == code).sum()) for code, meaning in STATUS_MEANINGS.items() if code},
        "tolerance": spec.tolerance,
        "truth": spec.truth,
    }
    if good.any():
        est = group["error_bound"][:][good]
        horizon = group["trust_horizon"][:][good]
        if spec.kind == "pde":
            points = group["internal_points"][:][good]
            steps = group["steps_per_frame"][:][good]
            summary["internal_points"] = [int(points.min()), int(points.max())]
            summary["steps_per_frame"] = [int(steps.min()), int(steps.max())]
            if spec.truth != "pde-converged":  # the model's distance from the PDE: stored, never certified
                distance = group["error_space"][:][good]
                summary["model_distance_from_pde_max"] = float(np.nanmax(distance)) if np.isfinite(
                    distance).any() else None
            if "newton_residual" in group:
                summary["newton_residual_max"] = float(group["newton_residual"][:][good].max())
        else:
            setting = group["solver_setting"][:][good]
            summary["solver_setting"] = [float(setting.min()), float(setting.max())]
            summary["newton_residual_max"] = float(group["newton_residual"][:][good].max())
        summary.update({
            "error_estimate_max": float(est.max()),
            "error_estimate_median": float(np.median(est)),
            "trust_horizon_min": float(horizon.min()),
            "full_horizon": int((horizon >= spec.end_time).sum()),
            "observed_order_median": float(np.nanmedian(group["observed_order"][:][good]))
            if np.isfinite(group["observed_order"][:][good]).any() else None,
            "invariant_drift_max": {
                inv.name: float(np.abs(group[f"drift_{inv.name}"][:][good]).max())
                for inv in invariants if inv.kind == "conserved"
            },
            "invariants_monitored_only": _monitored_only(spec, invariants),
            "invariant_max_increase": {
                inv.name: float(np.diff(group[f"drift_{inv.name}"][:][good], axis=1).max())
                for inv in invariants if inv.kind == "nonincreasing"
            },
        })
    return summary


def _monitored_only(spec: BuildSpec, invariants: list) -> list[str]:
    """Invariants of the PDE that the stored model does not keep: their drift is reported, never gated."""
    if spec.kind != "pde" or spec.truth == "pde-converged":
        return []
    if spec.truth == "dvdm-model":  # the scheme keeps its own discrete versions of some exactly
        return sorted(inv.name for inv in discrete_invariants(spec) if not inv.exact)
    return sorted(inv.name for inv in invariants if inv.degree > 1)


def finalize(repo: icechunk.Repository, branch: str, spec: BuildSpec, annotate=None) -> dict:
    """Check completeness, write the certificate (and ``annotate``'s attributes) and manifest, commit, tag."""
    session = repo.writable_session(branch)
    group = zarr.open_group(session.store, mode="r+")
    missing = missing_chunks(group)
    if missing:
        raise RuntimeError(f"build incomplete, chunks never written: {', '.join(missing)}")
    invariants = () if spec.kind == "steady" else draw(spec, 0)[0].invariants()
    summary = summarize(group, spec, invariants)
    rejections = partition_rejections(repo, branch)
    summary["work_point_steps"] = partition_work(repo, branch)
    rejected = summary["samples"] - summary["certified"]
    if spec.max_rejected is not None and rejected > spec.max_rejected:
        raise RejectionLimitError(
            f"{rejected} trajectories rejected, the recipe allows max_rejected={spec.max_rejected}; "
            f"the version is not finished. First: {rejections[0]['reason'] if rejections else ''}")
    if summary["certified"] == 0:
        raise RejectionLimitError(
            f"no trajectory of {spec.name} could be certified, so no version is finished. First: "
            f"{rejections[0]['reason'] if rejections else ''}")
    if annotate is not None:
        group.attrs.update(annotate(xr.open_zarr(session.store, consolidated=False, chunks=None)))
    group.attrs["certificate"] = json.dumps(summary, sort_keys=True)
    group.attrs["rejections"] = json.dumps(sorted(rejections, key=lambda r: r["sample"]), sort_keys=True)
    group.attrs["manifest"] = json.dumps(chunk_checksums(group), sort_keys=True)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    snapshot = session.commit(f"finished {spec.name} version {spec.version_id}",
                              metadata={"kind": "version", "version": spec.version_id, "finished": when,
                                        "recipe_hash": spec.recipe_hash})
    repo.create_tag(spec.version_id, snapshot_id=snapshot)
    repo.reset_branch("main", snapshot)
    return summary


class IncompleteBuildError(RuntimeError):
    """Partitions of a version are missing."""


def point_main_at_newest(repo: icechunk.Repository) -> None:
    """Move main to the newest finished version if a crash stopped between tagging and moving main."""
    tags = repo.list_tags()
    if not tags:
        return
    newest = max(tags, key=lambda t: repo.lookup_snapshot(repo.lookup_tag(t)).written_at)
    target = repo.lookup_tag(newest)
    head = repo.lookup_branch("main")
    if head != target and head not in {repo.lookup_tag(t) for t in tags}:
        repo.reset_branch("main", target)
