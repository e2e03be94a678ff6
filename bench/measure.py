"""Timing, numba compile time, and the search for the scipy tolerance that matches an error."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# The first refsim call with an empty numba cache, in a fresh interpreter: import, then two calls.
_COLD_PROBE = """
import time
import numpy as np
from refsim.generators import EQUATIONS
from refsim.solvers.grid import FourierGrid
from refsim.solvers.semilinear import solve_frames
grid = FourierGrid(32, 2 * np.pi)
terms = EQUATIONS["kuramoto_sivashinsky"]().terms(grid)
u0 = np.cos(grid.x)[None, :]
t0 = time.perf_counter()
solve_frames(grid, [terms], u0, 0.1, 2, 2)
t1 = time.perf_counter()
solve_frames(grid, [terms], u0, 0.1, 2, 2)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def cold_compile_seconds() -> float:
    """Numba compile time of refsim's ETDRK4 kernel: first minus second call, in a
    subprocess whose ``NUMBA_CACHE_DIR`` is a fresh temporary directory (so nothing
    is read from or written to the package's own cache)."""
    with tempfile.TemporaryDirectory(prefix="refsim-bench-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", _COLD_PROBE], env=env, capture_output=True, text=True, check=True, timeout=300
        )
    first, second = (float(s) for s in out.stdout.split())
    return first - second


def numba_cache_state() -> str:
    """Whether this process loaded refsim's ETDRK4 kernel from numba's cache or compiled it."""
    from refsim.solvers import kernels

    stats = kernels.etdrk4_frames.stats
    hits, misses = sum(stats.cache_hits.values()), sum(stats.cache_misses.values())
    if misses:
        return "compiled in this process (numba cache miss)"
    if hits:
        return "loaded from numba's on-disk cache"
    return "numba cache state unknown"


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Smallest wall time of ``repeats`` calls, and the last result."""
    best, result = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


@dataclass
class Trial:
    rtol: float
    error: float
    nfev: int
    times: list[float] = field(default_factory=list)
    success: bool = True

    @property
    def seconds(self) -> float:
        return min(self.times)


@dataclass
class Match:
    target: float
    chosen: Trial | None  # loosest tried rtol whose error <= target; None if none reached it
    trials: list[Trial]
    note: str


class ToleranceSearch:
    """Find the loosest ``rtol`` whose measured error is no larger than ``target``.

    Decades are walked from the one at or just above the target (looser while the
    error passes, tighter while it fails) inside [``tightest``, ``loosest``] until
    the pass/fail boundary is bracketed, then the bracket is bisected
    ``bisections`` times in log scale (2 bisections: within a factor 10^(1/4) = 1.8
    of the boundary). ``run(rtol)`` returns (error, RHS evaluations, success,
    wall seconds of the solve alone). Every run is memoised: an rtol is never run
    twice for the search, and its timing counts towards the repeats.
    """

    def __init__(
        self,
        run: Callable[[float], tuple[float, int, bool, float]],
        log: Callable[[str], None],
        loosest: float = 1e-1,
        tightest: float = 1e-13,
        bisections: int = 2,
    ):
        self.run, self.log = run, log
        self.loosest_exp, self.tightest_exp = round(math.log10(loosest)), round(math.log10(tightest))
        self.bisections = bisections
        self.trials: dict[float, Trial] = {}

    def trial(self, rtol: float) -> Trial:
        key = float(f"{rtol:.6e}")
        if key not in self.trials:
            error, nfev, success, seconds = self.run(key)
            self.trials[key] = Trial(key, error, nfev, [seconds], success)
            self.log(f"rtol={key:.2e}: error {error:.2e}, {seconds:.2f} s, {nfev} RHS evals")
        return self.trials[key]

    def match(self, target: float, start: float | None = None) -> Match:
        """``start``: an rtol whose decade the walk begins at (default: the target's own
        decade). Only where the walk starts changes, not the pass/fail rule."""

        def passes(exp: float) -> bool:
            t = self.trial(10.0**exp)
            return t.success and t.error <= target

        first = target if start is None else start
        exp = min(max(math.ceil(math.log10(first)), self.tightest_exp), self.loosest_exp)
        note = ""
        if passes(exp):
            while exp < self.loosest_exp and passes(exp + 1):
                exp += 1
            good, bad = exp, exp + 1
            if exp == self.loosest_exp:
                note = f"passes already at the loosest rtol tried (1e{self.loosest_exp})"
                return self._result(target, 10.0**good, note)
        else:
            while exp > self.tightest_exp and not passes(exp - 1):
                exp -= 1
            if exp == self.tightest_exp:
                note = f"target not reached down to rtol=1e{self.tightest_exp}"
                return self._result(target, None, note)
            good, bad = exp - 1, exp
        for _ in range(self.bisections):
            mid = 0.5 * (good + bad)
            if passes(mid):
                good = mid
            else:
                bad = mid
        return self._result(target, 10.0**good, note)

    def _result(self, target: float, rtol: float | None, note: str) -> Match:
        trials = sorted(self.trials.values(), key=lambda t: -t.rtol)
        chosen = self.trial(rtol) if rtol is not None else None
        return Match(target, chosen, trials, note)

    def retime(self, trial: Trial, repeats: int) -> None:
        """Run ``trial``'s rtol again until it has ``repeats`` timings (the search run counts as one)."""
        while len(trial.times) < repeats:
            error, _, _, seconds = self.run(trial.rtol)
            trial.times.append(seconds)
            if error != trial.error:  # deterministic in principle; say so if not
                self.log(f"rtol={trial.rtol:.2e}: repeat gave error {error:.2e} (first {trial.error:.2e})")
                trial.error = max(trial.error, error)
