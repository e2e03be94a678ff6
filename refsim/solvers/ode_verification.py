"""Certificates for ODE trajectories: step halving (fixed-step methods) or tolerance
tightening (adaptive DOP853), with the same refinement logic and trust horizons as
the PDE verifier (:mod:`refsim.solvers.verification`).

Fixed-step methods of order p: production with s steps per output interval, a
twin with 2s and an order run with s/2 (4s when s is odd) give Richardson's
estimate with the observed order q = clamp(p_obs, 1, p). DOP853: production at
rtol r and a twin at r/256; the twin's error is far smaller, so their difference
estimates the production error (near DOP853's floor the twin is only 10x tighter,
and the difference is scaled by ratio / (ratio - 1)). Errors are relative per frame,
``max_i |dy_i| / max_i |y_i|`` over the state components.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .ode import ODE_METHODS, integrate
from .verification import ACCEPTED, NONFINITE, OVER_BUDGET, ROUNDING, relative_difference

_ORDER_FLOOR = 1e-13
_NOISE_CEILING = 1e-3
RTOL_FLOOR = 1e-14  # the production run's tightest rtol; its twin needs room below it
TWIN_FLOOR = 1e-15  # DOP853's own floor
ABSOLUTE = 1e-3  # atol = ABSOLUTE * rtol: states of size O(1e-3) and up are controlled relatively
ADAPTIVE_TWIN = 256.0


@dataclass(frozen=True)
class OdeBudget:
    max_steps_per_frame: int = 1 << 20
    max_total_steps: int = 20_000_000
    max_refinements: int = 10


@dataclass
class OdeCertified:
    status: int
    reason: str
    setting: float  # steps per frame (fixed-step) or rtol (adaptive)
    frames: np.ndarray  # (F, d)
    error_time: np.ndarray
    error_estimate: np.ndarray
    observed_order: float = float("nan")
    trust_horizon_index: int = -1
    steps: int = 0
    residual: float = 0.0


@dataclass
class OdeVerifier:
    method: str
    functions: dict
    frame_interval: float
    num_frames: int
    tolerance: float
    storage_dtype: str = "float64"
    budget: OdeBudget = field(default_factory=OdeBudget)
    safety: float = 0.5
    horizon: str = "refuse"
    chaotic: bool = False
    work: int = 0

    def __post_init__(self):
        self.spec = ODE_METHODS[self.method]
        self.adaptive = self.spec.kind == "adaptive"
        self.rounding = ROUNDING[self.storage_dtype]

    def _run(self, y0, params, setting):
        with np.errstate(all="ignore"):
            if self.adaptive:
                res = integrate(self.method, self.functions, y0, params, self.frame_interval, self.num_frames,
                                rtol=setting, atol=ABSOLUTE * setting)
            else:
                res = integrate(self.method, self.functions, y0, params, self.frame_interval, self.num_frames,
                                steps_per_frame=int(setting))
        self.work += int(np.sum(res.evaluations))
        return res

    def start(self) -> float:
        return max(min(self.tolerance / 10, 1e-6), RTOL_FLOOR) if self.adaptive else 2

    def evaluate(self, y0, params, setting):
        prod = self._run(y0, params, setting)
        if self.adaptive:
            # the twin's error is about ratio times smaller: scale the difference up accordingly
            ratio = setting / max(setting / ADAPTIVE_TWIN, TWIN_FLOOR)
            twin = self._run(y0, params, setting / ratio)
            with np.errstate(all="ignore"):
                e = relative_difference(prod.frames, twin.frames) * ratio / (ratio - 1)
            observed = np.full(len(y0), np.nan)
            return prod, e, observed
        s = int(setting)
        twin = self._run(y0, params, 2 * s)
        order = self.spec.order
        with np.errstate(all="ignore"):
            d_fine = relative_difference(prod.frames, twin.frames)
            if s % 2 == 0:
                ratio = relative_difference(self._run(y0, params, s // 2).frames, prod.frames).max(1) / d_fine.max(1)
            else:
                ratio = d_fine.max(1) / relative_difference(twin.frames, self._run(y0, params, 4 * s).frames).max(1)
            observed = np.where(d_fine.max(axis=1) > _ORDER_FLOOR, np.log2(ratio), np.nan)
            q = np.clip(np.nan_to_num(observed, nan=order), 1.0, order)
            e = d_fine * (2.0**q / (2.0**q - 1.0))[:, None]
        return prod, e, observed

    def certify(self, y0: np.ndarray, params: np.ndarray) -> list[OdeCertified]:
        results: list[OdeCertified | None] = [None] * len(y0)
        pending = dict.fromkeys(range(len(y0)), self.start())
        attempts = dict.fromkeys(pending, 0)
        target = self.safety * self.tolerance
        while pending:
            groups = defaultdict(list)
            for i, setting in pending.items():
                groups[setting].append(i)
            pending = {}
            for setting, idx in sorted(groups.items()):
                prod, e, observed = self.evaluate(y0[idx], params[idx], setting)
                for row, i in enumerate(idx):
                    frames, et = prod.frames[row], e[row]
                    estimate = et + self.rounding
                    finite = bool(np.isfinite(frames).all() and np.isfinite(estimate).all())
                    common = dict(setting=setting, frames=frames, error_time=et, error_estimate=estimate,
                                  observed_order=float(observed[row]), steps=int(prod.steps[row]),
                                  residual=float(prod.residual[row]))
                    if finite and estimate.max() <= target:
                        results[i] = OdeCertified(ACCEPTED, "", trust_horizon_index=self.num_frames - 1, **common)
                        continue
                    attempts[i] += 1
                    nxt = self._next(setting, et, finite, observed[row])
                    if nxt is None or attempts[i] > self.budget.max_refinements:
                        results[i] = self._final(common, estimate, finite)
                    else:
                        pending[i] = nxt
        return results  # type: ignore[return-value]

    def _next(self, setting, et, finite, observed):
        if self.adaptive:
            if not finite:
                return None
            new = setting * min(0.1, 0.5 * self.safety * self.tolerance / et.max())
            return None if setting <= RTOL_FLOOR else max(new, RTOL_FLOOR)
        s = int(setting)
        if not finite:
            s *= 4
        else:
            part = self.safety * self.tolerance
            if self.chaotic and observed < 1.0 and et.max() < _NOISE_CEILING:
                return None  # amplified round-off: smaller steps cannot help
            ratio = (et.max() / part) ** (1.0 / self.spec.order)
            s *= 2 ** max(1, math.ceil(math.log2(ratio * 1.1)))
        b = self.budget
        if s > b.max_steps_per_frame or s * (self.num_frames - 1) > b.max_total_steps:
            return None
        return s

    def _final(self, common, estimate, finite):
        if not finite:
            common["frames"] = np.full_like(common["frames"], np.nan)
            return OdeCertified(NONFINITE, "non-finite values (blow-up) at every setting tried", **common)
        within = np.cumprod(estimate <= self.tolerance).astype(bool)
        horizon = int(within.sum()) - 1
        if self.horizon == "flag" and horizon >= 1:
            return OdeCertified(ACCEPTED, f"trust horizon at frame {horizon} of {self.num_frames - 1}",
                                trust_horizon_index=horizon, **common)
        reason = (f"estimated error {estimate.max():.2e} above tolerance {self.tolerance:.1e} within the budget "
                  f"({'rtol' if self.adaptive else 'steps per frame'} {common['setting']:g})")
        common["frames"] = np.full_like(common["frames"], np.nan)
        return OdeCertified(OVER_BUDGET, reason, **common)
