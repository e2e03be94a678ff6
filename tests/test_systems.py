"""ODE systems: vector fields against J grad H, exact solutions and calibration, Lorenz against mpmath."""

import mpmath
import numpy as np
import pytest

from refsim.generators import EQUATIONS
from refsim.solvers.ode_verification import OdeVerifier

SYSTEMS = sorted(n for n, c in EQUATIONS.items() if c.kind == "ode")
HAMILTONIAN = [n for n in SYSTEMS if EQUATIONS[n].hamiltonian]
EXACT = [(n, case) for n in SYSTEMS for case in EQUATIONS[n].exact_cases()]


@pytest.mark.parametrize("name", HAMILTONIAN)
def test_field_is_symplectic_gradient_of_energy(name):
    """f = J grad H, with grad H by fourth-order central differences."""
    system = EQUATIONS[name]()
    d = system.layout().dimension
    y = np.random.default_rng(1).uniform(0.3, 0.9, d)
    grad = np.zeros(d)
    h = 1e-3
    for i in range(d):
        e = np.zeros(d)
        e[i] = h
        values = system.energy_of(np.array([y - 2 * e, y - e, y + e, y + 2 * e]))
        grad[i] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
    half = d // 2
    expected = np.concatenate([grad[half:], -grad[:half]])
    np.testing.assert_allclose(system.field(y[None])[0], expected, rtol=1e-7, atol=1e-7 * np.abs(expected).max())


@pytest.mark.parametrize("name", SYSTEMS)
def test_separable_pieces_agree_with_field(name):
    system = EQUATIONS[name]()
    fns = system.functions()
    if "force" not in fns:
        assert not system.separable
        return
    d = system.layout().dimension
    y = np.random.default_rng(2).uniform(0.3, 0.9, d)
    out = np.empty(d // 2)
    params = system.params_array()
    fns["velocity"](y[d // 2:].copy(), params, out)
    np.testing.assert_array_equal(out, system.field(y[None])[0, : d // 2])
    fns["force"](y[: d // 2].copy(), params, out)
    np.testing.assert_array_equal(out, system.field(y[None])[0, d // 2:])


@pytest.mark.parametrize("method", ["dop853", "gauss8"])
@pytest.mark.parametrize("name,case", EXACT, ids=[f"{n}-{c.name}" for n, c in EXACT])
def test_ode_estimate_calibrated_against_exact_solution(name, case, method):
    system = EQUATIONS[name](**case.parameters)
    ic = case.initial(system, None, None)
    for tolerance in (1e-7, 1e-10):
        verifier = OdeVerifier(method, system.functions(), case.end / (case.frames - 1), case.frames, tolerance)
        (r,) = verifier.certify(ic()[None], system.params_array()[None])
        assert r.status == 0, r.reason
        exact = system.exact_solution(ic, np.linspace(0, case.end, case.frames))
        true = np.abs(r.frames - exact).max(axis=1) / np.abs(exact).max(axis=1)
        assert true.max() <= tolerance
        measurable = true > 100 * np.finfo(float).eps
        assert np.all(r.error_estimate[measurable] >= true[measurable] / 2), (r.error_estimate, true)
        assert np.all(r.error_estimate[measurable] <= 30 * true[measurable]), (r.error_estimate, true)


def test_kepler_ten_periods_and_pendulum_period():
    """Kepler e = 0.6 over 10 periods to 1e-10 (DOP853 and Gauss 8); the pendulum's period to 1e-12."""
    from refsim.generators.systems.families import PhaseState
    from refsim.generators.systems.kepler import KeplerState

    kepler = EQUATIONS["kepler"]()
    ic = KeplerState(0.6, 1.0, 1.0)
    t = np.linspace(0, 20 * np.pi, 101)
    exact = kepler.exact_solution(ic, t)
    for method in ("dop853", "gauss8"):
        verifier = OdeVerifier(method, kepler.functions(), t[1], t.size, 1e-10)
        (r,) = verifier.certify(ic()[None], kepler.params_array()[None])
        err = np.abs(r.frames - exact).max(axis=1) / np.abs(exact).max(axis=1)
        assert r.status == 0 and err.max() <= 1e-10, (method, err.max())
    pendulum = EQUATIONS["pendulum"]()
    q0 = 1.0
    period = pendulum.period(pendulum.kappa * (1 - np.cos(q0)))
    assert abs(period - 6.6999756643704527127) < 1e-13  # reference-cases V18, theta0 = 1
    verifier = OdeVerifier("gauss8", pendulum.functions(), period / 4, 5, 1e-13)
    (r,) = verifier.certify(np.array([[q0, 0.0]]), pendulum.params_array()[None])
    # after one full period the state returns; after a half period q = -q0
    assert abs(r.frames[4, 0] - q0) <= 1e-12 and abs(r.frames[2, 0] + q0) <= 1e-12
    assert abs(r.frames[4, 1]) <= 1e-12
    assert isinstance(PhaseState([q0, 0.0]), PhaseState)


def lorenz_taylor(y0, t_end, frame_dt, order=25, step=0.01, digits=32):
    """Lorenz-63 by a Taylor-series method in mpmath (coefficients by Cauchy products)."""
    mpmath.mp.dps = digits
    sigma, rho, beta = mpmath.mpf(10), mpmath.mpf(28), mpmath.mpf(8) / 3
    x, y, z = (mpmath.mpf(float(v)) for v in y0)
    per_frame = int(round(frame_dt / step))
    h = mpmath.mpf(frame_dt) / per_frame
    frames = [(x, y, z)]
    for _ in range(int(round(t_end / frame_dt))):
        for _ in range(per_frame):
            xs, ys, zs = [x], [y], [z]
            for k in range(order):
                xz = mpmath.fsum(xs[j] * zs[k - j] for j in range(k + 1))
                xy = mpmath.fsum(xs[j] * ys[k - j] for j in range(k + 1))
                xs.append(sigma * (ys[k] - xs[k]) / (k + 1))
                ys.append((rho * xs[k] - xz - ys[k]) / (k + 1))
                zs.append((xy - beta * zs[k]) / (k + 1))
            x, y, z = (mpmath.polyval(c[::-1], h) for c in (xs, ys, zs))  # highest degree first
        frames.append((x, y, z))
    return np.array([[float(v) for v in f] for f in frames]), frames


def test_lorenz_against_mpmath_taylor_up_to_trust_horizon():
    system = EQUATIONS["lorenz63"]()
    y0 = np.array([1.0, 1.0, 1.0])
    verifier = OdeVerifier("dop853", system.functions(), 0.5, 61, 1e-8, horizon="flag")
    (r,) = verifier.certify(y0[None], system.params_array()[None])
    horizon = r.trust_horizon_index
    assert r.status == 0 and 10 <= horizon < 60, horizon  # chaos ends the horizon before t = 30
    reference, exact_mp = lorenz_taylor(y0, 0.5 * min(horizon + 4, 60), 0.5)
    # the reference checks itself: higher order, half the step, more digits, over the first 10 time units
    _, check = lorenz_taylor(y0, 10.0, 0.5, order=30, step=0.005, digits=40)
    assert max(abs(a - b) for fa, fb in zip(exact_mp, check) for a, b in zip(fa, fb)) < 1e-20
    n = reference.shape[0]
    err = np.abs(r.frames[:n] - reference).max(axis=1) / np.abs(reference).max(axis=1)
    assert err[: horizon + 1].max() <= 1e-8  # honest before the horizon
    assert np.all(err[: horizon + 1] <= 2 * r.error_estimate[: horizon + 1] + 1e-15)
    assert err[horizon + 1:].max() > 1e-8  # and needed: within 2 time units past it the data are wrong
