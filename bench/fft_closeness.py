"""Target 3: how close an ETDRK4 step is to the FFTs it must do (same library, same batch).

For each size, the time of one ETDRK4 step of refsim's compiled kernel per trajectory is
compared with the time of exactly the transforms that step does, done by rocket-fft inside
a Numba function on arrays of the same shape, into preallocated outputs (the cheapest way
to do them). Target: step / FFTs <= 3.

* 1D, N = 128 ... 4096: Kuramoto-Sivashinsky on L = 32 pi N / 128 (the benchmark problem's
  resolution per length), a batch of B = 64 smooth random states, ``kernels.etdrk4_frames``
  (the whole batch per call, as refsim runs it). Per step: 4 nonlinear evaluations, each one
  inverse and one forward real FFT of the (B, N) batch: **8 batched transforms**.
* 2D, 128^2, 256^2, 512^2: Navier-Stokes in vorticity form (nu = 1e-3, decaying), a batch of
  B = 4, 2, 1 Gaussian random vorticity fields, ``system_kernels.etdrk4_system`` with the
  equation's compiled ``_advection`` (one trajectory after another). Per nonlinear evaluation:
  4 inverse real 2D FFTs (u, v, omega_x, omega_y) and 1 forward (the advection), so per step
  **20 transforms of (N, N)** per trajectory.

Times are medians of ``REPEATS`` timed calls after a warm-up call, each call a fixed number of
steps (20-200 ms of work per call on a quiet machine); one thread (Numba and rocket-fft).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
from numba import njit

SIZES_1D = (128, 256, 512, 1024, 2048, 4096)
SIZES_2D = ((128, 4), (256, 2), (512, 1))  # (N, batch)
QUICK_1D, QUICK_2D = (128, 1024), ((128, 2),)
BATCH_1D = 64
REPEATS = 5
TARGET = 3.0


@njit(cache=True)
def ffts_1d(v, u, w, n, evaluations):
    """``evaluations`` x (irfft of the (B, M) batch into u, rfft of u into w)."""
    for _ in range(evaluations):
        np.fft.irfft(v, n, -1, None, u)
        np.fft.rfft(u, n, -1, None, w)


@njit(cache=True)
def ffts_2d(spectral, physical, out, evaluations, inverse_per_evaluation):
    """Per trajectory of the batch and per evaluation: ``inverse_per_evaluation`` irfft2 and one rfft2."""
    n = physical.shape[0]
    for _ in range(evaluations):
        for b in range(spectral.shape[0]):
            for _ in range(inverse_per_evaluation):
                np.fft.irfft2(spectral[b], (n, n), (-2, -1), None, physical)
            np.fft.rfft2(physical, None, (-2, -1), None, out)


def _median(fn: Callable[[], object], repeats: int) -> float:
    fn()
    walls = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
    return float(np.median(walls))


def step_1d(n: int, batch: int = BATCH_1D) -> dict:
    from refsim.generators import EQUATIONS
    from refsim.solvers import kernels
    from refsim.solvers.exponential import ETDRK4
    from refsim.solvers.grid import FourierGrid
    from refsim.solvers.semilinear import stack_terms

    grid = FourierGrid(n, 32 * np.pi * n / 128)
    terms = EQUATIONS["kuramoto_sivashinsky"]().terms(grid)
    symbol, multiplier, poly = stack_terms([terms])
    coef = ETDRK4().coefficients(symbol, 1 / 16)
    rng = np.random.default_rng(0)
    v0 = np.fft.rfft(np.array([np.cos(grid.x * (2 * np.pi / grid.domain_length) * rng.integers(1, 6))
                               + 0.1 * rng.standard_normal(n) for _ in range(batch)]), axis=-1)
    v0 *= grid.dealias_mask(2)
    steps = max(16, int(1e8 / (batch * n * np.log2(n) * 8)))
    step = _median(lambda: kernels.etdrk4_frames(v0, n, *coef, multiplier, *poly, steps, 2), REPEATS) / steps
    u, w = np.empty((batch, n)), np.empty_like(v0)
    fft = _median(lambda: ffts_1d(v0, u, w, n, 4 * steps), REPEATS) / steps
    error = _self_error_1d(grid, terms, v0[:4], kernels, coef, multiplier, poly)
    return {"label": f"1D N={n}", "batch": batch, "transforms": 8, "step": step / batch, "fft": fft / batch,
            "equation": "KS", "error": error}


def _self_error_1d(grid, terms, v0, kernels, coef, multiplier, poly) -> float:
    """The timed step's accuracy: one step of h = 1/16 against 16 steps of 1/256 (relative, worst)."""
    from refsim.solvers.exponential import ETDRK4

    one = kernels.etdrk4_frames(v0, grid.num_points, *coef, multiplier, *poly, 1, 2)[:, -1]
    fine = ETDRK4().coefficients(np.asarray(terms.symbol, dtype=complex)[None], 1 / 256)
    ref = kernels.etdrk4_frames(v0, grid.num_points, *fine, multiplier, *poly, 16, 2)[:, -1]
    return float((np.abs(one - ref).max(axis=-1) / np.abs(ref).max(axis=-1)).max())


def step_2d(n: int, batch: int) -> dict:
    from refsim.generators import EQUATIONS, FAMILIES
    from refsim.solvers import system_kernels
    from refsim.solvers.exponential import ETDRK4
    from refsim.solvers.grid2d import FourierGrid2D
    from refsim.solvers.spectral_system import solve_system_frames

    grid = FourierGrid2D(n, 2 * np.pi)
    eq = EQUATIONS["navier_stokes_2d"](nu=1e-3)
    terms = eq.terms(grid)
    family = FAMILIES["gaussian_random_field"](length_scale=0.5, smoothness=3.0, max_mode=4, amplitude=1.0)
    initial = np.array([grid.sample(family.sample(np.random.default_rng(i), eq, grid.domain_length, 0.0))
                        for i in range(batch)])
    h = 1e-2
    steps = max(4, int(2e8 / (batch * n * n * np.log2(n) * 20)))
    # the kernel alone, as solve_system_frames calls it (no transforms of the initial data or the frames)
    v0 = np.ascontiguousarray(terms.forward(initial), dtype=complex)
    stages = tuple(np.ascontiguousarray(c) for c in ETDRK4().coefficients(terms.symbol[None], h))
    params, coef = np.ascontiguousarray(terms.params[None], dtype=float), np.ascontiguousarray(terms.coef)
    dims = np.ascontiguousarray(terms.dims, dtype=np.int64)

    def run(s=steps):
        return system_kernels.etdrk4_system(terms.nonlinear, v0, *stages, params, coef, dims, s, 2)

    step = _median(run, REPEATS) / steps
    spectral = np.ascontiguousarray(np.fft.rfft2(initial))
    physical, out = np.empty((n, n)), np.empty((n, n // 2 + 1), dtype=complex)
    fft = _median(lambda: ffts_2d(spectral, physical, out, 4 * steps, 4), REPEATS) / steps
    one = solve_system_frames([terms] * batch, initial, h, 2, 1)[:, -1]
    ref = solve_system_frames([terms] * batch, initial, h, 2, 16)[:, -1]
    error = float((np.abs(one - ref).max(axis=(-2, -1)) / np.abs(ref).max(axis=(-2, -1))).max())
    return {"label": f"2D {n}^2", "batch": batch, "transforms": 20, "step": step / batch, "fft": fft / batch,
            "equation": "NS 2D", "error": error}


def bench_fft(args, say: Callable[[str], None]) -> list[dict]:
    malloc = "set" if os.environ.get("MALLOC_MMAP_THRESHOLD_") else "NOT set (run through make for the 512^2 rows)"
    say(f"\n[fft] one ETDRK4 step vs exactly its FFTs (rocket-fft inside Numba, same batch, preallocated "
        f"outputs); MALLOC_* env {malloc}; load average {os.getloadavg()[0]:.2f}")
    sizes_1d, sizes_2d = (QUICK_1D, QUICK_2D) if args.quick else (SIZES_1D, SIZES_2D)
    rows = []
    for item in [*(("1d", n, BATCH_1D) for n in sizes_1d), *(("2d", n, b) for n, b in sizes_2d)]:
        kind, n, batch = item
        r = step_1d(n, batch) if kind == "1d" else step_2d(n, batch)
        ratio = r["step"] / r["fft"]
        say(f"  {r['label']} ({r['equation']}, B={r['batch']}): step {r['step'] * 1e6:.2f} us per trajectory, its "
            f"{r['transforms']} transforms {r['fft'] * 1e6:.2f} us: {ratio:.2f}x (target <= {TARGET:g}x); one step "
            f"of h=1/16 (1D) / 1e-2 (2D) vs 16 substeps: {r['error']:.1e}")
        rows.append(dict(problem=r["label"], method=f"refsim ETDRK4 step ({r['equation']}, B={r['batch']})",
                         setting=f"{r['transforms']} FFTs/step", error=r["error"], wall=r["step"],
                         rate=1.0 / r["step"], cores="1", ratio=f"{ratio:.2f}x of FFTs",
                         target=f"<= {TARGET:g}x: {'met' if ratio <= TARGET else 'NOT met'}"))
    return rows
