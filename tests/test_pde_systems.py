"""Spectral systems (complex, several fields, 2D) against exact solutions (reference-cases V9-V11)."""

import numpy as np
import pytest
from conftest import certify_one, fitted_order, relative_error

from refsim.generators import EQUATIONS
from refsim.generators.navier_stokes_2d import TaylorGreen
from refsim.generators.nls import NLSSoliton
from refsim.generators.sine_gordon import Breather, KinkAntikink
from refsim.solvers.grid import FourierGrid
from refsim.solvers.grid2d import FourierGrid2D
from refsim.solvers.semilinear import solve_frames


def test_nls_bright_soliton_every_frame():
    eq = EQUATIONS["nls"](alpha=0.5, kappa=1.0)
    grid = FourierGrid(256, 50.0, origin=-25.0)  # eta L / 2 = 37.5: tails below 1e-16
    ic = NLSSoliton(1.5, 3, -5.0, 0.5, 1.0, 50.0)
    result, t = certify_one(eq, ic, grid, end=4.0, frames=9, tolerance=1e-10)
    assert result.status == 0, result.reason
    exact = ic.at(grid.x, t)
    assert relative_error(result.frames, exact).max() <= 1e-10
    fine = FourierGrid(result.resolution.num_points, 50.0, -25.0)
    mass, momentum, hamiltonian = (inv.evaluate(result.internal, fine) for inv in eq.invariants())
    # V9, convention A with a = 1.5, v = 2 pi 3 / 50: N = 2a, P = 2 a v, H = a v^2 - a^3 / 3
    a, v = 1.5, 2 * np.pi * 3 / 50.0
    np.testing.assert_allclose(mass, 2 * a, rtol=1e-11)
    np.testing.assert_allclose(momentum, 2 * a * v, rtol=1e-10)
    np.testing.assert_allclose(hamiltonian, a * v**2 - a**3 / 3, rtol=1e-10)


def test_nls_convention_b_soliton():
    """i u_t + u_xx + 2 |u|^2 u = 0: u = a sech(a (x - 2 v t)) exp(i (v x + (a^2 - v^2) t)) (V9, B)."""
    eq = EQUATIONS["nls"](alpha=1.0, kappa=2.0)
    grid = FourierGrid(256, 60.0, origin=-30.0)
    a, v = 1.2, 2 * np.pi * 2 / 60.0
    ic = lambda x: a / np.cosh(a * x) * np.exp(1j * v * x)  # noqa: E731
    result, t = certify_one(eq, ic, grid, end=2.0, frames=5, tolerance=1e-10)
    assert result.status == 0, result.reason
    x = grid.x[None, :]
    exact = a / np.cosh(a * (x - 2 * v * t[:, None])) * np.exp(1j * (v * x + (a**2 - v**2) * t[:, None]))
    assert relative_error(result.frames, exact).max() <= 1e-10


def test_sine_gordon_breather_and_its_energy():
    eq = EQUATIONS["sine_gordon"](c=1.0)
    grid = FourierGrid(256, 80.0, origin=-40.0)
    omega = 0.5
    ic = Breather(omega, 0.0)
    result, t = certify_one(eq, ic, grid, end=6.0, frames=7, tolerance=1e-10)
    assert result.status == 0, result.reason
    assert relative_error(result.frames, ic.at(grid.x, t)).max() <= 1e-10
    fine = FourierGrid(result.resolution.num_points, 80.0, -40.0)
    (energy,) = (inv.evaluate(result.internal, fine) for inv in eq.invariants())
    np.testing.assert_allclose(energy, 16 * np.sqrt(1 - omega**2), rtol=1e-11)  # 13.8564064605510...


def test_sine_gordon_kink_antikink_collision_and_its_energy():
    """Kink and antikink pass through each other (t = 6 here) and separate; c = 1.5 checks the scaling."""
    eq = EQUATIONS["sine_gordon"](c=1.5)
    grid = FourierGrid(256, 120.0, origin=-60.0)
    ic = KinkAntikink(0.6, 0.0, -6.0, c=1.5)
    result, t = certify_one(eq, ic, grid, end=12.0, frames=7, tolerance=1e-10)
    assert result.status == 0, result.reason
    exact = ic.at(grid.x, t)
    assert np.ptp(exact[:, 0]) > 10  # u sweeps from about -2 pi (pair apart) through 0 to +2 pi
    assert relative_error(result.frames, exact).max() <= 1e-10
    fine = FourierGrid(result.resolution.num_points, 120.0, -60.0)
    (energy,) = (inv.evaluate(result.internal, fine) for inv in eq.invariants())
    np.testing.assert_allclose(energy, 16 * 1.5 / np.sqrt(1 - 0.6**2), rtol=1e-11)  # 30


def test_taylor_green_vortex_decay():
    nu = 0.02
    eq = EQUATIONS["navier_stokes_2d"](nu=nu)
    grid = FourierGrid2D(32, 2 * np.pi)
    result, t = certify_one(eq, TaylorGreen(1.0), grid, end=5.0, frames=6, tolerance=1e-12)
    assert result.status == 0, result.reason
    exact = 2 * np.sin(grid.x)[None, None, :] * np.sin(grid.x)[None, :, None] * np.exp(-2 * nu * t)[:, None, None]
    assert relative_error(result.frames, exact).max() <= 1e-12
    energy, enstrophy = (inv.evaluate(result.frames, grid) for inv in eq.invariants())
    np.testing.assert_allclose(energy, np.pi**2 * np.exp(-4 * nu * t), rtol=1e-12)
    np.testing.assert_allclose(enstrophy, 2 * np.pi**2 * np.exp(-4 * nu * t), rtol=1e-12)


@pytest.mark.parametrize("method", ["etdrk4", "ifrk4"])
def test_fourth_order_on_the_dispersive_complex_system(method):
    """Observed order of the system kernels on the NLS soliton, fitted over 5 step sizes."""
    eq = EQUATIONS["nls"](alpha=0.5, kappa=1.0)
    grid = FourierGrid(512, 50.0, origin=-25.0)
    ic = NLSSoliton(1.5, 3, -5.0, 0.5, 1.0, 50.0)
    exact = ic.at(grid.x, np.array([0.0, 1.0]))
    steps = np.array([8, 12, 16, 24, 32])
    errors = [relative_error(solve_frames(grid, [eq.terms(grid)], ic(grid.x)[None], 1.0, 2, s, method)[0],
                             exact)[-1] for s in steps]
    assert abs(fitted_order(1.0 / steps, errors) - 4) <= 0.15, errors


def test_kolmogorov_flow_is_forced_and_certified():
    eq = EQUATIONS["navier_stokes_2d"](nu=0.05, forcing=1.0, forcing_wavenumber=2)
    grid = FourierGrid2D(32, 2 * np.pi)
    result, _ = certify_one(eq, lambda x, y: 0.1 * np.sin(x + 2 * y) + 0.05 * np.cos(3 * x - y), grid,
                            end=2.0, frames=5, tolerance=1e-8)
    assert result.status == 0, result.reason
    # the forced mode omega ~ -A n cos(n y) (steady laminar profile -A/(nu n) cos(n y)) builds up in time
    profile = result.frames.mean(axis=2)  # average over x: a function of y
    forced = np.abs(profile @ np.cos(2 * grid.x)) / grid.num_points
    assert np.all(np.diff(forced) > 0)
