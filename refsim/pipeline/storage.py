"""Writing refsim stores: one icechunk repository per dataset, one tagged commit per version.

A build works on branch ``build-<version>``: the template (metadata and
coordinates, no chunks) is one commit, every finished partition another, so an
interrupted build resumes from its last commit. Finalising checks that every
chunk exists, records content checksums, commits, tags the version and moves
``main`` to it. A tag is never moved: a finished version is immutable.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import icechunk
import numpy as np
import xarray as xr
import zarr
from zarr.core.sync import sync

from ..solvers.verification import STATUS_MEANINGS
from .layout import dataset_attrs, layout, write_variables
from .locks import build_lock
from .solve import draw
from .solve_discrete import discrete_invariants
from .spec import BuildSpec

icechunk.set_logs_filter("error")  # its Rust warnings go to stdout otherwise
# A chunk equal to the fill value must still be written: the manifest proves every chunk exists.
zarr.config.set({"array.write_empty_chunks": True})
# icechunk caches the manifests a repository object reads or writes, by default up to millions of chunk
# references; a build commits hundreds of times and every commit writes new manifests, so a long build's
# driver grew by them (600 commits of 10 arrays of 600 chunks each: +86 MiB and still growing faster;
# with this bound +27 MiB and flat; the same commits took 16.4 s with the default cache, 17.5 s with none).
# A manifest larger than the bound is not cached, only read from the store again when needed.
WRITE_CACHE = icechunk.CachingConfig(num_chunk_refs=20_000)


def _config() -> icechunk.RepositoryConfig:
    return icechunk.RepositoryConfig(caching=WRITE_CACHE)


def build_branch(version_id: str) -> str:
    return f"build-{version_id}"


def open_repository(path: Path, create: bool = True) -> icechunk.Repository:
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} exists and is a file, not a refsim store")
    storage = icechunk.local_filesystem_storage(str(path))
    if path.is_dir() and icechunk.Repository.exists(storage):
        return icechunk.Repository.open(storage, config=_config())
    if not create:
        raise FileNotFoundError(f"no refsim store at {path}")
    with build_lock(path, "create", wait=True):  # array tasks start together: one creates, the others open
        if path.is_dir() and icechunk.Repository.exists(storage):
            return icechunk.Repository.open(storage, config=_config())
        return _create_repository(path, storage)


def _create_repository(path: Path, storage) -> icechunk.Repository:
    if path.is_dir() and any(path.iterdir()):
        raise FileExistsError(f"{path} exists, is not empty and is not a refsim store; choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    probe = path / ".refsim-write-probe"
    probe.write_text("")  # an unwritable place fails here with a plain OSError, not inside icechunk
    probe.unlink()
    return icechunk.Repository.create(storage, config=_config())


def version_exists(repo: icechunk.Repository, version_id: str) -> bool:
    return version_id in repo.list_tags()


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
    write_variables(session, layout(spec), sizes, coords, p, dataset_attrs(spec))


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
    """Write every variable of one partition, all at once on zarr's event loop (one round trip, not one per
    variable: the variables are many and small, so the round trips were most of the time)."""

    async def write():
        group = await zarr.api.asynchronous.open_group(store=store, mode="r+")
        arrays = {name: await group.getitem(name) for name in result.arrays}
        await asyncio.gather(*(arrays[name].setitem(slice(result.start, result.stop), values)
                               for name, values in result.arrays.items()))

    sync(write())


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
    return _digest(array[region])


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


# chunk_checksums reads blocks of whole chunk rows (along the first axis) of at most this many bytes: one zarr
# read per block instead of one per chunk (768 light Burgers trajectories, ~2000 chunks: 0.94 s -> 0.40 s)
CHECKSUM_BLOCK_BYTES = 64 * 2**20


def chunk_checksums(group: zarr.Group) -> dict[str, dict[str, str]]:
    """Checksums of every chunk, by variable and chunk index ``"i.j.k"``: each :func:`chunk_checksum`."""
    return {name: _array_checksums(array) for name, array in sorted(group.arrays())}


def _array_checksums(array: zarr.Array) -> dict[str, str]:
    if array.ndim == 0:
        return {"": chunk_checksum(array, ())}
    row = array.chunks[0] * int(np.prod(array.shape[1:], dtype=np.int64)) * array.dtype.itemsize
    rows = max(1, CHECKSUM_BLOCK_BYTES // max(row, 1))
    sums = {}
    for first in range(0, array.cdata_shape[0], rows):
        stop = min(first + rows, array.cdata_shape[0])
        block = array[first * array.chunks[0]:min(stop * array.chunks[0], array.shape[0])]
        for index in np.ndindex(stop - first, *array.cdata_shape[1:]):
            region = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(index, array.chunks, block.shape))
            key = ".".join(map(str, (first + index[0], *index[1:])))
            sums[key] = _digest(block[region])
    return sums


def missing_chunks(group: zarr.Group) -> list[str]:
    missing = []
    for name, array in sorted(group.arrays()):
        if array.nchunks_initialized < array.nchunks:
            missing.append(f"{name} ({array.nchunks - array.nchunks_initialized} of {array.nchunks} chunks)")
    return missing


def _partition_commits(repo: icechunk.Repository, branch: str):
    """The commits of a build that hold finished partitions (one each, or several in one commit)."""
    return [s for s in repo.ancestry(branch=branch) if s.metadata.get("kind") in ("partition", "partitions")]


def partition_rejections(repo: icechunk.Repository, branch: str) -> list[dict]:
    """The rejections recorded in the metadata of every partition commit of a build."""
    out = [r for snap in _partition_commits(repo, branch) for r in json.loads(snap.metadata.get("rejections", "[]"))]
    return sorted(out, key=lambda r: r["sample"])  # commit order is completion order


def partition_work(repo: icechunk.Repository, branch: str) -> int:
    return sum(int(s.metadata.get("work", 0)) for s in _partition_commits(repo, branch))


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
