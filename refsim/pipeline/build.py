"""Run a build: template first, then one Dask task per partition that solves,
certifies and writes its own region, one commit per finished partition, and a
final tagged commit. Re-running an interrupted build resumes it."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import storage
from .solve import PartitionResult, solve_partition
from .spec import BuildSpec

WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",  # one process per core: no oversubscription
    "OMP_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": "67108864",  # fewer page faults from FFT temporaries
    "MALLOC_TRIM_THRESHOLD_": "268435456",
}


@dataclass
class BuildReport:
    path: Path
    version_id: str
    summary: dict
    reused: bool = False
    partitions_run: int = 0
    rejections: list[dict] = field(default_factory=list)


def run_partition(spec: BuildSpec, partition: int, fork):
    """Dask task: solve, certify and write one partition into a fork of the session."""
    if spec.kind == "ode":
        from .solve_ode import solve_ode_partition

        result = solve_ode_partition(spec, partition)
    else:
        result = solve_partition(spec, partition)
    storage.write_partition(fork.store, result)
    return fork, _brief(result)


def _brief(result: PartitionResult) -> dict:
    return {"partition": result.partition, "rejections": result.rejections, "work": result.work}


def warm_up(method: str, kind: str = "pde") -> None:
    """Compile (or load from Numba's cache) the kernels once, before workers start."""
    from ..generators import EQUATIONS
    from ..solvers.grid import FourierGrid
    from ..solvers.semilinear import solve_frames

    if kind == "ode":
        from ..solvers.ode import integrate

        system = EQUATIONS["mass_spring"]()
        y0, params = np.array([[1.0, 0.0]]), system.params_array()[None]
        setting = {"rtol": 1e-6, "atol": 1e-6} if method == "dop853" else {"steps_per_frame": 1}
        integrate(method, system.functions(), y0, params, 0.1, 2, **setting)
        return
    grid = FourierGrid(8, 2 * np.pi)
    eq = EQUATIONS["burgers"]()
    solve_frames(grid, [eq.terms(grid)], np.sin(grid.x)[None], 0.1, 2, 1, method)


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="partition", desc="solving", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True)


def build(spec: BuildSpec, out: Path | str, workers: int = 2, scheduler: str | None = None,
          progress: bool = True) -> BuildReport:
    path = Path(out) / spec.name
    repo = storage.open_repository(path)
    if storage.version_exists(repo, spec.version_id):
        return BuildReport(path, spec.version_id, _stored_summary(repo, spec.version_id), reused=True)
    branch = storage.start_build(repo, spec)
    done = storage.completed_partitions(repo, branch, spec)
    todo = [p for p in range(spec.num_partitions) if p not in done]
    if todo:
        warm_up(spec.method, spec.kind)
        with _client(workers, scheduler) as client, _progress(spec.num_partitions, len(done), progress) as bar:
            _run(client, repo, branch, spec, todo, bar)
    summary = storage.finalize(repo, branch, spec)
    rejections = storage.partition_rejections(repo, branch)
    return BuildReport(path, spec.version_id, summary, partitions_run=len(todo), rejections=rejections)


def _run(client, repo, branch, spec, todo, bar) -> None:
    from distributed import as_completed

    session = repo.writable_session(branch)
    futures = [
        client.submit(run_partition, spec, p, session.fork(), key=f"refsim-{spec.version_id}-{p}", pure=False)
        for p in todo
    ]
    for future in as_completed(futures):
        fork, brief = future.result()
        session.merge(fork)
        session.commit(
            f"partition {brief['partition']}",
            metadata={"kind": "partition", "partition": brief["partition"],
                      "rejections": json.dumps(brief["rejections"]), "work": brief["work"]},
        )
        session = repo.writable_session(branch)
        future.release()
        bar.update(1)


class _client:
    """A distributed Client: an existing scheduler, or an embedded LocalCluster of processes."""

    def __init__(self, workers: int, scheduler: str | None):
        self.workers, self.scheduler = workers, scheduler

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.scheduler:
            self.cluster = None
            self.client = Client(self.scheduler)
            return self.client
        os.environ.update({k: v for k, v in WORKER_ENV.items() if k.startswith("MALLOC")})
        self.cluster = LocalCluster(
            n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR, env=WORKER_ENV,
        )
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False


def _stored_summary(repo, version_id: str) -> dict:
    import zarr

    group = zarr.open_group(repo.readonly_session(tag=version_id).store, mode="r")
    return json.loads(group.attrs["certificate"])
