"""A catalog of the datasets under one or more root directories, built from the stores' own metadata.

The index is an xarray Dataset with one entry per finished version, saved beside the
stores as ``<root>/catalog.zarr`` and rebuildable at any time. ``refsim.open("name@version")``
resolves names through it when the argument is not a path.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from .store import is_plain_zarr, version_table

INDEX_NAME = "catalog.zarr"
ROOT_VARIABLE = "REFSIM_ROOT"  # os.pathsep-separated roots searched by refsim.open("name@version")


def default_roots() -> list[Path]:
    text = os.environ.get(ROOT_VARIABLE)
    return [Path(p) for p in text.split(os.pathsep) if p] if text else [Path("stores")]


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _entries(root: Path) -> list[dict]:
    rows = []
    for store in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if is_plain_zarr(store) or not (store / "refs").exists():
            continue
        try:
            versions = version_table(store)
        except (FileNotFoundError, LookupError):
            continue
        size = _size(store)
        for v in versions:
            recipe, cert = v["recipe"], v["certificate"]
            params = {k: (val if isinstance(val, (int, float)) else json.dumps(val))
                      for k, val in recipe.get("parameters", {}).items()}
            rows.append({
                "name": recipe.get("name", store.name), "version": v["version"], "path": str(store.resolve()),
                "equation": recipe.get("equation", ""), "trajectories": int(cert.get("samples", 0)),
                "certified": int(cert.get("certified", 0)),
                "points": int((recipe.get("domain") or {}).get("points", 0)),
                "frames": int((recipe.get("time") or {}).get("frames", 1)),  # a steady store: one state
                "tolerance": float(recipe.get("tolerance", np.nan)),
                "error_max": float(cert.get("error_estimate_max", np.nan)), "size_bytes": size,
                "created": v["written_at"].isoformat(timespec="seconds"), "parameters": json.dumps(params),
            })
    return rows


def build_index(roots: list[Path] | None = None, save: bool = True) -> xr.Dataset:
    """Scan the roots and return (and save beside the stores) the index."""
    roots = roots or default_roots()
    rows = [row | {"root": str(root.resolve())} for root in roots if root.is_dir() for row in _entries(root)]
    keys = ["name", "version", "path", "root", "equation", "trajectories", "certified", "points", "frames",
            "tolerance", "error_max", "size_bytes", "created", "parameters"]
    data = {k: ("entry", np.array([r[k] for r in rows])) for k in keys} if rows else \
        {k: ("entry", np.array([], dtype=str)) for k in keys}
    index = xr.Dataset(data, coords={"entry": np.arange(len(rows))})
    if save:
        for root in roots:
            if root.is_dir():
                mine = index.isel(entry=np.flatnonzero(index["root"].values == str(root.resolve())))
                target = root / INDEX_NAME
                shutil.rmtree(target, ignore_errors=True)
                with warnings.catch_warnings():  # zarr v3 flags fixed-width strings as not yet in its spec
                    warnings.simplefilter("ignore")
                    mine.to_zarr(target, mode="w", zarr_format=3, consolidated=False)
    return index


def search(index: xr.Dataset, equation: str | None = None, max_tolerance: float | None = None,
           min_points: int | None = None, parameter: dict[str, tuple[float, float]] | None = None) -> xr.Dataset:
    keep = np.ones(index.sizes["entry"], dtype=bool)
    if equation:
        keep &= index["equation"].values == equation
    if max_tolerance is not None:
        keep &= index["tolerance"].values.astype(float) <= max_tolerance
    if min_points is not None:
        keep &= index["points"].values.astype(int) >= min_points
    for name, (lo, hi) in (parameter or {}).items():
        values = [json.loads(p).get(name) for p in index["parameters"].values]
        keep &= np.array([_overlaps(v, lo, hi) for v in values], dtype=bool)
    return index.isel(entry=np.flatnonzero(keep))


def _overlaps(value, lo: float, hi: float) -> bool:
    """Whether a fixed parameter lies in [lo, hi], or a sampled one (JSON of its sampler) can draw from it."""
    if isinstance(value, (int, float)):
        return lo <= value <= hi
    if isinstance(value, str):
        spec = json.loads(value)
        if isinstance(spec, dict) and len(spec) == 1:
            (kind, args), = spec.items()
            if kind in ("uniform", "log_uniform"):
                return args[0] <= hi and args[1] >= lo
            if kind == "choice":
                return any(lo <= v <= hi for v in args)
    return False


def resolve(name: str, version: str | None, roots: list[Path] | None = None) -> tuple[Path, str | None]:
    """The store path of dataset ``name`` (and the full version id) from the catalog."""
    index = build_index(roots, save=False)
    hits = [i for i in range(index.sizes["entry"]) if index["name"].values[i] == name and
            (version is None or str(index["version"].values[i]).startswith(version))]
    if not hits:
        raise LookupError(f"no dataset {name!r}{'@' + version if version else ''} in the catalog roots "
                          f"{[str(r) for r in roots or default_roots()]} (set {ROOT_VARIABLE})")
    paths = {index["path"].values[i] for i in hits}
    if len(paths) > 1:
        raise LookupError(f"dataset {name!r} exists in several roots: {sorted(paths)}; open it by path")
    chosen = max(hits, key=lambda i: index["created"].values[i])
    return Path(index["path"].values[chosen]), (str(index["version"].values[chosen]) if version else None)

