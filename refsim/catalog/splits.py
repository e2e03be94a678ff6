"""Which trajectory serves which split, what a store serves by default, and what a version stores for training.

Splits are by trajectory: each certified sample gets a key ``splitmix64(seed, sample)``;
samples sorted by key fill train, validation and test with counts ``round(fraction * n)``.
`refsim generate` stores the default split and the training statistics in the version
(:func:`version_training_attrs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np

from .normalization import field_statistics
from .plots import state_fields

SPLITS = ("train", "validation", "test")


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """Steele, Lea & Flood's SplitMix64 finaliser (OOPSLA 2014), vectorised on uint64."""
    z = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def split_samples(samples: Iterable[int], fractions: Sequence[float] = (0.8, 0.1, 0.1),
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Train/validation/test sample indices (each sorted), a function of (seed, fractions, samples)."""
    samples = np.unique(np.asarray(list(samples), dtype=np.int64))
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    n = samples.size
    n_validation, n_test = round(fractions[1] * n), round(fractions[2] * n)
    n_train = n - n_validation - n_test
    if n_train < 0 or (fractions[0] > 0 and n_train == 0 and n > 0):
        raise ValueError(f"{n} certified trajectories cannot be split by {fractions}")
    with np.errstate(over="ignore"):
        keys = _splitmix64(_splitmix64(np.full(n, seed, dtype=np.int64).view(np.uint64)) ^ samples.view(np.uint64))
    ranked = samples[np.argsort(keys, kind="stable")]
    cuts = np.cumsum([n_train, n_validation])
    return {name: np.sort(part) for name, part in zip(SPLITS, np.split(ranked, cuts))}


def leading_trusted(trusted: np.ndarray) -> np.ndarray:
    """Per sample, the number of frames before the first untrusted one."""
    trusted = np.asarray(trusted, dtype=bool)
    first_false = np.argmin(trusted, axis=1)
    return np.where(trusted.all(axis=1), trusted.shape[1], first_false).astype(np.int64)


def default_fields(ds) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if ds.attrs.get("kind") == "steady":  # the input field (not the scalar parameters) and the output; no labels
        return tuple(json.loads(ds.attrs["inputs"])[:1]) + tuple(json.loads(ds.attrs["outputs"])), ()
    if ds.attrs.get("kind") == "pde":
        fields = tuple(n for n in state_fields(ds) if not (n.startswith("d") and n.endswith("_dt")))
        return fields, tuple(f"d{n}_dt" for n in fields if f"d{n}_dt" in ds)
    if "q" in ds:
        return ("q", "p"), ("dq_dt", "dp_dt")
    return ("y",), ("dy_dt",)


def real_channels(values: np.ndarray) -> np.ndarray:
    """Complex fields as a trailing (real, imaginary) axis; real fields unchanged."""
    return np.stack([values.real, values.imag], axis=-1) if np.iscomplexobj(values) else values


DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


def _trusted_training_arrays(ds, fields, samples, trusted_length):
    for s in samples:
        row = ds.sel(sample=int(s))
        yield {name: real_channels(np.asarray(row[name].values))[: trusted_length[int(s)]] for name in fields}


def version_training_attrs(ds) -> dict[str, str]:
    """What `refsim generate` stores in a version before tagging it: the default split (fractions 0.8/0.1/0.1,
    the recipe's seed) and the float64 statistics of every default field and label over its training split."""
    seed = int(json.loads(ds.attrs["recipe"]).get("seed", 0))
    sample_ids = np.asarray(ds["sample"].values, dtype=np.int64)
    certified = sample_ids[np.asarray(ds["status"].values) == 0]
    splits = split_samples(certified, DEFAULT_FRACTIONS, seed)
    fields, labels = default_fields(ds)
    if ds.attrs.get("kind") == "steady":  # one state per sample: no frames to trust or cut
        lengths = dict.fromkeys(sample_ids.tolist())
    else:
        lengths = dict(zip(sample_ids.tolist(), leading_trusted(ds["trusted"].values).tolist()))
    stats = field_statistics(_trusted_training_arrays(ds, fields + labels, splits["train"], lengths))
    return {"training_splits": json.dumps({"seed": seed, "fractions": list(DEFAULT_FRACTIONS),
                                           **{k: v.tolist() for k, v in splits.items()}}),
            "training_statistics": json.dumps({k: v.to_dict() for k, v in stats.items()})}
