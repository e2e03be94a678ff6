"""Recipes on an interval through the pipeline: validation messages, and a small built store checked against
Cole's series, re-verified from the store."""

import copy

import numpy as np
import pytest
from test_chebyshev import cole_reference

import refsim
from refsim.pipeline.build import build
from refsim.schemas.recipe import RecipeError, load_recipe, parse_recipe
from refsim.schemas.spec import build_spec

DOMAIN = {"interval": [0.0, 1.0], "points": 21,
          "boundary": {"left": {"dirichlet": 0.0}, "right": {"dirichlet": 0.0}}}
COLE = {"name": "cole-small", "equation": "burgers_interval", "parameters": {"nu": {"log_uniform": [0.05, 0.2]}},
        "domain": DOMAIN, "time": {"end": 0.5, "frames": 6},
        "initial_condition": {"family": "expression", "expression": "sin(pi*(x - x0)/L)"},
        "samples": 3, "partition_size": 2, "tolerance": 1e-10, "solver": {"points": 16}}


def _with(**changes):
    data = copy.deepcopy(COLE)
    data.update(changes)
    return data


@pytest.mark.parametrize("data,field,allowed", [
    (_with(domain={**DOMAIN, "boundary": {"left": {"dirchlet": 0.0}, "right": {"dirichlet": 0.0}}}),
     "domain.boundary.left.dirchlet", "dirichlet, neumann"),
    (_with(domain={**DOMAIN, "boundary": {"left": {"dirichlet": 0.0}, "right": {"nuemann": 0.0}}}),
     "domain.boundary.right.nuemann", "dirichlet, neumann"),
    (_with(domain={**DOMAIN, "boundary": {"left": {}, "right": {"dirichlet": 0.0}}}),
     "domain.boundary.left", "dirichlet, neumann"),
    (_with(domain={**DOMAIN, "interval": [1.0, 0.0]}), "domain.interval", "a < b"),
    (_with(domain={**DOMAIN, "interval": [2.0, 2.0]}), "domain.interval", "a < b"),
    (_with(domain={"interval": [0.0, 1.0], "points": 21}), "domain.boundary", "dirichlet, neumann"),
    (_with(domain={"length": 1.0, "points": 20}), "domain.interval", "[0.0, 1.0]"),
    (_with(equation="burgers", parameters={"nu": 0.1}), "domain.interval", "burgers_interval, fisher_kpp_interval"),
    (_with(truth="fourier-semidiscrete"), "truth", "pde-converged"),
    (_with(solver={"method": "ifrk4"}), "solver.method", "etdrk4"),
    (_with(solver={"max_points": 4096}), "solver.max_points", "1024"),
])
def test_bad_interval_recipe_names_field_and_allowed_values(data, field, allowed):
    with pytest.raises(RecipeError) as info:
        parse_recipe(data)
    message = str(info.value)
    assert "\n" not in message and field in message and allowed in message, message


def test_initial_condition_must_meet_the_dirichlet_data():
    recipe = parse_recipe(_with(initial_condition={"family": "expression", "expression": "cos(pi*x)"}))
    with pytest.raises(RecipeError, match=r"u0\(0\) = 1 but domain.boundary.left.dirichlet = 0"):
        build_spec(recipe)


@pytest.mark.parametrize("name", ["burgers-dirichlet-cole", "fisher-kpp-front"])
def test_builtin_interval_recipes_state_their_boundary(name):
    spec = build_spec(*load_recipe(name))
    assert spec.interval is not None and set(spec.boundary) == {"left", "right"}
    assert spec.grid.x[0] == spec.interval[0] and spec.grid.x[-1] == spec.interval[1]


def test_built_cole_store_matches_the_series_and_verifies(tmp_path, cluster):
    """3 trajectories with random viscosity, 2 partitions: stored values (uniform points, both ends included)
    against Cole's series <= 1e-9, the estimate calibrated, the store's attributes, and refsim verify's checks
    (integrity, certificates, provenance, a re-solve at twice the degree and four times the steps)."""
    from refsim.catalog.exchange import ExchangeError, export_the_well
    from refsim.catalog.report import write_card
    from refsim.catalog.store import open_repository
    from refsim.pipeline.audit import verify_version
    from refsim.schemas.spec import spec_from_stored

    spec = build_spec(parse_recipe(COLE))
    report = build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    ds = refsim.open(report.path)
    assert ds.attrs["kind"] == "pde" and ds.attrs["equation"] == "burgers_interval"
    assert ds.attrs["boundary_conditions"] == "dirichlet u = 0 at x = 0; dirichlet u = 0 at x = 1"
    assert "Chebyshev" in ds.attrs["solver"] and ds.x.values[0] == 0.0 and ds.x.values[-1] == 1.0
    assert (ds.status.values == 0).all() and len(set(ds.nu.values)) == 3
    for i, nu in enumerate(ds.nu.values):
        exact = cole_reference(ds.x.values, ds.time.values, nu)
        error = np.abs(ds.u.values[i] - exact).max(axis=-1) / np.abs(exact).max(axis=-1)
        estimate = ds.error_estimate.values[i]
        assert error.max() <= 1e-9, (nu, error)
        assert np.all(estimate[1:] >= error[1:] / 2) and estimate.max() <= 1e-10, (nu, estimate, error)
    assert np.all(ds.internal_points.values % 2 == 1)  # degree + 1 with the degree doubled from 16
    assert np.isfinite(ds.observed_order.values).all() and np.isfinite(ds.spectral_tail.values).all()

    def spec_of(group):
        return spec_from_stored(dict(group.attrs), None)

    checked = verify_version(open_repository(report.path), report.version_id, spec_of, resolve=2)
    assert checked.ok, [c for c in checked.checks if not c.ok]
    assert len(checked.resolved) == 2
    for entry in checked.resolved:  # every trusted frame was compared, not frames 0 and 1 (int8 as an index)
        assert entry["estimate_max"] == ds.error_estimate.values[entry["sample"]].max()
        assert entry["measured_max"] > 0.3 * entry["estimate_max"]

    card = write_card(ds, tmp_path / "card", store_path=str(report.path)).read_text()
    assert "- Domain: [0, 1], 21 uniform stored points (both ends included)" in card
    with pytest.raises(ExchangeError, match="periodic grids only; this store has dirichlet u = 0 at x = 0"):
        export_the_well(ds, tmp_path / "well.h5")
