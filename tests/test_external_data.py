"""Against real public data: Raissi's KdV.mat (shared/data/raissi), known accurate to ~1e-11."""

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from refsim.pipeline.solve import solve_partition
from refsim.schemas.recipe import load_recipe
from refsim.schemas.spec import build_spec

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


def _burgers_max_slope(n, steps_per_unit):
    """max_x |u_x| and its time for Basdevant's problem, from frames 5e-4 apart around the maximum."""
    from refsim.generators import EQUATIONS
    from refsim.solvers.grid import FourierGrid
    from refsim.solvers.semilinear import solve_frames

    eq = EQUATIONS["burgers"](nu=0.01 / np.pi)
    grid = FourierGrid(n, 2.0, -1.0)
    u = solve_frames(grid, [eq.terms(grid)], -np.sin(np.pi * grid.x)[None], 0.05, 11, steps_per_unit // 20)[0, -1]
    dt = 5e-4
    frames = solve_frames(grid, [eq.terms(grid)], u[None], dt, 41, max(1, int(steps_per_unit * dt)))[0]
    slope = np.abs(grid.derivative(frames)[:, n // 2])  # u is odd, so |u_x| peaks at x = 0
    i = int(np.argmax(slope))
    y0, y1, y2 = slope[i - 1 : i + 2]
    shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)  # vertex of the parabola through the three samples
    return y1 - 0.25 * (y0 - y2) * shift, 0.5 + (i + shift) * dt


def test_raissi_burgers_basdevant_maximum_slope():
    """Published (Basdevant et al. 1986): max |u_x| = 152.00516 at t = 1.6037/pi."""
    slope, when = _burgers_max_slope(2048, 3200)
    assert f"{slope:.6g}" == "152.005"  # six significant digits
    assert abs(slope - 152.00516) < 1e-5
    assert abs(when * np.pi - 1.6037) < 5e-5


@pytest.mark.skipif(not (DATA / "burgers_shock.mat").exists(), reason="shared/data/raissi not beside the repo")
def test_raissi_burgers_recipe_matches_burgers_shock_mat():
    from refsim.pipeline.solve import draw, verifier_for
    from refsim.solvers.grid import FourierGrid
    from refsim.solvers.verification import Resolution, TrajectoryProblem

    mat = scipy.io.loadmat(DATA / "burgers_shock.mat")
    recipe, base = load_recipe("raissi-burgers")
    spec = build_spec(recipe, base)
    np.testing.assert_allclose(np.linspace(0, spec.end_time, spec.frames), mat["t"].ravel(), atol=1e-14)
    eq, ic = draw(spec, 0)
    (r,) = verifier_for(spec).certify([TrajectoryProblem(eq.terms, ic)], Resolution(spec.start_points, 16))
    assert r.status == 0
    # the spectral solution is a trigonometric polynomial: evaluate it exactly at the file's 256 points
    internal = FourierGrid(r.resolution.num_points, spec.length, spec.origin)
    x = mat["x"].ravel()
    k = np.fft.rfftfreq(internal.num_points, d=1.0 / internal.num_points)
    coef = np.fft.rfft(r.internal, axis=-1) / internal.num_points
    coef[:, 1:-1] *= 2
    phase = np.exp(2j * np.pi * np.outer(k, x - spec.origin) / spec.length)
    ours = (coef @ phase).real
    theirs = mat["usol"].T
    err = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)  # relative L2, as the data's README states
    print(f"burgers_shock.mat vs refsim: relative L2 {err:.2e}")
    assert err < 1e-9, err
