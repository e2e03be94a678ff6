"""Recipe validation: bad input fails before any compute with one line naming the field."""

import subprocess
import sys

import numpy as np
import pytest
import yaml

from refsim.generators import RECIPES
from refsim.schemas.recipe import RecipeError, json_schema, load_recipe, parse_recipe
from refsim.schemas.spec import build_spec

GOOD = {
    "name": "kdv-soliton",
    "equation": "kdv",
    "parameters": {"alpha": -6.0, "beta": 1.0},
    "domain": {"length": 40.0, "points": 256, "origin": 0.0},
    "time": {"end": 2.0, "frames": 21},
    "initial_condition": {"family": "kdv_solitons", "count": 1},
    "samples": 1,
    "seed": 0,
    "tolerance": 1.0e-10,
}


def _with(**changes):
    data = {**GOOD}
    for key, value in changes.items():
        data[key] = value
    return data


def test_issue_example_parses():
    recipe = parse_recipe(GOOD)
    spec = build_spec(recipe)
    assert spec.version_id and len(spec.version_id) == 12


@pytest.mark.parametrize("name", list(RECIPES))
def test_builtin_recipes_are_valid(name):
    recipe, base = load_recipe(name)
    spec = build_spec(recipe, base)
    assert spec.samples >= 1


def test_dgnet_demo_recipe_is_large_enough():
    recipe, _ = load_recipe("dgnet-kdv")
    assert recipe.samples >= 100


@pytest.mark.parametrize("data,field,allowed", [
    (_with(equation="kdvv"), "equation", "kuramoto_sivashinsky"),
    (_with(tolerence=1e-8), "tolerence", "tolerance"),
    (_with(domain={"length": 40.0, "point": 256}), "domain.point", "points"),
    (_with(equation="burgers", parameters={"nu": -0.1}), "parameters.nu", ">"),
    (_with(parameters={"alpha": 1.0, "gamma": 2.0}), "parameters.gamma", "alpha, beta"),
    (_with(parameters={"alpha": {"uniform": [1.0]}}), "parameters.alpha", "low"),
    (_with(initial_condition={"family": "gaussian"}), "initial_condition.family", "gaussian_random_field"),
    (_with(initial_condition={"family": "fourier", "mode": 3}), "initial_condition.mode", "modes"),
    (_with(initial_condition={"family": "expression", "expression": "__import__('os')"}),
     "expression", "sin"),
    (_with(time={"end": 1.0, "frames": 1}), "time.frames", "1"),
    (_with(domain={"length": 40.0, "points": 255}), "domain.points", "even"),
    (_with(dtype="float16"), "dtype", "float64"),
    (_with(solver={"method": "rk45"}), "solver.method", "etdrk4"),
    (_with(truth="fourier-semidiscrete", solver={"points": 512}), "solver.points", "256"),
    ({**_with(equation="kepler", parameters={}, domain=None), "time_derivatives": True}, "time_derivatives", "dq_dt"),
    (_with(time={"end": float("inf"), "frames": 3}), "time.end", "finite"),
    (_with(tolerance=float("nan")), "tolerance", "finite"),
])
def test_bad_recipe_names_field_and_allowed_values(data, field, allowed):
    with pytest.raises(RecipeError) as info:
        parse_recipe(data)
    message = str(info.value)
    assert "\n" not in message
    assert field in message and allowed in message, message


@pytest.mark.parametrize("family,field,said", [
    ("kepler_orbit", "initial_condition", "does not fit equation kdv"),
    ("rest_angles", "initial_condition", "needs (256,)"),
])
def test_family_of_another_model_is_refused_before_compute(family, field, said):
    with pytest.raises(RecipeError) as info:
        build_spec(parse_recipe(_with(initial_condition={"family": family})))
    assert field in str(info.value) and said in str(info.value), str(info.value)


def test_grid_whose_first_trajectory_cannot_fit_the_memory_budget_is_refused_before_compute():
    data = {"name": "big", "equation": "allen_cahn_2d", "domain": {"length": 6.283185307179586, "points": 8192},
            "time": {"end": 1.0, "frames": 11}, "initial_condition": {"family": "fourier", "modes": 3},
            "tolerance": 1e-6}
    with pytest.raises(RecipeError, match=r"domain.points: 8192\^2 points .* above the memory budget of 4096 MiB"):
        build_spec(parse_recipe(data))
    build_spec(parse_recipe({**data, "domain": {"length": 6.283185307179586, "points": 256}}))


def test_ic_file_wrong_shape_and_missing(tmp_path):
    np.save(tmp_path / "u0.npy", np.zeros((3, 100)))
    recipe = parse_recipe(_with(initial_condition={"file": "u0.npy"}))
    with pytest.raises(RecipeError, match=r"initial_condition.file: array has shape \(3, 100\); allowed: \(256,\)"):
        build_spec(recipe, tmp_path)
    recipe = parse_recipe(_with(initial_condition={"file": "missing.npy"}))
    with pytest.raises(RecipeError, match="initial_condition.file: no such file"):
        build_spec(recipe, tmp_path)


def test_ic_file_hash_enters_version(tmp_path):
    np.save(tmp_path / "u0.npy", np.zeros(256))
    recipe = parse_recipe(_with(initial_condition={"file": "u0.npy"}))
    first = build_spec(recipe, tmp_path).version_id
    np.save(tmp_path / "u0.npy", np.ones(256))
    assert build_spec(recipe, tmp_path).version_id != first


def test_cli_reports_bad_recipe_in_one_line_before_compute(tmp_path):
    bad = _with(equation="burgers", parameters={"nu": -0.01})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = subprocess.run([sys.executable, "-m", "refsim.cli", "generate", str(path), "--out", str(tmp_path / "s")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "parameters.nu" in out.stderr and ">" in out.stderr
    assert not (tmp_path / "s").exists()  # nothing was created


def test_json_schema_exports():
    schema = json_schema()
    assert "tolerance" in schema["properties"] and schema["additionalProperties"] is False


def test_yaml_numbers_without_a_point_and_duplicate_keys(tmp_path):
    from refsim.schemas.recipe import load_recipe

    text = yaml.safe_dump(GOOD).replace("tolerance: 1.0e-10", "tolerance: 1e-10")
    text += "parameters: {alpha: {log_uniform: [1e-1, 5e0]}, beta: 1}\n"
    path = tmp_path / "r.yaml"
    path.write_text(text.replace("parameters:\n  alpha: -6.0\n  beta: 1.0\n", ""))
    recipe, _ = load_recipe(path)
    assert recipe.parameters["alpha"] == {"log_uniform": [0.1, 5.0]} and recipe.tolerance == 1e-10
    path.write_text(text)  # 'parameters' now appears twice
    with pytest.raises(RecipeError, match="'parameters' is given twice"):
        load_recipe(path)


def test_the_readme_recipe_is_valid_as_written():
    """The recipe a new user copies from the README parses, with the values it shows."""
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text()
    block = text.split("A recipe:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    recipe = parse_recipe(yaml.safe_load(block))
    assert recipe.name == "kdv-soliton" and recipe.samples == 2 and recipe.tolerance == 1e-8
    assert build_spec(recipe).num_partitions == 1
