"""Discrete variational derivative (DVDM) schemes and the dvdm-model truth.

References are independent of the schemes' code: the invariants are recomputed here from their
formulas, DGNet's discrete models are re-implemented from their generator's equations and solved
with scipy's fsolve, and the PDE limits are exact solitons.
"""

import numpy as np
import pytest
from conftest import fitted_order
from scipy.optimize import fsolve

import refsim
from refsim.catalog.store import open_repository
from refsim.generators import FAMILIES
from refsim.generators.base import EQUATIONS
from refsim.generators.kdv import Solitons
from refsim.generators.nls import NLSSoliton
from refsim.pipeline.audit import verify_version
from refsim.pipeline.build import build
from refsim.pipeline.solve_discrete import solve_discrete_partition
from refsim.schemas.recipe import RecipeError, load_recipe, parse_recipe
from refsim.schemas.spec import build_spec, spec_from_stored
from refsim.solvers.dvdm import SCHEMES, TARGET, integrate
from refsim.solvers.verification import OVER_BUDGET

EPS = np.finfo(float).eps
DGNET_KDV = {"ks": (1.6, 0.9), "centres": (2.5, 6.0)}  # two solitons of DGNet's distribution, width 10, M = 50


def _grid(points, length, origin=0.0):
    return origin + length * np.arange(points) / points


def _shift(u, k):
    return np.roll(u, -k, axis=-1)


def _forward_backward_squared(u, dx):
    return 0.5 * (np.abs(_shift(u, 1) - u) ** 2 + np.abs(u - _shift(u, -1)) ** 2) / dx**2


def _dgnet_kdv_u0():
    x = _grid(50, 10.0)
    return sum(2 * k**2 / np.cosh(k * (x - c)) ** 2 for k, c in zip(DGNET_KDV["ks"], DGNET_KDV["centres"]))


@pytest.fixture(scope="module")
def kdv_run():
    """DGNet's KdV model (a = -6, b = 1: alpha = -6, beta = -1), dt = 1e-3, 500 steps, every step a frame."""
    scheme = SCHEMES["kdv"](50, 10.0, alpha=-6.0, beta=-1.0)
    return integrate(scheme, _dgnet_kdv_u0()[None], 1e-3, 1, 501)


@pytest.fixture(scope="module")
def nls_run():
    """A moving NLS soliton (alpha = 1/2, kappa = 1) on 128 points of [-10, 10), 400 steps."""
    scheme = SCHEMES["nls"](128, 20.0, alpha=0.5, kappa=1.0)
    u0 = NLSSoliton(1.2, 2, -3.0, 0.5, 1.0, 20.0)(_grid(128, 20.0, -10.0))
    run = integrate(scheme, scheme.to_state(u0)[None], 5e-3, 1, 401)
    return run, scheme.to_field(run.frames[0])


@pytest.fixture(scope="module")
def ch_run():
    """DGNet's Cahn-Hilliard model: gamma = 5e-4, 50 points on [0, 1), dt = 1e-4, 500 steps, U(-0.05, 0.05)."""
    u0 = np.random.default_rng(3).uniform(-0.05, 0.05, (3, 50))
    return integrate(SCHEMES["cahn_hilliard"](50, 1.0, gamma=5e-4, a=1.0, b=1.0), u0, 1e-4, 1, 501)


def test_kdv_two_soliton_energy_and_mass_conserved_to_round_off(kdv_run):
    u, dx = kdv_run.frames[0], 0.2
    energy = ((u**3 - 0.5 * _forward_backward_squared(u, dx)) * dx).sum(-1)  # DGNet's get_energy, a = -6, b = 1
    mass = u.sum(-1) * dx
    assert np.abs(energy / energy[0] - 1).max() <= 1e-13
    assert np.abs(mass / mass[0] - 1).max() <= 1e-13
    assert np.abs(u[-1] - u[0]).max() > 1.0  # the solitons moved: conservation is not trivial


def test_nls_soliton_energy_and_mass_conserved_to_round_off(nls_run):
    _, u = nls_run
    dx = 20.0 / 128
    hamiltonian = ((0.5 * _forward_backward_squared(u, dx) - 0.5 * np.abs(u) ** 4) * dx).sum(-1)
    mass = (np.abs(u) ** 2).sum(-1) * dx
    assert np.abs(hamiltonian / hamiltonian[0] - 1).max() <= 1e-13
    assert np.abs(mass / mass[0] - 1).max() <= 1e-13


def test_cahn_hilliard_free_energy_decreases_every_step_and_mass_is_conserved(ch_run):
    u, dx = ch_run.frames, 0.02
    free = ((-0.5 * u**2 + 0.25 * u**4 + 0.5 * 5e-4 * _forward_backward_squared(u, dx)) * dx).sum(-1)
    assert (np.diff(free, axis=1) <= 0).all()
    assert free[:, -1].max() < free[:, 0].min() - 1e-3  # phase separation: the energy really falls
    mass = u.sum(-1) * dx
    assert np.abs(mass - mass[:, :1]).max() <= 16 * EPS * 0.05  # round-off of sums of 50 values of size 0.05


@pytest.mark.parametrize("case", ["kdv_run", "nls_run", "ch_run"])
def test_newton_residual_reaches_1e_14_at_every_step(case, request):
    run = request.getfixturevalue(case)
    run = run[0] if isinstance(run, tuple) else run
    assert np.isfinite(run.residual).all() and run.residual.max() <= TARGET
    assert run.residual[:, 1:].min() > 0  # measured, not skipped


def _dgnet_step(rhs, u, dt):
    """One step of DGNet's dvdmint: fsolve on (u' - u)/dt - rhs(u, u') from explicit Euler, tightened."""
    return fsolve(lambda v: (v - u) / dt - rhs(u, v), u + dt * rhs(u, None), xtol=1e-12)


def _dgnet_operators(dx):
    def central(v):
        return (_shift(v, 1) - _shift(v, -1)) / (2 * dx)

    def second(v):
        return (_shift(v, 1) - 2 * v + _shift(v, -1)) / dx**2

    return central, second


@pytest.mark.parametrize("equation", ["kdv", "cahn_hilliard"])
def test_schemes_are_dgnets_discrete_models(equation):
    """DGNet's ``dudt`` (experiment-ch/data.py) with its averaged powers, solved by fsolve: the same model."""
    if equation == "kdv":
        a, b, dt, u = -6.0, 1.0, 1e-3, _dgnet_kdv_u0()
        central, second = _dgnet_operators(0.2)

        def rhs(u, v):
            v = u if v is None else v
            return central(-a / 2 * (u * u + u * v + v * v) / 3 + b * second((u + v) / 2))

        scheme = SCHEMES["kdv"](50, 10.0, alpha=a, beta=-b)
    else:
        gamma, dt, u = 5e-4, 1e-4, np.random.default_rng(1).uniform(-0.05, 0.05, 50)
        central, second = _dgnet_operators(0.02)

        def rhs(u, v):
            v = u if v is None else v
            cubic = (v**3 + v * v * u + v * u * u + u**3) / 4
            return second(-(u + v) / 2 + cubic - gamma * second((u + v) / 2))

        scheme = SCHEMES["cahn_hilliard"](50, 1.0, gamma=gamma, a=1.0, b=1.0)
    ours = integrate(scheme, u[None], dt, 1, 21).frames[0]
    for n in range(1, 21):
        u = _dgnet_step(rhs, u, dt)
        assert np.abs(ours[n] - u).max() <= 1e-12 * np.abs(u).max(), n


# Convergence to exact solitons. Each sweep removes the other variable's leading error by Richardson
# extrapolation, (4 U_fine - U_coarse) / 3, so the fitted slope is the order in that variable alone.
SOLITONS = {
    "kdv": ({"alpha": -6.0, "beta": -1.0}, Solitons([0.8], [20.0], -6.0, -1.0, 40.0, 0.0, 2, False), 40.0, 0.0, 1.0),
    "nls": ({"alpha": 0.5, "kappa": 1.0}, NLSSoliton(1.0, 3, 0.0, 0.5, 1.0, 50.0), 50.0, -25.0, 2.0),
}


def _final(name, points, steps):
    params, soliton, length, origin, end = SOLITONS[name]
    scheme = SCHEMES[name](points, length, **params)
    u0 = soliton(_grid(points, length, origin))
    return scheme.to_field(integrate(scheme, scheme.to_state(u0)[None], end / steps, steps, 2).frames[0, -1])


def _error(name, points, u):
    _, soliton, length, origin, end = SOLITONS[name]
    exact = soliton.at(_grid(points, length, origin), end)[0]
    return np.abs(u - exact).max() / np.abs(exact).max()


@pytest.mark.parametrize("name", ["kdv", "nls"])
def test_second_order_in_dx(name):
    points = np.array([128, 256, 512, 1024])
    errors = [_error(name, m, (4 * _final(name, m, 40) - _final(name, m, 20)) / 3) for m in points]
    assert abs(fitted_order(1.0 / points, errors) - 2) <= 0.15, errors


@pytest.mark.parametrize("name,points,steps", [("kdv", 512, [8, 16, 32, 64]), ("nls", 512, [5, 10, 20, 40])])
def test_second_order_in_dt(name, points, steps):
    errors = [_error(name, points, (4 * _final(name, 2 * points, n)[::2] - _final(name, points, n)) / 3)
              for n in steps]
    assert abs(fitted_order(1.0 / np.array(steps), errors) - 2) <= 0.15, errors


def test_batch_rows_are_independent_bitwise():
    scheme = SCHEMES["cahn_hilliard"](50, 1.0, gamma=5e-4, a=1.0, b=1.0)
    u0 = np.random.default_rng(5).uniform(-0.05, 0.05, (3, 50))
    together = integrate(scheme, u0, 1e-4, 5, 5)
    alone = integrate(scheme, u0[1:2], 1e-4, 5, 5)
    np.testing.assert_array_equal(together.frames[1], alone.frames[0])
    np.testing.assert_array_equal(together.residual[1], alone.residual[0])


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_scheme_invariants_are_named_like_the_equations(name):
    """The store keeps the schemes' discrete invariants under the equation's invariant names and kinds."""
    equation = EQUATIONS[name]()
    scheme = SCHEMES[name](16, 1.0, **equation.params)
    assert [(i.name, i.kind) for i in scheme.invariants()] == [(i.name, i.kind) for i in equation.invariants()]


def test_kdv_mirror_is_dgnets_reversal_of_the_grid_values():
    x = _grid(50, 10.0)
    family = FAMILIES["kdv_solitons"]
    plain = family(images=0).sample(np.random.default_rng(2), EQUATIONS["kdv"](alpha=-6.0, beta=-1.0), 10.0, 0.0)
    mirrored = family(images=0, mirror=1.0, mirror_centre=0.49).sample(
        np.random.default_rng(2), EQUATIONS["kdv"](alpha=-6.0, beta=-1.0), 10.0, 0.0)
    np.testing.assert_allclose(mirrored(x), plain(x)[::-1], rtol=0, atol=1e-14)


def _discrete(name, **changes):
    recipe, base = load_recipe(name)
    data = recipe.model_dump(mode="json")
    data.update({"samples": 2, "partition_size": 1, **changes})
    return data, base


@pytest.mark.parametrize("name", ["dgnet-kdv-discrete", "dgnet-cahn-hilliard-discrete"])
def test_discrete_recipe_builds_and_reads_back(name, tmp_path, cluster):
    data, base = _discrete(name)
    spec = build_spec(parse_recipe(data), base)
    report = build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    ds = refsim.open(report.path)
    assert ds.attrs["truth"] == "dvdm-model" and "not PDE-converged" in ds.attrs["truth_description"]
    assert ds.sizes["sample"] == 2 and ds.sizes["x"] == 50 and ds.sizes["time"] == 501
    assert float(ds.newton_residual.max()) <= TARGET and float(ds.newton_residual_frame.max()) <= TARGET
    assert float(ds.error_estimate.max()) <= spec.tolerance and (ds.steps_per_frame == 1).all()
    assert (ds.error_space[:, 0] <= 1e-14).all() and (ds.error_space[:, -1] > 1e-3).all()  # far from the PDE
    u, dx = ds.u.values, 0.2 if "kdv" in name else 0.02
    if "kdv" in name:
        energy = ((u**3 - 0.5 * _forward_backward_squared(u, dx)) * dx).sum(-1)
        np.testing.assert_allclose(ds.energy.values, energy, rtol=1e-13)
        assert np.abs(energy / energy[:, :1] - 1).max() <= 1e-13
        assert report.summary["invariants_monitored_only"] == ["momentum"]
    else:
        assert float(ds.free_energy.diff("time").max()) <= 0 and float(np.abs(ds.drift_mass).max()) <= 1e-13
    verified = verify_version(open_repository(report.path), None, lambda g: spec_from_stored(dict(g.attrs), None),
                              resolve=1)
    assert verified.ok, verified.to_dict()
    assert verified.resolved[0]["estimate_max"] == pytest.approx(float(ds.error_bound[verified.resolved[0]["sample"]]))


@pytest.mark.parametrize("horizon", ["refuse", "flag"])
def test_model_error_above_tolerance_is_rejected_or_flagged(horizon):
    """500 steps leave a model error of a few 1e-14: a tolerance of 1e-14 cannot be met by any setting."""
    data, base = _discrete("dgnet-kdv-discrete", samples=1, tolerance=1e-14, horizon=horizon)
    result = solve_discrete_partition(build_spec(parse_recipe(data), base), 0)
    if horizon == "refuse":
        assert result.arrays["status"][0] == OVER_BUDGET and np.isnan(result.arrays["u"]).all()
        assert "model-error estimate" in result.rejections[0]["reason"]
    else:
        trusted = result.arrays["trusted"][0]
        assert result.arrays["status"][0] == 0 and trusted[0] and not trusted[-1]
        assert result.arrays["error_estimate"][0][trusted].max() <= 1e-14 < result.arrays["trust_horizon"][0] < 0.5


@pytest.mark.parametrize("changes,words", [
    ({"solver": {"time_step": 3e-4}}, ["solver.time_step", "does not divide", "0.001"]),
    ({"equation": "burgers", "parameters": {"nu": 0.1}}, ["solver.time_step", "cahn_hilliard, kdv, nls"]),
    ({"solver": {}}, ["solver.time_step", "required"]),
    ({"truth": "pde-converged"}, ["solver.time_step", "dvdm-model"]),
    ({"solver": {"time_step": 1e-3, "points": 100}}, ["solver.points", "remove"]),
    ({"equation": "burgers", "parameters": {"nu": 0.1}, "solver": {}}, ["truth", "cahn_hilliard, kdv, nls"]),
])
def test_bad_discrete_recipes_name_the_field(changes, words):
    data, _ = _discrete("dgnet-kdv-discrete", **changes)
    if data["equation"] == "burgers":
        data["initial_condition"] = {"family": "fourier"}
    with pytest.raises(RecipeError) as info:
        parse_recipe(data)
    message = str(info.value)
    assert "\n" not in message and all(w in message for w in words), message
