"""The catalog over a root of several stores and versions: list, search, and refsim.open("name@version")."""

import subprocess
import sys

import pytest

import refsim
from refsim.catalog.index import ROOT_VARIABLE
from refsim.pipeline.build import build
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec

CLI = [sys.executable, "-m", "refsim.cli"]


@pytest.fixture(scope="module")
def root(tmp_path_factory, cluster):
    out = tmp_path_factory.mktemp("root")
    base = {"equation": "heat", "domain": {"length": 6.283185307179586, "points": 16},
            "time": {"end": 0.5, "frames": 3}, "initial_condition": {"family": "fourier", "modes": 2},
            "samples": 2, "partition_size": 2}
    recipes = [{**base, "name": "alpha", "parameters": {"nu": {"uniform": [0.01, 0.05]}}, "tolerance": 1e-8},
               {**base, "name": "alpha", "parameters": {"nu": {"uniform": [0.01, 0.05]}}, "tolerance": 1e-6},
               {**base, "name": "beta", "parameters": {"nu": 0.2}, "tolerance": 1e-8}]
    versions = [build(build_spec(parse_recipe(r)), out, scheduler=cluster.scheduler_address, progress=False)
                .version_id for r in recipes]
    return out, versions


def test_catalog_list_search_and_open_by_name(root, monkeypatch):
    path, versions = root
    listed = subprocess.run(CLI + ["catalog", "list", "--root", str(path)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines() if line.startswith(("alpha", "beta"))]
    assert len(rows) == 3 and all(v[:7] in listed.stdout for v in versions)
    assert (path / "catalog.zarr").is_dir()  # the index is an xarray dataset saved beside the stores
    found = subprocess.run(CLI + ["catalog", "search", "--root", str(path), "--parameter", "nu=0.02:0.03"],
                           capture_output=True, text=True)
    assert "alpha" in found.stdout and "beta" not in found.stdout  # a sampled range overlapping the query
    fixed = subprocess.run(CLI + ["catalog", "search", "--root", str(path), "--parameter", "nu=0.1:0.3"],
                           capture_output=True, text=True)
    assert "beta" in fixed.stdout and "alpha" not in fixed.stdout
    monkeypatch.setenv(ROOT_VARIABLE, str(path))
    first = refsim.open(f"alpha@{versions[0][:7]}")
    assert first.attrs["version_id"] == versions[0] and first.attrs["tolerance"] == 1e-8
    assert refsim.open("alpha").attrs["version_id"] == versions[1]  # newest by default
    with pytest.raises(LookupError, match="no dataset"):
        refsim.open("gamma")
