"""refsim plot and refsim report on stores of every shape: 1D real, complex, several fields, 2D."""

import subprocess
import sys

import pytest

from refsim.pipeline.build import build
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec

CLI = [sys.executable, "-m", "refsim.cli"]
STORES = {
    "ns2d": {"equation": "navier_stokes_2d", "parameters": {"nu": 0.05}, "domain": {"length": 6.283185307179586,
             "points": 16}, "initial_condition": {"family": "fourier", "modes": 2, "amplitude": 1.0}},
    "nls": {"equation": "nls", "parameters": {}, "domain": {"length": 40.0, "points": 128, "origin": -20.0},
            "initial_condition": {"family": "expression", "expression": "sech(x)*exp(3j*pi*x/20)"}},
    "sine-gordon": {"equation": "sine_gordon", "parameters": {}, "domain": {"length": 6.283185307179586,
                    "points": 32}, "initial_condition": {"family": "fourier", "modes": 2, "amplitude": 0.5}},
}


@pytest.mark.parametrize("kind", sorted(STORES))
def test_plot_and_report_every_store_shape(kind, tmp_path, cluster):
    recipe = {"name": f"plot-{kind}", "time": {"end": 0.5, "frames": 6}, "samples": 2, "seed": 1,
              "tolerance": 1e-6, "partition_size": 2, **STORES[kind]}
    path = build(build_spec(parse_recipe(recipe)), tmp_path, scheduler=cluster.scheduler_address,
                 progress=False).path
    plotted = subprocess.run(CLI + ["plot", str(path), "--sample", "1", "--out", str(tmp_path / "one.png")],
                             capture_output=True, text=True, timeout=300)
    assert plotted.returncode == 0, plotted.stderr
    assert (tmp_path / "one.png").stat().st_size > 20_000
    missing = subprocess.run(CLI + ["plot", str(path), "--sample", "7"], capture_output=True, text=True)
    assert missing.returncode == 1 and "--sample" in missing.stderr
    reported = subprocess.run(CLI + ["report", str(path), "--out", str(tmp_path / "card")], capture_output=True,
                              text=True, timeout=300)
    assert reported.returncode == 0, reported.stderr
    pngs = {p.name for p in (tmp_path / "card").glob("*.png")}
    assert {"spectrum.png", "error_estimate.png"} <= pngs
    assert ("final_frames.png" if kind == "ns2d" else "spacetime.png") in pngs
