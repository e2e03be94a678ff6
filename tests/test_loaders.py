"""Training loaders over real stores: window properties, splits, normalisation, complex fields, and a PyTorch
training loop with two DataLoader workers (in a subprocess, so that a hang fails the test instead of CI)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import refsim
from refsim.catalog.loaders import TrainingData
from refsim.pipeline.build import build
from refsim.schemas.recipe import parse_recipe
from refsim.schemas.spec import build_spec


def _build(tmp_path_factory, cluster, name, **recipe):
    out = tmp_path_factory.mktemp(name)
    data = {"name": name, "time": {"end": 1.0, "frames": 11}, "seed": 3, "partition_size": 4, **recipe}
    return build(build_spec(parse_recipe(data)), out, scheduler=cluster.scheduler_address, progress=False).path


@pytest.fixture(scope="module")
def heat(tmp_path_factory, cluster):
    return _build(tmp_path_factory, cluster, "loader-heat", equation="heat", parameters={"nu": {"uniform": [0.01,
                  0.1]}}, domain={"length": 6.283185307179586, "points": 32}, samples=12, tolerance=1e-9,
                  initial_condition={"family": "fourier", "modes": 4, "amplitude": 1.0, "offset": 0.5})


@pytest.mark.parametrize("n_in,n_out,stride,step", [(1, 1, 1, 1), (3, 2, 2, 1), (2, 1, 3, 2), (1, 0, 1, 1)])
def test_windows_stay_inside_one_trajectory_with_their_stride(heat, n_in, n_out, stride, step):
    td = TrainingData(heat, n_steps_input=n_in, n_steps_output=n_out, stride=stride, frame_step=step)
    ds = td.dataset("train")
    raw = refsim.open(heat)
    starts = {}
    for index in range(len(ds)):
        item = ds[index]
        sample, start = int(item["sample"]), int(item["start"])
        inputs, outputs = ds.frames(index)
        frames = np.concatenate([inputs, outputs])
        assert frames.min() >= 0 and frames.max() < raw.sizes["time"]  # inside the trajectory
        assert np.all(np.diff(frames) == step)
        np.testing.assert_array_equal(item["input_time"], raw.time.values[inputs])
        starts.setdefault(sample, []).append(start)
    assert set(starts) == set(td.splits["train"].tolist())
    for first in starts.values():
        assert np.all(np.diff(sorted(first)) == stride) and min(first) == 0


def test_splits_are_disjoint_seeded_and_restrictions_nested(heat):
    td = TrainingData(heat, seed=7)
    parts = [set(td.splits[s].tolist()) for s in ("train", "validation", "test")]
    assert set.union(*parts) == set(td.certified.tolist()) and sum(map(len, parts)) == td.certified.size
    assert TrainingData(heat, seed=7).describe()["splits"] == td.describe()["splits"]
    assert TrainingData(heat, seed=8).describe()["splits"] != td.describe()["splits"]
    small = td.dataset("train", restrict_num_trajectories=3).samples
    large = td.dataset("train", restrict_num_trajectories=5).samples
    assert small.size == 3 and set(small) <= set(large) <= set(td.splits["train"].tolist())


def test_validation_is_normalised_with_training_statistics(heat):
    td = TrainingData(heat, n_steps_input=1, n_steps_output=0, dtype="float64")
    raw = refsim.open(heat)
    train = raw.u.sel(sample=td.splits["train"]).values
    mean, std = train.mean(), train.std()
    item = td.dataset("validation")[0]
    frame = raw.u.sel(sample=int(item["sample"])).values[int(item["start"])]
    np.testing.assert_allclose(item["input_u"][0], (frame - mean) / std, rtol=1e-12, atol=1e-12)


def test_complex_and_two_field_stores_are_served_whole(tmp_path_factory, cluster):
    nls = _build(tmp_path_factory, cluster, "loader-nls", equation="nls", samples=2, tolerance=1e-6,
                 domain={"length": 40.0, "points": 128, "origin": -20.0},
                 initial_condition={"family": "expression", "expression": "sech(x)*exp(3j*pi*x/20)"})
    td = TrainingData(nls, fractions=(1.0, 0.0, 0.0), normalization="none", dtype="float64")
    item = td.dataset("train")[0]
    stored = refsim.open(nls).u.sel(sample=int(item["sample"])).values[int(item["start"])]
    assert item["input_u"].shape == (1, 128, 2)  # (real, imaginary): nothing is dropped
    np.testing.assert_array_equal(item["input_u"][0, :, 0], stored.real)
    np.testing.assert_array_equal(item["input_u"][0, :, 1], stored.imag)


TRAIN = """
import numpy as np, torch
from torch.utils.data import DataLoader
from refsim.catalog.loaders import TrainingData

if __name__ == "__main__":
    td = TrainingData({path!r}, n_steps_input=2, n_steps_output=1)
    train = td.torch_loader("train", batch_size=8, num_workers=2)
    model = torch.nn.Linear(2 * 32, 32)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for epoch in range(3):
        for batch in train:
            x = batch["input_u"].reshape(batch["input_u"].shape[0], -1)
            loss = torch.nn.functional.mse_loss(model(x), batch["output_u"][:, 0])
            optimiser.zero_grad(); loss.backward(); optimiser.step()
            losses.append(loss.item())
    seen = sum(len(b["sample"]) for b in td.torch_loader("validation", batch_size=4, shuffle=False))
    forked = DataLoader(td.torch_dataset("validation"), batch_size=4, num_workers=1,
                        multiprocessing_context="fork")
    try:
        next(iter(forked))
        refused = "no"
    except RuntimeError as err:
        refused = "yes" if "forked" in str(err) and "spawn" in str(err) else "other"
    print("ok", len(losses), losses[0], losses[-1], seen, refused)
"""


def test_pytorch_training_loop_with_two_workers(heat, tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(TRAIN.format(path=str(heat))))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    _, steps, first, last, seen, refused = out.stdout.split()
    assert refused == "yes"  # a forked worker says what to do instead of hanging
    td = TrainingData(heat, n_steps_input=2, n_steps_output=1)
    assert int(steps) == 3 * -(-len(td.dataset("train")) // 8) and float(last) < float(first)
    assert int(seen) == len(td.dataset("validation"))


def test_generate_stores_the_split_and_statistics_in_the_version(tmp_path):
    recipe = tmp_path / "stored.yaml"
    recipe.write_text(
        "name: stored\nequation: heat\nparameters: {nu: {uniform: [0.01, 0.1]}}\n"
        "domain: {length: 6.283185307179586, points: 16}\ntime: {end: 0.5, frames: 6}\n"
        "initial_condition: {family: fourier, modes: 3, offset: 0.5}\nsamples: 10\nseed: 9\ntolerance: 1.0e-8\n")
    done = subprocess.run([sys.executable, "-m", "refsim.cli", "generate", str(recipe), "--out", str(tmp_path),
                           "--quiet", "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    td = TrainingData(tmp_path / "stored", dtype="float64", n_steps_output=0)
    assert td.stored and td.seed == 9  # the version's own split, made with the recipe's seed
    raw = refsim.open(tmp_path / "stored")
    assert len(td.splits["train"]) == 8 and len(td.splits["test"]) == 1
    train = raw.u.sel(sample=td.splits["train"]).values
    stats = td.normalization.statistics["u"]
    assert stats.mean == pytest.approx(train.mean(), rel=1e-13) and stats.std == pytest.approx(train.std(), rel=1e-12)
    other = TrainingData(tmp_path / "stored", seed=5)
    assert not other.stored and other.describe()["splits"] != td.describe()["splits"]


def test_a_window_longer_than_the_trajectories_is_refused(heat):
    frames = refsim.open(heat).sizes["time"]
    with pytest.raises(ValueError, match=f"spans {frames + 1} frames; the store has {frames}"):
        TrainingData(heat, n_steps_input=frames, n_steps_output=1)
    TrainingData(heat, n_steps_input=frames - 1, n_steps_output=1)
