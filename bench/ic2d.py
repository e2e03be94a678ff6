"""Issue 8 lever 1: the 2D initial-condition sampler, direct (N, N, K) phase tensor vs separable.

    PYTHONPATH=. .venv/bin/python -m bench.ic2d
"""

import time
import tracemalloc

import numpy as np

from refsim.generators.multifield import random_series_2d


def direct(series, x, y):
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    k = 2 * np.pi * series.modes / series.length
    phase = np.multiply.outer(x - series.origin, k[:, 0]) + np.multiply.outer(y - series.origin, k[:, 1])
    return series.offset + (np.exp(1j * phase) @ series.coefficients).real


def measure(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(np.median(times)), peak / 2**20, out


def main():
    s = random_series_2d(np.random.default_rng(0), 4, lambda k: (1 + k) ** -2, 1.0, 2 * np.pi, 0.0)
    print(f"K = {len(s.modes)} modes (max_mode 4)")
    print("| N | direct ms | direct peak MiB | separable ms | separable peak MiB | speed-up | max rel diff |")
    print("|---|---|---|---|---|---|---|")
    for n in (256, 512):
        x = 2 * np.pi * np.arange(n) / n
        td, md, a = measure(lambda x=x: direct(s, x[None, :], x[:, None]), 3)
        ts, ms, b = measure(lambda x=x: s(x[None, :], x[:, None]), 20)
        diff = np.max(np.abs(a - b)) / np.max(np.abs(a))
        print(f"| {n} | {1e3 * td:.1f} | {md:.1f} | {1e3 * ts:.2f} | {ms:.2f} | {td / ts:.0f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()
