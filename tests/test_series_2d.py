"""The separable evaluation of FourierSeries2D on tensor grids equals the direct (phase tensor) formula."""

import numpy as np
import pytest

from refsim.generators.multifield import FourierSeries2D, random_series_2d


def direct(series, x, y):
    """The original formula: an (..., K) phase tensor."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    k = 2 * np.pi * series.modes / series.length
    phase = np.multiply.outer(x - series.origin, k[:, 0]) + np.multiply.outer(y - series.origin, k[:, 1])
    return series.offset + (np.exp(1j * phase) @ series.coefficients).real


def random_series(seed, max_mode=4, length=2 * np.pi, origin=0.0, offset=0.0):
    rng = np.random.default_rng(seed)
    return random_series_2d(rng, max_mode, lambda k: (1 + k) ** -1.5, 1.0, length, origin, offset)


def close(a, b):
    assert a.shape == b.shape
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.mark.parametrize("seed,max_mode,length,origin,offset",
                         [(0, 4, 2 * np.pi, 0.0, 0.0), (1, 6, 1.0, -0.5, 0.3), (2, 3, 7.3, 1.1, -2.0)])
def test_grid_matches_direct(seed, max_mode, length, origin, offset):
    s = random_series(seed, max_mode, length, origin, offset)
    n = 64
    x = origin + length * np.arange(n) / n
    y = origin + length * np.arange(n + 3) / (n + 3)  # a non-square grid too
    assert close(s(x[None, :], y[:, None]), direct(s, x[None, :], y[:, None])) <= 1e-13
    assert close(s(x[:, None], y[None, :]), direct(s, x[:, None], y[None, :])) <= 1e-13
    # arbitrary points of the same shape take the general path
    rng = np.random.default_rng(seed + 10)
    px, py = rng.uniform(origin, origin + length, (2, 17, 5))
    np.testing.assert_array_equal(s(px, py), direct(s, px, py))
    px, py = np.meshgrid(x, y)
    assert close(s(px, py), direct(s, px, py)) <= 1e-13


def test_general_coefficients_and_repeated_modes():
    """Arbitrary (also negative and repeated) modes with arbitrary complex coefficients."""
    rng = np.random.default_rng(5)
    modes = rng.integers(-5, 6, (30, 2))
    modes[3] = modes[7]
    c = rng.standard_normal(30) + 1j * rng.standard_normal(30)
    s = FourierSeries2D(modes, c, 3.0, 0.25, 0.5)
    x = 0.25 + 3.0 * np.arange(64) / 64
    assert close(s(x[None, :], x[:, None]), direct(s, x[None, :], x[:, None])) <= 1e-13
    assert close(s(x[:, None], x[None, :]), direct(s, x[:, None], x[None, :])) <= 1e-13
