"""The memory measurements of the case ``scale`` (parts 2 and 3 of ``scale.py``'s docstring): worker and
driver peak RSS of whole builds of 100 and 10 000 trajectories, and a 2D Navier-Stokes 256^2 batch against
its recipe's memory budget."""

from __future__ import annotations

from collections.abc import Callable

from .scale import BASE_RECIPE, SAMPLE_INTERVAL, Run, load_note, mib, recipe, rejected, run_driver

MEMORY_RECIPE = {**BASE_RECIPE, "name": "bench-memory", "domain": {**BASE_RECIPE["domain"], "points": 16},
                 "time": {"end": 2.0, "frames": 5}, "tolerance": 1e-6, "partition_size": 50}
MEMORY_SAMPLES = (100, 10_000)
QUICK_MEMORY_SAMPLES = (20, 200)
# Target 5's 2D batch: Navier-Stokes 256^2, 4 trajectories in partitions of 2 on 2 workers. The semi-discrete
# truth keeps the grid at 256^2 (the 512^2 space twin still runs, for the distance from the PDE), so the
# size of the arrays is the recipe's own; 3 frames keep the build short.
NS_RECIPE = {
    "name": "bench-ns256", "equation": "navier_stokes_2d", "parameters": {"nu": 1e-3},
    "domain": {"length": 6.283185307179586, "points": 256}, "time": {"end": 0.2, "frames": 3},
    "initial_condition": {"family": "gaussian_random_field", "length_scale": 0.5, "smoothness": 3.0, "max_mode": 4,
                          "amplitude": 1.0},
    "samples": 4, "partition_size": 2, "seed": 0, "tolerance": 1e-6, "truth": "fourier-semidiscrete",
    "solver": {"steps_per_frame": 4, "memory_mib": 1024},
}


def bench_memory(args, say: Callable[[str], None], rows: list[list[str]], targets: list[dict]) -> None:
    """Peak RSS of the memory recipe's builds (target 5's flat memory), then the 2D batch."""
    memory_samples = QUICK_MEMORY_SAMPLES if args.quick else MEMORY_SAMPLES
    estimates = {}
    m = MEMORY_RECIPE
    say(f"  memory recipe: burgers, N={m['domain']['points']}, T={m['time']['end']:g}, {m['time']['frames']} frames, "
        f"tolerance {m['tolerance']:g}, partitions of {m['partition_size']}; 2 workers; RSS sampled every "
        f"{SAMPLE_INTERVAL} s + VmHWM")
    peaks = {}
    for count in memory_samples:
        run = run_driver({"workers": 2, "builds": [["full", recipe(m, count)]]}, sample=True)
        full = run.result["full"]
        workers = run.peaks("worker")
        driver = run.peaks("driver")[0]
        peaks[count] = (max(workers) if workers else 0, driver)
        say(f"  {count} traj.: build {full['wall']:.1f} s ({full['partitions']} partitions, {full['certified']} "
            f"certified, {rejected(full)} rejected); worker peak RSS "
            f"{', '.join(mib(p) for p in workers)} MiB; driver peak {mib(driver)} MiB")
        if count == memory_samples[-1]:
            say(f"    worker RSS over the build: {timeline(run)}")
        say(f"    {load_note(run)}")
        rows.append(["memory, 2 workers", f"{count} traj. (N=16, 5 frames, tol 1e-6)", f"{full['wall']:.2f}",
                     f"{count / full['wall']:.0f} traj/s", f"{mib(peaks[count][0])} / {mib(driver)}", ""])
        estimates[count] = full["estimate"]
    small, large = memory_samples
    (w_small, d_small), (w_large, d_large) = peaks[small], peaks[large]
    ratio = f"{w_large / w_small:.2f}x / {d_large / d_small:.2f}x"
    rows[-1][5] = ratio
    say(f"  peak RSS {large} vs {small} trajectories: worker {mib(w_large)} vs "
        f"{mib(w_small)} MiB ({w_large / w_small:.2f}x), driver {mib(d_large)} vs {mib(d_small)} MiB "
        f"({d_large / d_small:.2f}x)")
    flat = w_large / w_small <= 1.1
    targets.append(dict(problem=f"scale: burgers N=16, {small} vs {large} traj.", method="peak worker RSS, 2 workers",
                        setting=f"{mib(w_small)} -> {mib(w_large)} MiB", error=estimates[large], wall=float("nan"),
                        rate=float("nan"), cores="2", ratio=f"{w_large / w_small:.2f}x",
                        target=f"flat (<= 1.1x): {'met' if flat else 'NOT met'}"))
    # the same builds with the 2 workers as threads of the driver (--worker-kind threads): the driver's peak
    threaded = {}
    for count in memory_samples:
        run = run_driver({"workers": 2, "processes": False, "builds": [["full", recipe(m, count)]]}, sample=True)
        threaded[count] = run.peaks("driver")[0]
        say(f"  {count} traj., 2 worker threads in the driver: build {run.result['full']['wall']:.1f} s; "
            f"driver peak RSS {mib(threaded[count])} MiB; {load_note(run)}")
    growth = threaded[large] / threaded[small]
    targets.append(dict(problem="", method="peak driver RSS, 2 worker threads",
                        setting=f"{mib(threaded[small])} -> {mib(threaded[large])} MiB", error=estimates[large],
                        wall=float("nan"), rate=float("nan"), cores="2", ratio=f"{growth:.2f}x",
                        target="(for information: auto uses processes here)"))
    bench_ns_memory(say, rows, targets)


def bench_ns_memory(say: Callable[[str], None], rows: list[list[str]], targets: list[dict]) -> None:
    """Peak worker RSS of a 2D Navier-Stokes 256^2 build (target 5's memory budget)."""

    r = NS_RECIPE
    say(f"  2D batch: navier_stokes_2d nu=1e-3, {r['domain']['points']}^2, {r['samples']} trajectories in partitions "
        f"of {r['partition_size']}, {r['time']['frames']} frames to t={r['time']['end']:g}, truth {r['truth']}, "
        f"{r['solver']['steps_per_frame']} steps per frame; 2 workers")
    run = run_driver({"workers": 2, "builds": [["full", r]]}, sample=True)
    full = run.result["full"]
    workers = run.peaks("worker")
    peak = max(workers) if workers else 0
    limit = r["solver"]["memory_mib"] * 2**20  # the recipe's budget, against the whole worker process
    n = r["domain"]["points"]
    frames = r["partition_size"] * r["time"]["frames"] * n * n * 8
    say(f"    build {full['wall']:.1f} s ({full['certified']} certified, largest estimate {full['estimate']:.1e}, "
        f"internal {full['points']}); worker peak RSS {', '.join(mib(p) for p in workers)} MiB; driver "
        f"{mib(run.peaks('driver')[0])} MiB; a partition's stored frames are {frames / 2**20:.1f} MiB")
    say(f"    recipe memory budget (solver.memory_mib) {limit / 2**20:.0f} MiB; the whole worker process peaked at "
        f"{mib(peak)} MiB ({peak / limit:.0%} of it)")
    say(f"    {load_note(run)}")
    rows.append([f"memory, NS 2D {n}^2", f"{r['samples']} traj., partitions of {r['partition_size']}",
                 f"{full['wall']:.2f}", f"est. {full['estimate']:.1e}", f"{mib(peak)} / {mib(run.peaks('driver')[0])}",
                 f"{peak / limit:.1%} of {limit / 2**20:.0f} MiB"])
    targets.append(dict(problem=f"scale: NS 2D {n}^2, {r['samples']} traj.", method="peak worker RSS, 2 workers",
                        setting=f"{mib(peak)} MiB", error=full["estimate"], wall=full["wall"],
                        rate=float("nan"), cores="2", ratio=f"{peak / limit:.1%} of the limit",
                        target=f"<= memory_mib {limit / 2**20:.0f} MiB: {'met' if peak <= limit else 'NOT met'}"))


def timeline(run: Run) -> str:
    """Mean worker RSS at 25/50/75/100 % of the time the workers were alive."""
    series = [t.samples for t in run.tracked.values() if t.role == "worker" and t.samples]
    if not series:
        return "no worker samples"
    start = min(s[0][0] for s in series)
    end = max(s[-1][0] for s in series)
    parts = []
    for q in (0.25, 0.5, 0.75, 1.0):
        at = start + q * (end - start)
        values = [min(s, key=lambda x: abs(x[0] - at))[1] for s in series]
        parts.append(f"{int(q * 100)}% {mib(sum(values) / len(values))}")
    return ", ".join(parts) + " MiB (mean over workers)"
