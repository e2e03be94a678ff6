"""Training loaders over a refsim store: seeded splits, windows, normalisation, PyTorch and NumPy.

Only certified trajectories (``status == 0``) and, within them, the leading run of
trusted frames (``trusted``; after a chaotic trajectory's trust horizon frames are
flagged) are ever served. A window is ``n_steps_input`` input frames followed by
``n_steps_output`` output frames, ``frame_step`` frames apart; consecutive windows
of one trajectory start ``stride`` frames apart; a window never crosses
trajectories. ``mode="rollout"`` serves one window per trajectory: the input
frames and every following trusted frame (the same count for every trajectory of
the selection, the shortest trusted length among them).

Splits are by trajectory: each certified sample gets a key ``splitmix64(seed,
sample)``; samples sorted by key fill train, validation and test with counts
``round(fraction * n)``. The split is thus a function of (seed, fractions, the
certified samples) only, and a sample keeps its key when others are rejected.

Normalisation statistics (mean, std, RMS per field) are computed in float64 over
the training split's trusted frames and applied identically to every split.
`refsim generate` stores the default split (fractions 0.8/0.1/0.1 with the recipe's
seed) and those statistics in the version itself (attributes ``training_splits``
and ``training_statistics``); the loader uses them whenever its seed and fractions
are the stored ones, and computes the same function otherwise.

Complex fields (NLS) are served as real arrays with a trailing (real, imaginary)
axis, their statistics taken over both parts; 2D fields keep their (y, x) axes.

Derivative labels are the store's own vector-field values (ODE stores:
``dq_dt``/``dp_dt`` or ``dy_dt``; PDE stores built with ``time_derivatives: true``:
``du_dt`` ...), never finite differences of frames.

Workers: the datasets keep only the path, the pinned version and plain arrays;
each process opens the store itself on first use, without dask
(``chunks=None``). Worker processes must be spawned (:meth:`TrainingData.torch_loader`
does so): icechunk's runtime does not survive a fork, and a forked worker refuses
with a clear error instead of hanging.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .normalization import FieldStatistics, Normalization, field_statistics
from .splits import (
    SPLITS,
    default_fields,
    leading_trusted,
    real_channels,
    split_samples,
)
from .store import open_dataset, split_version

MODES = ("window", "rollout")
_STALE_HANDLES: list = []  # handles inherited through fork: never closed in the child


def window_starts(length: int, n_steps_input: int, n_steps_output: int, stride: int = 1,
                  frame_step: int = 1) -> np.ndarray:
    """First frames of every window that fits in ``length`` frames."""
    span = (n_steps_input + n_steps_output - 1) * frame_step + 1
    return np.arange(0, max(length - span + 1, 0), stride, dtype=np.int64)


class _StoreReader:
    """Reads whole trajectories of a pinned version, without dask; reopens in every new process."""

    def __init__(self, path: str, version: str, names: tuple[str, ...], cache_size: int = 256):
        self.path, self.version, self.names, self.cache_size = path, version, names, cache_size
        self._ds, self._pid = None, None
        self._cache: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.update(_ds=None, _pid=None, _cache=OrderedDict())
        return state

    def _dataset(self):
        if self._pid != os.getpid():
            if self._ds is not None:
                _STALE_HANDLES.append(self._ds)
            self._ds = open_dataset(self.path, version=self.version, include_rejected=True, chunks=None)
            self._pid, self._cache = os.getpid(), OrderedDict()
        return self._ds

    def trajectory(self, sample: int) -> dict[str, np.ndarray]:
        ds = self._dataset()
        sample = int(sample)
        if sample in self._cache:
            self._cache.move_to_end(sample)
            return self._cache[sample]
        row = ds.sel(sample=sample)
        arrays = {name: real_channels(np.asarray(row[name].values)) for name in self.names}
        self._cache[sample] = arrays
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return arrays


class WindowDataset:
    """Map-style dataset of windows: item ``i`` is a dict of NumPy arrays.

    Keys: ``input_<field>`` (n_steps_input, ...), ``output_<field>`` (n_steps_output, ...)
    for every field and label, normalised and cast to ``dtype``; ``input_time`` and
    ``output_time`` (float64); ``parameters`` (float64, in ``parameter_names``
    order); ``sample`` and ``start``.
    """

    def __init__(self, reader: _StoreReader, windows: np.ndarray, n_steps_input: int, n_steps_output: int,
                 frame_step: int, fields: tuple[str, ...], labels: tuple[str, ...],
                 normalization: Normalization, dtype: str, time: np.ndarray, parameters: dict[int, np.ndarray],
                 parameter_names: tuple[str, ...]):
        self.reader, self.windows = reader, np.asarray(windows, dtype=np.int64).reshape(-1, 2)
        self.n_steps_input, self.n_steps_output, self.frame_step = n_steps_input, n_steps_output, frame_step
        self.fields, self.labels = fields, labels
        self.normalization, self.dtype = normalization, np.dtype(dtype)
        self.time, self.parameters, self.parameter_names = time, parameters, parameter_names

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def samples(self) -> np.ndarray:
        """The trajectories this dataset serves."""
        return np.unique(self.windows[:, 0])

    def frames(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Frame indices (input, output) of window ``index``."""
        start = int(self.windows[index, 1])
        n_in, n_out, step = self.n_steps_input, self.n_steps_output, self.frame_step
        frames = start + step * np.arange(n_in + n_out)
        return frames[:n_in], frames[n_in:]

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index = int(index) % len(self)
        sample = int(self.windows[index, 0])
        inputs, outputs = self.frames(index)
        arrays = self.reader.trajectory(sample)
        item = {}
        for name in self.fields + self.labels:
            values = self.normalization.apply(name, arrays[name])
            item[f"input_{name}"] = values[inputs].astype(self.dtype)
            if outputs.size:
                item[f"output_{name}"] = values[outputs].astype(self.dtype)
        item["input_time"] = self.time[inputs]
        if outputs.size:
            item["output_time"] = self.time[outputs]
        item["parameters"] = self.parameters[sample]
        item["sample"] = np.int64(sample)
        item["start"] = np.int64(self.windows[index, 1])
        return item


def collate(items: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack a list of items key by key (a NumPy batch)."""
    return {key: np.stack([item[key] for item in items]) for key in items[0]}


class TrainingData:
    """Splits, windows and normalisation of one store version.

    Parameters
    ----------
    path : store path, optionally ``path@version``; the version is pinned at construction.
    fractions, seed : train/validation/test fractions and the seed of the split (default: the seed
        stored with the version's split, i.e. the recipe's seed, else 0).
    n_steps_input, n_steps_output : frames per window (``n_steps_output=0``: single frames,
        e.g. state and vector field for derivative learning).
    stride : frames between the starts of consecutive windows of one trajectory.
    frame_step : frames between consecutive frames inside a window.
    mode : ``window`` or ``rollout`` (one window per trajectory, as long as the selection allows).
    fields, labels : state variables served, and extra variables served at the same frames
        (default: ``u``; ``q, p`` with ``dq_dt, dp_dt``; ``y`` with ``dy_dt``). Noisy
        observations are fields like any other (``fields=("q_noisy", "p_noisy")``).
    normalization : ``standard`` ((v - mean)/std), ``rms`` (v/rms) or ``none``.
    dtype : dtype of the served fields (statistics and normalisation are float64).
    """

    def __init__(self, path, *, version: str | None = None, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                 seed: int | None = None, n_steps_input: int = 1, n_steps_output: int = 1, stride: int = 1,
                 frame_step: int = 1, mode: str = "window", fields: Sequence[str] | None = None,
                 labels: Sequence[str] | None = None, normalization: str = "standard", dtype: str = "float32",
                 cache_trajectories: int = 256):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if n_steps_input < 1 or n_steps_output < 0 or stride < 1 or frame_step < 1:
            raise ValueError("need n_steps_input >= 1, n_steps_output >= 0, stride >= 1, frame_step >= 1")
        if mode == "rollout" and n_steps_output != 1:
            raise ValueError("rollout mode sets the output length itself; leave n_steps_output at 1")
        path, version = split_version(path, version)
        ds = open_dataset(path, version=version, include_rejected=True, chunks=None)
        if ds.attrs.get("kind") == "steady":
            raise ValueError("TrainingData serves time windows; a steady store (input -> output pairs, no time) is "
                             "read with refsim.open(path): its attributes training_splits and training_statistics "
                             "hold the default split and the statistics of its input and output fields")
        self.path, self.version = str(path), ds.attrs["version_id"]
        served, labelled = default_fields(ds)
        self.fields = tuple(fields) if fields is not None else served
        self.labels = tuple(labels) if labels is not None else labelled
        missing = [n for n in self.fields + self.labels if n not in ds]
        if missing:
            raise KeyError(f"the store has no variable {missing[0]!r}; variables: {', '.join(sorted(ds.data_vars))}")
        self.n_steps_input, self.n_steps_output, self.stride, self.frame_step = (
            n_steps_input, n_steps_output, stride, frame_step)
        self.mode, self.dtype, self.fractions = mode, dtype, tuple(float(f) for f in fractions)
        self.attrs = dict(ds.attrs)
        self.time = np.asarray(ds["time"].values, dtype=np.float64)
        span = (n_steps_input + (n_steps_output if mode == "window" else 0) - 1) * frame_step + 1
        if span > self.time.size:
            raise ValueError(f"a window of n_steps_input={n_steps_input} + n_steps_output={n_steps_output} frames "
                             f"(frame_step {frame_step}) spans {span} frames; the store has {self.time.size}")
        status = np.asarray(ds["status"].values)
        sample_ids = np.asarray(ds["sample"].values, dtype=np.int64)
        self.certified = sample_ids[status == 0]
        self.trusted_length = dict(zip(sample_ids.tolist(), leading_trusted(ds["trusted"].values).tolist()))
        self.parameter_names = tuple(sorted(json.loads(ds.attrs.get("parameters", "{}"))))
        columns = [np.asarray(ds[name].values, dtype=np.float64) for name in self.parameter_names]
        table = np.stack(columns, axis=1) if columns else np.zeros((sample_ids.size, 0))
        self.parameters = {int(s): table[i] for i, s in enumerate(sample_ids)}
        stored = json.loads(ds.attrs.get("training_splits", "null"))
        if seed is None:
            seed = stored["seed"] if stored else 0
        self.seed = seed
        self.stored = bool(stored) and stored["seed"] == seed and tuple(stored["fractions"]) == self.fractions
        self.splits = ({k: np.asarray(stored[k], dtype=np.int64) for k in SPLITS} if self.stored
                       else split_samples(self.certified, self.fractions, seed))
        self._cache_size = cache_trajectories
        self._reader = _StoreReader(self.path, self.version, self.fields + self.labels, cache_trajectories)
        saved = json.loads(ds.attrs.get("training_statistics", "null")) if self.stored else None
        if saved and all(name in saved for name in self.fields + self.labels):
            stats = {name: FieldStatistics(**saved[name]) for name in self.fields + self.labels}
        else:
            stats = field_statistics(
                {name: arrays[name][: self.trusted_length[int(s)]] for name in arrays}
                for s in self.splits["train"] for arrays in (self._reader.trajectory(int(s)),))
        self.normalization = Normalization(normalization, stats) if stats else Normalization("none", {})

    def _selection(self, split: str | Iterable[int], restrict_num_trajectories: int | float | None,
                   restriction_seed: int) -> np.ndarray:
        if isinstance(split, str):
            if split not in SPLITS:
                raise ValueError(f"split must be one of {SPLITS} or a list of samples, got {split!r}")
            chosen = self.splits[split]
        else:
            chosen = np.unique(np.asarray(list(split), dtype=np.int64))
            foreign = np.setdiff1d(chosen, self.certified)
            if foreign.size:
                raise ValueError(f"sample {int(foreign[0])} is not a certified trajectory of this store")
        if restrict_num_trajectories is not None:
            count = restrict_num_trajectories
            if isinstance(count, float) and 0 < count < 1:
                count = int(count * chosen.size)
            order = np.random.default_rng(restriction_seed).permutation(chosen.size)  # nested for growing counts
            chosen = np.sort(chosen[order[: min(int(count), chosen.size)]])
        return chosen

    def _rollout_outputs(self, samples: np.ndarray) -> int:
        shortest = min(self.trusted_length[int(s)] for s in samples)
        return (shortest - 1) // self.frame_step + 1 - self.n_steps_input

    def windows(self, split: str | Iterable[int] = "train", *, restrict_num_trajectories: int | float | None = None,
                restriction_seed: int = 0) -> np.ndarray:
        """``(K, 2)`` array of (sample, first frame) of every window of the selection."""
        return self._windows(self._selection(split, restrict_num_trajectories, restriction_seed))[0]

    def _windows(self, samples: np.ndarray) -> tuple[np.ndarray, int]:
        if samples.size == 0:
            return np.zeros((0, 2), dtype=np.int64), self.n_steps_output
        n_out = self._rollout_outputs(samples) if self.mode == "rollout" else self.n_steps_output
        if n_out < (1 if self.mode == "rollout" else 0):
            raise ValueError("the trusted frames are too few for the requested input length")
        rows = []
        for s in samples:
            starts = window_starts(self.trusted_length[int(s)], self.n_steps_input, n_out,
                                   self.stride, self.frame_step)
            if self.mode == "rollout":
                starts = starts[:1]
            rows.append(np.column_stack([np.full(starts.size, s, dtype=np.int64), starts]))
        return np.concatenate(rows).reshape(-1, 2), n_out

    def dataset(self, split: str | Iterable[int] = "train", *, restrict_num_trajectories: int | float | None = None,
                restriction_seed: int = 0) -> WindowDataset:
        """A map-style dataset of NumPy items over a split (or an explicit list of certified samples).

        ``restrict_num_trajectories`` (a count, or a fraction in (0, 1)) keeps a seeded
        subset of the selection's trajectories; larger counts with one seed are nested.
        """
        samples = self._selection(split, restrict_num_trajectories, restriction_seed)
        windows, n_out = self._windows(samples)
        reader = _StoreReader(self.path, self.version, self.fields + self.labels, self._cache_size)
        return WindowDataset(reader, windows, self.n_steps_input, n_out, self.frame_step, self.fields,
                             self.labels, self.normalization, self.dtype, self.time, self.parameters,
                             self.parameter_names)

    def torch_dataset(self, split: str | Iterable[int] = "train", **options):
        """The same as :meth:`dataset`, as a ``torch.utils.data.Dataset`` of tensors (needs torch)."""
        cls = globals().get("TorchWindowDataset") or __getattr__("TorchWindowDataset")
        return cls(self.dataset(split, **options))

    def torch_loader(self, split: str | Iterable[int] = "train", batch_size: int = 32, *, shuffle: bool = True,
                     num_workers: int = 2, **options):
        """A ``torch.utils.data.DataLoader`` over :meth:`torch_dataset`, its workers spawned once and kept.

        Workers are spawned, not forked: icechunk's runtime, started in this process when the
        store was opened, does not survive a fork (a forked worker would refuse with a clear error).
        """
        from torch.utils.data import DataLoader

        workers = {"multiprocessing_context": "spawn", "persistent_workers": True} if num_workers > 0 else {}
        return DataLoader(self.torch_dataset(split, **options), batch_size=batch_size, shuffle=shuffle,
                          num_workers=num_workers, **workers)

    def numpy_batches(self, split: str | Iterable[int] = "train", batch_size: int = 32, *, shuffle: bool = True,
                      seed: int = 0, epoch: int = 0, drop_last: bool = False, **options) -> Iterator[dict]:
        """Batches as dicts of NumPy arrays (for JAX: ``jax.numpy.asarray`` each value).

        The order is ``default_rng([seed, epoch]).permutation`` when shuffling.
        """
        dataset = self.dataset(split, **options)
        order = np.random.default_rng([seed, epoch]).permutation(len(dataset)) if shuffle else np.arange(len(dataset))
        for first in range(0, len(order), batch_size):
            chosen = order[first : first + batch_size]
            if drop_last and chosen.size < batch_size:
                return
            yield collate([dataset[int(i)] for i in chosen])

    def describe(self) -> dict:
        """JSON-serialisable summary: version, splits, window settings and statistics."""
        return {
            "path": self.path, "version": self.version, "seed": self.seed, "fractions": list(self.fractions),
            "splits": {k: v.tolist() for k, v in self.splits.items()},
            "fields": list(self.fields), "labels": list(self.labels), "mode": self.mode,
            "n_steps_input": self.n_steps_input, "n_steps_output": self.n_steps_output,
            "stride": self.stride, "frame_step": self.frame_step,
            "normalization": self.normalization.to_dict(),
        }


def _torch_dataset_class():
    import torch
    from torch.utils.data import Dataset

    class TorchWindowDataset(Dataset):
        """A :class:`WindowDataset` whose items are tensors; safe with ``DataLoader(num_workers=N)``."""

        def __init__(self, windows: WindowDataset):
            self.windows = windows

        def __len__(self):
            return len(self.windows)

        def __getitem__(self, index):
            return {key: torch.from_numpy(np.asarray(value)) for key, value in self.windows[index].items()}

    TorchWindowDataset.__module__ = __name__
    TorchWindowDataset.__qualname__ = "TorchWindowDataset"
    return TorchWindowDataset


def __getattr__(name: str):
    # The torch class is made on first use, so importing this module never needs torch;
    # it lives in the module namespace so that pickling (spawned workers) finds it.
    if name == "TorchWindowDataset":
        cls = _torch_dataset_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
