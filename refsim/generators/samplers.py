"""Parameter samplers: a value fixed or drawn per trajectory.

Recipe spellings: ``0.1`` (fixed), ``{uniform: [a, b]}``, ``{log_uniform: [a, b]}``
(log-uniform on [a, b], a > 0), ``{choice: [v1, v2, ...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("uniform", "log_uniform", "choice")


@dataclass(frozen=True)
class Sampler:
    kind: str  # "fixed" or one of KINDS
    values: tuple[float, ...]

    def draw(self, rng: np.random.Generator) -> float:
        if self.kind == "fixed":
            return self.values[0]
        if self.kind == "uniform":
            return float(rng.uniform(*self.values))
        if self.kind == "log_uniform":
            lo, hi = np.log(self.values)
            return float(np.exp(rng.uniform(lo, hi)))
        return float(self.values[int(rng.integers(len(self.values)))])

    def support(self) -> tuple[float, float]:
        return min(self.values), max(self.values)

    def to_spec(self) -> Any:
        return self.values[0] if self.kind == "fixed" else {self.kind: list(self.values)}


def parse_sampler(spec: Any, where: str = "value") -> Sampler:
    """Build a sampler from its recipe spelling; ValueError names ``where`` and the allowed forms."""
    if isinstance(spec, Sampler):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"{where}: expected a number or one of {{{', '.join(KINDS)}}}, got {spec!r}")
    if isinstance(spec, (int, float)):
        if not np.isfinite(spec):
            raise ValueError(f"{where}: must be finite, got {spec!r}")
        return Sampler("fixed", (float(spec),))
    if isinstance(spec, dict) and len(spec) == 1:
        (kind, values), = spec.items()
        if kind not in KINDS:
            raise ValueError(f"{where}: unknown sampler {kind!r}; allowed: {', '.join(KINDS)} or a number")
        if not isinstance(values, (list, tuple)) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in values
        ):
            raise ValueError(f"{where}.{kind}: expected a list of finite numbers, got {values!r}")
        values = tuple(float(v) for v in values)
        if kind in ("uniform", "log_uniform"):
            if len(values) != 2 or not values[0] <= values[1]:
                raise ValueError(f"{where}.{kind}: expected [low, high] with low <= high, got {list(values)}")
            if kind == "log_uniform" and values[0] <= 0:
                raise ValueError(f"{where}.log_uniform: bounds must be positive, got {list(values)}")
        elif not values:
            raise ValueError(f"{where}.choice: expected at least one value")
        return Sampler(kind, values)
    raise ValueError(
        f"{where}: expected a number or a mapping with one key among {', '.join(KINDS)}, got {spec!r}"
    )


def trajectory_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of one trajectory: a function of (root seed, index) only."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
