"""Array-job staging: each task commits its partitions to a branch of its own; finalize collects them."""

from __future__ import annotations

import icechunk
import zarr

from .spec import BuildSpec
from .storage import build_branch, completed_partitions


def stage_branch(repo: icechunk.Repository, spec: BuildSpec, index: int) -> str:
    """The staging branch of one array task, forked from the version's template commit."""
    name = f"stage-{spec.version_id}-{index}"
    if name not in repo.list_branches():
        template = [s for s in repo.ancestry(branch=build_branch(spec.version_id))
                    if s.metadata.get("kind") == "template"][0]
        repo.create_branch(name, snapshot_id=template.id)
    return name


def _stages(repo: icechunk.Repository, spec: BuildSpec) -> list[str]:
    prefix = f"stage-{spec.version_id}-"
    return sorted(b for b in repo.list_branches() if b.startswith(prefix))


COORDINATES = ("sample", "time", "x", "y", "body", "component")


def collect_stages(repo: icechunk.Repository, spec: BuildSpec) -> None:
    """Copy every staged partition not yet on the build branch onto it, one commit per partition."""
    branch = build_branch(spec.version_id)
    have = completed_partitions(repo, branch, spec)
    for stage in _stages(repo, spec):
        staged = {s.metadata["partition"]: s for s in repo.ancestry(branch=stage)
                  if s.metadata.get("kind") == "partition"}
        source = zarr.open_group(repo.readonly_session(branch=stage).store, mode="r")
        for part in sorted(set(staged) - have):
            a, b = spec.partition_bounds(part)
            session = repo.writable_session(branch)
            target = zarr.open_group(session.store, mode="r+")
            for name, array in source.arrays():
                if array.shape and name not in COORDINATES and array.shape[0] == spec.samples:
                    target[name][a:b] = array[a:b]
            meta = dict(staged[part].metadata)
            session.commit(f"partition {part} (from {stage})", metadata=meta)
            have.add(part)


def drop_stages(repo: icechunk.Repository, spec: BuildSpec) -> None:
    for stage in _stages(repo, spec):
        repo.delete_branch(stage)
