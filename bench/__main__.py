"""refsim's speed against its peers and against the machine: the table of issue 8 (``make bench``).

Targets (all measured in this one run, on this machine; wall times are medians of repeated runs
unless a line says "best"):

1. ``ks-jax`` (``jax_peer.py``): Kuramoto-Sivashinsky, L = 32 pi, N = 128, B = 64, ETDRK4, T = 30;
   refsim uncertified on both cores >= 2x exponax (JAX, its own venv ``.venv-bench``), refsim
   certified (every verification solve included) >= 1x, at equal measured error.
2. ``kdv`` (here, peer in ``peers.py``): KdV one-soliton at error <= 1e-8 >= 50x scipy's
   ``solve_ivp(DOP853)`` on the same semi-discretisation, and >= 100x at <= 1e-10 (scipy's rtol is
   searched for the loosest value that is at least as accurate as refsim).
3. ``fft`` (``fft_closeness.py``): an ETDRK4 step <= 3x the FFTs it must do, 1D N = 128..4096, 2D
   128^2..512^2.
4. ``startup`` (``startup.py``): ``refsim generate`` of a small built-in recipe <= 3 s with a warm
   Numba cache, cluster start included; the cold-compile cost, and that it is paid once.
5. ``scale`` (``scale.py``): 2 workers >= 1.8x one; peak worker memory flat in the number of
   trajectories; a 2D Navier-Stokes 256^2 batch's peak memory.

Also: ``ks`` (KS against scipy at two accuracies) and ``kepler`` (ODEs: refsim's DOP853 and
gauss8 against scipy), described in ``cases.py``, ``peers.py`` and ``ode.py``.

The scipy rows (``ks``, ``kdv``, ``kepler``). What is measured for the PDE problems (see ``cases.py``),
per refsim step count:

1. refsim: ``solve_frames(..., method="etdrk4")`` on the whole batch over [0, T]
   with a fixed number of steps. Its error is measured at T against the
   reference (the exact solution for KdV; for KS a refsim run with 8x the steps
   of the finest benchmarked run). Error = ``max_x |u - ref| / max_x |ref|`` per
   trajectory, the worst trajectory of the batch (refsim's own metric).
2. scipy: ``solve_ivp(method="DOP853")`` on the same Fourier semi-discretisation
   (``peers.py``: same symbol, multiplier, dealiasing, float64), with
   ``atol = rtol * max_j |v_j(0)|`` (largest rfft coefficient of the initial
   data). ``rtol`` is searched (decade walk, then 2 log-bisections) for the
   loosest value whose measured error is no larger than refsim's, so every
   scipy row is at least as accurate as the refsim row above it; the errors of
   both are printed next to their times.
3. Wall time: best of ``--refsim-repeats`` (5) refsim runs and ``--repeats`` (3)
   scipy runs (the search's own run at the chosen rtol counts as one). refsim
   gets a warm-up call first, so numba's compile time is not in the timings; it
   is reported separately (a cold compile in a subprocess with an empty cache,
   and this process's first call). Every run is single-threaded (numba kernel +
   rocket-fft; numpy's pocketfft).
4. Throughput in sample-steps per second = B * (refsim's step count) / wall time,
   for both solvers (scipy's own step count differs; its number of RHS
   evaluations is shown, each on the whole stacked batch). The speed ratio is
   scipy wall time / refsim wall time at equal or better scipy accuracy.

Reading the numbers: both problems are stiff (KS: symbol k^2 - k^4; KdV: i k^3),
so the explicit DOP853 runs at its stability limit and its number of RHS
evaluations barely depends on rtol (its error then need not be monotone in
rtol either, which is why every trial is printed). Its cost is therefore
nearly flat across accuracies while refsim's grows with its step count: the
ratio is largest at the looser accuracy.

The ODE problem ``kepler`` (``ode.py``): 64 Kepler orbits (e ~ U[0.3, 0.7],
seeded) over 10 periods, 101 frames, error against the exact solution at every
frame. refsim's compiled, batched ``dop853`` at two rtols (errors ~1e-8 and
~1e-11) against ``solve_ivp(method="DOP853", t_eval=frames)`` run one orbit after
another with a plain Python right-hand side, rtol searched as above (walk starting
at refsim's rtol decade), ``atol = rtol * 1e-3`` on both sides; plus one row of
refsim's symplectic ``gauss8`` at ~1e-11. scipy does not accept rtol below
100 eps = 2.22e-14 and its error there is ~4e-11: the 1e-11 target is out of its
reach, so that row shows scipy at its floor and the ratio as a lower bound (">").
Here the problem is not stiff: scipy's cost is its Python overhead per step and
per RHS call, and the ratio is large at both accuracies.

The ``pdebench`` section (``pdebench.py``): PDEBench's 1D advection, Burgers and diffusion-reaction
problems from the built-in recipes, refsim's certified trajectories next to a second-order
MUSCL/Rusanov/SSP-RK2 finite-volume solve at PDEBench's 1024 cells (``fv.py``) on the same initial
conditions, both against the exact or a 4x-refined reference (``--pdebench-batch`` trajectories per
problem, ``--pdebench-repeats`` timed runs). About 1-2 minutes on 2 cores.

Every row prints the measured error next to its time. ``--cases a,b`` selects sections;
``--quick`` is a short smoke run (fewer sizes, repeats and trajectories; not for the numbers).
The full run takes about 10 minutes on 2 cores. The machine's core count and load are printed:
on a loaded machine the ratios are pessimistic for whichever side had less CPU.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time

T_START = time.perf_counter()

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402

from refsim.generators import EQUATIONS  # noqa: E402
from refsim.solvers.grid import FourierGrid  # noqa: E402
from refsim.solvers.semilinear import solve_frames  # noqa: E402

from . import cases as cases_module  # noqa: E402
from . import fft_closeness, jax_peer, startup  # noqa: E402
from . import ode as ode_module  # noqa: E402
from . import pdebench as pdebench_module  # noqa: E402
from . import scale as scale_module  # noqa: E402
from .measure import ToleranceSearch, best_of, cold_compile_seconds, numba_cache_state  # noqa: E402
from .peers import LAYOUTS, dop853  # noqa: E402

SECTIONS = ("ks-jax", "kdv", "fft", "startup", "scale", "ks", "kepler", "pdebench")


def say(text: str = "") -> None:
    print(text, flush=True)


def warm_up() -> float:
    """First refsim call of this process (JIT compile or cache load), in seconds."""
    grid = FourierGrid(32, 2 * np.pi)
    terms = EQUATIONS["kuramoto_sivashinsky"]().terms(grid)
    u0 = np.cos(grid.x)[None, :]
    t0 = time.perf_counter()
    solve_frames(grid, [terms], u0, 0.1, 2, 2)
    return time.perf_counter() - t0


def bench_case(case: cases_module.Case, args, targets: list[dict]) -> list[dict]:
    say(f"\n[{case.key}] {case.title}")
    t0 = time.perf_counter()
    ref, ref_text = cases_module.reference(case)
    say(f"  reference: {ref_text}  [{time.perf_counter() - t0:.1f} s]")
    batch = case.batch

    def run_scipy(rtol: float):
        t = time.perf_counter()
        result = dop853(case.grid, case.terms, case.initial, case.end_time, rtol, layout=args.layout)
        seconds = time.perf_counter() - t
        return cases_module.relative_error(result.final, ref), result.nfev, result.success, seconds

    search = ToleranceSearch(run_scipy, lambda line: say(f"    scipy {line}"), bisections=args.bisections)
    rows = []
    steps_list = case.steps[:1] if args.quick else case.steps
    for index, steps in enumerate(steps_list):
        seconds, final = best_of(lambda s=steps: cases_module.run_refsim(case, s), args.refsim_repeats)
        error = cases_module.relative_error(final, ref)
        rate = batch * steps / seconds
        say(f"  refsim {case.step_label(steps)}: error {error:.2e}, best {seconds:.3f} s of {args.refsim_repeats}")
        rows.append(dict(problem=case.label, method="refsim ETDRK4", setting=case.step_label(steps),
                         error=f"{error:.2e}", wall=seconds, rate=rate, rhs=f"{4 * steps}", ratio=""))
        say(f"  scipy DOP853 ({args.layout}): loosest rtol with error <= {error:.2e}")
        match = search.match(error)
        goal = case.targets[index] if index < len(case.targets) else None
        if match.chosen is None:
            best = min(match.trials, key=lambda t: t.error)
            rows.append(dict(problem="", method=f"scipy DOP853 {args.layout}", setting=f"rtol={best.rtol:.2e}",
                             error=f"{best.error:.2e} (> target!)", wall=best.seconds,
                             rate=batch * steps / best.seconds, rhs=str(best.nfev), ratio="n/a"))
            say(f"    {match.note}")
            if goal:
                targets.append(_target_row(case, steps, error, seconds, float("nan"), best.error, goal))
            continue
        search.retime(match.chosen, args.repeats)
        chosen = match.chosen
        ratio = chosen.seconds / seconds
        say(f"    -> rtol={chosen.rtol:.2e}: error {chosen.error:.2e}, best {chosen.seconds:.3f} s of "
            f"{len(chosen.times)}, {chosen.nfev} RHS evals; refsim is {ratio:.1f}x faster"
            + (f" ({match.note})" if match.note else ""))
        flag = "" if chosen.success else " (solver failed)"
        rows.append(dict(problem="", method=f"scipy DOP853 {args.layout}", setting=f"rtol={chosen.rtol:.2e}",
                         error=f"{chosen.error:.2e}{flag}", wall=chosen.seconds, rate=batch * steps / chosen.seconds,
                         rhs=str(chosen.nfev), ratio=f"{ratio:.1f}x"))
        if goal:
            targets.append(_target_row(case, steps, error, seconds, ratio, chosen.error, goal))
    return rows


def _target_row(case, steps, error, seconds, ratio, scipy_error, goal) -> dict:
    bound, speedup = goal
    met = error <= bound and ratio >= speedup
    return dict(problem=case.label if steps == case.steps[0] else "", method="refsim ETDRK4 vs scipy DOP853",
                setting=case.step_label(steps), error=f"{error:.1e} / {scipy_error:.1e}", wall=seconds,
                rate=case.batch * steps / seconds, cores="1",
                ratio="n/a" if math.isnan(ratio) else f"{ratio:.1f}x",
                target=f"<= {bound:g} & >= {speedup:g}x: {'met' if met else 'NOT met'}")


def print_table(rows: list[dict]) -> None:
    headers = ["problem", "method", "setting", "rel. error", "wall [s]", "sample-steps/s", "RHS evals",
               "refsim/scipy"]
    cells = [[r["problem"], r["method"], r["setting"], r["error"], f"{r['wall']:.3f}", f"{r['rate']:.3e}",
              r["rhs"], r["ratio"]] for r in rows]
    print_cells(headers, cells, {3, 4, 5, 6, 7})


def _number(value: float, spec: str) -> str:
    return "" if isinstance(value, float) and math.isnan(value) else format(value, spec)


def print_targets(rows: list[dict]) -> None:
    headers = ["target", "problem", "method", "setting", "rel. error", "time [s]", "throughput", "cores",
               "ratio", "target"]
    cells = []
    for r in rows:
        error = r["error"] if isinstance(r["error"], str) else _number(r["error"], ".2e")
        wall = _number(r["wall"], ".3g")
        cells.append([r["number"], r["problem"], r["method"], r["setting"], error, wall, _number(r["rate"], ".3e"),
                      r["cores"], r["ratio"], r["target"]])
    print_cells(headers, cells, {4, 5, 6, 7, 8})


def print_cells(headers: list[str], cells: list[list[str]], right: set[int]) -> None:
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    say(line(headers))
    say("  ".join("-" * w for w in widths))
    for i, c in enumerate(cells):
        if i and c[0]:
            say("")
        say(line(c))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(SECTIONS),
                        help=f"comma-separated sections: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="short smoke run: fewer sizes, repeats, trajectories")
    parser.add_argument("--layout", choices=LAYOUTS, default="stacked", help="scipy batch layout")
    parser.add_argument("--repeats", type=int, default=3, help="timed scipy runs per measurement (best is kept)")
    parser.add_argument("--refsim-repeats", type=int, default=5, help="timed refsim runs per scipy measurement")
    parser.add_argument("--peer-repeats", type=int, default=5, help="timed runs per exponax/refsim row (median)")
    parser.add_argument("--bisections", type=int, default=2, help="log-bisections of the rtol bracket")
    parser.add_argument("--no-cold-compile", action="store_true", help="skip the numba compile-time subprocess")
    parser.add_argument("--pdebench-batch", type=int, default=2, help="pdebench: trajectories per problem")
    parser.add_argument("--pdebench-repeats", type=int, default=1, help="pdebench: timed runs (best is kept)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.cases.split(",") if k.strip()]
    unknown = [k for k in keys if k not in SECTIONS]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(SECTIONS)}")
    if args.quick:
        args.repeats, args.refsim_repeats, args.peer_repeats, args.bisections = 1, 2, 2, 1
    pde_keys = [k for k in keys if k in cases_module.CASES]

    say("refsim against its peers (exponax/JAX, scipy) and against the FFTs it must do: issue 8's table")
    load = os.getloadavg()
    say(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"numba {numba.__version__}; {os.cpu_count()} CPUs ({platform.machine()}); load average {load[0]:.2f} "
        f"{load[1]:.2f} {load[2]:.2f}" + ("  <-- loaded machine: timings are indicative only" if load[0] > 0.5 else ""))
    if pde_keys or "ks-jax" in keys:
        if not args.no_cold_compile and not args.quick:
            say(f"numba compile of refsim's ETDRK4 kernel (fresh cache, subprocess): {cold_compile_seconds():.1f} s")
        first = warm_up()
        say(f"first refsim call in this process: {first:.2f} s ({numba_cache_state()}); excluded from timings")

    rows, scale_rows, targets, pdebench_rows = [], [], [], []
    for key in keys:
        before = len(targets)
        if key == "ks-jax":
            targets += jax_peer.bench_ks_peers(args, say)
        elif key == "fft":
            targets += fft_closeness.bench_fft(args, say)
        elif key == "startup":
            targets += startup.bench_startup(args, say)
        elif key == "scale":
            scale_rows = scale_module.bench_scale(args, say, targets)
        elif key == "pdebench":
            pdebench_rows = pdebench_module.bench_pdebench(args, say)
        elif key == "kepler":
            rows += ode_module.bench_kepler(args, say)
        else:
            rows += bench_case(cases_module.CASES[key](), args, targets)
        number = {"ks-jax": "1", "kdv": "2", "fft": "3", "startup": "4", "scale": "5"}.get(key, "")
        for i, row in enumerate(targets[before:]):
            row["number"] = number if i == 0 else ""

    if rows:
        say("\nAgainst scipy (wall = best of the timed runs; sample-steps/s = B x refsim steps / wall for both rows;")
        if pde_keys:
            say(f" PDEs: scipy {args.layout} batch, atol = rtol * max|rfft(u0)|, loosest rtol found with error <= "
                "refsim's;")
            say(" RHS evals: refsim 4 per step, scipy nfev, each evaluation on the whole batch"
                + (";" if args.layout == "stacked" else ", summed over the trajectories;"))
        if "kepler" in keys:
            say(" Kepler: error = max over the 101 frames of max_i|y_i - exact_i| / max_i|exact_i|, worst orbit;")
            say("  refsim DOP853 batched (atol = rtol * 1e-3), steps = accepted steps summed over the orbits;")
            say("  scipy one solve_ivp per orbit, t_eval = frames, plain Python RHS, atol = rtol * 1e-3, loosest rtol")
            say("  with error <= refsim's (scipy's floor: rtol = 100 eps); RHS evals summed over the orbits (gauss8:")
            say("  Jacobian evaluations included); '>' = scipy missed the target, the ratio is a lower bound)")
        say()
        print_table(rows)
    if pdebench_rows:
        say("\nPDEBench problems (rel. error = max over stored frames and trajectories of max_x|u - ref| / max_x|ref|;")
        say(" ref = exact for advection, else refsim at 4x grid and steps; refsim wall = production run at the")
        say(" certified resolution, certify = the whole certification; FV = MUSCL-MC/Rusanov/SSP-RK2 at PDEBench's")
        say(" 1024 cells; best of --pdebench-repeats runs, compile excluded, single-threaded):")
        print_cells(pdebench_module.PDEBENCH_HEADERS, pdebench_rows, pdebench_module.PDEBENCH_RIGHT)
    if scale_rows:
        say("\nScale (whole builds; throughput = trajectories / build wall time; peak RSS = kernel high-water mark):")
        print_cells(scale_module.SCALE_HEADERS, scale_rows, scale_module.SCALE_RIGHT)
    if targets:
        say(f"\nIssue 8 targets ({os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.2f}). Throughput: "
            "sample-steps/s (1: B x steps / median wall; 2: best wall; 3: 1 / (step time per trajectory); 5: builds,")
        say(" trajectories/s); ratio: vs exponax (1), scipy (2), the step's own FFTs (3), 2 workers vs 1 and memory "
            "(5); error: measured (1-3) or the build's largest certified estimate (4, 5)")
        print_targets(targets)
    say(f"\ntotal bench time: {time.perf_counter() - T_START:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
