"""The pdebench-darcy recipe: steady Darcy flow through the real pipeline (kind "steady", truth fv-model).

The stored ``u`` is the 2D finite-volume model's solution at round-off; ``error_estimate`` is its estimated
relative distance from the PDE (Richardson over 1x/2x/4x refinement), checked here against much finer
solves of the same coefficient (cells split into inheriting children, so the PDE is the same).
"""

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import refsim
from refsim.catalog.index import build_index
from refsim.catalog.loaders import TrainingData
from refsim.cli import main
from refsim.generators import RECIPES
from refsim.pipeline.solve_steady import solve_steady_partition
from refsim.schemas.recipe import RecipeError, load_recipe, parse_recipe
from refsim.schemas.spec import build_spec, spec_from_stored
from refsim.solvers import elliptic


def _recipe(**changes):
    data = yaml.safe_load(RECIPES["pdebench-darcy"].read_text())
    data.update(changes)
    return data


def test_recipe_states_pdebench_conventions():
    recipe, base = load_recipe("pdebench-darcy")
    spec = build_spec(recipe, base)
    assert (spec.kind, spec.truth, spec.dtype, spec.points) == ("steady", "fv-model", "float64", 128)
    np.testing.assert_array_equal(spec.x, (np.arange(128) + 0.5) / 128)
    assert spec.parameters["beta"].values == (1.0,)
    assert (spec.coefficient["high"], spec.coefficient["low"]) == (1.0, 0.1)
    for words in ("fv-model", "Richardson", "model-consistent", "0.01, 0.1, 10, 100"):
        assert words in recipe.description


@pytest.mark.parametrize("changes, field, allowed", [
    ({"parameters": {"beta": 0.0}}, "parameters.beta", "> 0"),
    ({"parameters": {"beta": {"choice": [1.0, -10.0]}}}, "parameters.beta", "> 0"),
    ({"parameters": {"nu": 1.0}}, "parameters.nu", "beta"),
    ({"coefficient": {"high": 1.0, "low": -0.1}}, "coefficient.low", "positive"),
    ({"coefficient": {"high": 0.0, "low": 0.1}}, "coefficient.high", "PDEBench: high 1.0, low 0.1"),
    ({"coefficient": {"high": 0.1, "low": 0.1}}, "coefficient.low", "distinct"),
    ({"coefficient": {"high": 1000.0, "low": 0.1}}, "coefficient.high", "contrast max/min <= 100"),
    ({"coefficient": {"width_range": [0.2, 0.05]}}, "coefficient.width_range", "smallest <= largest"),
    ({"coefficient": {"family": "gaussian"}}, "coefficient.family", "thresholded_bumps"),
    ({"coefficient": {"hgh": 1.0}}, "coefficient.hgh", "high, low"),
    ({"domain": {"points": 100}}, "domain.points", "8, 16, 32, 64, 128"),
    ({"domain": {"points": 256}}, "domain.points", "power of two"),
    ({"time": {"end": 1.0, "frames": 2}}, "time", "steady"),
    ({"initial_condition": {"family": "fourier"}}, "initial_condition", "remove it"),
    ({"truth": "pde-converged"}, "truth", "fv-model"),
    ({"dtype": "float32"}, "dtype", "float64"),
    ({"tolerance": 0.0}, "tolerance", "greater than 0"),
    ({"colour": 1}, "colour", "coefficient"),
])
def test_bad_steady_recipe_names_field_and_allowed_values(changes, field, allowed):
    with pytest.raises(RecipeError) as info:
        parse_recipe(_recipe(**changes))
    message = str(info.value)
    assert "\n" not in message and message.startswith(field), message
    assert allowed in message, message


@pytest.mark.parametrize("points, factor, low", [(16, 16, 0.1), (32, 8, 0.1), (32, 8, 0.01)])
def test_estimate_is_calibrated_against_a_much_finer_solve(points, factor, low):
    """The stored estimate of two samples against the same coefficient solved with each cell split
    ``factor x factor`` (256^2): at least the measured distance, and within 10x of it (measured: 1.08-1.15x)."""
    spec = build_spec(parse_recipe(_recipe(domain={"points": points}, samples=2, partition_size=2, tolerance=0.2,
                                           coefficient={"high": 1.0, "low": low})))
    result = solve_steady_partition(spec, 0)
    assert (result.arrays["status"] == 0).all()
    assert result.arrays["relative_residual"].max() <= 1e-12
    for a, u, estimate, field in zip(result.arrays["a"], result.arrays["u"], result.arrays["error_estimate"],
                                     result.arrays["pde_distance"]):
        assert set(np.unique(a)) == {low, 1.0}
        fine = elliptic.solve(elliptic.refine_coefficient(a, factor), 1.0)
        assert fine.backward_error < 1e-15
        reference = elliptic.restrict_to_centres(fine.values, factor)
        actual = np.abs(u - reference).max() / np.abs(reference).max()
        assert actual <= estimate <= 10 * actual, (actual, estimate)
        assert estimate == pytest.approx(field.max() / np.abs(u).max(), rel=1e-12)


def test_sample_is_a_function_of_recipe_and_index_only():
    def run(partition_size, partition):
        spec = build_spec(parse_recipe(_recipe(domain={"points": 8}, samples=3, partition_size=partition_size,
                                               tolerance=0.5, parameters={"beta": {"log_uniform": [0.01, 100]}})))
        return solve_steady_partition(spec, partition).arrays

    together, alone = run(3, 0), run(1, 2)
    for name in ("a", "u", "beta", "error_estimate"):
        np.testing.assert_array_equal(together[name][2:], alone[name])
    assert len(set(together["beta"])) == 3  # beta drawn per sample, and the source of its solve
    for a, u, beta in zip(together["a"], together["u"], together["beta"]):
        unit = elliptic.solve(a, 1.0).values
        np.testing.assert_allclose(u / beta, unit, rtol=1e-12, atol=1e-14 * np.abs(unit).max())


@pytest.fixture(scope="module")
def small_store(tmp_path_factory, cluster):
    """pdebench-darcy at 32^2, 4 samples in 2 partitions, generated through the CLI (in process, on the tests'
    two-process Dask cluster): icechunk/Zarr store, manifest, certificate, training attributes."""
    root = tmp_path_factory.mktemp("darcy")
    path = root / "small.yaml"
    path.write_text(yaml.safe_dump(_recipe(name="darcy-small", domain={"points": 32}, samples=4, partition_size=2,
                                           tolerance=0.1)))
    out = CliRunner().invoke(main, ["generate", str(path), "--out", str(root), "--scheduler",
                                    cluster.scheduler_address, "--quiet"])
    assert out.exit_code == 0, out.output
    return root, out.output


def test_cli_build_reads_back_with_cell_centres_and_certificate(small_store):
    root, output = small_store
    assert "certified 4/4" in output and "truth: fv-model" in output
    assert "estimated relative distance from the PDE" in output
    ds = refsim.open(root / "darcy-small")
    assert ds["u"].dims == ds["a"].dims == ("sample", "y", "x") and ds.sizes["sample"] == 4
    centres = (np.arange(32) + 0.5) / 32
    np.testing.assert_array_equal(ds.x.values, centres)
    np.testing.assert_array_equal(ds.y.values, centres)
    assert ds["u"].dtype == ds["a"].dtype == np.float64
    assert set(np.unique(ds["a"].values)) == {0.1, 1.0} and (ds["beta"].values == 1.0).all()
    u = ds["u"].values
    assert np.isfinite(u).all() and (u > 0).all()  # positive source, zero boundary values
    assert ds["relative_residual"].values.max() <= 1e-12 and ds["backward_error"].values.max() <= 1e-15
    estimate = ds["error_estimate"].values
    assert np.isfinite(estimate).all() and (0 < estimate).all() and (estimate <= 0.1).all()
    assert ds.attrs["truth"] == "fv-model" and "model-consistent" in ds.attrs["truth_description"]
    assert spec_from_stored(dict(ds.attrs), None).version_id == ds.attrs["version_id"]
    index = build_index([root], save=False)
    assert list(index["name"].values) == ["darcy-small"] and int(index["points"].values[0]) == 32
    assert float(index["error_max"].values[0]) == pytest.approx(estimate.max(), rel=1e-12)


def test_cli_verify_resolves_and_agrees(small_store):
    """Integrity, certificates, provenance (coefficients re-drawn bit for bit), re-solves."""
    root, _ = small_store
    verify = CliRunner().invoke(main, ["verify", str(root / "darcy-small"), "--resolve", "2"])
    assert verify.exit_code == 0 and "PASSED" in verify.output, verify.output
    for check in ("integrity", "certificates", "provenance", "re-solve"):
        assert f"[ok] {check}" in verify.output, verify.output


def test_card_and_loader_on_a_steady_store(small_store):
    root, _ = small_store
    card = CliRunner().invoke(main, ["report", str(root / "darcy-small"), "--out", str(root / "card")])
    assert card.exit_code == 0 and "fv-model" in (root / "card" / "README.md").read_text(), card.output
    assert (root / "card" / "samples.png").is_file()
    with pytest.raises(ValueError, match="refsim.open"):  # the window loader is for time series
        TrainingData(str(root / "darcy-small"))


@pytest.mark.parametrize("tamper, words", [
    (lambda g: g["u"].__imul__(1 + 1e-6), "re-solved model differs"),
    (lambda g: g["error_estimate"].__imul__(0.1), "2x-refined solve exceeds the stored estimate"),
])
def test_verify_re_solve_can_fail(small_store, tamper, words):
    """The re-solve check on a copy of the stored arrays: a model perturbed by 1e-6, or an estimate 10x too
    small, is reported (the manifest would catch an edited store first; this checks the re-solve itself)."""
    from refsim.pipeline.audit import VerifyReport
    from refsim.pipeline.audit_steady import _resolve

    root, _ = small_store
    ds = refsim.open(root / "darcy-small")
    group = {name: np.array(ds[name].values) for name in ("status", "u", "error_estimate")}
    spec = spec_from_stored(dict(ds.attrs), None)
    clean = VerifyReport("clean")
    _resolve(group, spec, 4, 0, clean)
    assert clean.ok, clean.checks
    tamper(group)
    report = VerifyReport("tampered")
    _resolve(group, spec, 4, 0, report)
    assert not report.ok and words in report.checks[0].detail, report.checks
