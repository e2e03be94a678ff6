"""ODE integrators of refsim.solvers.ode against exact solutions, fitted orders and invariants.

Test systems (written here, independent of refsim.generators):

* harmonic oscillator ``H = (q^2 + p^2)/2``: ``q = cos t, p = -sin t`` from (1, 0);
* pendulum ``H = p^2/2 - cos q`` from the turning point (q0, 0):
  ``q = 2 asin(k sn(t + K, m))``, ``p = 2 k cn(t + K, m)``, ``k = sin(q0/2)``, ``m = k^2``, period ``4 K(m)``;
* Kepler ``H = |p|^2/2 - 1/|q|``, e = 0.6, from pericentre: Kepler's equation ``E - e sin E = t``,
  period 2 pi, ``H = -1/2``, ``L = q1 p2 - q2 p1 = 0.8``;
* Hénon–Heiles ``H = (p1^2 + p2^2 + q1^2 + q2^2)/2 + q1^2 q2 - q2^3/3`` (cubic);
* two particles on a line, ``H = (p1^2 + p2^2)/2 + r^4/4 + r^2/2``, ``r = q1 - q2``: total momentum
  ``p1 + p2`` is a linear invariant.
"""

import numpy as np
import pytest
from numba import njit
from scipy.special import ellipj, ellipk

from refsim.solvers.ode import ODE_METHODS, integrate
from refsim.solvers.ode.avf import AverageVectorField
from refsim.solvers.ode.signatures import FIELD, HALF

ECCENTRICITY = 0.6
NO_PARAMS = np.zeros((1, 0))


@njit(FIELD, cache=True)
def oscillator_field(y, params, out):
    out[0] = y[1]
    out[1] = -y[0]


@njit(FIELD, cache=True)
def pendulum_field(y, params, out):
    out[0] = y[1]
    out[1] = -np.sin(y[0])


@njit(HALF, cache=True)
def pendulum_force(q, params, out):
    out[0] = -np.sin(q[0])


@njit(HALF, cache=True)
def unit_mass_velocity(p, params, out):
    out[:] = p


@njit(FIELD, cache=True)
def kepler_field(y, params, out):
    r3 = (y[0] * y[0] + y[1] * y[1]) ** 1.5
    out[0] = y[2]
    out[1] = y[3]
    out[2] = -y[0] / r3
    out[3] = -y[1] / r3


@njit(HALF, cache=True)
def kepler_force(q, params, out):
    r3 = (q[0] * q[0] + q[1] * q[1]) ** 1.5
    out[0] = -q[0] / r3
    out[1] = -q[1] / r3


@njit(FIELD, cache=True)
def henon_heiles_field(y, params, out):
    out[0] = y[2]
    out[1] = y[3]
    out[2] = -y[0] - 2.0 * y[0] * y[1]
    out[3] = -y[1] - y[0] * y[0] + y[1] * y[1]


@njit(HALF, cache=True)
def pair_force(q, params, out):
    r = q[0] - q[1]
    pull = r * r * r + r
    out[0] = -pull
    out[1] = pull


@njit(FIELD, cache=True)
def pair_field(y, params, out):
    r = y[0] - y[1]
    pull = r * r * r + r
    out[0] = y[2]
    out[1] = y[3]
    out[2] = -pull
    out[3] = pull


OSCILLATOR = {"field": oscillator_field}
PENDULUM = {"field": pendulum_field, "force": pendulum_force, "velocity": unit_mass_velocity}
KEPLER = {"field": kepler_field, "force": kepler_force, "velocity": unit_mass_velocity}
HENON_HEILES = {"field": henon_heiles_field}
PAIR = {"field": pair_field, "force": pair_force, "velocity": unit_mass_velocity}


def pendulum_exact(q0, t):
    k = np.sin(q0 / 2)
    sn, cn, _, _ = ellipj(np.asarray(t) + ellipk(k * k), k * k)
    return np.stack([2 * np.arcsin(k * sn), 2 * k * cn], -1)


def pendulum_period(q0):
    return 4 * ellipk(np.sin(q0 / 2) ** 2)


def kepler_exact(t, e=ECCENTRICITY):
    t = np.asarray(t, dtype=float)
    anomaly = t + e * np.sin(t)
    for _ in range(60):
        anomaly = anomaly - (anomaly - e * np.sin(anomaly) - t) / (1 - e * np.cos(anomaly))
    root, radius = np.sqrt(1 - e * e), 1 - e * np.cos(anomaly)
    return np.stack([np.cos(anomaly) - e, root * np.sin(anomaly),
                     -np.sin(anomaly) / radius, root * np.cos(anomaly) / radius], -1)


def kepler_energy(y):
    return 0.5 * (y[..., 2] ** 2 + y[..., 3] ** 2) - 1 / np.hypot(y[..., 0], y[..., 1])


def angular_momentum(y):
    return y[..., 0] * y[..., 3] - y[..., 1] * y[..., 2]


def pendulum_energy(y):
    return 0.5 * y[..., 1] ** 2 - np.cos(y[..., 0])


def henon_heiles_energy(y):
    q1, q2, p1, p2 = y[..., 0], y[..., 1], y[..., 2], y[..., 3]
    return 0.5 * (p1 ** 2 + p2 ** 2 + q1 ** 2 + q2 ** 2) + q1 ** 2 * q2 - q2 ** 3 / 3


def relative_error(frames, exact):
    """max over frames of max|y - y_exact| / max|y_exact|."""
    return (np.abs(frames - exact).max(-1) / np.abs(exact).max(-1)).max()


def relative_drift(values):
    return np.abs(values / values[..., :1] - 1).max()


def fitted_order(steps, errors, floor=1e-13):
    """Least-squares slope of log(error) against log(step), points at the round-off floor dropped."""
    steps, errors = np.asarray(steps, float), np.asarray(errors, float)
    keep = errors > floor
    assert keep.sum() >= 4, f"fewer than 4 points above the round-off floor: {errors}"
    return np.polyfit(np.log(steps[keep]), np.log(errors[keep]), 1)[0]


# ---------------------------------------------------------------- registry contract


@pytest.mark.parametrize("name", sorted(ODE_METHODS))
def test_methods_declare_their_properties(name):
    method = ODE_METHODS[name]
    assert method.name == name
    assert method.kind in ("fixed", "adaptive") and method.requires in ("field", "separable")
    assert isinstance(method.order, int) and method.order >= 2
    assert isinstance(method.conserves, tuple) and "linear" in method.conserves
    assert isinstance(method.symplectic, bool)


def run(name, functions, y0, frame_interval, num_frames, steps_per_frame=20, params=None):
    method = ODE_METHODS[name]
    params = np.zeros((len(y0), 0)) if params is None else params
    if method.kind == "adaptive":
        return integrate(name, functions, y0, params, frame_interval, num_frames, rtol=1e-12, atol=1e-12)
    return integrate(name, functions, y0, params, frame_interval, num_frames, steps_per_frame=steps_per_frame)


@pytest.mark.parametrize("name", sorted(ODE_METHODS))
def test_frames_shape_first_frame_and_independent_batch(name):
    y0 = np.concatenate([kepler_exact([0.0], e) for e in (0.6, 0.2, 0.4)])
    batch = run(name, KEPLER, y0, 0.7, 6)
    assert batch.frames.shape == (3, 6, 4) and batch.frames.dtype == np.float64
    assert np.array_equal(batch.frames[:, 0], y0) and np.isfinite(batch.frames).all()
    assert (batch.steps > 0).all() and (batch.evaluations > 0).all()
    for b in range(3):
        alone = run(name, KEPLER, y0[b:b + 1], 0.7, 6)
        assert np.array_equal(alone.frames[0], batch.frames[b])
        for key in ("steps", "rejected", "residual", "evaluations"):
            assert np.array_equal(getattr(alone, key)[0], getattr(batch, key)[b])


@pytest.mark.parametrize("name", sorted(ODE_METHODS))
def test_linear_invariant_total_momentum(name):
    y0 = np.array([[0.3, -0.5, 0.7, -0.2]])
    frames = run(name, PAIR, y0, 0.5, 41).frames[0]
    momentum = frames[:, 2] + frames[:, 3]
    assert np.abs(momentum - momentum[0]).max() <= 1e-14 * np.abs(frames[:, 2:]).max()


@pytest.mark.parametrize("name", [n for n, m in ODE_METHODS.items()
                                  if {"quadratic", "angular_momentum"} & set(m.conserves)])
def test_kepler_angular_momentum_to_round_off(name):
    frames = run(name, KEPLER, kepler_exact([0.0]), 2 * np.pi, 101, steps_per_frame=100).frames[0]
    assert relative_drift(angular_momentum(frames)) <= 1e-14


@pytest.mark.parametrize("name", [n for n, m in ODE_METHODS.items() if "quadratic" in m.conserves]
                         + [n for n, m in ODE_METHODS.items() if "energy" in m.conserves])
def test_oscillator_energy_to_round_off_over_ten_thousand_steps(name):
    frames = run(name, OSCILLATOR, np.array([[1.0, 0.0]]), 10.0, 101, steps_per_frame=100).frames[0]
    assert relative_drift(0.5 * (frames ** 2).sum(-1)) <= 2e-14


@pytest.mark.parametrize("name", [n for n, m in ODE_METHODS.items() if "energy" in m.conserves])
def test_avf_conserves_polynomial_energy_to_round_off(name):
    frames = run(name, HENON_HEILES, np.array([[0.1, -0.2, 0.35, 0.1]]), 10.0, 101,
                 steps_per_frame=100).frames[0]
    assert relative_drift(henon_heiles_energy(frames)) <= 2e-14


def test_implicit_methods_report_newton_residual_at_round_off():
    for name in ODE_METHODS:
        result = run(name, KEPLER, kepler_exact([0.0]), 2 * np.pi, 3, steps_per_frame=200)
        if name.startswith(("gauss", "avf")):
            assert 0 < result.residual[0] <= 1e-15
        else:
            assert result.residual[0] == 0


# ---------------------------------------------------------------- interface checks


def test_each_kernel_is_compiled_once_for_all_systems():
    from refsim.solvers.ode import avf, dop853, gauss_legendre, splitting

    for name, functions, y0 in [("verlet", PENDULUM, [[1.0, 0.0]]), ("verlet", KEPLER, kepler_exact([0.0])),
                                ("gauss4", OSCILLATOR, [[1.0, 0.0]]), ("gauss4", HENON_HEILES, [[0.1, 0, 0, 0.1]]),
                                ("avf", OSCILLATOR, [[1.0, 0.0]]), ("avf", KEPLER, kepler_exact([0.0])),
                                ("dop853", PENDULUM, [[1.0, 0.0]]), ("dop853", PAIR, [[0.1, 0, 0, 0.1]])]:
        run(name, functions, np.array(y0, dtype=float), 0.1, 2)
    for kernel in (splitting.composition_kernel, gauss_legendre.collocation_kernel, avf.avf_kernel,
                   dop853.dop853_kernel):
        assert len(kernel.signatures) == 1, kernel



def test_requirements_and_arguments_are_checked_before_compute():
    y0 = np.array([[1.0, 0.0]])
    with pytest.raises(ValueError, match="separable"):
        integrate("verlet", OSCILLATOR, y0, NO_PARAMS, 1.0, 2, steps_per_frame=1)
    with pytest.raises(ValueError, match="Numba"):
        integrate("gauss4", {"field": lambda y, p, out: None}, y0, NO_PARAMS, 1.0, 2, steps_per_frame=1)
    with pytest.raises(ValueError, match="steps_per_frame"):
        integrate("gauss4", OSCILLATOR, y0, NO_PARAMS, 1.0, 2, rtol=1e-6)
    with pytest.raises(ValueError, match="rtol"):
        integrate("dop853", OSCILLATOR, y0, NO_PARAMS, 1.0, 2, rtol=1e-17)
    with pytest.raises(ValueError, match="unknown"):
        integrate("rk4", OSCILLATOR, y0, NO_PARAMS, 1.0, 2, steps_per_frame=1)
    with pytest.raises(ValueError, match="even length"):
        integrate("verlet", PENDULUM, np.zeros((1, 3)), NO_PARAMS, 1.0, 2, steps_per_frame=1)
    with pytest.raises(ValueError, match=r"\(B, d\)"):
        integrate("gauss4", OSCILLATOR, y0, np.zeros((2, 0)), 1.0, 2, steps_per_frame=1)


# ---------------------------------------------------------------- convergence orders

ORDER_CASES = {
    "verlet": [8, 16, 32, 64],
    "composition6": [4, 6, 8, 12, 16],
    "composition8": [4, 6, 8, 12],
    "gauss4": [4, 8, 16, 32],
    "gauss6": [4, 6, 8, 12, 16],
    "gauss8": [2, 3, 4, 5, 6],
    "avf": [8, 16, 32, 64],
    "avf4": [8, 12, 16, 24, 32],
    "dop853": [2, 3, 4, 5, 6, 8],
}


@pytest.mark.parametrize("name", sorted(ORDER_CASES))
def test_observed_order_on_the_pendulum(name):
    """Max error over 8 frames of one period, q0 = 2 (q0 = 1.5 for dop853, whose small
    8th-order error constant leaves the asymptotic range above round-off narrow)."""
    q0 = 1.5 if name == "dop853" else 2.0
    period = pendulum_period(q0)
    exact = pendulum_exact(q0, np.arange(9) * period / 8)
    errors = [relative_error(integrate(name, PENDULUM, np.array([[q0, 0.0]]), NO_PARAMS, period / 8, 9,
                                       steps_per_frame=n).frames[0], exact) for n in ORDER_CASES[name]]
    order = fitted_order(period / 8 / np.array(ORDER_CASES[name]), errors)
    assert abs(order - ODE_METHODS[name].order) <= 0.15, (order, errors)


def test_dop853_dense_output_is_of_order_seven():
    """One forced step of size h from the exact state; the interpolant at t = h/4, h/2, 3h/4
    has error O(h^8), i.e. O(h^7) per unit step."""
    steps = np.array([0.8, 0.6, 0.4, 0.3, 0.2, 0.15])
    errors = []
    for h in steps:
        result = ODE_METHODS["dop853"].solve(PENDULUM, np.array([[1.0, 0.0]]), NO_PARAMS, h / 4, 5, fixed_step=h)
        assert result.steps[0] == 1
        errors.append(np.abs(result.frames[0, 1:4] - pendulum_exact(1.0, np.arange(1, 4) * h / 4)).max() / h)
    assert abs(fitted_order(steps, errors, floor=1e-15) - 7) <= 0.15, errors


def test_dop853_error_is_proportional_to_the_tolerance():
    """Hairer's estimator is O(h^8) like the global error, so error ~ tolerance^1."""
    times = np.arange(81) * 2 * np.pi / 8
    tolerances = np.array([1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13])
    errors = [relative_error(integrate("dop853", KEPLER, kepler_exact([0.0]), NO_PARAMS, 2 * np.pi / 8, 81,
                                       rtol=tol, atol=tol).frames[0], kepler_exact(times)) for tol in tolerances]
    assert np.all(np.diff(errors) < 0)
    assert abs(fitted_order(tolerances, errors) - 1) <= 0.15, errors


# ---------------------------------------------------------------- exact solutions


def test_kepler_ten_periods_dop853():
    times = np.arange(801) * 2 * np.pi / 80
    result = integrate("dop853", KEPLER, kepler_exact([0.0]), NO_PARAMS, 2 * np.pi / 80, 801, rtol=1e-14, atol=1e-14)
    assert relative_error(result.frames[0], kepler_exact(times)) <= 1e-10


def test_kepler_ten_periods_gauss8():
    times = np.arange(801) * 2 * np.pi / 80
    result = integrate("gauss8", KEPLER, kepler_exact([0.0]), NO_PARAMS, 2 * np.pi / 80, 801, steps_per_frame=25)
    assert relative_error(result.frames[0], kepler_exact(times)) <= 1e-10


@pytest.mark.parametrize("name,options", [("dop853", {"rtol": 1e-13, "atol": 1e-13}),
                                          ("gauss8", {"steps_per_frame": 4})])
@pytest.mark.parametrize("q0", [1.0, 2.0])
def test_pendulum_period(name, options, q0):
    """The half period is the zero of p(t) after the start from the turning point (q0, 0);
    it is located by degree-7 inverse interpolation t(p) through 8 frames around the sign change."""
    interval, period = 1 / 128, pendulum_period(q0)
    count = int(0.6 * period / interval)
    momentum = integrate(name, PENDULUM, np.array([[q0, 0.0]]), NO_PARAMS, interval, count, **options).frames[0, :, 1]
    crossing = np.nonzero((momentum[:-1] < 0) & (momentum[1:] >= 0))[0][0]
    window = slice(crossing - 3, crossing + 5)
    half = np.polyval(np.polyfit(momentum[window], interval * np.arange(count)[window], 7), 0.0)
    assert abs(2 * half / period - 1) <= 1e-12


# ---------------------------------------------------------------- energy behaviour


@pytest.mark.parametrize("name", ["gauss8", "avf"])
def test_non_polynomial_energy_over_ten_thousand_steps(name):
    pendulum = integrate(name, PENDULUM, np.array([[2.0, 0.0]]), NO_PARAMS, 5.0, 201, steps_per_frame=50).frames[0]
    assert relative_drift(pendulum_energy(pendulum)) <= 1e-13
    kepler = integrate(name, KEPLER, kepler_exact([0.0]), NO_PARAMS, 2 * np.pi, 51, steps_per_frame=200).frames[0]
    assert relative_drift(kepler_energy(kepler)) <= 1e-13


def test_avf_energy_error_is_the_quadrature_error():
    """Kepler, h = 2 pi/200, 10^4 steps: the energy error falls with the number of Gauss nodes
    until round-off (1 node is the implicit midpoint rule)."""
    drifts = []
    for nodes in (1, 2, 3, 4, 8):
        frames = AverageVectorField("avf", 2, nodes=nodes).solve(
            KEPLER, kepler_exact([0.0]), NO_PARAMS, 2 * np.pi, 51, steps_per_frame=200).frames[0]
        drifts.append(relative_drift(kepler_energy(frames)))
    assert drifts[0] > 1e-3 and drifts[1] > 1e-7 and drifts[2] > 1e-10
    assert np.all(np.diff(drifts[:4]) < 0) and drifts[-1] <= 1e-14


def test_verlet_energy_error_is_bounded_over_a_hundred_thousand_steps():
    frames = integrate("verlet", PENDULUM, np.array([[2.0, 0.0]]), NO_PARAMS, 0.1, 100_001,
                       steps_per_frame=1).frames[0]
    error = np.abs(pendulum_energy(frames) - pendulum_energy(frames[0]))
    tenth = len(error) // 10
    first, last = error[:tenth].max(), error[-tenth:].max()
    assert 1e-4 < first < 1e-2
    assert abs(last / first - 1) <= 1e-6
