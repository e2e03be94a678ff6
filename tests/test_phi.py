"""phi-functions against 50-digit mpmath values, complex arguments included."""

from math import factorial

import mpmath
import numpy as np
import pytest

from refsim.solvers.phi import phi

mpmath.mp.dps = 50
POINTS = [1e-12, -1e-7 + 2e-7j, 1e-3 + 1e-3j, 0.5j, -0.9, 0.999, 1.0, 1.001, 1 + 1j, -3.7j,
          -20.0, 30j, -100 + 50j, 5.0, -1e4, 0.3 - 0.95j]


def phi_reference(order, z):
    z = mpmath.mpc(z)
    if abs(z) < mpmath.mpf("0.1"):  # the series converges fast there and has no cancellation
        return sum(z**n / mpmath.factorial(n + order) for n in range(60))
    value = mpmath.exp(z)
    for level in range(order):
        value = (value - mpmath.mpf(1) / factorial(level)) / z
    return value


@pytest.mark.parametrize("order", [1, 2, 3])
def test_phi_matches_mpmath(order):
    got = phi(order, np.array(POINTS))
    for z, value in zip(POINTS, got):
        ref = complex(phi_reference(order, z))
        assert abs(value - ref) <= 4e-16 * max(abs(ref), 1e-300) * 8, (order, z, value, ref)


def test_phi_keeps_imaginary_part():
    z = np.array([2.0j])
    assert abs(phi(1, z)[0].imag) > 0.1  # (e^{2i} - 1) / 2i has a large imaginary part
