"""refsim verify and refsim report on real stores; tolerance versus cost; rejection policy."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import icechunk
import numpy as np
import pytest
import zarr

import refsim
from refsim.pipeline.build import build
from refsim.pipeline.solve import draw
from refsim.pipeline.storage import RejectionLimitError
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec

CLI = [sys.executable, "-m", "refsim.cli"]


def _recipe(**changes):
    data = {
        "name": "burgers-check", "equation": "burgers", "parameters": {"nu": {"uniform": [0.05, 0.1]}},
        "domain": {"length": 2 * np.pi, "points": 32}, "time": {"end": 1.0, "frames": 5},
        "initial_condition": {"family": "fourier", "modes": 3, "amplitude": 0.5}, "samples": 4, "seed": 11,
        "tolerance": 1e-8, "partition_size": 2,
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def store(tmp_path_factory, cluster):
    out = tmp_path_factory.mktemp("stores")
    spec = build_spec(parse_recipe(_recipe()))
    report = build(spec, out, scheduler=cluster.scheduler_address, progress=False)
    return report.path


def _verify(path, *extra):
    return subprocess.run(CLI + ["verify", str(path), *extra], capture_output=True, text=True, timeout=300)


def _copy(store, tmp_path) -> Path:
    target = tmp_path / store.name
    shutil.copytree(store, target)
    return target


def _largest_chunk(path: Path) -> Path:
    return max((path / "chunks").iterdir(), key=lambda p: p.stat().st_size)


def test_verify_passes_on_fresh_store(store):
    out = _verify(store, "--resolve", "2", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and {c["name"] for c in report["checks"]} >= {"integrity", "certificates", "provenance",
                                                                       "re-solve"}
    for r in report["resolved"]:  # the re-solve confirms the stored estimate
        assert r["measured_max"] <= 2 * r["estimate_max"] + 1e-15


def test_verify_fails_on_deleted_chunk(store, tmp_path):
    copy = _copy(store, tmp_path)
    _largest_chunk(copy).unlink()
    out = _verify(copy, "--resolve", "0")
    assert out.returncode == 1 and "[FAIL] integrity" in out.stdout and "u chunk" in out.stdout


def test_verify_fails_on_changed_bytes(store, tmp_path):
    copy = _copy(store, tmp_path)
    chunk = _largest_chunk(copy)
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    out = _verify(copy, "--resolve", "0")
    assert out.returncode == 1 and "[FAIL] integrity" in out.stdout and "u chunk" in out.stdout


def test_verify_fails_on_edited_parameters(store, tmp_path):
    copy = _copy(store, tmp_path)
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(copy)))
    session = repo.writable_session("main")
    group = zarr.open_group(session.store, mode="r+")
    group["nu"][1] = 0.5
    session.commit("an edit after the build")
    out = _verify(copy, "--resolve", "0")
    assert out.returncode == 1
    assert "head of main is not a finished" in out.stdout and "nu chunk 0: content checksum differs" in out.stdout
    with pytest.raises(LookupError, match="not a finished version"):
        refsim.open(copy)  # the edited head is never served as certified data


def test_report_writes_card_and_figures(store, tmp_path):
    out = subprocess.run(CLI + ["report", str(store), "--out", str(tmp_path / "card")], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    card = (tmp_path / "card" / "README.md").read_text()
    assert "u_t + u u_x = nu u_xx" in card and "Certified: 4 of 4" in card
    for png in ("spacetime.png", "error_estimate.png", "spectrum.png", "invariants.png"):
        path = tmp_path / "card" / png
        assert path.exists() and path.stat().st_size > 10_000 and f"]({png})" in card


def test_tolerance_sets_cost_and_both_meet_it(tmp_path, cluster):
    """KdV two-soliton (exact, Hirota) at 1e-10 and 1e-6: both true errors below tolerance, 1e-6 cheaper."""
    data = {"name": "kdv2", "equation": "kdv", "parameters": {"alpha": 6.0, "beta": 1.0},
            "domain": {"length": 80.0, "points": 128}, "time": {"end": 3.0, "frames": 7},
            "initial_condition": {"family": "kdv_solitons", "count": 2, "k": {"uniform": [0.9, 1.0]},
                                  "position": 0.4375, "gap": {"uniform": [0.08, 0.1]}, "images": 1, "hirota": True},
            "samples": 2, "seed": 1}
    work = {}
    for tol in (1e-10, 1e-6):
        spec = build_spec(parse_recipe({**data, "name": f"kdv2-{tol:g}", "tolerance": tol}))
        report = build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
        ds = refsim.open(report.path)
        assert ds.sizes["sample"] == 2
        for i in range(2):
            eq, ic = draw(spec, i)
            exact = eq.exact_solution(ic, ds.x.values, ds.time.values)
            err = np.abs(ds["u"].values[i] - exact).max(axis=1) / np.abs(exact).max(axis=1)
            assert err.max() <= tol, (tol, err)
        work[tol] = report.summary["work_point_steps"]
    assert work[1e-6] < work[1e-10] / 4, work


def test_zero_rejects_demanded(tmp_path, cluster):
    data = _recipe(name="strict", initial_condition={"family": "constant", "value": 0.2}, max_rejected=0)
    spec = build_spec(parse_recipe(data))
    with pytest.raises(RejectionLimitError, match="max_rejected=0"):
        build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    relaxed = build_spec(parse_recipe({**data, "name": "relaxed", "max_rejected": None,
                                       "gates": {"constant_frames": False, "duplicate_frames": False}}))
    report = build(relaxed, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert report.summary["certified"] == 4


def _dgnet_kdv_50_point_rhs(length, n):
    """u_t = d/dx(3u^2 + u_xx) as the 50-point Fourier pseudo-spectral model, written here in plain
    NumPy: 2/3-rule dealiasing of u^2 (modes 3j < n kept), Nyquist mode of the odd derivatives zeroed."""
    j = np.arange(n // 2 + 1)
    k = 2 * np.pi * j / length
    k_odd = np.where(j == n // 2, 0.0, k)
    keep = 3 * j < n

    def rhs(_, u):
        u_hat = np.fft.rfft(u)
        nonlinear = 1j * k_odd * 3 * np.fft.rfft(u * u) * keep
        return np.fft.irfft(nonlinear + (1j * k_odd) ** 3 * u_hat, n)

    return rhs


def test_semidiscrete_truth_is_the_model_on_the_stored_grid(tmp_path, cluster):
    """truth: fourier-semidiscrete keeps DGNet's 50 points, certifies the time error against that
    model (an independent scipy solve of it agrees to the tolerance), stores the distance to the
    PDE as information only, and refsim verify re-solves it on the same grid."""
    from scipy.integrate import solve_ivp

    recipe, _ = refsim_recipe("dgnet-kdv")
    data = recipe.model_dump(mode="json")
    data.update(name="dgnet-kdv-model", samples=2, partition_size=1, truth="fourier-semidiscrete",
                time={"end": 0.5, "frames": 11}, tolerance=1e-9, solver={"steps_per_frame": 2})
    spec = build_spec(parse_recipe(data))
    report = build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    ds = refsim.open(report.path)
    assert ds.attrs["truth"] == "fourier-semidiscrete"
    assert (ds.internal_points.values == 50).all()
    assert float(ds.error_estimate.max()) <= 1e-9
    assert float(ds.error_space.max()) > 1e-6  # 50 points are far from the PDE: stored, not certified
    assert report.summary["model_distance_from_pde_max"] == pytest.approx(float(ds.error_space.max()))
    assert report.summary["invariants_monitored_only"] == ["energy", "momentum"]
    rhs = _dgnet_kdv_50_point_rhs(10.0, 50)
    t = ds.time.values
    for i in range(2):
        ref = solve_ivp(rhs, (0, t[-1]), ds.u.values[i, 0], method="DOP853", t_eval=t, rtol=1e-13, atol=1e-13).y.T
        error = np.abs(ds.u.values[i] - ref).max(axis=1) / np.abs(ref).max(axis=1)
        assert error.max() <= 1e-9, error
    out = _verify(report.path, "--resolve", "1")
    assert out.returncode == 0, out.stdout + out.stderr


def refsim_recipe(name):
    from refsim.schemas.recipe import load_recipe

    return load_recipe(name)


@pytest.mark.parametrize("block", [1, 200, 64 * 2**20])
def test_manifest_read_in_blocks_is_every_chunks_own_checksum(block, monkeypatch):
    """The manifest reads whole chunk rows at a time; each entry is still the checksum of that chunk alone,
    for ragged last chunks, several chunked axes and a 0-d array, whatever the block size."""
    from refsim.pipeline import storage

    group = zarr.open_group(zarr.storage.MemoryStore(), mode="w")
    rng = np.random.default_rng(0)
    group.create_array("a", shape=(23, 7, 5), chunks=(4, 3, 5), dtype="f8")[...] = rng.random((23, 7, 5))
    group.create_array("b", shape=(10,), chunks=(3,), dtype="i4")[...] = np.arange(10)
    group.create_array("c", shape=(), dtype="f8")[...] = 3.0
    monkeypatch.setattr(storage, "CHECKSUM_BLOCK_BYTES", block)
    one_by_one = {name: {".".join(map(str, i)): storage.chunk_checksum(array, i)
                         for i in np.ndindex(*array.cdata_shape)} for name, array in group.arrays()}
    assert storage.chunk_checksums(group) == one_by_one
    assert {k: len(v) for k, v in one_by_one.items()} == {"a": 18, "b": 4, "c": 1}
