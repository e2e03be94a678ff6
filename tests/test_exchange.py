"""PDEBench and The Well layouts: export of a real store, round trip through `refsim audit`, and an audit
of a deliberately low-order dataset against errors computed here from the exact solution."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

import refsim
from refsim.pipeline.build import build
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec

CLI = [sys.executable, "-m", "refsim.cli"]


@pytest.fixture(scope="module")
def store(tmp_path_factory, cluster):
    out = tmp_path_factory.mktemp("exchange")
    recipe = {"name": "burgers-exchange", "equation": "burgers", "parameters": {"nu": 0.05},
              "domain": {"length": 1.0, "points": 64}, "time": {"end": 0.5, "frames": 11},
              "initial_condition": {"family": "fourier", "modes": 3, "amplitude": 0.3}, "samples": 4, "seed": 2,
              "tolerance": 1e-9, "partition_size": 2}
    return build(build_spec(parse_recipe(recipe)), out, scheduler=cluster.scheduler_address, progress=False).path


def _run(*args):
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, timeout=300)


def test_pdebench_export_layout_and_audit_round_trip(store, tmp_path):
    ds = refsim.open(store)
    out = tmp_path / "burgers.h5"
    done = _run("export", store, "--format", "pdebench", out)
    assert done.returncode == 0, done.stderr
    with h5py.File(out) as f:
        assert f["tensor"].shape == (4, 11, 64) and f["tensor"].dtype == np.float64
        np.testing.assert_array_equal(f["tensor"][()], ds.u.values)
        np.testing.assert_array_equal(f["x-coordinate"][()], np.arange(64) / 64)
        np.testing.assert_array_equal(f["t-coordinate"][()], np.linspace(0, 0.5, 11))
        assert f.attrs["Nu"] == pytest.approx(0.05 * np.pi, rel=1e-15)  # PDEBench: (Nu/pi) u_xx
        assert f.attrs["refsim_version_id"] == ds.attrs["version_id"]
        assert f["refsim/error_estimate"].shape == (4, 11)
    audited = _run("audit", out, "--format", "pdebench", "--equation", "burgers", "--parameters", "nu=0.05",
                   "--samples", "2", "--out", tmp_path / "audit")
    assert audited.returncode == 0, audited.stderr
    report = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert max(report["max_error"]) <= 1e-9  # refsim's own data audit at its certificate's level
    assert (tmp_path / "audit" / "audit.png").stat().st_size > 10_000


def test_the_well_export_layout(store, tmp_path):
    out = tmp_path / "burgers.hdf5"
    assert _run("export", store, "--format", "the-well", out, "--dtype", "float32").returncode == 0
    with h5py.File(out) as f:
        assert f.attrs["grid_type"] == "cartesian" and f.attrs["n_spatial_dims"] == 1
        assert f.attrs["n_trajectories"] == 4 and list(f.attrs["simulation_parameters"]) == ["nu"]
        assert list(f["dimensions"].attrs["spatial_dims"]) == ["x"] and f["dimensions/time"].shape == (11,)
        bc = f["boundary_conditions/x_periodic"]
        assert bc.attrs["bc_type"] == "periodic" and list(bc.attrs["associated_dims"]) == ["x"]
        assert list(f["t0_fields"].attrs["field_names"]) == ["u"]
        u = f["t0_fields/u"]
        assert u.shape == (4, 11, 64) and u.dtype == np.float32 and bool(u.attrs["time_varying"])
        assert list(f["t1_fields"].attrs["field_names"]) == [] and f["scalars/nu"][0] == np.float32(0.05)
    audited = _run("audit", out, "--format", "the-well", "--equation", "burgers", "--parameters", "nu=0.05",
                   "--samples", "1", "--out", tmp_path / "audit")
    assert audited.returncode == 0, audited.stderr
    error = max(json.loads((tmp_path / "audit" / "audit.json").read_text())["max_error"])
    assert 1e-9 < error < 3e-7  # float32 storage: the audit sees its rounding, and nothing worse


def _upwind_advection_file(path, samples=3, points=64, frames=11, end=0.5):
    """First-order upwind, forward Euler, CFL 0.5 (PDEBench's layout, its extra trailing time entry),
    and the exact errors of those data, computed here from u(x, t) = u0(x - t)."""
    x = np.arange(points) / points
    dx, dt = 1.0 / points, 0.5 / points
    per_frame = int(round(end / (frames - 1) / dt))
    rng = np.random.default_rng(5)
    tensor, exact_errors = [], []
    for _ in range(samples):
        a, b = rng.uniform(-1, 1, 2)
        u0 = lambda x, a=a, b=b: a * np.sin(2 * np.pi * x) + b * np.cos(4 * np.pi * x)  # noqa: E731
        u, rows, errs = u0(x), [u0(x)], [0.0]
        for k in range(1, frames):
            for _ in range(per_frame):
                u = u - dt / dx * (u - np.roll(u, 1))
            exact = u0(x - k * per_frame * dt)
            rows.append(u.copy())
            errs.append(np.abs(u - exact).max() / np.abs(exact).max())
        tensor.append(rows)
        exact_errors.append(errs)
    times = np.arange(frames + 1) * per_frame * dt
    with h5py.File(path, "w") as f:
        f.create_dataset("tensor", data=np.array(tensor))
        f.create_dataset("x-coordinate", data=x)
        f.create_dataset("t-coordinate", data=times)
        f.attrs["beta"] = 1.0
    return np.array(exact_errors)


def test_audit_measures_a_low_order_dataset(tmp_path):
    path = tmp_path / "upwind.h5"
    exact = _upwind_advection_file(path)
    bad = _run("audit", path, "--format", "pdebench", "--equation", "advection", "--parameters", "c=1")
    assert bad.returncode == 1 and "drop-last" in bad.stderr  # 12 time entries for 11 frames: never guessed
    done = _run("audit", path, "--format", "pdebench", "--equation", "advection", "--parameters", "c=1",
                "--time-coordinate", "drop-last", "--samples", "3", "--out", tmp_path / "audit")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "audit" / "audit.json").read_text())
    measured = np.array(report["errors"])
    assert measured.max() > 0.05  # first-order upwind at 64 points is visibly wrong
    np.testing.assert_allclose(measured[:, 1:], exact[report["samples"]][:, 1:], rtol=1e-6)
