"""The 1D gradient-flow and reaction-diffusion equations against independent references.

Linear growth rates are the textbook formulas (reference-cases V13); the nonlinear
trajectories are compared with scipy's Radau on a right-hand side written here in
plain NumPy from the PDE as printed (no refsim code), at tight tolerance.
"""

import numpy as np
import pytest
from conftest import certify_one, relative_error
from scipy.integrate import solve_ivp

from refsim.generators import EQUATIONS
from refsim.solvers.grid import FourierGrid


def _d2(u, length):
    k = 2 * np.pi * np.fft.rfftfreq(u.size, length / u.size)
    return np.fft.irfft(-(k**2) * np.fft.rfft(u), u.size)


RIGHT_HAND_SIDES = {
    "cahn_hilliard": lambda u, p, L: _d2(-p["a"] * u + p["b"] * u**3 - p["gamma"] * _d2(u, L), L),
    "swift_hohenberg": lambda u, p, L: (p["r"] * u - _sh_operator(_sh_operator(u, p, L), p, L)
                                        + p["g"] * u**2 - u**3),
    "fisher_kpp": lambda u, p, L: p["nu"] * _d2(u, L) + p["rho"] * u * (1 - u),
}


def _sh_operator(u, p, L):
    return p["q0"] ** 2 * u + _d2(u, L)


def _d2_matrix(n, length):
    return np.stack([_d2(e, length) for e in np.eye(n)], axis=1)


# exact Jacobians of the right-hand sides above (Radau would otherwise difference n times per Jacobian)
JACOBIANS = {
    "cahn_hilliard": lambda u, p, D: D @ (np.diag(-p["a"] + 3 * p["b"] * u**2) - p["gamma"] * D),
    "swift_hohenberg": lambda u, p, D: (p["r"] * np.eye(u.size) - np.linalg.matrix_power(p["q0"] ** 2 * np.eye(u.size)
                                        + D, 2) + np.diag(2 * p["g"] * u - 3 * u**2)),
    "fisher_kpp": lambda u, p, D: p["nu"] * D + np.diag(p["rho"] * (1 - 2 * u)),
}


CASES = {
    # name: (parameters, length, points, end, initial condition)
    "cahn_hilliard": ({"gamma": 0.1, "a": 1.0, "b": 1.0}, 2 * np.pi, 64, 1.5,
                      lambda x: 0.4 * np.cos(x) + 0.3 * np.sin(2 * x + 0.5)),
    "swift_hohenberg": ({"r": 0.3, "q0": 1.0, "g": 0.5}, 4 * np.pi, 64, 4.0,
                        lambda x: 0.3 * np.cos(x) + 0.2 * np.sin(0.5 * x + 1.0)),
    "fisher_kpp": ({"nu": 0.05, "rho": 1.5}, 2 * np.pi, 64, 3.0,
                   lambda x: 0.5 + 0.3 * np.cos(x) + 0.1 * np.sin(3 * x)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_nonlinear_trajectory_matches_independent_radau_solve(name):
    parameters, length, points, end, u0 = CASES[name]
    eq = EQUATIONS[name](**parameters)
    grid = FourierGrid(points, length)
    result, t = certify_one(eq, u0, grid, end=end, frames=5, tolerance=1e-9)
    assert result.status == 0, result.reason
    fine = FourierGrid(2 * points, length)  # the reference is resolved beyond the data
    rhs, jac, d2 = RIGHT_HAND_SIDES[name], JACOBIANS[name], _d2_matrix(fine.num_points, length)
    ref = solve_ivp(lambda _, u: rhs(u, parameters, length), (0, end), u0(fine.x), method="Radau",
                    t_eval=t, rtol=1e-12, atol=1e-14, jac=lambda _, u: jac(u, parameters, d2))
    assert ref.success
    reference = ref.y.T[:, ::2]
    error = relative_error(result.frames, reference)
    assert error.max() < 1e-8, error
    assert np.all(error <= 10 * result.error_estimate + 1e-12), (error, result.error_estimate)


@pytest.mark.parametrize("wavenumber", [1, 3, 5, 7])
def test_cahn_hilliard_linear_growth_rate(wavenumber):
    """A small mode of u = 0 grows like exp(k^2 (a - gamma k^2) t) (V13)."""
    a, gamma = 1.0, 0.02
    eq = EQUATIONS["cahn_hilliard"](gamma=gamma, a=a, b=1.0)
    grid = FourierGrid(64, 2 * np.pi)
    amplitude, end = 1e-10, 1.0  # small enough that b u^3 is 1e-13 of the linear terms
    result, t = certify_one(eq, lambda x: amplitude * np.cos(wavenumber * x), grid, end=end, frames=3,
                            tolerance=1e-10)
    k = float(wavenumber)
    expected = amplitude * np.exp(k**2 * (a - gamma * k**2) * t)
    measured = np.abs(np.fft.rfft(result.frames, axis=-1)[:, wavenumber]) * 2 / grid.num_points
    np.testing.assert_allclose(measured, expected, rtol=1e-8)


@pytest.mark.parametrize("wavenumber", [0.5, 1.0, 1.5])
def test_swift_hohenberg_linear_growth_rate(wavenumber):
    """A small mode of u = 0 grows like exp((r - (q0^2 - k^2)^2) t)."""
    r, q0 = 0.2, 1.0
    eq = EQUATIONS["swift_hohenberg"](r=r, q0=q0, g=0.0)
    grid = FourierGrid(64, 4 * np.pi)
    amplitude, end = 1e-10, 2.0
    j = int(round(wavenumber * grid.domain_length / (2 * np.pi)))
    result, t = certify_one(eq, lambda x: amplitude * np.sin(wavenumber * x), grid, end=end, frames=3,
                            tolerance=1e-10)
    expected = amplitude * np.exp((r - (q0**2 - wavenumber**2) ** 2) * t)
    measured = np.abs(np.fft.rfft(result.frames, axis=-1)[:, j]) * 2 / grid.num_points
    np.testing.assert_allclose(measured, expected, rtol=1e-8)


def test_fisher_kpp_stays_in_the_unit_interval_and_invades():
    eq = EQUATIONS["fisher_kpp"](nu=1e-3, rho=2.0)
    grid = FourierGrid(128, 1.0)
    bump = lambda x: 0.9 * np.exp(-((x - 0.5) / 0.05) ** 2)  # noqa: E731
    result, t = certify_one(eq, bump, grid, end=2.0, frames=5, tolerance=1e-8)
    assert result.status == 0, result.reason
    assert result.frames.min() >= -1e-12 and result.frames.max() <= 1 + 1e-12
    invaded = (result.frames > 0.5).mean(axis=1)
    assert np.all(np.diff(invaded) > 0)  # the front advances at every frame
    # the minimal KPP speed is 2 sqrt(rho nu); fronts started from compact data approach it from below
    speed = np.diff(invaded[2:]) / np.diff(t[2:]) / 2
    assert 0.5 * 2 * np.sqrt(2e-3) < speed.max() <= 2 * np.sqrt(2e-3) * 1.05
