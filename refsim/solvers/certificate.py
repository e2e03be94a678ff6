"""What a certificate is made of: statuses, resolutions, budgets, results, and the error measures.

The refinement strategy that fills them in is :mod:`refsim.solvers.verification`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .grid import FourierGrid
from .semilinear import SemilinearTerms

ACCEPTED, NONFINITE, OVER_BUDGET, GATE_FAILED, INVARIANT_VIOLATED = 0, 1, 2, 3, 4
STATUS_MEANINGS = {
    ACCEPTED: "certified",
    NONFINITE: "non_finite",
    OVER_BUDGET: "tolerance_not_reached",
    GATE_FAILED: "sanity_gate_failed",
    INVARIANT_VIOLATED: "invariant_violated",
}

ROUNDING = {"float64": 2.0**-53, "float32": 2.0**-24}


@dataclass(frozen=True)
class Resolution:
    num_points: int
    steps_per_frame: int


@dataclass(frozen=True)
class Budget:
    max_points: int = 16384
    max_steps_per_frame: int = 1 << 20
    max_total_steps: int = 4_000_000
    max_refinements: int = 8
    max_grid_values: int = 1 << 20  # points per field of the internal grid: 1024^2 in 2D (memory), no limit in 1D
    max_memory_bytes: int | None = None  # peak memory of one batch's runs; None: unlimited


@dataclass(frozen=True)
class TrajectoryProblem:
    """One trajectory: its terms and initial condition as functions of the grid."""

    terms: Callable[[FourierGrid], SemilinearTerms]
    initial: Callable[[np.ndarray], np.ndarray]


@dataclass
class Certified:
    """The verified result of one trajectory."""

    status: int
    reason: str
    resolution: Resolution
    frames: np.ndarray  # (F, N_out) at the output points; NaN when rejected
    error_time: np.ndarray  # (F,)
    error_space: np.ndarray  # (F,)
    error_estimate: np.ndarray  # (F,)
    spectral_tail: np.ndarray  # (F,)
    observed_order: float = float("nan")
    trust_horizon_index: int = -1  # last trusted frame; -1 when rejected
    internal: np.ndarray | None = field(default=None, repr=False)  # (F, N) production frames
    space_twin: np.ndarray | None = field(default=None, repr=False)  # (F, 2N) the grid-doubled run
    verification: str = "refined"  # the scheme of SCHEMES that verified the stored resolution


def relative_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``max_x |a - b| / max_x |b|`` per frame (rows of the last axis)."""
    scale = np.abs(b).max(axis=-1)
    overall = scale.max(axis=-1, keepdims=True) if scale.ndim > 1 else scale.max()
    floor = np.where(overall > 0, overall * 1e-300, 1.0)
    return np.abs(a - b).max(axis=-1) / np.maximum(scale, floor)


def _flat(frames: np.ndarray) -> np.ndarray:
    """(B, T, *state) -> (B, T, P): the error measures run over the whole state of a frame."""
    return frames.reshape(frames.shape[0], frames.shape[1], -1)


def _band_energies(frames: np.ndarray, grid: FourierGrid, degree: int):
    """Spectral energy of each frame in the middle and top thirds of the modes the dealiasing keeps,
    in all of them (the mean excluded), and the energy a wave as large as the mean would have (so a
    tail can be measured against the whole field, as every error is). ``frames`` is (B, T, *state),
    the grid's spatial axes last; the mode index of a wavevector is its largest component in units of
    2 pi / L; all fields count."""
    n, dim = grid.num_points, grid.dimension
    if dim == 1 and frames.ndim == 3 and not np.iscomplexobj(frames):
        kept = int(grid.dealias_mask(max(degree, 2)).sum())
        spectrum = np.fft.rfft(frames, axis=-1)
        energy = np.abs(spectrum[..., 1:kept]) ** 2
        third = energy.shape[-1] // 3
        mean = np.abs(spectrum[..., 0]) ** 2 / 4  # |v_0| = N |m|; a cosine of amplitude |m| has |v_j| = N |m| / 2
        return (energy.sum(axis=-1), energy[..., third:2 * third].sum(axis=-1), energy[..., 2 * third:].sum(axis=-1),
                mean)
    axes = tuple(range(-dim, 0))
    power = np.abs(np.fft.fftn(frames, axes=axes)) ** 2
    j = np.abs(np.fft.fftfreq(n, 1.0 / n))
    index = j if dim == 1 else np.maximum(j[:, None], j[None, :])
    kept = (max(degree, 2) + 1) * index < n
    top_cut, mid_cut = np.max(index[kept]) * 2 / 3, np.max(index[kept]) / 3
    reduce = tuple(range(2, power.ndim))
    total = np.where(kept & (index > 0), power, 0.0).sum(axis=reduce)
    mid = np.where(kept & (index > mid_cut) & (index <= top_cut), power, 0.0).sum(axis=reduce)
    top = np.where(kept & (index > top_cut), power, 0.0).sum(axis=reduce)
    # a real cosine of amplitude |m| puts half of (N^d |m|)^2 at each of +-k; a complex wave all at one k
    mean = np.where(index == 0, power, 0.0).sum(axis=reduce) * (1.0 if np.iscomplexobj(frames) else 0.5)
    return total, mid, top, mean


def _fraction(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 0.0)


def spectral_tail(frames: np.ndarray, grid: FourierGrid, degree: int) -> np.ndarray:
    """Energy fraction in the top third of the modes the dealiasing keeps, per frame (B, T)."""
    total, _, top, _ = _band_energies(frames, grid, degree)
    return _fraction(top, total)


def unresolved_amplitude(frames: np.ndarray, grid: FourierGrid, degree: int) -> np.ndarray:
    """Relative amplitude expected just beyond the kept modes, per frame (B, T).

    The root of the top third's energy fraction, carried one more third further at the
    decay rate that the middle and top thirds show (``(E_top / E_mid)^(1/2)`` per third
    in amplitude, capped at 1: no decay at all means the grid resolves nothing). For a
    resolved spectrum it is far below the grid's truncation error; for a flat one it is
    the size of the tail itself. The fraction is of the whole field's energy, its mean
    included as a wave of the mean's size: a field that has relaxed to a nearly uniform
    state (reaction-diffusion) keeps a round-off tail that is tiny against the field,
    though not against its vanishing fluctuation.
    """
    total, mid, top, mean = _band_energies(frames, grid, degree)
    decay = np.minimum(_fraction(top, mid), 1.0) ** 0.5
    return np.sqrt(_fraction(top, total + mean)) * decay
