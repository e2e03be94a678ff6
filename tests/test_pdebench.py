"""PDEBench's 1D problems built through the pipeline and checked against independent references.

Advection against its exact solution (the initial condition's own formula, shifted); Burgers and
diffusion-reaction against a solve with 4x the grid and 4x the steps of what the certificate chose, run
directly through the solver layer. Each checks the stored error against the recipe's tolerance, the
stored ``error_estimate`` against the true error (from both sides), and PDEBench's coordinates.
"""

import numpy as np
import pytest
import yaml

import refsim
from refsim.generators import FAMILIES, RECIPES
from refsim.pipeline.build import build
from refsim.pipeline.solve import draw
from refsim.schemas.recipe import load_recipe
from refsim.schemas.spec import build_spec
from refsim.solvers.semilinear import solve_frames

CELL_CENTRES = (np.arange(1024) + 0.5) / 1024  # PDEBench: xe = linspace(0, 1, 1025), xc = xe[:-1] + dx/2
DT_SAVE = 0.01
RECIPE_TIMES = {"pdebench-advection": (2.0, 201), "pdebench-burgers": (2.0, 201),
                "pdebench-diffusion-reaction": (1.0, 101)}


def _build(name, tmp_path, cluster, **changes):
    """Build a copy of a built-in recipe with ``changes`` (fewer samples, a shorter horizon)."""
    data = yaml.safe_load(RECIPES[name].read_text())
    data.update(changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    recipe, base = load_recipe(path)
    spec = build_spec(recipe, base)
    report = build(spec, tmp_path / "stores", scheduler=cluster.scheduler_address, progress=False)
    assert report.summary["certified"] == spec.samples, report.summary
    return spec, refsim.open(report.path)


def _relative_error(u, reference):
    return np.abs(u - reference).max(axis=-1) / np.abs(reference).max(axis=-1)


def _assert_pdebench_coordinates(ds, frames):
    np.testing.assert_array_equal(ds.x.values, CELL_CENTRES)
    assert ds.sizes["time"] == frames  # one entry per stored frame, no trailing extra
    np.testing.assert_allclose(ds.time.values, DT_SAVE * np.arange(frames), rtol=0, atol=1e-14)


def _assert_certified_honestly(error, estimate, tolerance):
    """The true error is within the tolerance and the estimate (per frame, up to 2x), and the estimate
    is not absurdly pessimistic: its worst frame is within 1000x the worst true error, or at round-off."""
    assert error.max() <= tolerance, error.max()
    assert np.all(error <= 2 * estimate), np.max(error / estimate)
    assert estimate.max() <= 1000 * error.max() + 1e-13, (estimate.max(), error.max())


@pytest.mark.parametrize("name", sorted(RECIPE_TIMES))
def test_recipes_state_pdebench_conventions(name):
    """Grid, saved times and parameters of the full recipes, before any compute."""
    recipe, base = load_recipe(name)
    spec = build_spec(recipe, base)
    np.testing.assert_array_equal(spec.grid.x, CELL_CENTRES)
    assert (spec.end_time, spec.frames) == RECIPE_TIMES[name]
    assert spec.frame_interval == pytest.approx(DT_SAVE, rel=1e-15)
    assert spec.dtype == "float64"
    equation, _ = draw(spec, 0)
    expected = {"pdebench-advection": {"c": 0.4}, "pdebench-burgers": {"nu": 0.01 / np.pi},
                "pdebench-diffusion-reaction": {"nu": 0.5, "rho": 1.0}}[name]
    assert equation.params == pytest.approx(expected, rel=1e-15)
    text = recipe.description
    for convention in ("dx/2", "one entry per", "trailing", "absolute-value"):
        assert convention in text, convention
    if name == "pdebench-burgers":
        assert "Nu/pi" in text


def test_family_is_a_periodic_function_of_x_with_pdebench_structure():
    family = FAMILIES["pdebench_sinusoids"](window_probability=1.0, normalize=True)
    for seed in range(12):
        ic = family.sample(np.random.default_rng(seed), None, 1.0, 0.5 / 1024)
        wavenumbers = np.array(ic.describe()["wavenumbers"])
        assert wavenumbers.sum() % 1 == 0 and np.count_nonzero(wavenumbers) in (1, 2)
        x = np.linspace(0.0, 1.0, 3001)
        np.testing.assert_allclose(ic(x + 1.0), ic(x), atol=1e-13)  # periodic, window included
        fine = ic(np.linspace(0.0, 1.0, 100_001))
        assert -1e-14 <= fine.min() and fine.max() <= 1 + 1e-14  # normalised by the function's own range
        assert fine.min() < 1e-6 and fine.max() > 1 - 1e-6


def test_advection_equals_the_shifted_initial_condition(tmp_path, cluster):
    spec, ds = _build("pdebench-advection", tmp_path, cluster, samples=3)
    _assert_pdebench_coordinates(ds, 201)
    assert ds.u.dtype == np.float64
    for i in range(spec.samples):
        equation, ic = draw(spec, i)
        exact = equation.exact_solution(ic, ds.x.values, ds.time.values)
        error = _relative_error(ds.u.values[i], exact)
        _assert_certified_honestly(error, ds.error_estimate.values[i], spec.tolerance)


@pytest.mark.parametrize("name,end,frames", [("pdebench-burgers", 0.3, 31),
                                             ("pdebench-diffusion-reaction", 0.3, 31)])
def test_stored_data_match_a_4x_refined_independent_solve(tmp_path, cluster, name, end, frames):
    """Horizons shortened (same dt_save) to keep the 16x-costlier reference solves fast; Burgers has formed
    its near-shocks by t = 0.3 and diffusion-reaction has relaxed by 2e-3 of its range."""
    spec, ds = _build(name, tmp_path, cluster, samples=2, time={"end": end, "frames": frames})
    _assert_pdebench_coordinates(ds, frames)
    for i in range(spec.samples):
        equation, ic = draw(spec, i)
        points, steps = 4 * int(ds.internal_points[i]), 4 * int(ds.steps_per_frame[i])
        fine = spec.grid.resized(points)
        solved = solve_frames(fine, [equation.terms(fine)], fine.sample(ic)[None], spec.frame_interval,
                              spec.frames, steps)[0]
        reference = spec.grid.restrict(solved, points // spec.points)
        error = _relative_error(ds.u.values[i], reference)
        _assert_certified_honestly(error, ds.error_estimate.values[i], spec.tolerance)


def test_benchmark_finite_volume_peer_is_what_it_claims():
    """bench/fv.py: second order in L1 for smooth advection (the MC limiter clips extrema, so not in max),
    and the uniform logistic solution of the reaction term."""
    from bench.fv import ADVECTION, NO_FLUX, FiniteVolumeProblem, solve

    sizes, errors = (64, 128, 256, 512), []
    for n in sizes:
        x = (np.arange(n) + 0.5) / n
        frames, _ = solve(FiniteVolumeProblem(ADVECTION, beta=0.4), np.sin(2 * np.pi * x)[None], 1 / n, 0.25, 5)
        errors.append(np.abs(frames[0, -1] - np.sin(2 * np.pi * (x - 0.4))).mean())
    assert np.polyfit(np.log(sizes), np.log(errors), 1)[0] == pytest.approx(-2.0, abs=0.15)
    frames, _ = solve(FiniteVolumeProblem(NO_FLUX, nu=0.5, rho=1.0), np.full((1, 64), 0.1), 1 / 64, 0.1, 11)
    growth = np.exp(np.linspace(0.0, 1.0, 11))
    np.testing.assert_allclose(frames[0, :, 7], 0.1 * growth / (0.9 + 0.1 * growth), rtol=1e-8)
