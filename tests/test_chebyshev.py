"""Chebyshev collocation on intervals: exact solutions with Dirichlet and Neumann data, spectral convergence in
the degree, the integrator's order, its matrix coefficients, and the interval verifier's calibration."""

from functools import partial

import mpmath
import numpy as np
import pytest
import scipy.linalg
from conftest import fitted_order
from scipy.special import ive

from refsim.generators import EQUATIONS
from refsim.generators.burgers_interval import BurgersInterval, SineMode
from refsim.generators.fisher_kpp_interval import AblowitzZeppetellaFront, FisherKPPInterval
from refsim.generators.interval_base import IntervalEquation
from refsim.solvers.chebyshev import (
    BoundaryCondition,
    ChebyshevGrid,
    IntervalOperator,
    IntervalTerms,
    UniformPoints,
    chebyshev_coefficients,
)
from refsim.solvers.chebyshev_etdrk4 import etdrk4_scalars, matrix_function, solve_interval_frames
from refsim.solvers.chebyshev_verification import IntervalProblem, IntervalVerifier
from refsim.solvers.verification import Budget, Resolution

DIRICHLET_0 = BoundaryCondition("dirichlet", 0.0)
INTERVAL_EQUATIONS = sorted(name for name, cls in EQUATIONS.items() if cls.kind == "ibvp")
BUDGET = Budget(max_points=128, max_steps_per_frame=512)  # a broken method fails fast instead of refining on
NU = 0.1  # Cole's case: beta = 1/(2 pi nu) = 1.59, the series is accurate to 1e-15


def cole_reference(x, t, nu):
    """Cole's series for u0 = sin(pi x) on [0, 1], u(0) = u(1) = 0 (reference-cases V6), term by term."""
    beta = 1 / (2 * np.pi * nu)
    numerator, denominator = np.zeros((len(t), len(x))), np.ones((len(t), len(x)))
    for n in range(1, 60):
        weight = ive(n, beta) / ive(0, beta) * np.exp(-(n * np.pi) ** 2 * nu * np.asarray(t))[:, None]
        numerator += n * weight * np.sin(n * np.pi * x)
        denominator += 2 * weight * np.cos(n * np.pi * x)
    return 4 * np.pi * nu * numerator / denominator


def az_front(x, t):
    """Ablowitz-Zeppetella front of u_t = u_xx + u(1 - u), C = 1 (reference-cases V8)."""
    return (1 + np.exp(np.asarray(x)[None, :] / np.sqrt(6) - 5 * np.atleast_1d(t)[:, None] / 6)) ** -2


def relative_error(u, exact):
    return np.abs(u - exact).max(axis=-1) / np.abs(exact).max(axis=-1)


def burgers_operator(degree, nu=NU):
    grid = ChebyshevGrid(degree, 0.0, 1.0)
    return grid, IntervalOperator(grid, IntervalTerms(nu, flux=(0.0, -0.5, 0.0)), DIRICHLET_0, DIRICHLET_0)


def cole_mpmath(x, t, nu, terms=40):
    """Cole's series in 30-digit arithmetic."""
    mpmath.mp.dps = 30
    beta = mpmath.mpf(1) / (2 * mpmath.pi * mpmath.mpf(nu))
    bessel = [mpmath.besseli(n, beta) for n in range(terms)]

    def u(xx, tt):
        decay = [bessel[n] * mpmath.exp(-n**2 * mpmath.pi**2 * nu * tt) for n in range(terms)]
        numerator = sum(n * decay[n] * mpmath.sin(n * mpmath.pi * xx) for n in range(1, terms))
        denominator = decay[0] + 2 * sum(decay[n] * mpmath.cos(n * mpmath.pi * xx) for n in range(1, terms))
        return float(4 * mpmath.pi * nu * numerator / denominator)

    return np.array([[u(xx, tt) for xx in x] for tt in t])


def test_cole_reference_against_mpmath_and_the_library_series():
    """The test's series agrees with 30-digit Bessel sums to 1e-14; the equation's exact solution with both."""
    x, t = np.array([0.05, 0.3, 0.5, 0.77, 0.98]), np.array([0.0, 0.1, 0.5])
    exact = cole_mpmath(x, t, NU)
    reference = cole_reference(x, t, NU)
    assert np.abs(reference - exact).max() <= 1e-14
    np.testing.assert_array_almost_equal(reference[0], np.sin(np.pi * x), decimal=14)
    library = BurgersInterval(nu=NU).exact_solution(SineMode(1.0, 0.0, 1.0), x, t)
    assert np.abs(library - exact).max() <= 1e-14


def test_collocation_is_exact_for_polynomials():
    grid = ChebyshevGrid(12, -0.5, 2.0)
    p = np.polynomial.Polynomial([0.3, -1.0, 2.0, 0.5, 0.0, -0.25, 0.1])
    points = np.concatenate([[-0.5, 2.0], np.random.default_rng(0).uniform(-0.5, 2.0, 50)])
    interpolated = grid.interpolation_matrix(points) @ p(grid.x)
    assert np.abs(interpolated - p(points)).max() < 1e-13
    assert interpolated[0] == p(grid.x)[0] and interpolated[1] == p(grid.x)[-1]  # endpoints are nodes: exact
    assert np.abs(grid.d1 @ p(grid.x) - p.deriv()(grid.x)).max() < 1e-12
    assert np.abs(grid.d2 @ p(grid.x) - p.deriv(2)(grid.x)).max() < 1e-10
    coefficients = chebyshev_coefficients(p(grid.x))
    mapped = p(np.polynomial.Polynomial([0.75, 1.25]))  # p on [-0.5, 2] as a polynomial in y in [-1, 1]
    assert np.abs(coefficients - np.pad(mapped.convert(kind=np.polynomial.Chebyshev).coef, (0, 6))).max() < 1e-13


def contour_mean(matrix, function, radius=5.0, points=64):
    """Kassam & Trefethen's f(A): the trapezoidal rule for the integral of f(z) (zI - A)^{-1} / (2 pi i) on a circle."""
    z = radius * np.exp(2j * np.pi * (np.arange(points) + 0.5) / points)
    identity = np.eye(matrix.shape[0])
    return np.real(sum(zj * function(zj) * np.linalg.inv(zj * identity - matrix) for zj in z) / points)


def test_matrix_phi_functions_against_the_augmented_exponential_and_the_contour_integral():
    """Stiff hL (spectrum to -3e2): the eigendecomposition against expm of the block matrix [[hL, I, 0, 0],
    [0, 0, I, 0], ...] whose first block row is (e^{hL}, phi_1, phi_2, phi_3); mild hL (spectrum within 2):
    against Kassam & Trefethen's contour integral (the mean over 64 points of a circle of radius 5 around 0;
    a larger spectrum needs a larger circle, where e^z cancels catastrophically)."""
    for degree, step, check in ((24, 0.05, "expm"), (10, 0.01, "contour")):
        grid = ChebyshevGrid(degree, 0.0, 1.0)
        operator = IntervalOperator(grid, IntervalTerms(0.1, 0.5), BoundaryCondition("neumann"), DIRICHLET_0)
        hl = step * operator.linear
        n = hl.shape[0]
        e, e2, q, f1, f2, f3 = matrix_function(operator.linear, step, partial(etdrk4_scalars, step=step))
        if check == "expm":
            block = np.zeros((4 * n, 4 * n))
            block[:n, :n] = hl
            for k in range(3):
                block[k * n:(k + 1) * n, (k + 1) * n:(k + 2) * n] = np.eye(n)
            top = scipy.linalg.expm(block)[:n]
            p1, p2, p3 = (top[:, k * n:(k + 1) * n] for k in (1, 2, 3))
            reference = {"e": top[:, :n], "f1": step * (p1 - 3 * p2 + 4 * p3), "f3": step * (4 * p3 - p2)}
            assert np.abs(np.linalg.eigvals(hl)).max() > 300
        else:
            reference = {"e": contour_mean(hl, np.exp),
                         "f1": step * contour_mean(hl, lambda s: (-4 - s + np.exp(s) * (4 - 3 * s + s * s)) / s**3),
                         "f3": step * contour_mean(hl, lambda s: (-4 - 3 * s - s * s + np.exp(s) * (4 - s)) / s**3)}
            assert np.abs(np.linalg.eigvals(hl)).max() < 2
        for name, mine in (("e", e), ("f1", f1), ("f3", f3)):
            assert np.abs(mine - reference[name]).max() <= 1e-13 * np.abs(reference[name]).max(), name


def test_burgers_dirichlet_against_coles_series():
    """Cole's case certified at 1e-10: stored-point error <= 1e-9 and within the estimate's calibration."""
    output = UniformPoints(41, 0.0, 1.0)
    verifier = IntervalVerifier(output, 0.05, 11, 1e-10, budget=BUDGET)
    problem = IntervalProblem(BurgersInterval(nu=NU).terms(), DIRICHLET_0, DIRICHLET_0, lambda x: np.sin(np.pi * x))
    (result,) = verifier.certify([problem], Resolution(16, 4))
    exact = cole_reference(output.x, np.linspace(0, 0.5, 11), NU)
    error = relative_error(result.frames, exact)
    assert result.status == 0 and error.max() <= 1e-9, (error.max(), result.resolution)
    measurable = error > 1e-14  # the reference series' own accuracy
    assert measurable[1:].all() and np.all(result.error_estimate[measurable] >= error[measurable] / 2)
    np.testing.assert_array_equal(result.frames[0], np.sin(np.pi * output.x))
    assert result.frames[:, 0].max() == 0 and np.abs(result.frames[:, -1]).max() < 1e-15  # Dirichlet rows


def test_fisher_front_with_the_fronts_own_time_dependent_dirichlet_data():
    """On [-10, 20] to t = 2 (the front moves 4.1): u(-10, t) and u(20, t) from the exact front."""
    eq = FisherKPPInterval(nu=1.0, rho=1.0)
    front = AblowitzZeppetellaFront(1.0, 1.0, 1.0)
    left, right = eq.exact_boundary(front, -10.0, 20.0)
    grid = ChebyshevGrid(64, -10.0, 20.0)
    frames = solve_interval_frames(IntervalOperator(grid, eq.terms(), left, right), front(grid.x), 0.25, 9, 64)
    output = UniformPoints(61, -10.0, 20.0)
    stored = frames @ grid.interpolation_matrix(output.x).T
    error = np.abs(stored - az_front(output.x, np.linspace(0, 2, 9))).max()
    assert error <= 1e-8, error
    np.testing.assert_allclose(frames[:, 0], az_front([-10.0], np.linspace(0, 2, 9))[:, 0], rtol=0, atol=1e-15)


def test_fisher_front_on_an_interval_where_constant_data_1_and_0_are_exact():
    """On [-100, 55] the front is 1 and 0 at the ends to round-off for t <= 2 (1 - u(-100) < 2e-18,
    u(55) < 1e-16), so constant Dirichlet data 1 and 0 are exact."""
    assert 1 - az_front([-100.0], 0.0)[0, 0] == 0 and az_front([55.0], 2.0)[0, 0] < 1e-16
    grid = ChebyshevGrid(256, -100.0, 55.0)
    operator = IntervalOperator(grid, FisherKPPInterval(nu=1.0, rho=1.0).terms(), BoundaryCondition("dirichlet", 1.0),
                                BoundaryCondition("dirichlet", 0.0))
    frames = solve_interval_frames(operator, az_front(grid.x, 0.0)[0], 1.0, 3, 100)
    output = UniformPoints(156, -100.0, 55.0)
    error = np.abs(frames @ grid.interpolation_matrix(output.x).T - az_front(output.x, [0.0, 1.0, 2.0])).max()
    assert error <= 1e-8, error


def test_spectral_convergence_in_the_degree():
    """Cole's case at t = 0.5 with a time error near 1e-14: the error falls geometrically in N to round-off."""
    degrees = np.arange(6, 42, 4)
    output = UniformPoints(101, 0.0, 1.0)
    exact = cole_reference(output.x, [0.5], NU)[0]
    errors = []
    for degree in degrees:
        grid, operator = burgers_operator(degree)
        frames = solve_interval_frames(operator, np.sin(np.pi * grid.x), 0.5, 2, 2000)
        errors.append(relative_error(frames[-1] @ grid.interpolation_matrix(output.x).T, exact))
    errors = np.array(errors)
    above = errors > 1e-12
    assert above.sum() >= 4 and errors[-1] < 1e-12, errors
    assert np.all(errors[1:][above[:-1]] < 0.1 * errors[:-1][above[:-1]]), errors  # each +4 wins > 1 digit
    fit = np.polynomial.Polynomial.fit(degrees[above], np.log(errors[above]), 1).convert()
    residual = np.log(errors[above]) - fit(degrees[above])
    assert fit.coef[1] < -0.5 and np.abs(residual).max() < 1.0, (fit, residual)  # log error linear in N: geometric


def test_time_order_is_four_for_compatible_data():
    grid, operator = burgers_operator(40)
    exact = cole_reference(grid.x, [0.5], NU)[0]
    steps = np.array([20, 40, 80, 160, 320])
    errors = [relative_error(solve_interval_frames(operator, np.sin(np.pi * grid.x), 0.5, 2, s)[-1], exact)
              for s in steps]
    assert min(errors) > 1e-12, errors  # above the spatial error and round-off
    order = fitted_order(0.5 / steps, errors)
    assert abs(order - 4) <= 0.15, (order, errors)


@pytest.mark.parametrize("case", ["neumann", "inhomogeneous-neumann", "mixed"])
def test_heat_equation_with_neumann_boundaries(case):
    """u_t = u_xx on [0, pi]: u_x = 0 with cos 2x -> e^{-4t} cos 2x; u_x(0) = e^{-t}, u_x(pi) = -e^{-t} with sin x
    -> e^{-t} sin x; u(0) = 0, u_x(pi) = 0 with sin(x/2) -> e^{-t/4} sin(x/2)."""
    left, right, exact = {
        "neumann": (BoundaryCondition("neumann"), BoundaryCondition("neumann"),
                    lambda x, t: np.exp(-4 * t) * np.cos(2 * x)),
        "inhomogeneous-neumann": (BoundaryCondition("neumann", lambda t: np.exp(-t)),
                                  BoundaryCondition("neumann", lambda t: -np.exp(-t)),
                                  lambda x, t: np.exp(-t) * np.sin(x)),
        "mixed": (DIRICHLET_0, BoundaryCondition("neumann"), lambda x, t: np.exp(-t / 4) * np.sin(x / 2)),
    }[case]
    grid = ChebyshevGrid(32, 0.0, np.pi)
    times = np.linspace(0.0, 1.0, 11)
    # 32 steps per frame: time-dependent data reduce the order to about 3.5 (Neumann) and 3 (Dirichlet)
    frames = solve_interval_frames(IntervalOperator(grid, IntervalTerms(1.0), left, right), exact(grid.x, 0.0),
                                   0.1, 11, 32)
    output = UniformPoints(51, 0.0, np.pi)
    stored = frames @ grid.interpolation_matrix(output.x).T
    error = np.abs(stored - exact(output.x[None, :], times[:, None])).max()
    assert error <= 1e-10, error


@pytest.mark.parametrize("name", INTERVAL_EQUATIONS)
def test_interval_equation_exact_cases_calibrate_the_estimate(name):
    """Every exact case of an equation on an interval: the certified error is within tolerance, and the estimate
    is neither below it by more than 2x nor above it by more than 30x (as on the periodic path)."""
    cls = EQUATIONS[name]
    assert issubclass(cls, IntervalEquation) and cls.exact_cases()
    for case in cls.exact_cases():
        eq = cls(**case.parameters)
        a, b = case.origin, case.origin + case.length
        ic = case.initial(eq, case.length, case.origin)
        left, right = eq.exact_boundary(ic, a, b)
        output = UniformPoints(case.points, a, b)
        verifier = IntervalVerifier(output, case.end / (case.frames - 1), case.frames, 1e-8, budget=BUDGET)
        (result,) = verifier.certify([IntervalProblem(eq.terms(), left, right, ic)], Resolution(16, 2))
        true = relative_error(result.frames, eq.exact_solution(ic, output.x, np.linspace(0, case.end, case.frames)))
        measurable = true > 1e-14
        assert result.status == 0 and true.max() <= 1e-8, (case.name, true, result.reason)
        ratio = result.error_estimate[measurable] / true[measurable]
        assert np.all(ratio >= 0.5) and np.all(ratio <= 30), (case.name, ratio)


def test_unknown_boundary_kind_names_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed: dirichlet, neumann"):
        BoundaryCondition("robin")


@pytest.mark.parametrize("name", INTERVAL_EQUATIONS)
def test_interval_batch_rows_are_independent_bitwise(name):
    """A trajectory's certified result does not depend on which others share its batch (Neumann at both ends and
    data of O(1): each equation's default parameters)."""
    eq = EQUATIONS[name]()
    neumann = BoundaryCondition("neumann")
    problems = [IntervalProblem(eq.terms(), neumann, neumann, lambda x, k=k: 0.5 + 0.2 * np.cos(k * np.pi * x))
                for k in (1, 2, 3)]
    verifier = IntervalVerifier(UniformPoints(11, 0.0, 1.0), 0.05, 3, 1e-8, budget=BUDGET)
    together = verifier.certify(problems, Resolution(16, 2))
    alone = verifier.certify(problems[1:2], Resolution(16, 2))
    assert together[1].status == 0
    np.testing.assert_array_equal(together[1].frames, alone[0].frames)
    np.testing.assert_array_equal(together[1].error_estimate, alone[0].error_estimate)
