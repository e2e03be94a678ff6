"""Run a build: template first, then one Dask task per partition that solves,
certifies and writes its own region, one commit per finished partition, and a
final tagged commit. Re-running an interrupted build resumes it."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import icechunk
import numpy as np

from . import staging, storage
from .locks import build_lock
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
    tasks_run: int = 0  # Dask tasks: light partitions are grouped, several to a task
    ran_on: str = ""  # "2 worker processes", "2 worker threads", a scheduler's address, "the batch cluster"
    rejections: list[dict] = field(default_factory=list)


def run_partition(spec: BuildSpec, partition: int, fork):
    """Dask task: solve, certify and write one partition into a fork of the session."""
    if spec.kind == "steady":
        from .solve_steady import solve_steady_partition

        result = solve_steady_partition(spec, partition)
    elif spec.kind == "ode":
        from .solve_ode import solve_ode_partition

        result = solve_ode_partition(spec, partition)
    elif spec.truth == "dvdm-model":
        from .solve_discrete import solve_discrete_partition

        result = solve_discrete_partition(spec, partition)
    elif spec.interval is not None:
        from .solve_bounded import solve_bounded_partition

        result = solve_bounded_partition(spec, partition)
    else:
        result = solve_partition(spec, partition)
    storage.write_partition(fork.store, result)
    return fork, _brief(result)


def run_partitions(spec: BuildSpec, partitions: list[int], fork):
    """Dask task: :func:`run_partition` for several partitions, one after another, into one fork; each brief
    carries the seconds its partition took (the driver sizes the next groups by them)."""
    briefs = []
    for p in partitions:
        start = time.perf_counter()
        fork, brief = run_partition(spec, p, fork)
        briefs.append({**brief, "seconds": time.perf_counter() - start})
    return fork, briefs


def _brief(result: PartitionResult) -> dict:
    return {"partition": result.partition, "rejections": result.rejections, "work": result.work}


def warm_up(method: str, kind: str = "pde", interval: bool = False) -> None:
    """Compile (or load from Numba's cache) the kernels once, before workers start."""
    if kind == "steady":  # SciPy's SuperLU: nothing to compile
        return
    from ..generators import EQUATIONS
    from ..solvers.grid import FourierGrid
    from ..solvers.semilinear import solve_frames

    if interval:
        from ..solvers.chebyshev import BoundaryCondition, IntervalOperator, chebyshev_grid
        from ..solvers.chebyshev_etdrk4 import solve_interval_frames

        grid, dirichlet = chebyshev_grid(4, 0.0, 1.0), BoundaryCondition("dirichlet")
        operator = IntervalOperator(grid, EQUATIONS["burgers_interval"]().terms(), dirichlet, dirichlet)
        solve_interval_frames(operator, np.sin(np.pi * grid.x), 0.1, 2, 1, method)
        return
    if kind == "ode":
        from ..solvers.ode import integrate

        system = EQUATIONS["mass_spring"]()
        y0, params = np.array([[1.0, 0.0]]), system.params_array()[None]
        setting = {"rtol": 1e-6, "atol": 1e-6} if method == "dop853" else {"steps_per_frame": 1}
        integrate(method, system.functions(), y0, params, 0.1, 2, **setting)
        return
    if method == "dvdm":  # the DVDM schemes are NumPy; only error_space's PDE reference solves compile
        method = "etdrk4"
    grid = FourierGrid(8, 2 * np.pi)
    eq = EQUATIONS["burgers"]()
    solve_frames(grid, [eq.terms(grid)], np.sin(grid.x)[None], 0.1, 2, 1, method)


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="partition", desc="solving", disable=not enabled,
                file=sys.stderr, dynamic_ncols=True)


def build(spec: BuildSpec, out: Path | str, workers: int = 2, scheduler: str | None = None,
          progress: bool = True, cluster=None, annotate=None, processes: bool | None = None) -> BuildReport:
    """Build (or resume) the version ``spec`` into ``out/<name>`` and finalise it.

    ``scheduler`` is the address of an existing Dask scheduler; ``cluster`` an
    already constructed cluster object (dask-jobqueue); otherwise an embedded
    LocalCluster is started: ``workers`` worker processes (``processes=True``), or one worker of
    ``workers`` threads inside this process (``processes=False``), or (``None``) whichever
    :func:`use_processes` picks for the partitions still to build. ``annotate(dataset) -> dict`` adds attributes
    computed from the finished data to the version before it is tagged (the CLI passes the catalog's
    training splits and normalisation statistics).
    """
    path = Path(out) / spec.name
    repo = storage.open_repository(path)
    if storage.version_exists(repo, spec.version_id):
        storage.point_main_at_newest(repo)
        return BuildReport(path, spec.version_id, _stored_summary(repo, spec.version_id), reused=True)
    with build_lock(path, spec.version_id):
        branch = storage.start_build(repo, spec)
        done = storage.completed_partitions(repo, branch, spec)
        todo = [p for p in range(spec.num_partitions) if p not in done]
        tasks, ran_on = 0, ""
        if todo:
            warm_up(spec.method, spec.kind, spec.interval is not None)
            if processes is None:
                processes = use_processes(len(todo), workers)
            workers_of = _client(min(workers, len(todo)), scheduler, cluster, processes)
            ran_on = workers_of.description
            with workers_of as client, _progress(spec.num_partitions, len(done), progress) as bar:
                tasks = _run(client, repo, branch, spec, todo, bar, window=4 * max(workers, 1), workers=workers)
        summary = storage.finalize(repo, branch, spec, annotate)
    rejections = storage.partition_rejections(repo, branch)
    return BuildReport(path, spec.version_id, summary, partitions_run=len(todo), rejections=rejections,
                       tasks_run=tasks, ran_on=ran_on)



# A worker process costs ~2-3 s before its first task (spawn, import refsim and its libraries, load the
# compiled kernels); threads of the driver cost nothing but share the GIL: the compiled kernels release it,
# the Python around them (sampling, certificate analysis, encoding) does not. Measured on 2 cores with 2
# workers (bench/PROFILE.md section 9): 16 Kuramoto-Sivashinsky partitions, threads 16.2 s, processes
# 18.6 s; 96 light Burgers partitions, 13.6 s and 14.9 s; 600 partitions of 50 tiny Burgers trajectories,
# 80 s and 64 s (the GIL's share wins once the start-up is amortised). So threads for a build of a few
# partitions per worker (or one worker), processes beyond.
THREADED_PARTITIONS_PER_WORKER = 8


def use_processes(partitions: int, workers: int) -> bool:
    """Whether an embedded LocalCluster should use worker processes (True) or threads of this process."""
    return workers > 1 and partitions > THREADED_PARTITIONS_PER_WORKER * workers


def _commit_partition(session, brief) -> None:
    session.commit(
        f"partition {brief['partition']}",
        metadata={"kind": "partition", "partition": brief["partition"],
                  "rejections": json.dumps(brief["rejections"]), "work": brief["work"]},
    )


def _commit_partitions(session, briefs: list[dict]) -> None:
    """One commit for several finished partitions (a single one keeps the one-partition form)."""
    if len(briefs) == 1:
        _commit_partition(session, briefs[0])
        return
    parts = sorted(b["partition"] for b in briefs)
    session.commit(
        f"partitions {', '.join(map(str, parts))}",
        metadata={"kind": "partitions", "partitions": json.dumps(parts),
                  "rejections": json.dumps([r for b in briefs for r in b["rejections"]]),
                  "work": sum(int(b["work"]) for b in briefs)},
    )


# The driver commits what has finished at most this often (and at the end): each icechunk commit costs the
# driver ~20 ms of CPU that a 2-core machine takes from its workers. An interruption loses at most this much
# finished work (it is solved again on resume); nothing half-written is ever committed.
COMMIT_SECONDS = float(os.environ.get("REFSIM_COMMIT_SECONDS", "1.0"))


# Partitions per Dask task: a light partition (a few ms to a few hundred ms of solving) costs the driver about
# as much as a heavy one (scheduling, merging its fork: ~20 ms of CPU per task on a 2-core machine, which the
# workers lose; grouping measured 2-3 % faster on 96 light partitions), so once the first tasks have shown
# how long a partition takes, several light partitions go into one task of about TASK_SECONDS, at most
# MAX_GROUP; near the end groups shrink so no worker is left with a long tail. A heavy partition stays a task
# of its own. An interruption loses at most the tasks in flight.
TASK_SECONDS = float(os.environ.get("REFSIM_TASK_SECONDS", "1.0"))
MAX_GROUP = 16


def group_size(seconds_per_partition: float | None, remaining: int, workers: int) -> int:
    """How many partitions the next task gets."""
    if not seconds_per_partition or TASK_SECONDS <= 0:
        return 1
    by_time = int(TASK_SECONDS / seconds_per_partition)
    by_tail = remaining // (4 * max(workers, 1))  # the last quarter of each worker's share in smaller tasks
    return max(1, min(MAX_GROUP, by_time, by_tail))


def _run(client, repo, branch, spec, todo, bar, window: int, workers: int = 1) -> int:
    """Keep at most ``window`` tasks in flight, so the driver's memory does not grow with the build; returns
    the number of tasks."""
    from distributed import as_completed

    base = repo.writable_session(branch)  # forks of one session; finished forks are merged and committed
    pending = list(reversed(todo))  # popped from the end: in order
    solved, seconds, tasks = 0, 0.0, 0

    def submit():
        nonlocal tasks
        size = group_size(seconds / solved if solved else None, len(pending), workers)
        group = [pending.pop() for _ in range(min(size, len(pending)))]
        tasks += 1
        return client.submit(run_partitions, spec, group, base.fork(), key=f"refsim-{spec.version_id}-{group[0]}",
                             pure=False)

    queue = as_completed([submit() for _ in range(min(window, len(pending)))])
    session, briefs, last = None, [], time.monotonic()
    for batch in queue.batches():
        for future in batch:
            fork, done = future.result()
            session = session or repo.writable_session(branch)
            session.merge(fork)
            for brief in done:
                solved, seconds = solved + 1, seconds + brief.pop("seconds")
            briefs.extend(done)
            future.release()
            bar.update(len(done))
            if pending:
                queue.add(submit())
        if briefs and (time.monotonic() - last >= COMMIT_SECONDS or queue.is_empty()):
            _commit_partitions(session, briefs)
            session, briefs, last = None, [], time.monotonic()
    if briefs:
        _commit_partitions(session, briefs)
    return tasks


def build_partition_share(spec: BuildSpec, out: Path | str, index: int, count: int, progress: bool = False) -> dict:
    """Array-job mode: build the partitions p with p % count == index, in this process, without Dask.

    They are committed to the staging branch ``stage-<version>-<index>``; running the
    same share again skips what is committed. ``finalize_staged`` assembles the version.
    """
    path = Path(out) / spec.name
    repo = storage.open_repository(path)
    if storage.version_exists(repo, spec.version_id):
        return {"version": spec.version_id, "staged": [], "skipped": "version already finished"}
    with build_lock(path, f"{spec.version_id}-share-{index}"):
        with build_lock(path, f"{spec.version_id}-template", wait=True):
            storage.start_build(repo, spec)
        stage = staging.stage_branch(repo, spec, index)
        done = storage.completed_partitions(repo, stage, spec)
        mine = [p for p in range(spec.num_partitions) if p % count == index and p not in done]
        if mine:
            warm_up(spec.method, spec.kind, spec.interval is not None)
        for p in mine:
            session = repo.writable_session(stage)
            fork, brief = run_partition(spec, p, session.fork())
            session.merge(fork)
            _commit_partition(session, brief)
    return {"version": spec.version_id, "staged": mine, "branch": stage}


def finalize_staged(out_path: Path, spec: BuildSpec, if_complete: bool = False, annotate=None) -> BuildReport | None:
    """Collect every staged partition of ``spec``'s version, check completeness, commit and tag.

    With ``if_complete`` (the array tasks' own call) a concurrent finalize is waited for, and a
    version with partitions still missing returns None instead of failing.
    """
    repo = storage.open_repository(out_path, create=False)
    if storage.version_exists(repo, spec.version_id):
        return BuildReport(out_path, spec.version_id, _stored_summary(repo, spec.version_id), reused=True)
    with build_lock(out_path, spec.version_id, wait=if_complete):
        if storage.version_exists(repo, spec.version_id):  # finished while this call waited
            return BuildReport(out_path, spec.version_id, _stored_summary(repo, spec.version_id), reused=True)
        branch = storage.build_branch(spec.version_id)
        staging.collect_stages(repo, spec)
        missing = set(range(spec.num_partitions)) - storage.completed_partitions(repo, branch, spec)
        if missing and if_complete:
            return None
        if missing:
            raise storage.IncompleteBuildError(
                f"{len(missing)} of {spec.num_partitions} partitions are missing (first: {sorted(missing)[:5]}); "
                "run their array tasks again, then finalize")
        summary = storage.finalize(repo, branch, spec, annotate)
        staging.drop_stages(repo, spec)
    return BuildReport(out_path, spec.version_id, summary, rejections=storage.partition_rejections(repo, branch))


WORKER_WAIT_SECONDS = float(os.environ.get("REFSIM_WORKER_WAIT", "60"))


def describe_build_failure(err: BaseException) -> str | None:
    """One line for a failure of the storage or of the cluster during a build, or None if it is neither."""
    from distributed.scheduler import KilledWorker

    if isinstance(err, icechunk.IcechunkError):
        text = str(err)
        first = next((line.strip(" |x-`>") for line in text.splitlines() if line.strip(" |x-`>")), "")
        hint = " (the disk is full)" if "No space left" in text or "os error 28" in text else ""
        return f"the store could not be written{hint}: {first[:200]}"
    if isinstance(err, KilledWorker):
        return (f"a worker process died each time it ran {err.task!r} (out of memory, or killed); "
                "give the workers more memory or use smaller partitions")
    return None


# Dask's workers keep their last low-level-log-length stimuli (default 1000), and each task's stimulus holds
# its arguments: the spec and the icechunk fork the partition was written into, with its change set. A long
# build's driver (threads) or workers (processes) then held ~330 finished partitions' forks: measured with
# 2 worker threads, 600 partitions, driver +80 MiB and growing; with 50 stimuli +38 MiB and levelling off.
EMBEDDED_CONFIG = {"distributed.admin.low-level-log-length": 50}


class _client:
    """A distributed Client: an existing scheduler, a given cluster, or an embedded LocalCluster."""

    def __init__(self, workers: int, scheduler: str | None, cluster=None, processes: bool = True):
        self.workers, self.scheduler, self.given, self.processes = workers, scheduler, cluster, processes

    @property
    def description(self) -> str:
        """What the partitions run on, for the build's report: "2 worker processes", "1 worker thread", ..."""
        if self.scheduler:
            return f"the Dask scheduler at {self.scheduler}"
        if self.given is not None:
            return "the batch cluster"
        kind = "process" if self.processes else "thread"
        return f"{self.workers} worker {kind}" + ("" if self.workers == 1 else "es" if self.processes else "s")

    def __enter__(self):
        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        if self.scheduler:
            self.client = Client(self.scheduler)
            try:
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except TimeoutError:
                self.client.close()
                raise TimeoutError(f"the scheduler has no workers after {WORKER_WAIT_SECONDS:g} s; start some with "
                                   f"`dask worker {self.scheduler}` (or set REFSIM_WORKER_WAIT)") from None
            return self.client
        if self.given is not None:
            self.given.scale(jobs=max(1, self.workers))
            self.client = Client(self.given)
            return self.client
        os.environ.update({k: v for k, v in WORKER_ENV.items() if k.startswith("MALLOC")})
        self.config = dask.config.set(EMBEDDED_CONFIG)  # for the cluster's lifetime; its workers inherit it
        try:
            if not self.processes:  # one in-process worker: the driver's imports and compiled kernels are reused
                self.cluster = LocalCluster(n_workers=1, threads_per_worker=self.workers, processes=False,
                                            dashboard_address=":0", silence_logs=logging.CRITICAL)
            else:
                self.cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=":0",  # any port
                    silence_logs=logging.CRITICAL, env=WORKER_ENV,  # shutdown races log errors
                    preload=["refsim.pipeline.worker_setup"],  # Ctrl-C is the driver's to handle
                )
            self.client = Client(self.cluster)
        except BaseException:
            self.config.__exit__(None, None, None)
            raise
        return self.client

    def __exit__(self, *exc):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.config.__exit__(None, None, None)
        return False


def _stored_summary(repo, version_id: str) -> dict:
    import zarr

    group = zarr.open_group(repo.readonly_session(tag=version_id).store, mode="r")
    return json.loads(group.attrs["certificate"])
