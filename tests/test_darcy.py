"""Steady Darcy flow: the cell-centred finite-volume solver and PDEBench-style coefficients."""

import numpy as np
import pytest
from scipy.sparse.linalg import spsolve

from refsim.generators.darcy import ThresholdedBumps
from refsim.solvers import elliptic


def fitted_order(sizes, errors):
    return -np.polyfit(np.log(sizes), np.log(errors), 1)[0]


def layered_exact(x, left, right, beta, right_value, interface=0.5):
    """``-(a u')' = beta`` on (0, 1), ``u(0) = 0``, ``u(1) = right_value``, ``a`` = left | right at ``interface``.

    The flux ``q = -a u'`` is ``q0 + beta x``; ``u`` is minus the integral of ``q / a``, piecewise quadratic.
    """
    def minus_integral(x, q0):
        xl, xr = np.minimum(x, interface), np.maximum(x - interface, 0.0)
        return -((q0 * xl + beta * xl**2 / 2) / left
                 + (q0 * xr + beta * ((interface + xr)**2 - interface**2) / 2) / right)

    q0 = -(right_value + beta * interface**2 / 2 / left + beta * (1 - interface**2) / 2 / right) / (
        interface / left + (1 - interface) / right)
    return minus_integral(x, q0)


def test_manufactured_constant_coefficient_order_two():
    sizes, errors = [16, 32, 64, 128], []
    for n in sizes:
        x = elliptic.cell_centres(n)
        exact = np.sin(np.pi * x)[None, :] * np.sin(np.pi * x)[:, None]
        a = 0.7
        solution = elliptic.solve(np.full((n, n), a), 2 * np.pi**2 * a * exact)
        assert solution.relative_residual < 1e-12
        errors.append(np.abs(solution.values - exact).max())
    assert abs(fitted_order(sizes, errors) - 2.0) < 0.15


@pytest.mark.parametrize("left, right", [(1.0, 0.1), (0.1, 1.0)])
def test_layered_piecewise_linear_is_exact(left, right):
    """No source, ``u(1) = 1``: the exact ``u`` is piecewise linear with a kink on a face; harmonic faces
    and half-cell Dirichlet faces reproduce it to round-off. Zero flux in y makes the strip one-dimensional."""
    for n in (8, 32, 128):
        x = elliptic.cell_centres(n)
        a = np.where(x < 0.5, left, right)[None, :].repeat(3, axis=0)
        solution = elliptic.solve(a, 0.0, boundary=("neumann", "dirichlet"), boundary_value=lambda x, y: x)
        exact = layered_exact(x, left, right, 0.0, 1.0)
        assert np.abs(solution.values - exact).max() < 1e-13
        assert np.ptp(solution.values, axis=0).max() < 1e-13


def test_layered_piecewise_quadratic_order_two_and_arithmetic_faces_fail():
    """With a source the exact ``u`` is piecewise quadratic; the two-point flux is then off by
    ``beta h^2/8 |1/a_R - 1/a_L|`` at the interface and the half-cell boundary faces, so the scheme is
    second order (not exact). Arithmetic face means lose an order: the test can tell them apart."""
    sizes, harmonic, arithmetic = [8, 16, 32, 64, 128], [], []
    for n in sizes:
        x = elliptic.cell_centres(n)
        a = np.where(x < 0.5, 1.0, 0.1)[None, :]
        exact = layered_exact(x, 1.0, 0.1, 1.0, 0.0)
        solution = elliptic.solve(a, 1.0, boundary=("neumann", "dirichlet"))
        harmonic.append(np.abs(solution.values[0] - exact).max())
        matrix, rhs = elliptic.assemble(a, 1.0, boundary=("neumann", "dirichlet"))
        face = np.flatnonzero(np.diff(a[0]))[0]
        h2 = 1.0 / n**2
        wrong = 0.5 * (a[0, face] + a[0, face + 1]) / h2 - elliptic.harmonic_mean(a[0, face], a[0, face + 1]) / h2
        matrix = matrix.tolil()
        matrix[face, face] += wrong
        matrix[face + 1, face + 1] += wrong
        matrix[face, face + 1] -= wrong
        matrix[face + 1, face] -= wrong
        arithmetic.append(np.abs(spsolve(matrix.tocsc(), rhs) - exact).max())
    assert abs(fitted_order(sizes, harmonic) - 2.0) < 0.15
    assert fitted_order(sizes, arithmetic) < 1.2


def test_restriction_is_bilinear_point_value():
    n, factor = 4, 4
    x = elliptic.cell_centres(n * factor)
    fine = 2.0 + 3.0 * x[None, :] - 5.0 * x[:, None] + 7.0 * x[None, :] * x[:, None]
    xc = elliptic.cell_centres(n)
    coarse = 2.0 + 3.0 * xc[None, :] - 5.0 * xc[:, None] + 7.0 * xc[None, :] * xc[:, None]
    np.testing.assert_allclose(elliptic.restrict_to_centres(fine, factor), coarse, rtol=0, atol=1e-14)


def test_coefficient_is_two_valued_and_reproducible():
    first = ThresholdedBumps.draw(np.random.default_rng(3)).coefficient(128)
    again = ThresholdedBumps.draw(np.random.default_rng(3)).coefficient(128)
    assert first.shape == (128, 128) and set(np.unique(first)) == {0.1, 1.0}
    assert 0.1 < (first == 1.0).mean() < 0.9
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_coefficient_richardson_against_eightfold_refinement(seed):
    """Base 32^2 (PDEBench's 128^2 is the same code at 16x the work): levels 1, 2, 4 and 8x as truth.

    The true error of level 4 lies between ``|u_4 - u_8|`` and that times ``2^q / (2^q - 1)`` when the
    error keeps falling at the order ``q`` observed from levels 2, 4, 8; the estimate must cover the upper
    end and not exceed it by more than 3x. ``||r|| / ||b||`` grows like the condition number (~1e-12 at
    256^2 even for the exactly rounded solution), so the 8x solve is held to its backward error instead.
    """
    a = ThresholdedBumps.draw(np.random.default_rng(seed)).coefficient(32)
    result = elliptic.solve_refined(a, 1.0)
    assert max(result.relative_residuals) <= 1e-12
    assert 1.0 < result.observed_order < 2.5
    truth = elliptic.solve(elliptic.refine_coefficient(a, 8), 1.0)
    assert truth.backward_error < 1e-15
    fine = elliptic.restrict_to_centres(truth.values, 8)
    difference = np.abs(result.values - fine).max()
    q = np.log2(np.abs(result.levels[2] - result.levels[1]).max() / difference)
    assert 1.0 < q < 2.5
    true_upper = difference * 2**q / (2**q - 1)
    assert 0.9 < result.error_estimate.max() / true_upper < 3.0
    assert result.error_estimate.max() > difference
