"""Per-field normalisation statistics, accumulated in float64, and their application.

Statistics are merged trajectory by trajectory with Chan, Golub & LeVeque's
pairwise update of (count, mean, M2) ("Updating formulae and a pairwise algorithm
for computing sample variances", 1979), so a long store is summarised in one pass
without the cancellation of ``E[x^2] - E[x]^2``. The RMS is accumulated apart,
as a sum of squares, so a field with zero mean keeps an exact RMS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

METHODS = ("standard", "rms", "none")


@dataclass(frozen=True)
class FieldStatistics:
    """Mean, standard deviation (population) and root mean square of one field."""

    count: int
    mean: float
    std: float
    rms: float
    minimum: float
    maximum: float

    def to_dict(self) -> dict:
        return asdict(self)


class _Accumulator:
    def __init__(self):
        self.count, self.mean, self.m2, self.sum_squares = 0, 0.0, 0.0, 0.0
        self.minimum, self.maximum = np.inf, -np.inf

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return
        n = values.size
        mean = float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.sum_squares += float((values * values).sum())
        self.minimum = min(self.minimum, float(values.min()))
        self.maximum = max(self.maximum, float(values.max()))

    def result(self) -> FieldStatistics:
        if self.count == 0:
            raise ValueError("no values to compute statistics from")
        return FieldStatistics(self.count, self.mean, float(np.sqrt(self.m2 / self.count)),
                               float(np.sqrt(self.sum_squares / self.count)), self.minimum, self.maximum)


def field_statistics(chunks) -> dict[str, FieldStatistics]:
    """Statistics per field from an iterable of ``{field: array}`` (one per trajectory)."""
    accumulators: dict[str, _Accumulator] = {}
    for chunk in chunks:
        for name, values in chunk.items():
            accumulators.setdefault(name, _Accumulator()).add(values)
    return {name: acc.result() for name, acc in accumulators.items()}


@dataclass(frozen=True)
class Normalization:
    """``standard``: (v - mean) / std; ``rms``: v / rms; ``none``: unchanged.

    The same object (statistics of the training split) is applied to every split.
    A zero scale (a constant field) is replaced by 1 so the map stays invertible.
    """

    method: str
    statistics: dict[str, FieldStatistics]

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"normalization must be one of {METHODS}, got {self.method!r}")

    def shift_scale(self, name: str) -> tuple[float, float]:
        if self.method == "none":
            return 0.0, 1.0
        s = self.statistics[name]
        shift, scale = (s.mean, s.std) if self.method == "standard" else (0.0, s.rms)
        return shift, (scale if scale > 0 else 1.0)

    def apply(self, name: str, values: np.ndarray) -> np.ndarray:
        shift, scale = self.shift_scale(name)
        return (np.asarray(values, dtype=np.float64) - shift) / scale

    def invert(self, name: str, values: np.ndarray) -> np.ndarray:
        shift, scale = self.shift_scale(name)
        return np.asarray(values, dtype=np.float64) * scale + shift

    def to_dict(self) -> dict:
        return {"method": self.method, "fields": {k: v.to_dict() for k, v in self.statistics.items()}}

    def the_well_stats(self) -> dict:
        """The layout of The Well's ``stats.yaml`` (``mean``/``std``/``rms`` keyed by field)."""
        return {key: {name: getattr(s, key) for name, s in self.statistics.items()} for key in ("mean", "std", "rms")}
