"""2D batches within the recipe's memory budget, and the Navier-Stokes energy budgets closing on stored data."""

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml
from test_pipeline import _build

import refsim
from refsim.schemas.recipe import load_recipe, parse_recipe
from refsim.schemas.spec import build_spec

# Solves one partition twice in a fresh process, with and without a budget, and reports the peak RSS each
# run added: the kernel's high-water mark (VmHWM) is reset before each run (clear_refs 5, Linux >= 4.0).
PROBE = r"""
import gc, json, sys
import numpy as np
from refsim.pipeline.solve import solve_partition
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec
data = json.loads(sys.argv[1])
def spec(mib):
    solver = dict(data.get("solver", {}), **({"memory_mib": mib} if mib else {}))
    return build_spec(parse_recipe({**data, "solver": solver}))
def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024
def added_by(run):
    gc.collect()
    open("/proc/self/clear_refs", "w").write("5")
    base = status("VmRSS:")
    out = run()
    return out, status("VmHWM:") - base
solve_partition(build_spec(parse_recipe({**data, "samples": 1, "partition_size": 1})), 0)  # compile, warm up
budgeted, with_budget = added_by(lambda: solve_partition(spec(int(sys.argv[2])), 0))
free, without = added_by(lambda: solve_partition(spec(None), 0))
same = all(np.array_equal(budgeted.arrays[k], free.arrays[k], equal_nan=True) for k in free.arrays)
print(json.dumps({"budgeted": with_budget, "free": without, "same": same,
                  "points": budgeted.arrays["internal_points"].tolist()}))
"""


def _navier_stokes(**changes):
    recipe, _ = load_recipe("navier-stokes-2d-random")
    return {**recipe.model_dump(mode="json", exclude_none=True), **changes}


def test_budget_cuts_the_batch_and_results_do_not_change():
    """Two 128^2 trajectories (6 frames): solved together they add ~36 MiB; a 32 MiB budget solves them one at a
    time, the peak stays under it (24 MiB seen), and every stored array is bitwise the same."""
    data = _navier_stokes(samples=2, partition_size=2, tolerance=1e-3, time={"end": 0.5, "frames": 6},
                          solver={"points": 128, "steps_per_frame": 8})
    env = {"MALLOC_TRIM_THRESHOLD_": "0", "PATH": ""}  # freed memory goes back: RSS before a run is its base
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(data), "32"], capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.splitlines()[-1])
    assert seen["points"] == [128, 128] and seen["same"]
    assert seen["budgeted"] <= 32, seen
    assert seen["free"] > 32, seen  # without the budget the batch would not have fitted


def test_trajectory_that_cannot_fit_is_refused_with_the_reason():
    spec = build_spec(parse_recipe(_navier_stokes(samples=1, partition_size=1, solver={"memory_mib": 16})))
    from refsim.pipeline.solve import solve_partition

    result = solve_partition(spec, 0)
    assert result.arrays["status"].tolist() == [2]
    assert np.isnan(result.arrays["omega"]).all()
    (rejection,) = result.rejections
    assert "memory budget of 16 MiB" in rejection["reason"] and "solver.memory_mib" in rejection["reason"]


def test_memory_key_is_validated_and_unset_keeps_version_ids():
    with pytest.raises(ValueError, match="memory_mib"):
        parse_recipe(_navier_stokes(solver={"memory_mib": 1}))
    plain = build_spec(parse_recipe(_navier_stokes()))
    assert "memory_mib" not in plain.canonical["solver"] and plain.budget.max_memory_bytes == 4096 * 2**20
    assert build_spec(parse_recipe(_navier_stokes(solver={"memory_mib": 512}))).version_id != plain.version_id


def _spectral(frames, length):
    n = frames.shape[-1]
    k = 2 * np.pi / length * np.fft.fftfreq(n, 1 / n)
    kx, ky = k[None, :], k[:, None]
    k2 = kx**2 + ky**2
    return np.fft.fft2(frames), kx, ky, np.where(k2 > 0, k2, 1.0)


def test_energy_and_enstrophy_budgets_close_on_the_stored_data(tmp_path, cluster):
    """Decaying 2D turbulence: dE/dt = -nu int omega^2 and dZ/dt = -nu int |grad omega|^2, every term
    computed from the store alone (omega and its stored time derivative on the 64^2 output grid, spectral
    quadrature there), closing at every frame to the certificate's tolerance."""
    data = _navier_stokes(samples=1, time={"end": 0.5, "frames": 6}, time_derivatives=True)
    recipe = tmp_path / "ns.yaml"
    recipe.write_text(yaml.safe_dump(data))
    _, report = _build(data, tmp_path / "out", cluster)
    ds = refsim.open(report.path)
    assert ds["status"].values.tolist() == [0]
    nu, length = float(data["parameters"]["nu"]), float(data["domain"]["length"])
    cell = (length / ds.sizes["x"]) ** 2
    for i in range(1):
        omega, rate = ds["omega"].values[i], ds["domega_dt"].values[i]
        w_hat, kx, ky, k2 = _spectral(omega, length)
        psi = np.real(np.fft.ifft2(w_hat / k2 * (k2 > 1e-12)))  # -laplacian psi = omega, zero mean
        grad2 = sum(np.real(np.fft.ifft2(1j * kk * w_hat)) ** 2 for kk in (kx, ky))
        energy = 0.5 * cell * (psi * omega).sum(axis=(-2, -1))
        d_energy, dissipation = cell * (psi * rate).sum(axis=(-2, -1)), -nu * cell * (omega**2).sum(axis=(-2, -1))
        d_enstrophy, palinstrophy = cell * (omega * rate).sum(axis=(-2, -1)), -nu * cell * grad2.sum(axis=(-2, -1))
        tolerance = float(data["tolerance"])
        np.testing.assert_allclose(energy, ds["energy"].values[i], rtol=tolerance)
        assert np.abs(d_energy - dissipation).max() <= tolerance * np.abs(dissipation).max()
        assert np.abs(d_enstrophy - palinstrophy).max() <= tolerance * np.abs(palinstrophy).max()
        assert (np.diff(ds["energy"].values[i]) < 0).all()


def _worker_memory(client) -> dict:
    """Each worker's current and peak resident memory, MiB."""
    def read():
        def status(key):
            return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)) / 1024
        return status("VmRSS:"), status("VmHWM:")
    return client.run(read)


@pytest.mark.slow
def test_navier_stokes_256_batch_builds_within_the_budget(tmp_path):
    """Issue 5: a 2D Navier-Stokes batch stored at 256^2 builds through the real pipeline, every worker's
    peak memory above its idle footprint stays within the recipe's budget, and every trajectory is certified."""
    import logging

    from distributed import Client, LocalCluster

    from refsim.pipeline.build import WORKER_ENV

    budget = 1024
    data = _navier_stokes(samples=4, partition_size=2, domain={"length": 6.283185307179586, "points": 256},
                          solver={"memory_mib": budget, "steps_per_frame": 16})  # a stable first step
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR, env=WORKER_ENV) as cluster, Client(cluster) as client:
        idle = _worker_memory(client)
        spec, report = _build(data, tmp_path, cluster)
        after = _worker_memory(client)
    ds = refsim.open(report.path)
    assert ds["status"].values.tolist() == [0] * 4 and ds.sizes["x"] == 256
    assert (ds["error_estimate"].values <= spec.tolerance).all()
    for worker, (resident, _) in idle.items():
        assert after[worker][1] - resident <= budget, (idle, after)
