"""Target 4: start-up. A small built-in recipe, end to end, as a user runs it.

``refsim generate RECIPE --out TMP --quiet`` in a fresh subprocess (import, recipe, embedded Dask
LocalCluster, template, solves, commits, finalize, exit), wall time of the whole subprocess. The
LocalCluster is the default's (``--worker-kind auto``: a build this small runs in 2 worker threads of the
driver); one more warm run with ``--worker-kind processes`` (2 worker processes) shows what that saves:

1. cold: ``NUMBA_CACHE_DIR`` set to an empty temporary directory, so every kernel is compiled
   (numba writes the cache there instead of next to the sources); ``NUMBA_DEBUG_CACHE=1`` makes
   every process (driver and workers) log each cache save and load, which are counted: a kernel
   compiled once per installation is saved once, whatever the number of workers;
2. the same again with that directory now filled: what the cold compile left behind is enough;
3. warm: the package's own cache (next to the sources, filled by an untimed run first), the
   median of ``WARM_RUNS`` runs. Target: <= 3 s.

Each warm run is also split into the time until the driver has imported refsim (``import``), as
measured by ``-X importtime`` in a separate run, for the profile.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

RECIPE = "burgers-random"
QUICK_RECIPE = "heat-random"
WARM_RUNS = 3
TARGET_SECONDS = 3.0
CLI = "from refsim.cli import run; run()"


def generate(recipe: str, env_extra: dict | None = None, *options: str) -> tuple[float, str]:
    """Wall seconds of one ``refsim generate`` subprocess into a fresh directory, and its output."""
    env = dict(os.environ, **(env_extra or {}))
    with tempfile.TemporaryDirectory(prefix="refsim-bench-startup-") as out:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CLI, "generate", recipe, "--out", out, "--quiet", *options],
                              env=env, capture_output=True, text=True, timeout=1200)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"refsim generate {recipe} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, proc.stdout + proc.stderr


def import_seconds() -> float:
    """Seconds the CLI's driver spends importing refsim.cli (``-X importtime``, cumulative)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import refsim.cli"], capture_output=True,
                          text=True, timeout=300)
    for line in proc.stderr.splitlines():
        if line.rstrip().endswith("| refsim.cli"):
            return int(line.split("|")[1]) / 1e6
    return float("nan")


def cache_events(log: str) -> tuple[int, int, int]:
    """(saves, distinct entries saved, loads) in a NUMBA_DEBUG_CACHE log."""
    saves = re.findall(r"\[cache\] data saved to '([^']+)'", log)
    loads = re.findall(r"\[cache\] data loaded from '([^']+)'", log)
    return len(saves), len(set(saves)), len(loads)


def estimate(log: str) -> float:
    """The build's largest certified error estimate, from the summary ``refsim generate`` prints."""
    found = re.search(r"relative error estimate: max ([0-9.eE+-]+)", log)
    return float(found.group(1)) if found else float("nan")


def bench_startup(args, say: Callable[[str], None]) -> list[dict]:
    recipe = QUICK_RECIPE if args.quick else RECIPE
    say(f"\n[startup] `refsim generate {recipe} --out TMP --quiet` in a subprocess (2 workers, default kind, "
        f"cluster start included); load average {os.getloadavg()[0]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="refsim-bench-numba-") as cache:
        env = {"NUMBA_CACHE_DIR": cache, "NUMBA_DEBUG_CACHE": "1"}
        cold, log = generate(recipe, env)
        saves, distinct, loads = cache_events(log)
        again, log2 = generate(recipe, env)
        saves2, _, loads2 = cache_events(log2)
    once = saves == distinct
    say(f"  cold (empty NUMBA_CACHE_DIR): {cold:.1f} s; {saves} kernel compilations saved, {distinct} distinct "
        f"({'each compiled once, in the driver' if once else 'SOME COMPILED MORE THAN ONCE'}), {loads} cache loads "
        f"by the workers")
    say(f"  same cache directory, second run: {again:.1f} s; {saves2} compilations, {loads2} cache loads")
    generate(recipe)  # fills the package's own cache if anything is missing; untimed
    runs = [generate(recipe) for _ in range(1 if args.quick else WARM_RUNS)]
    walls = [w for w, _ in runs]
    warm = float(np.median(walls))
    error = estimate(runs[-1][1])
    imported = import_seconds()
    processes, _ = generate(recipe, None, "--worker-kind", "processes")
    met = "met" if warm <= TARGET_SECONDS else "NOT met"
    say(f"  warm (package cache): median {warm:.2f} s of {len(walls)} ({', '.join(f'{w:.2f}' for w in walls)}); "
        f"of which importing refsim.cli in the driver alone {imported:.2f} s; largest certified error estimate "
        f"{error:.1e}; target <= {TARGET_SECONDS:g} s: {met}")
    say(f"  the same warm run with --worker-kind processes (2 worker processes, each importing refsim): "
        f"{processes:.2f} s")
    say(f"  cold-compile cost, paid once per installation: {cold - again:.1f} s")
    rows.append(dict(problem=f"start-up {recipe}", method="refsim generate, warm cache",
                     setting="2 worker threads (auto)", error=error, wall=warm, rate=float("nan"), cores="2", ratio="",
                     target=f"<= {TARGET_SECONDS:g} s: {met}"))
    rows.append(dict(problem="", method="refsim generate, warm cache", setting="--worker-kind processes",
                     error=float("nan"), wall=processes, rate=float("nan"), cores="2", ratio="",
                     target="(for comparison)"))
    rows.append(dict(problem="", method="refsim generate, cold cache", setting="empty NUMBA_CACHE_DIR",
                     error=estimate(log), wall=cold, rate=float("nan"), cores="2",
                     ratio=f"compile {cold - again:.1f} s",
                     target=f"once per installation: {'met' if once and saves2 == 0 else 'NOT met'}"))
    return rows
