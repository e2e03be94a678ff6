"""Fast checks of ``make bench``'s own pieces that need neither the JAX venv nor a quiet machine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench import fft_closeness, jax_peer, startup
from refsim.solvers.grid import FourierGrid


@pytest.mark.parametrize("n", [16, 64, 128, 256, 1000, 4096])
def test_exponax_dealiasing_fraction_keeps_exactly_refsims_modes(n):
    """exponax keeps mode j when j <= fraction * (N // 2) - 1 (its low_pass_filter_mask with an inclusive
    cutoff); with the fraction the benchmark passes, that must be the set refsim's 2/3 rule keeps."""
    fraction = jax_peer.exponax_dealiasing_fraction(n)
    j = np.arange(n // 2 + 1)
    exponax_keeps = j <= fraction * (n // 2) - 1
    refsim_keeps = FourierGrid(n, 1.0).dealias_mask(2).astype(bool)
    assert np.array_equal(exponax_keeps, refsim_keeps)


def test_fft_rows_time_a_real_step_and_its_transforms():
    """One small 1D size: both times positive, the step no cheaper than a tenth of its FFTs, and the
    printed error that of a real ETDRK4 step (small, not zero)."""
    row = fft_closeness.step_1d(128, batch=4)
    assert row["transforms"] == 8
    assert row["step"] > 0 and row["fft"] > 0
    assert row["step"] > 0.1 * row["fft"]
    assert 0 < row["error"] < 1e-3


def test_ks_halves_solve_like_the_whole_batch():
    """The 2-process rows split the batch; each half must give what the whole batch gives (the kernel is
    row-independent), so the measured error is the same as the 1-process row's."""
    rng = np.random.default_rng(0)
    x = 32 * np.pi * np.arange(64) / 64
    initial = np.array([np.cos(x / 16 * k) + 0.1 * rng.standard_normal(64) for k in range(1, 5)])
    whole = jax_peer._solve(initial, 4, 3)
    halves = np.concatenate([jax_peer._solve(initial[:2], 4, 3), jax_peer._solve(initial[2:], 4, 3)])
    assert np.array_equal(whole, halves)


def test_startup_log_parsing():
    log = ("[cache] data saved to '/c/a.nbc'\n[cache] data saved to '/c/b.nbc'\n"
           "[cache] data loaded from '/c/a.nbc'\nrelative error estimate: max 4.50e-09, median 9.69e-10\n")
    assert startup.cache_events(log) == (2, 2, 1)
    assert startup.estimate(log) == pytest.approx(4.5e-9)
    assert math.isnan(startup.estimate("no summary"))


def test_every_option_a_section_reads_is_declared():
    """A section reading ``args.<name>`` that the parser lacks fails only at the end of a long ``make bench``."""
    import re
    from pathlib import Path

    from bench.__main__ import build_parser

    declared = set(vars(build_parser().parse_args([])))
    used = set()
    for path in Path(__file__).parent.parent.joinpath("bench").glob("*.py"):
        used |= set(re.findall(r"\bargs\.(\w+)", path.read_text()))
    assert used <= declared, used - declared
