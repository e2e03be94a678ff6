"""The case ``scale``: whole refsim builds on a Dask LocalCluster, throughput and worker memory.

Every build is the real pipeline (``parse_recipe`` -> ``build_spec`` -> ``build(spec, out, workers=W)``,
an embedded LocalCluster of W worker threads or single-threaded worker processes, icechunk store, commits of the
finished partitions at most once a second, final certificate), run in a fresh Python subprocess (``python -c``,
so spawned workers import only refsim, not this benchmark) into a fresh temporary directory, so every build
computes everything.

1. Throughput: each of ``THROUGHPUT_CASES`` (a light Burgers recipe, N = 32, 9 frames, tolerance 1e-9,
   partitions of 8, ~25 ms per certified trajectory; and Kuramoto-Sivashinsky on target 1's domain, a
   partition ~1 s of solving) with 1 and with 2 workers, twice: the default (``processes=None``: auto,
   threads of the driver for one worker or at most 8 partitions per worker, processes beyond; target 5's
   row) and worker processes (``processes=True``, for comparison). In each subprocess, after the driver's
   own numba warm-up (reported, not timed):
   (a) for processes, the start of a LocalCluster alone as ``build`` makes it (W workers ready) and its
   close; (b) a tiny build of the same recipe with ``TINY_SAMPLES`` trajectories (one partition): the
   fixed cost of a build (cluster start and close, worker imports and numba cache loads, template,
   finalize); (c) the full build. Wall time is that of the ``build(...)`` call. Throughput =
   trajectories / wall; "net" = (N - tiny) / (wall - tiny wall), the rate once the fixed cost is paid.
   Scaling efficiency = t1 / (2 t2), on the wall times and on the net times. One run each (no repeats:
   a build takes 10-30 s).
2. Worker memory (parts 2 and 3 are in ``scale_memory.py``): ``MEMORY_RECIPE`` (Burgers, N = 16, 5 frames,
   tolerance 1e-6, partitions of 50; cheaper per trajectory, not fewer) built with 2 workers for
   ``MEMORY_SAMPLES`` = 100 and 10 000 trajectories. While the build subprocess runs, this process samples the
   resident set size of the driver and of each of its worker processes (its children started by
   multiprocessing's spawn) every 0.2 s with psutil, and also reads each process's kernel high-water mark VmHWM
   (``/proc/<pid>/status``, the true peak RSS, which sampling can miss). Reported: the largest worker peak and
   the driver's peak for both sizes, their ratio, and for 10 000 the mean worker RSS at 25/50/75/100 % of the
   build (flat = nothing accumulates per partition). The same two builds again with the workers as threads of
   the driver (``--worker-kind threads``, which auto does not choose for 10 000): the driver's peak, for
   information.

3. A 2D batch (target 5's memory budget): ``NS_RECIPE``, Navier-Stokes 256^2, 4 trajectories in
   partitions of 2 on 2 workers, worker peak RSS as above, against the recipe's memory budget
   (``solver.memory_mib: 1024``, which bounds the runs of a batch; the comparison counts the whole worker
   process, its idle footprint included, so it is stricter than the budget itself).

Target 5 asks for 2 workers >= 1.8x one (the ratio of build wall times, and "net" of the fixed
cost), a worker peak flat in the number of trajectories (printed as the ratio of the two peaks),
and the 2D batch within its budget. ``--quick`` builds a quarter of the trajectories for the throughput and
20 / 200 for the memory.

The machine is shared: before each measurement the 1-minute load average is printed, and after it
the CPU time other processes used during it (system busy time minus this benchmark's subprocess
tree, in cores), with a warning when other processes held more than a quarter of a core.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

BASE_RECIPE = {
    "name": "bench-scale", "equation": "burgers", "parameters": {"nu": {"uniform": [0.05, 0.1]}},
    "domain": {"length": 6.283185307179586, "points": 32}, "time": {"end": 2.0, "frames": 9},
    "initial_condition": {"family": "fourier", "modes": 3, "amplitude": 0.5},
    "samples": 256, "seed": 1, "tolerance": 1e-9, "partition_size": 8,
}
# Kuramoto-Sivashinsky on target 1's domain (L = 32 pi, N = 128, T = 30): a trajectory heavy enough (certified:
# production, twins and order run of a chaotic equation) that a partition is ~1 s of solving, as in production.
KS_SCALE_RECIPE = {
    "name": "bench-scale-ks", "equation": "kuramoto_sivashinsky",
    "domain": {"length": 100.53096491487338, "points": 128}, "time": {"end": 30.0, "frames": 31},
    "initial_condition": {"family": "fourier", "modes": 3, "amplitude": 1.0},
    "samples": 256, "seed": 1, "tolerance": 1e-6, "partition_size": 16,
}
THROUGHPUT_CASES = (
    ("burgers N=32, T=2 (light: ~25 ms per certified trajectory)", BASE_RECIPE, 768),
    ("KS L=32pi N=128 T=30 (target 1's problem)", KS_SCALE_RECIPE, 256),
)
TINY_SAMPLES = 2
WORKER_COUNTS = (1, 2)
WORKER_KINDS = (("default (auto)", None), ("processes", True))  # build(processes=...): None is auto
SAMPLE_INTERVAL = 0.2  # seconds between RSS samples
OTHER_LOAD_WARN = 0.25  # cores used by other processes during a measurement above which it is flagged

# Runs in a fresh interpreter: python -c DRIVER '<json>'. Prints one JSON line at the end.
DRIVER = r"""
import json, logging, os, sys, tempfile, time
from pathlib import Path
job = json.loads(sys.argv[1])
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec
from refsim.pipeline import build as pipeline
out = {}
t = time.perf_counter()
pipeline.warm_up("etdrk4")
out["warm_up"] = time.perf_counter() - t
if job.get("cluster"):  # a process LocalCluster alone: its start-up
    from distributed import Client, LocalCluster
    os.environ.update({k: v for k, v in pipeline.WORKER_ENV.items() if k.startswith("MALLOC")})
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=job["workers"], threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR, env=pipeline.WORKER_ENV)
    client = Client(cluster)
    client.wait_for_workers(job["workers"])
    out["cluster_start"] = time.perf_counter() - t
    t = time.perf_counter()
    client.close()
    cluster.close()
    out["cluster_close"] = time.perf_counter() - t
for label, recipe in job["builds"]:
    spec = build_spec(parse_recipe(recipe))
    with tempfile.TemporaryDirectory(prefix="refsim-bench-scale-") as tmp:
        t = time.perf_counter()
        report = pipeline.build(spec, Path(tmp), workers=job["workers"], progress=False,
                                processes=job.get("processes", True))
        wall = time.perf_counter() - t
    out[label] = {"wall": wall, "samples": spec.samples, "partitions": report.partitions_run,
                  "certified": report.summary.get("certified"), "rejected": report.summary.get("rejected"),
                  "reused": report.reused, "estimate": report.summary.get("error_estimate_max"),
                  "points": report.summary.get("internal_points")}
print(json.dumps(out), flush=True)
"""


def recipe(base: dict, samples: int) -> dict:
    return {**base, "samples": samples}


def busy_cpu_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def children_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def high_water_mark(pid: int) -> int | None:
    """VmHWM of a live process in bytes (Linux), else None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class Tracked:
    role: str  # driver | worker | other
    peak_rss: int = 0
    hwm: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, rss)


def classify(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    if "resource_tracker" in cmd:
        return "other"
    return "worker" if "spawn_main" in cmd else "other"


@dataclass
class Run:
    result: dict
    seconds: float  # subprocess wall time
    other_cores: float  # mean number of cores busy with processes outside this benchmark
    load_before: float
    tracked: dict[int, Tracked] = field(default_factory=dict)

    def peaks(self, role: str) -> list[int]:
        """Peak resident bytes per process of ``role``: the larger of sampled RSS and VmHWM."""
        return [max(t.peak_rss, t.hwm) for t in self.tracked.values() if t.role == role]


def run_driver(job: dict, sample: bool = False) -> Run:
    """Run DRIVER in a subprocess; with ``sample``, track the RSS of it and its descendants."""
    load_before = os.getloadavg()[0]
    busy0, kids0, t0 = busy_cpu_seconds(), children_cpu_seconds(), time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, json.dumps(job)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    tracked: dict[int, Tracked] = {}
    if sample:
        root = psutil.Process(proc.pid)
        tracked[proc.pid] = Tracked("driver")
        while proc.poll() is None:
            now = time.perf_counter() - t0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                entry = tracked.get(p.pid)
                if entry is None:
                    entry = tracked[p.pid] = Tracked(classify(p))
                entry.peak_rss = max(entry.peak_rss, rss)
                entry.samples.append((now, rss))
                entry.hwm = max(entry.hwm, high_water_mark(p.pid) or 0)
            time.sleep(SAMPLE_INTERVAL)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - t0
    other = (busy_cpu_seconds() - busy0) - (children_cpu_seconds() - kids0)
    if proc.returncode != 0:
        raise RuntimeError(f"build subprocess failed ({proc.returncode}):\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return Run(result, seconds, max(other, 0.0) / seconds, load_before, tracked)


def load_note(run: Run) -> str:
    text = f"load avg (1 min) before {run.load_before:.2f}; other processes used {run.other_cores:.2f} cores during it"
    if run.other_cores > OTHER_LOAD_WARN:
        text += f"  <-- machine busy ({os.cpu_count()} CPUs): timings are pessimistic"
    return text


def rejected(result: dict) -> int:
    """The number of rejected trajectories of a build (the summary counts them per reason)."""
    value = result.get("rejected") or 0
    return sum(value.values()) if isinstance(value, dict) else int(value)


def mib(n: float) -> str:
    return f"{n / 2**20:.0f}"


def bench_scale(args, say: Callable[[str], None], targets: list[dict] | None = None) -> list[list[str]]:
    """Run the scale case; table rows [what, setting, wall, rate, peak RSS, ratio]. Target 5's summary rows
    (the common row format of ``__main__``) are appended to ``targets``."""
    targets = [] if targets is None else targets
    ncpu = os.cpu_count()
    load = os.getloadavg()
    say(f"\n[scale] full refsim builds (parse_recipe -> build_spec -> build, embedded Dask LocalCluster, "
        f"workers as threads of the driver or single-threaded processes); {ncpu} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > 0.5 * ncpu:
        say(f"  note: the load average is high for {ncpu} CPUs before this case starts (other processes, or the "
            "cases before it); the numbers below are pessimistic")
    rows: list[list[str]] = []

    for label, base, samples in THROUGHPUT_CASES:
        throughput_case(label, base, samples // 4 if args.quick else samples, say, rows, targets)

    from .scale_memory import bench_memory  # its helpers are this module's

    bench_memory(args, say, rows, targets)
    return rows


def throughput_case(label: str, base: dict, n: int, say: Callable[[str], None], rows: list[list[str]],
                    targets: list[dict]) -> None:
    """Build ``n`` trajectories of ``base`` with 1 and with 2 workers, of the default kind (auto) and as
    worker processes; target 5's speed-up is the default's."""
    say(f"  throughput recipe: {label}; {n} trajectories in partitions of {base['partition_size']}, "
        f"{base['time']['frames']} frames, tolerance {base['tolerance']:g}")
    for kind, processes in WORKER_KINDS:
        walls, nets, estimates = {}, {}, {}
        for w in WORKER_COUNTS:
            job = {"workers": w, "cluster": processes is True, "processes": processes,
                   "builds": [["tiny", recipe(base, TINY_SAMPLES)], ["full", recipe(base, n)]]}
            run = run_driver(job)
            r = run.result
            tiny, full = r["tiny"], r["full"]
            walls[w] = full["wall"]
            estimates[w] = full["estimate"]
            nets[w] = (full["wall"] - tiny["wall"]) / (full["samples"] - tiny["samples"])
            start = (f"process LocalCluster start {r['cluster_start']:.2f} s (close {r['cluster_close']:.2f} s); "
                     if "cluster_start" in r else "")
            say(f"  {kind}, {w} worker(s): {start}tiny build ({TINY_SAMPLES} traj.) {tiny['wall']:.2f} s; full "
                f"build {full['wall']:.2f} s ({full['partitions']} partitions, {full['certified']} certified, "
                f"{rejected(full)} rejected, largest estimate {full['estimate']:.1e}); driver numba warm-up "
                f"{r['warm_up']:.2f} s (untimed)")
            say(f"    {load_note(run)}")
            rows.append([f"build, {w} worker{'s' if w > 1 else ''}, {kind}", f"{n} traj. ({label})",
                         f"{full['wall']:.2f}", f"{n / full['wall']:.1f} traj/s (net {1 / nets[w]:.1f})", "", ""])
            rows.append(["", "  fixed cost: tiny build", f"{tiny['wall']:.2f}", "", "", ""])
        eff_wall = walls[1] / (2 * walls[2])
        eff_net = nets[1] / (2 * nets[2])
        speedup, speedup_net = walls[1] / walls[2], nets[1] / nets[2]
        say(f"  {kind}: 2 workers vs 1: {speedup:.2f}x on build wall time, {speedup_net:.2f}x net of the fixed cost "
            f"(target >= 1.8x); scaling efficiency t1 / (2 t2): {eff_wall:.2f} (net {eff_net:.2f})")
        rows.append(["", "speed-up t1/t2 (efficiency t1/(2 t2))", "", f"{speedup:.2f}x (net {speedup_net:.2f}x)",
                     "", f"{eff_wall:.2f} (net {eff_net:.2f})"])
        verdict = f">= 1.8x: {'met' if speedup >= 1.8 else 'NOT met'}" if processes is None else "(for comparison)"
        for w in WORKER_COUNTS:
            targets.append(dict(problem=f"scale: {label}, {n} traj." if w == 1 and processes is None else "",
                                method=f"refsim build, {w} worker{'s' if w > 1 else ''}, {kind}",
                                setting=f"tol {base['tolerance']:g}",
                                error=estimates[w], wall=walls[w], rate=n / walls[w], cores=str(w),
                                ratio="" if w == 1 else f"{speedup:.2f}x (net {speedup_net:.2f}x)",
                                target="" if w == 1 else verdict))


SCALE_HEADERS = ["measurement", "setting", "wall [s]", "throughput", "peak RSS [MiB] worker/driver",
                 "10k/100 ratio"]
SCALE_RIGHT = {2, 3, 4, 5}

