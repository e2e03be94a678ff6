"""Every ODE recipe builds on a real cluster, opens, and stores the conservation its method claims."""

import json

import numpy as np
import pytest
import yaml

import refsim
from refsim.generators import EQUATIONS, RECIPES
from refsim.pipeline.build import build
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec

ODE_RECIPES = sorted(n for n, p in RECIPES.items() if EQUATIONS[yaml.safe_load(p.read_text())["equation"]].kind
                     == "ode")


def _small(name, samples=3):
    data = yaml.safe_load(RECIPES[name].read_text())
    data.update(samples=min(samples, data.get("samples", 1)), partition_size=2, name=f"{name}-small")
    return build_spec(parse_recipe(data))


@pytest.mark.parametrize("name", ODE_RECIPES)
def test_ode_recipe_builds_and_conserves(name, tmp_path, cluster):
    spec = _small(name)
    report = build(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    ds = refsim.open(report.path)
    assert ds.sizes["sample"] == spec.samples, json.loads(ds.attrs["rejections"])
    state = ["q", "p", "dq_dt", "dp_dt"] if "q" in ds else ["y", "dy_dt"]
    for var in state:
        assert np.isfinite(ds[var].values).all()
    trusted = ds["trusted"].values
    assert (ds["error_estimate"].values[trusted] <= spec.tolerance).all()
    system = EQUATIONS[spec.equation]()
    conserves = set(json.loads(ds.attrs["solver"])["conserves"])
    for inv in system.invariants():
        drift = np.abs(ds[f"drift_{inv.name}"].values[trusted])
        if inv.kind != "conserved":
            continue
        if inv.degree == 1 or (inv.degree == 2 and "quadratic" in conserves) or \
                (inv.name == "energy" and "energy" in conserves):
            assert drift.max() <= 1e-12, (inv.name, drift.max())  # preserved by the method: round-off
        else:
            assert drift.max() <= 10 * max(inv.degree, 2) * spec.tolerance, (inv.name, drift.max())
    if spec.horizon == "flag":  # chaotic: trusted up to each trajectory's horizon, flagged after it
        horizon = ds["trust_horizon"].values
        np.testing.assert_array_equal(trusted, ds.time.values[None, :] <= horizon[:, None])
        if spec.equation == "lorenz63":
            assert (horizon < ds.time.values[-1]).all()  # Lorenz to t = 40 at 1e-8 is past float64's reach
    if spec.observation_noise:
        noise = ds["q_noisy"].values - ds["q"].values
        assert 0.5 * spec.observation_noise < noise.std() < 2 * spec.observation_noise


def test_hnn_labels_are_the_vector_field():
    """dq/dt and dp/dt are the exact vector field at the stored states (HNN's training labels)."""
    spec = _small("hnn-pendulum", samples=2)
    from refsim.pipeline.solve_ode import solve_ode_partition

    arrays = solve_ode_partition(spec, 0).arrays
    q, p = arrays["q"][..., 0, 0], arrays["p"][..., 0, 0]
    np.testing.assert_allclose(arrays["dq_dt"][..., 0, 0], 2 * p, rtol=0, atol=1e-15)  # H = 3(1 - cos q) + p^2
    np.testing.assert_allclose(arrays["dp_dt"][..., 0, 0], -3 * np.sin(q), rtol=0, atol=1e-15)
