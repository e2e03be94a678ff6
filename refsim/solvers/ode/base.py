"""The method interface, the result record and the input checks shared by all integrators."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit
from numba.core.registry import CPUDispatcher

REQUIRED_FUNCTIONS = {"field": ("field",), "separable": ("force", "velocity")}


@dataclass(frozen=True)
class OdeResult:
    """Frames and work counters of a batch of trajectories.

    Attributes
    ----------
    frames : ndarray, shape (B, num_frames, d)
        ``frames[:, 0] == y0`` exactly; frame ``j`` is the state at ``t = j * frame_interval``.
    steps : ndarray of int64, shape (B,)
        Accepted steps.
    rejected : ndarray of int64, shape (B,)
        Rejected steps (adaptive methods; 0 otherwise).
    residual : ndarray, shape (B,)
        Largest final Newton residual of any step (max-norm, absolute; 0 for explicit methods).
    evaluations : ndarray of int64, shape (B,)
        Calls of ``field`` (of ``force`` for the splitting methods), finite-difference
        Jacobians included.
    """

    frames: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray
    residual: np.ndarray
    evaluations: np.ndarray


class OdeMethod(ABC):
    """An integrator: its declared properties and ``solve``.

    Subclasses declare ``order``, ``kind`` ("fixed" | "adaptive"), ``requires``
    ("field" | "separable"), ``conserves`` (invariants preserved exactly, up to
    round-off) and ``symplectic``; ``solve`` checks ``requires`` before any compute.
    """

    kind: ClassVar[str]
    name: str
    order: int
    requires: str
    conserves: tuple[str, ...]
    symplectic: bool

    def check_functions(self, functions: dict) -> None:
        missing = [key for key in REQUIRED_FUNCTIONS[self.requires] if key not in functions]
        if missing:
            raise ValueError(f"method {self.name!r} requires a {self.requires} system: "
                             f"functions {missing} are missing (given: {sorted(functions)})")
        for key in REQUIRED_FUNCTIONS[self.requires]:
            if not isinstance(functions[key], CPUDispatcher):
                raise ValueError(f"functions[{key!r}] must be a Numba function compiled with "
                                 f"@njit(signatures.{'FIELD' if key == 'field' else 'HALF'}, cache=True)")

    @abstractmethod
    def solve(self, functions: dict, y0: np.ndarray, params: np.ndarray, frame_interval: float,
              num_frames: int, *, steps_per_frame: int | None = None, rtol: float | None = None,
              atol: float | None = None) -> OdeResult:
        """Integrate the batch ``y0`` (B, d) with parameters ``params`` (B, P)."""


def prepare(y0, params, frame_interval, num_frames, half_split: bool):
    """Checked C-contiguous float64 copies of the inputs and a frames buffer."""
    y0 = np.ascontiguousarray(y0, dtype=np.float64)
    params = np.ascontiguousarray(params, dtype=np.float64)
    if y0.ndim != 2 or params.ndim != 2 or params.shape[0] != y0.shape[0]:
        raise ValueError(f"y0 must be (B, d) and params (B, P); got {y0.shape} and {params.shape}")
    if half_split and y0.shape[1] % 2:
        raise ValueError(f"a separable system needs y = (q, p) of even length; got d = {y0.shape[1]}")
    if not (np.isfinite(frame_interval) and frame_interval > 0) or int(num_frames) < 1:
        raise ValueError(f"need frame_interval > 0 and num_frames >= 1; got {frame_interval}, {num_frames}")
    frames = np.empty((y0.shape[0], int(num_frames), y0.shape[1]))
    return y0, params, frames


def check_steps(steps_per_frame, rtol, atol, name: str) -> int:
    if steps_per_frame is None or int(steps_per_frame) < 1 or rtol is not None or atol is not None:
        raise ValueError(f"fixed-step method {name!r} takes steps_per_frame >= 1 and no rtol/atol")
    return int(steps_per_frame)


def counters(batch: int):
    return np.zeros(batch, np.int64), np.zeros(batch, np.int64), np.zeros(batch), np.zeros(batch, np.int64)


@njit(cache=True, nogil=True)
def compensated_add(x, carry, scale, v):
    """``x += scale * v`` with Kahan compensation: the carried low-order part keeps
    round-off from accumulating linearly over long runs (Brouwer's law)."""
    for k in range(x.shape[0]):
        increment = scale * v[k] + carry[k]
        updated = x[k] + increment
        carry[k] = (x[k] - updated) + increment
        x[k] = updated
