"""Spectral systems: several fields, complex fields, two dimensions, on one compiled kernel.

A :class:`SystemTerms` is what an equation becomes on one grid: the diagonal
linear symbol in its own spectral layout, the compiled nonlinear term (see
``system_kernels.py`` for its signature), its per-mode coefficient arrays, and the
two maps between the physical state (shape ``state_shape``: ``(N,)``, ``(C, N)``,
``(N, N)``, ...) and the flat spectral vector of length M. The scalar real 1D
equations keep their batched kernel (``semilinear.py``); everything else comes here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .exponential import STEPPERS


@dataclass(frozen=True)
class SystemTerms:
    """One spectral system on one grid."""

    symbol: np.ndarray  # (M,) complex: L, diagonal in the layout of ``forward``
    nonlinear: Callable  # compiled with system_kernels.NONLINEAR
    params: np.ndarray  # (P,) float64
    coef: np.ndarray  # (K, M) complex
    dims: np.ndarray  # int64 grid shape for the nonlinear function
    state_shape: tuple[int, ...]
    forward: Callable[[np.ndarray], np.ndarray]  # (..., *state_shape) -> (..., M)
    inverse: Callable[[np.ndarray], np.ndarray]  # (..., M) -> (..., *state_shape)
    degree: int = 2  # polynomial degree of the nonlinearity (dealiasing; spectral tail)
    complex_valued: bool = False


def _rows(arrays: list[np.ndarray], dtype) -> np.ndarray:
    """Stack per-trajectory rows; one shared row when they are all equal."""
    stacked = np.ascontiguousarray(np.array(arrays, dtype=dtype))
    if all(np.array_equal(stacked[0], row) for row in stacked[1:]):
        return np.ascontiguousarray(stacked[:1])
    return stacked


def solve_system_frames(terms: list[SystemTerms], initial: np.ndarray, frame_interval: float, num_frames: int,
                        steps_per_frame: int, method: str = "etdrk4") -> np.ndarray:
    """Solve a batch of one spectral system; physical frames of shape (B, num_frames, *state_shape)."""
    first = terms[0]
    dtype = complex if first.complex_valued else float
    initial = np.asarray(initial, dtype=dtype)
    if initial.shape != (len(terms), *first.state_shape):
        raise ValueError(f"initial has shape {initial.shape}, expected {(len(terms), *first.state_shape)}")
    if any(t.nonlinear is not first.nonlinear or not np.array_equal(t.coef, first.coef) for t in terms[1:]):
        raise ValueError("a batch must share its nonlinear term and coefficient arrays (one equation, one grid)")
    stepper = STEPPERS[method]()
    symbol = _rows([t.symbol for t in terms], complex)
    params = _rows([t.params for t in terms], float)
    step = frame_interval / steps_per_frame
    v0 = np.ascontiguousarray(first.forward(initial), dtype=complex)
    coef = np.ascontiguousarray(first.coef, dtype=complex)
    dims = np.ascontiguousarray(first.dims, dtype=np.int64)
    spectral = stepper.run_system(first.nonlinear, v0, symbol, step, params, coef, dims, steps_per_frame,
                                  num_frames)
    frames = np.asarray(first.inverse(spectral), dtype=dtype)
    frames[:, 0] = initial  # the exact samples, not their transform round trip
    return frames
