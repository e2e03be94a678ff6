"""Scale-out and durability: kills and resumes, an external scheduler, array jobs, locks, versions, export."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import yaml

import refsim

CLI = [sys.executable, "-m", "refsim.cli"]
RECIPE = {
    "name": "durable", "equation": "burgers", "parameters": {"nu": {"uniform": [0.05, 0.1]}},
    "domain": {"length": 6.283185307179586, "points": 32}, "time": {"end": 2.0, "frames": 9},
    "initial_condition": {"family": "fourier", "modes": 3, "amplitude": 0.5}, "samples": 8, "seed": 4,
    "tolerance": 1e-9, "partition_size": 2,
}


def _write(tmp_path, **changes) -> Path:
    path = tmp_path / f"{changes.get('name', RECIPE['name'])}.yaml"
    path.write_text(yaml.safe_dump({**RECIPE, **changes}))
    return path


def _generate(recipe, out, *extra, timeout=300):
    return subprocess.run(CLI + ["generate", str(recipe), "--out", str(out), "--quiet", *extra],
                          capture_output=True, text=True, timeout=timeout)


def _same_store(a: Path, b: Path) -> None:
    x, y = refsim.open(a, include_rejected=True), refsim.open(b, include_rejected=True)
    assert set(x.data_vars) == set(y.data_vars)
    for name in x.data_vars:
        np.testing.assert_array_equal(x[name].values, y[name].values, err_msg=name)
    assert x.attrs["manifest"] == y.attrs["manifest"]  # content checksums of every chunk, byte for byte


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    recipe = _write(out)
    assert _generate(recipe, out).returncode == 0
    return recipe, out / "durable"


def _partition_commits(store: Path, version: str) -> int:
    """Partition commits on the build branch of ``version`` so far (-1 before the template is committed)."""
    from refsim.pipeline import storage

    try:
        repo = storage.open_repository(store, create=False)
        return sum(len(json.loads(s.metadata["partitions"])) if s.metadata.get("kind") == "partitions"
                   else s.metadata.get("kind") == "partition"
                   for s in repo.ancestry(branch=storage.build_branch(version)))
    except Exception:  # noqa: BLE001 - no repository or branch yet
        return -1


def _kill_at_progress(recipe, out, target, after, version):
    """Start a build and SIGKILL the driver or a worker once ``after`` partitions are committed
    (``after = 0``: right after the template; the last value: while it finalises). Returns the process
    and whether the kill landed while the build was still running."""
    kind = ["--worker-kind", "processes"] if target == "worker" else []  # a small build runs in threads by default
    proc = subprocess.Popen(CLI + ["generate", str(recipe), "--out", str(out), "--quiet", *kind],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while proc.poll() is None and _partition_commits(out / "durable", version) < after:
        assert time.monotonic() < deadline, "the build made no progress"
        time.sleep(0.02)
    if target == "worker":
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
                   if "spawn_main" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
        victims = [c.pid for c in workers[-1:]]
    else:
        victims = [proc.pid]
    landed = proc.poll() is None and bool(victims)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            landed = False
    if target == "driver":
        proc.wait()
        for child in psutil.Process().children(recursive=True):  # orphaned cluster processes
            child.kill()
    return proc, landed


def _fault_trials(trials, reference, tmp_path):
    """Kill a real 2-worker build at chosen points of its progress, resume it, and compare byte for byte."""
    from refsim.schemas.recipe import load_recipe
    from refsim.schemas.spec import build_spec

    recipe, ref_store = reference
    spec = build_spec(*load_recipe(str(recipe)))
    rng = np.random.default_rng(trials)
    landed = 0
    for trial in range(trials):
        out = tmp_path / f"trial{trial}"
        target = "driver" if trial % 2 == 0 else "worker"
        after = int(rng.integers(0, spec.num_partitions + 1))
        proc, hit = _kill_at_progress(recipe, out, target, after, spec.version_id)
        landed += hit
        if target == "worker":
            assert proc.wait(timeout=300) == 0  # the nanny restarts the worker and its tasks run again
        elif hit:
            assert proc.returncode == -signal.SIGKILL
        resumed = _generate(recipe, out)
        assert resumed.returncode == 0, resumed.stderr
        _same_store(out / "durable", ref_store)
        check = subprocess.run(CLI + ["verify", str(out / "durable"), "--resolve", "1"], capture_output=True,
                               text=True, timeout=300)
        assert check.returncode == 0, check.stdout
    assert landed >= trials * 3 // 4, f"only {landed} of {trials} kills hit a running build"


def test_sigkill_and_resume_equals_uninterrupted(reference, tmp_path):
    _fault_trials(1, reference, tmp_path)  # one kill in the fast tier; the slow tier runs twenty


@pytest.mark.slow
def test_sigkill_and_resume_twenty_trials(reference, tmp_path):
    _fault_trials(20, reference, tmp_path)


def _start_scheduler(tmp_path):
    """A distributed scheduler as its own process on loopback; (process, address)."""
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard", "--scheduler-file", str(tmp_path / "s.json")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if (tmp_path / "s.json").exists():
            break
        time.sleep(0.1)
    return scheduler, json.loads((tmp_path / "s.json").read_text())["address"]


def test_external_scheduler_on_loopback(reference, tmp_path):
    recipe, ref_store = reference
    scheduler, address = _start_scheduler(tmp_path)
    workers = []
    try:
        env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
        workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                     "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(2)]
        out = _generate(recipe, tmp_path / "ext", "--scheduler", address)
        assert out.returncode == 0, out.stderr
        _same_store(tmp_path / "ext" / "durable", ref_store)
    finally:
        for p in [*workers, scheduler]:
            p.kill()


def test_array_job_path_equals_dask_build(reference, tmp_path):
    recipe, ref_store = reference
    out = tmp_path / "array"
    tasks = [subprocess.Popen(CLI + ["generate", str(recipe), "--out", str(out), "--partition", f"{i}/4", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    for t in tasks:
        assert t.wait(timeout=300) == 0, t.stderr.read()
    incomplete = subprocess.run(CLI + ["verify", str(out / "durable")], capture_output=True, text=True)
    assert incomplete.returncode != 0  # nothing is finished before finalize
    done = subprocess.run(CLI + ["finalize", str(out / "durable")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _same_store(out / "durable", ref_store)


def test_finalize_refuses_missing_partitions(tmp_path):
    recipe = _write(tmp_path, name="partial")
    assert _generate(recipe, tmp_path, "--partition", "0/2").returncode == 0
    out = subprocess.run(CLI + ["finalize", str(tmp_path / "partial")], capture_output=True, text=True)
    assert out.returncode == 1 and "partitions are missing" in out.stderr


def test_second_build_of_same_version_is_refused(tmp_path):
    """While a build holds its version's lock (here this process, with the lock the CLI takes: a small build
    is now shorter than a second CLI's start-up, so a racing pair of CLIs no longer tests this reliably), a
    second `generate` of the same version is refused at once; once released, the same command builds."""
    from refsim.pipeline.locks import build_lock
    from refsim.schemas.recipe import parse_recipe
    from refsim.schemas.spec import build_spec

    recipe = _write(tmp_path, name="locked", samples=12)
    spec = build_spec(parse_recipe(yaml.safe_load(recipe.read_text())))
    with build_lock(tmp_path / "locked", spec.version_id):
        second = _generate(recipe, tmp_path)
        assert second.returncode == 1 and "another process" in second.stderr and "building locked" in second.stderr
        assert f"pid {os.getpid()}" in second.stderr
    assert _generate(recipe, tmp_path).returncode == 0
    assert subprocess.run(CLI + ["verify", str(tmp_path / "locked")], capture_output=True).returncode == 0


def test_ctrl_c_stops_a_process_build_in_one_line_and_it_resumes(tmp_path):
    """Ctrl-C in a terminal signals the whole process group: the driver stops with one line (no traceback from
    it or from its worker processes), keeps what is committed, and the same command finishes the build."""
    from refsim.schemas.recipe import load_recipe
    from refsim.schemas.spec import build_spec

    recipe = _write(tmp_path, name="interrupted", samples=200, partition_size=2)  # 100 partitions
    version = build_spec(*load_recipe(str(recipe))).version_id
    proc = subprocess.Popen(CLI + ["generate", str(recipe), "--out", str(tmp_path), "--quiet", "--worker-kind",
                                   "processes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while _partition_commits(tmp_path / "interrupted", version) < 1:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip() == "error: interrupted; the partitions committed so far are kept: run the same command " \
                          "again to resume"
    resumed = _generate(recipe, tmp_path)
    assert resumed.returncode == 0 and "certified 200/200" in resumed.stdout, resumed.stderr
    assert "partitions run" in resumed.stdout and "(built, 100 partitions run" not in resumed.stdout


def test_read_only_directory_gives_clear_message(tmp_path):
    if os.geteuid() == 0:
        target = Path("/proc/refsim-cannot-write-here")  # root ignores permission bits; /proc refuses all
    else:
        target = tmp_path / "ro"
        target.mkdir()
        target.chmod(0o500)
    out = _generate(_write(tmp_path), target)
    assert out.returncode == 1 and out.stderr.startswith("error: cannot write the store") and "Traceback" not in \
        out.stderr


def test_versions_diff_and_plain_zarr_export(reference, tmp_path):
    recipe, ref_store = reference
    other = _write(tmp_path, tolerance=1e-7)
    store_root = tmp_path / "v"
    shutil.copytree(ref_store, store_root / "durable")  # the first version, as built by the fixture
    assert _generate(recipe, store_root).stdout.count("already built") == 1
    assert _generate(other, store_root).returncode == 0
    listing = subprocess.run(CLI + ["versions", str(store_root / "durable")], capture_output=True, text=True)
    rows = listing.stdout.strip().splitlines()
    assert len(rows) == 2 and all("certified 8/8" in r for r in rows)
    v1, v2 = (r.split()[0] for r in rows)
    diff = subprocess.run(CLI + ["diff", str(store_root / "durable"), v1, v2], capture_output=True, text=True)
    assert diff.stdout.strip() == "tolerance: 1e-09 -> 1e-07"
    assert refsim.open(store_root / "durable").attrs["version_id"] == v2  # newest
    np.testing.assert_array_equal(refsim.open(f"{store_root / 'durable'}@{v1}")["u"].values,
                                  refsim.open(ref_store)["u"].values)
    export = subprocess.run(CLI + ["export", f"{store_root / 'durable'}@{v1}", "--zarr", str(tmp_path / "plain")],
                            capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    plain = refsim.open(tmp_path / "plain")
    assert plain.attrs["version_id"] == v1
    np.testing.assert_array_equal(plain["u"].values, refsim.open(ref_store)["u"].values)
    import xarray as xr

    assert xr.open_zarr(tmp_path / "plain", consolidated=False).attrs["manifest"] == plain.attrs["manifest"]


def test_jobscripts_carry_requested_resources(tmp_path):
    config = tmp_path / "cluster.yaml"
    config.write_text(yaml.safe_dump({"queue": "short", "account": "proj42", "cores": 4, "memory": "16GiB",
                                      "walltime": "02:30:00", "job_extra_directives": ["--constraint=cpu"],
                                      "scheduler_host": "127.0.0.1"}))
    recipe = _write(tmp_path)
    slurm = subprocess.run(CLI + ["jobscript", str(recipe), "--cluster", "slurm", "--cluster-config", str(config)],
                           capture_output=True, text=True, timeout=120)
    assert slurm.returncode == 0, slurm.stderr
    for line in ("#SBATCH -p short", "#SBATCH -A proj42", "#SBATCH --cpus-per-task=4", "#SBATCH -t 02:30:00",
                 "#SBATCH --constraint=cpu", "NUMBA_NUM_THREADS=1"):
        assert line in slurm.stdout, line
    assert "#SBATCH --mem=16G" in slurm.stdout or "#SBATCH --mem=17G" in slurm.stdout
    pbs = subprocess.run(CLI + ["jobscript", str(recipe), "--cluster", "pbs", "--cluster-config", str(config)],
                         capture_output=True, text=True, timeout=120)
    assert pbs.returncode == 0 and "#PBS -q short" in pbs.stdout and "#PBS -l walltime=02:30:00" in pbs.stdout
    assert "#PBS -A proj42" in pbs.stdout and "ncpus=4" in pbs.stdout
    assert "mem=16GB" in pbs.stdout or "mem=16gb" in pbs.stdout or "mem=17GB" in pbs.stdout, pbs.stdout


def test_slurm_array_script_builds_and_finalizes_itself(reference, tmp_path):
    """The printed array script, run as its 4 tasks at once (SLURM_ARRAY_TASK_ID = 0..3), stages every
    partition and the last task to finish finalizes: the store equals the Dask build."""
    recipe, ref_store = reference
    out = tmp_path / "array-script"
    printed = subprocess.run(CLI + ["jobscript", str(recipe), "--cluster", "slurm", "--array", "4", "--out", str(out)],
                             capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    script = tmp_path / "array.sh"
    script.write_text(printed.stdout)
    assert "#SBATCH --array=0-3" in printed.stdout and "--partition ${SLURM_ARRAY_TASK_ID}/4" in printed.stdout
    tasks = [subprocess.Popen(["bash", str(script)], env={**os.environ, "SLURM_ARRAY_TASK_ID": str(i)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    for t in tasks:
        assert t.wait(timeout=300) == 0, t.stderr.read()
    _same_store(out / "durable", ref_store)
    versions = subprocess.run(CLI + ["versions", str(out / "durable")], capture_output=True, text=True)
    assert versions.returncode == 0 and versions.stdout.count("certified") <= 2


def test_scheduler_without_workers_gives_clear_message(tmp_path):
    scheduler, address = _start_scheduler(tmp_path)
    try:
        out = subprocess.run(CLI + ["generate", str(_write(tmp_path)), "--out", str(tmp_path), "--quiet",
                                    "--scheduler", address], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "REFSIM_WORKER_WAIT": "2"})
    finally:
        scheduler.kill()
    assert out.returncode == 1 and "no workers" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_full_disk_gives_clear_message_and_resumes(tmp_path, reference):
    """A store on a 160 KiB tmpfs runs out of space mid-build: one clear line, committed work kept; on a larger
    disk the same command resumes and the store equals the uninterrupted one."""
    recipe, ref_store = reference
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        out = _generate(recipe, mount)
        assert out.returncode == 1, out.stdout
        assert out.stderr.startswith("error: ") and "disk is full" in out.stderr and "Traceback" not in out.stderr, \
            out.stderr
        assert "run the same command again to resume" in out.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
        resumed = _generate(recipe, mount)
        assert resumed.returncode == 0, resumed.stderr
        _same_store(mount / "durable", ref_store)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
