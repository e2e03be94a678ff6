"""Against real public data: Raissi's KdV.mat (shared/data/raissi), known accurate to ~1e-11."""

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from refsim.pipeline.solve import solve_partition
from refsim.schemas.recipe import build_spec, load_recipe

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "raissi"


@pytest.mark.skipif(not (DATA / "KdV.mat").exists(), reason="shared/data/raissi/KdV.mat not beside the repo")
def test_raissi_kdv_recipe_matches_kdv_mat():
    mat = scipy.io.loadmat(DATA / "KdV.mat")
    recipe, base = load_recipe("raissi-kdv")
    spec = build_spec(recipe, base)
    np.testing.assert_allclose(spec.grid.x, mat["x"].ravel(), rtol=0, atol=1e-14)
    times = np.linspace(0, spec.end_time, spec.frames)
    np.testing.assert_allclose(times, mat["tt"].ravel(), rtol=0, atol=1e-14)
    result = solve_partition(spec, 0)
    assert result.arrays["status"][0] == 0
    ours = result.arrays["u"][0]
    theirs = mat["uu"].T
    err = np.abs(ours - theirs).max(axis=1) / np.abs(ours).max(axis=1)
    # KdV.mat is itself accurate to ~1e-11; ours is certified below the recipe's tolerance
    assert err.max() < spec.tolerance
    assert result.arrays["error_estimate"][0].max() < spec.tolerance
