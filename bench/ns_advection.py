"""Issue 8 lever 2: the Navier-Stokes nonlinear term, array expressions (old) vs four work arrays (new).

    PYTHONPATH=. .venv/bin/python -m bench.ns_advection [N ...]

Glibc trims freed heap back to the OS after each call, so at 256^2 and up both versions page-fault
their work arrays in on every call; MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_MMAP_THRESHOLD_=268435456
in the environment shows the time without that (about half of a 256^2 step).

Times one nonlinear evaluation and one ETDRK4 step (system_kernels.etdrk4_system, one trajectory) with
each version in the same process, median of repeats, and compares their results.
"""

import sys
import time

import numpy as np
from numba import njit

from refsim.generators.multifield import random_series_2d
from refsim.generators.navier_stokes_2d import NavierStokes2D, _advection
from refsim.solvers.grid2d import FourierGrid2D
from refsim.solvers.system_kernels import NONLINEAR, etdrk4_system


@njit(NONLINEAR, cache=False)
def _advection_old(v, params, coef, dims, out):  # the version before issue 8's lever 2
    n, modes = dims[0], dims[0] // 2 + 1
    shape = (n, n)
    psi = v * coef[2]
    u = np.fft.irfft2((coef[1] * psi).reshape((n, modes)), shape)
    w = np.fft.irfft2((-coef[0] * psi).reshape((n, modes)), shape)
    wx = np.fft.irfft2((coef[0] * v).reshape((n, modes)), shape)
    wy = np.fft.irfft2((coef[1] * v).reshape((n, modes)), shape)
    adv = np.fft.rfft2(u * wx + w * wy).ravel()
    for j in range(v.size):
        out[j] = -adv[j] * coef[3, j] + params[0] * coef[4, j]


@njit(cache=False)
def _repeat(f, v, params, coef, dims, out, count):
    for _ in range(count):
        f(v, params, coef, dims, out)


def median_time(f, repeats):
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def case(n, repeats=7):
    grid = FourierGrid2D(n, 2 * np.pi, 0.0)
    eq = NavierStokes2D(nu=1e-3, forcing=0.1)
    terms = eq.terms(grid)
    ic = random_series_2d(np.random.default_rng(1), 4, lambda k: (1 + k) ** -2, 1.0, 2 * np.pi, 0.0)
    v = np.ascontiguousarray(terms.forward(grid.sample(ic)[None]), dtype=complex)
    params = np.ascontiguousarray(terms.params[None], dtype=float)
    coef, dims = np.ascontiguousarray(terms.coef), terms.dims
    m = v.shape[1]
    h = 1e-3
    lin = terms.symbol[None]
    e, e2 = np.exp(h * lin), np.exp(h * lin / 2)
    q = np.full_like(e, h / 2)
    f1 = f3 = np.full_like(e, h / 6)
    f2 = np.full_like(e, h / 6)
    a, b = np.empty(m, complex), np.empty(m, complex)
    _advection_old(v[0], params[0], coef, dims, a)
    _advection(v[0], params[0], coef, dims, b)
    nl_diff = np.max(np.abs(a - b)) / np.max(np.abs(a))
    count = max(4, 2**22 // (n * n))
    t_nl = {name: median_time(lambda f=f: _repeat(f, v[0], params[0], coef, dims, a, count), repeats) / count
            for name, f in (("old", _advection_old), ("new", _advection))}
    steps = max(2, 2**20 // (n * n))
    run = {name: (lambda f=f: etdrk4_system(f, v, e, e2, q, f1, f2, f3, params, coef, dims, steps, 2))
           for name, f in (("old", _advection_old), ("new", _advection))}
    t_step = {name: median_time(r, repeats) / steps for name, r in run.items()}
    ro, rn = run["old"](), run["new"]()
    step_diff = np.max(np.abs(ro - rn)) / np.max(np.abs(ro))
    print(f"| {n}² | {1e3 * t_nl['old']:.3f} | {1e3 * t_nl['new']:.3f} | {t_nl['old'] / t_nl['new']:.2f}x "
          f"| {1e3 * t_step['old']:.2f} | {1e3 * t_step['new']:.2f} | {t_step['old'] / t_step['new']:.2f}x "
          f"| {nl_diff:.1e} | {step_diff:.1e} ({steps} steps) |", flush=True)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [128, 256]
    print("| grid | N(v) old ms | N(v) new ms | speed-up | step old ms | step new ms | speed-up "
          "| N(v) rel diff | frames rel diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        case(n)


if __name__ == "__main__":
    main()
