"""End to end: recipes to versioned icechunk stores on a real two-process Dask cluster."""

import json
import subprocess
import sys

import icechunk
import numpy as np
import pytest
import xarray as xr
import yaml

import refsim
from refsim.generators import EQUATIONS
from refsim.pipeline import storage
from refsim.pipeline.build import build, run_partition
from refsim.pipeline.solve import draw
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec


def _heat(**changes):
    data = {
        "name": "heat-small", "equation": "heat", "parameters": {"nu": {"log_uniform": [0.01, 0.1]}},
        "domain": {"length": 2 * np.pi, "points": 32}, "time": {"end": 1.0, "frames": 5},
        "initial_condition": {"family": "fourier", "modes": 5}, "samples": 6, "seed": 3,
        "tolerance": 1e-12, "partition_size": 2,
    }
    data.update(changes)
    return data


def _build(data, out, cluster, base="."):
    from pathlib import Path

    spec = build_spec(parse_recipe(data), Path(base))
    return spec, build(spec, out, scheduler=cluster.scheduler_address, progress=False)


def test_build_and_read_back_two_ways(tmp_path, cluster):
    spec, report = _build(_heat(), tmp_path, cluster)
    assert report.summary["certified"] == 6 and report.partitions_run == 3
    ds = refsim.open(report.path)
    assert ds.sizes == {"sample": 6, "time": 5, "x": 32}
    assert ds.attrs["version_id"] == spec.version_id
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(report.path)))
    plain = xr.open_zarr(repo.readonly_session(tag=spec.version_id).store, consolidated=False)
    np.testing.assert_array_equal(plain["u"].values, ds["u"].values)
    # the stored data are the exact solution (heat: mode-wise decay) to the certificate's level
    for i in range(6):
        eq, ic = draw(spec, i)
        exact = eq.exact_solution(ic, ds.x.values, ds.time.values)
        err = np.abs(ds["u"].values[i] - exact).max(axis=1) / np.abs(exact).max(axis=1)
        assert err.max() <= 1e-12
        assert float(ds["nu"][i]) == eq.params["nu"]
    assert np.abs(ds["drift_mass"].values).max() < 1e-13
    # a second run of the same recipe finds the finished, immutable version
    _, again = _build(_heat(), tmp_path, cluster)
    assert again.reused and again.version_id == spec.version_id


def test_npy_initial_condition_and_grid(tmp_path, cluster):
    x = np.arange(64) / 64 * 2.0 - 1.0
    u0 = np.stack([np.sin(np.pi * x), 0.5 * np.cos(2 * np.pi * x)])
    np.save(tmp_path / "u0.npy", u0)
    data = {"name": "adv-file", "equation": "advection", "parameters": {"c": 0.5},
            "domain": {"length": 2.0, "points": 64, "origin": -1.0}, "time": {"end": 2.0, "frames": 3},
            "initial_condition": {"file": "u0.npy"}, "samples": 2, "tolerance": 1e-12}
    spec, report = _build(data, tmp_path / "stores", cluster, base=tmp_path)
    ds = refsim.open(report.path)
    np.testing.assert_array_equal(ds.x.values, spec.grid.x)
    np.testing.assert_allclose(ds.x.values, x, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(ds["u"].values[:, 0], u0)
    # c = 0.5 for t = 2 shifts by one unit, half the period: sin(pi (x - 1)) = -sin(pi x)
    np.testing.assert_allclose(ds["u"].values[0, -1], -u0[0], atol=1e-13)


def test_blow_up_is_reported_and_not_stored(tmp_path, cluster):
    data = {"name": "ks-blowup", "equation": "kuramoto_sivashinsky",
            "domain": {"length": 22.0, "points": 32}, "time": {"end": 1.0, "frames": 3},
            "initial_condition": {"family": "fourier", "modes": 3, "amplitude": {"choice": [1.0, 1.0e170]}},
            "samples": 6, "seed": 5, "tolerance": 1e-6, "partition_size": 3,
            "solver": {"max_total_steps": 4096}}
    spec, report = _build(data, tmp_path, cluster)
    everything = refsim.open(report.path, include_rejected=True)
    status = everything["status"].values
    bad = np.flatnonzero(status != 0)
    assert bad.size and report.summary["rejected"]["non_finite"] == bad.size
    assert np.isnan(everything["u"].values[bad]).all()  # nothing of a blown-up run is stored
    rejections = json.loads(everything.attrs["rejections"])
    assert [r["sample"] for r in rejections] == list(bad)
    assert all("non-finite" in r["reason"] for r in rejections)
    good = refsim.open(report.path)
    assert good.sizes["sample"] == 6 - bad.size and np.isfinite(good["u"].values).all()


def test_results_do_not_depend_on_partitioning(tmp_path, cluster):
    _, one = _build(_heat(name="p1", partition_size=1), tmp_path, cluster)
    _, four = _build(_heat(name="p4", partition_size=4), tmp_path, cluster)
    a, b = refsim.open(one.path), refsim.open(four.path)
    for name in ("u", "error_estimate", "nu", "internal_points", "steps_per_frame"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_interrupted_build_resumes_to_identical_store(tmp_path, cluster):
    data = _heat(name="resume")
    spec = build_spec(parse_recipe(data))
    # an interrupted build: template and one partition committed, nothing finalised
    repo = storage.open_repository(tmp_path / "resume")
    branch = storage.start_build(repo, spec)
    session = repo.writable_session(branch)
    fork, brief = run_partition(spec, 1, session.fork())
    session.merge(fork)
    session.commit("partition 1", metadata={"kind": "partition", "partition": 1, "rejections": "[]"})
    with pytest.raises(LookupError, match="no finished version"):
        refsim.open(tmp_path / "resume")
    report = build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert report.partitions_run == 2
    _, fresh = _build(_heat(name="resume"), tmp_path / "fresh", cluster)
    a, b = refsim.open(report.path), refsim.open(fresh.path)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
    assert a.attrs["manifest"] == b.attrs["manifest"]


@pytest.mark.parametrize("equation", sorted(EQUATIONS))
def test_every_equation_builds_its_builtin_random_recipe_shape(equation):
    """Every registered equation has a built-in random-IC recipe."""
    from refsim.generators import RECIPES

    equations = {yaml.safe_load(p.read_text())["equation"] for p in RECIPES.values()}
    assert equation in equations


def test_cli_generate_and_inspect(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump(_heat(name="cli-heat", samples=4)))
    cmd = [sys.executable, "-m", "refsim.cli"]
    out = subprocess.run(cmd + ["generate", str(recipe), "--out", str(tmp_path), "--workers", "2", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"store: {tmp_path / 'cli-heat'}" in out.stdout
    assert "certified 4/4 trajectories" in out.stdout
    out = subprocess.run(cmd + ["inspect", str(tmp_path / "cli-heat")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "error_estimate" in out.stdout and "certified 4/4" in out.stdout


def test_pde_time_derivative_labels_are_the_equations_right_hand_side(tmp_path, cluster):
    """du_dt stored with time_derivatives: true equals the exact soliton's time derivative (a fourth-order
    central difference in t of the closed form, computed here), not a difference of stored frames."""
    from refsim.catalog.loaders import TrainingData

    recipe = {"name": "kdv-rates", "equation": "kdv", "parameters": {"alpha": 6.0, "beta": 1.0},
              "domain": {"length": 40.0, "points": 128, "origin": -20.0}, "time": {"end": 1.0, "frames": 5},
              "initial_condition": {"family": "kdv_solitons", "count": 1, "k": 0.7, "position": 0.3},
              "samples": 1, "tolerance": 1e-10, "time_derivatives": True}
    spec = build_spec(parse_recipe(recipe))
    ds = refsim.open(build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False).path)
    eq, ic = draw(spec, 0)
    x, t, h = ds.x.values, ds.time.values, 1e-3
    exact = [eq.exact_solution(ic, x, t + j * h) for j in (-2, -1, 1, 2)]
    rate = (exact[0] - 8 * exact[1] + 8 * exact[2] - exact[3]) / (12 * h)
    error = np.abs(ds.du_dt.values[0] - rate).max(axis=-1) / np.abs(rate).max(axis=-1)
    estimate = ds.error_time_derivative.values[0]
    assert ds.verification.attrs["flag_meanings"].split()[ds.verification.values[0]] in ("coarse", "coarse+twin")
    assert error.max() <= 1e-7 and np.all(error[1:] <= 2 * estimate[1:] + 1e-12), (error, estimate)
    assert np.all(estimate <= 100 * error + 1e-12)  # an estimate, not a blanket bound
    loader = TrainingData(str(tmp_path / "kdv-rates"), fractions=(1.0, 0.0, 0.0), n_steps_output=0)
    assert loader.labels == ("du_dt",)


def test_threaded_and_process_clusters_write_the_same_store(tmp_path):
    """The embedded LocalCluster in threads of the driver (a small build's default) and in worker processes
    write the same version byte for byte; a build with several partitions per commit records every one."""
    from refsim.pipeline.build import THREADED_PARTITIONS_PER_WORKER, use_processes

    data = _heat(name="kinds", samples=10)  # 5 partitions
    spec = build_spec(parse_recipe(data))
    threads = build(spec, tmp_path / "threads", workers=2, progress=False, processes=False)
    procs = build(spec, tmp_path / "procs", workers=2, progress=False, processes=True)
    assert (threads.ran_on, procs.ran_on) == ("2 worker threads", "2 worker processes")
    a, b = refsim.open(threads.path), refsim.open(procs.path)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.attrs["manifest"] == b.attrs["manifest"]
    for report in (threads, procs):
        repo = storage.open_repository(report.path, create=False)
        branch = storage.build_branch(spec.version_id)
        assert storage.completed_partitions(repo, branch, spec) == set(range(5))
        assert storage.partition_work(repo, branch) == report.summary["work_point_steps"] > 0
    # auto: threads while every worker has at most THREADED_PARTITIONS_PER_WORKER partitions, and for one worker
    assert not use_processes(2 * THREADED_PARTITIONS_PER_WORKER, 2)
    assert use_processes(2 * THREADED_PARTITIONS_PER_WORKER + 1, 2)
    assert not use_processes(1000, 1)


def test_light_partitions_are_grouped_into_fewer_tasks_with_the_same_store(tmp_path, monkeypatch):
    """Once the first tasks show that a partition is light, several go into one Dask task; the store is the
    one that a task per partition writes, byte for byte, with every partition and its work recorded."""
    from refsim.pipeline import build as pipeline

    data = _heat(name="grouped", samples=40, partition_size=1)  # 40 partitions of a few ms each
    spec = build_spec(parse_recipe(data))
    monkeypatch.setattr(pipeline, "TASK_SECONDS", 0.0)  # no grouping: a task per partition
    single = build(spec, tmp_path / "single", workers=1, progress=False, processes=False)
    monkeypatch.setattr(pipeline, "TASK_SECONDS", 60.0)  # every partition is "light"
    grouped = build(spec, tmp_path / "grouped", workers=1, progress=False, processes=False)
    assert single.tasks_run == 40 and grouped.partitions_run == 40 and grouped.tasks_run < 20
    a, b = refsim.open(single.path), refsim.open(grouped.path)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.attrs["manifest"] == b.attrs["manifest"]
    repo = storage.open_repository(grouped.path, create=False)
    branch = storage.build_branch(spec.version_id)
    assert storage.completed_partitions(repo, branch, spec) == set(range(40))
    assert storage.partition_work(repo, branch) == grouped.summary["work_point_steps"] == \
        single.summary["work_point_steps"]
    # the size rule: by time (TASK_SECONDS per task), at most MAX_GROUP, smaller towards the end, 1 before timings
    assert pipeline.group_size(None, 100, 2) == 1
    assert pipeline.group_size(60.0 / 3, 100, 2) == 3
    assert pipeline.group_size(1e-6, 10_000, 2) == pipeline.MAX_GROUP
    assert pipeline.group_size(1e-6, 16, 2) == 2 and pipeline.group_size(1e-6, 7, 2) == 1
    assert pipeline.group_size(120.0, 100, 2) == 1  # heavy partitions stay alone


def test_batched_commit_records_each_partition_and_its_rejections(tmp_path):
    """Several partitions merged into one commit: the completed set, the work and the rejections of each."""
    from refsim.pipeline.build import _commit_partitions

    spec = build_spec(parse_recipe(_heat(name="batched")))
    repo = storage.open_repository(tmp_path / "batched")
    branch = storage.start_build(repo, spec)
    base, session = repo.writable_session(branch), repo.writable_session(branch)
    briefs = []
    for p in (0, 2):
        fork, brief = run_partition(spec, p, base.fork())
        session.merge(fork)
        briefs.append({**brief, "rejections": [{"sample": 2 * p, "reason": f"test {p}"}]})
    _commit_partitions(session, briefs)
    assert storage.completed_partitions(repo, branch, spec) == {0, 2}
    assert storage.partition_work(repo, branch) == sum(int(b["work"]) for b in briefs) > 0
    assert [r["reason"] for r in storage.partition_rejections(repo, branch)] == ["test 0", "test 2"]
    report = build(spec, tmp_path, progress=False)  # resumes: only partition 1 is left
    assert report.partitions_run == 1
