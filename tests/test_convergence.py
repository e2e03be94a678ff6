"""Observed orders of the exponential steppers, fitted over >= 4 step sizes in float64."""

import numpy as np
import pytest
from conftest import fitted_order, relative_error

from refsim.generators import EQUATIONS
from refsim.generators.burgers import ColeHopfWave
from refsim.generators.kdv import Solitons
from refsim.solvers.grid import FourierGrid
from refsim.solvers.semilinear import solve_frames


def _errors(eq, ic, grid, end, steps, method):
    exact = eq.exact_solution(ic, grid.x, np.array([0.0, end]))[-1]
    out = []
    for s in steps:
        u = solve_frames(grid, [eq.terms(grid)], ic(grid.x)[None], end, 2, s, method)[0, -1]
        out.append(relative_error(u[None], exact[None])[0])
    return np.array(out)


CASES = {
    # dispersive: L = i beta k^3 is imaginary, so complex phi-coefficients are essential
    "kdv-soliton": (lambda: EQUATIONS["kdv"](alpha=6.0, beta=1.0),
                    lambda: Solitons([0.7], [20.0], 6.0, 1.0, 60.0, 0.0, 1, False),
                    FourierGrid(512, 60.0), 1.0, [64, 128, 256, 512, 1024]),
    # dissipative: L = -nu k^2 is real
    "burgers-cole-hopf": (lambda: EQUATIONS["burgers"](nu=0.1),
                          lambda: ColeHopfWave(0.1, 1.1, 1, 2 * np.pi, 0.0),
                          FourierGrid(128, 2 * np.pi), 2.0, [16, 32, 64, 128, 256]),
}


@pytest.mark.parametrize("method", ["etdrk4", "ifrk4"])
@pytest.mark.parametrize("case", list(CASES))
def test_fourth_order(case, method):
    make_eq, make_ic, grid, end, steps = CASES[case]
    errors = _errors(make_eq(), make_ic(), grid, end, steps, method)
    keep = errors > 1e-13  # drop points at the round-off floor
    assert keep.sum() >= 4, errors
    order = fitted_order(end / np.array(steps)[keep], errors[keep])
    assert abs(order - 4.0) <= 0.15, (order, errors)


def test_dropping_imaginary_part_of_coefficients_breaks_dispersive_case():
    """The accuracy bug the brief warns about: real-part-only coefficients on KdV."""
    from refsim.solvers import kernels
    from refsim.solvers.exponential import ETDRK4
    from refsim.solvers.semilinear import stack_terms

    make_eq, make_ic, grid, end, _ = CASES["kdv-soliton"]
    eq, ic = make_eq(), make_ic()
    symbol, mult, poly = stack_terms([eq.terms(grid)])
    step = end / 64
    coef = ETDRK4().coefficients(symbol, step)
    v0 = np.fft.rfft(ic(grid.x))[None]
    good = kernels.etdrk4_frames(v0, grid.num_points, *coef, mult, *poly, 64, 2)[0, -1]
    bad_coef = [coef[0], coef[1]] + [c.real.astype(complex) for c in coef[2:]]
    bad = kernels.etdrk4_frames(v0, grid.num_points, *bad_coef, mult, *poly, 64, 2)[0, -1]
    exact = eq.exact_solution(ic, grid.x, np.array([end]))[0]
    assert np.abs(good - exact).max() < 1e-5
    assert np.abs(bad - exact).max() > 100 * np.abs(good - exact).max()
