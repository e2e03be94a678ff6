"""The coefficients of refsim's ODE methods: Butcher tableaux and composition weights, checked against their
defining conditions and against 40-digit values."""

import numpy as np
import pytest
from scipy.special import roots_legendre

from refsim.solvers.ode import ODE_METHODS
from refsim.solvers.ode.dop853 import TABLEAU as DOP853_TABLEAU
from refsim.solvers.ode.tableau import ButcherTableau, gauss_legendre_tableau


@pytest.mark.parametrize("stages", [2, 3, 4])
def test_gauss_legendre_tableau_is_the_collocation_method(stages):
    tableau = gauss_legendre_tableau(stages)
    roots, weights = roots_legendre(stages)
    np.testing.assert_allclose(tableau.c, (1 + roots) / 2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tableau.b, weights / 2, rtol=0, atol=1e-15)
    c = tableau.c
    for k in range(1, stages + 1):
        np.testing.assert_allclose(tableau.A @ c ** (k - 1), c ** k / k, rtol=0, atol=4e-16)
    for k in range(1, 2 * stages + 1):
        assert abs(tableau.b @ c ** (k - 1) - 1 / k) <= 4e-16


def test_gauss_legendre_nodes_and_weights_are_correctly_rounded():
    """Against 40-digit Legendre roots x and weights 2 / ((1 - x^2) P_s'(x)^2) from mpmath."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        for stages in (2, 3, 4):
            tableau = gauss_legendre_tableau(stages)

            def legendre(x, degree=stages):
                return mpmath.legendre(degree, x)

            for node, weight in zip(tableau.c, tableau.b):
                root = mpmath.findroot(legendre, 2 * node - 1)
                slope = mpmath.diff(legendre, root)
                assert node == float((1 + root) / 2)
                assert weight == float(1 / ((1 - root ** 2) * slope ** 2))


def test_butcher_tableau_rejects_inconsistent_coefficients():
    tableau = gauss_legendre_tableau(2)
    with pytest.raises(ValueError, match="tree|B\\("):
        ButcherTableau(tableau.A, tableau.b + [1e-10, -1e-10], tableau.c, order=4)
    with pytest.raises(ValueError, match="row sums"):
        ButcherTableau(tableau.A, tableau.b, tableau.c + 1e-9, order=4)
    with pytest.raises(ValueError):
        ButcherTableau(tableau.A, tableau.b, tableau.c, order=5)


def test_dop853_tableau_order_conditions():
    a, b, c = DOP853_TABLEAU.A, DOP853_TABLEAU.b, DOP853_TABLEAU.c
    np.testing.assert_allclose(a.sum(axis=1), c, rtol=0, atol=1e-14)
    assert abs(b.sum() - 1) <= 1e-15
    for k in range(8):
        assert abs(b @ c ** k - 1 / (k + 1)) <= 1e-14
    with pytest.raises(ValueError):
        ButcherTableau(a, b, c, order=9)


@pytest.mark.parametrize("name,odd_powers", [("composition6", (1, 3, 5)), ("composition8", (1, 3, 5, 7))])
def test_composition_weights_are_symmetric_and_satisfy_the_odd_moment_conditions(name, odd_powers):
    weights = ODE_METHODS[name].weights
    assert np.array_equal(weights, weights[::-1])
    for k in odd_powers:
        assert abs((weights ** k).sum() - (k == 1)) <= 1e-14
