"""Reading refsim stores: versions, and lazy xarray datasets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import icechunk
import numpy as np
import xarray as xr

icechunk.set_logs_filter("error")


def split_version(path: str | Path, version: str | None) -> tuple[Path, str | None]:
    text = str(path)
    if version is None and "@" in Path(text).name:
        text, version = text.rsplit("@", 1)
    return Path(text), version


def is_plain_zarr(path: Path) -> bool:
    """A plain Zarr v3 export (``refsim export --zarr``), not an icechunk repository."""
    return (path / "zarr.json").exists() and not (path / "refs").exists()


ICECHUNK_USED_BY: int | None = None  # pid of the process whose icechunk runtime has started


def open_repository(path: Path) -> icechunk.Repository:
    global ICECHUNK_USED_BY
    if ICECHUNK_USED_BY is not None and ICECHUNK_USED_BY != os.getpid():
        raise RuntimeError(
            "this process was forked after its parent had opened an icechunk store, and icechunk's runtime does "
            "not survive a fork (it would hang): start workers with spawn, e.g. TrainingData.torch_loader(...) "
            "or DataLoader(..., multiprocessing_context='spawn')")
    ICECHUNK_USED_BY = os.getpid()
    storage = icechunk.local_filesystem_storage(str(path))
    if not path.is_dir() or not icechunk.Repository.exists(storage):
        raise FileNotFoundError(f"no refsim store at {path}")
    return icechunk.Repository.open(storage)


def list_versions(repo: icechunk.Repository) -> list[dict]:
    """Finished versions, oldest first, from the tags and their commit metadata."""
    out = []
    for tag in repo.list_tags():
        snap = repo.lookup_snapshot(repo.lookup_tag(tag))
        out.append({"version": tag, "written_at": snap.written_at, "message": snap.message,
                    **{k: v for k, v in snap.metadata.items() if k in ("recipe_hash", "finished")}})
    return sorted(out, key=lambda v: v["written_at"])


def resolve_version(repo: icechunk.Repository, version: str | None) -> str:
    """The tag of ``version`` (a full id or a unique prefix), or of the newest version."""
    tags = repo.list_tags()
    if not tags:
        raise LookupError("the store has no finished version (was its build interrupted? run generate again)")
    if version is None:
        head = repo.lookup_branch("main")
        for tag in tags:
            if repo.lookup_tag(tag) == head:
                return tag
        raise LookupError("branch main holds changes that are not a finished version (edited after the build?); "
                          f"open a version explicitly: {', '.join(sorted(tags))}")
    matches = [t for t in tags if t == version] or [t for t in tags if t.startswith(version)]
    if len(matches) != 1:
        raise LookupError(f"version {version!r} not found; versions: {', '.join(sorted(tags)) or 'none'}")
    return matches[0]


def session_for(repo: icechunk.Repository, version: str | None):
    return repo.readonly_session(tag=resolve_version(repo, version))


def open_dataset(path: str | Path, version: str | None = None, include_rejected: bool = False,
                 chunks: dict | None | str = "auto") -> xr.Dataset:
    path, version = split_version(path, version)
    if not path.exists() and len(path.parts) == 1:  # a dataset name: resolve it through the catalog
        from .index import resolve

        path, version = resolve(str(path), version)
    chunks = {} if chunks == "auto" else chunks
    if is_plain_zarr(path):
        ds = xr.open_zarr(path, consolidated=False, chunks=chunks)
        if version is not None and not ds.attrs.get("version_id", "").startswith(version):
            raise LookupError(f"the export at {path} holds version {ds.attrs.get('version_id')}, not {version}")
    else:
        session = session_for(open_repository(path), version)
        ds = xr.open_zarr(session.store, consolidated=False, chunks=chunks)
    if not include_rejected:
        good = np.asarray(ds["status"].values == 0)
        if not good.all():
            ds = ds.isel(sample=np.flatnonzero(good))
    return ds


def certificate(ds: xr.Dataset) -> dict:
    return json.loads(ds.attrs.get("certificate", "{}"))


def export_zarr(path: str | Path, out: str | Path, version: str | None = None) -> Path:
    """Write one version as a plain Zarr v3 store (every variable, coordinate and attribute)."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} exists; choose a new directory")
    ds = open_dataset(path, version=version, include_rejected=True)
    encoding = {name: {"chunks": var.encoding.get("chunks")} for name, var in ds.data_vars.items()
                if var.encoding.get("chunks")}
    ds.to_zarr(out, mode="w-", zarr_format=3, consolidated=False, encoding=encoding)
    return out


def version_table(path: str | Path) -> list[dict]:
    """Finished versions with their recipe hashes, dates and certificate summaries."""
    repo = open_repository(Path(path))
    import zarr

    rows = []
    for v in list_versions(repo):
        attrs = zarr.open_group(repo.readonly_session(tag=v["version"]).store, mode="r").attrs
        rows.append({**v, "certificate": json.loads(attrs.get("certificate", "{}")),
                     "recipe": json.loads(attrs.get("recipe", "{}"))})
    return rows


def recipe_diff(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Lines ``key: old -> new`` for every leaf where two canonical recipes differ."""
    lines = []
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key, "<absent>"), b.get(key, "<absent>")
        if isinstance(left, dict) and isinstance(right, dict):
            lines += recipe_diff(left, right, f"{prefix}{key}.")
        elif left != right:
            lines.append(f"{prefix}{key}: {json.dumps(left)} -> {json.dumps(right)}")
    return lines
