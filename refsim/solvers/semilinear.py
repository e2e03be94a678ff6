"""Semilinear problems ``u_t = L u + N(u)`` on a periodic Fourier grid, and their solution.

``L`` is diagonal in Fourier space (its symbol, complex in general) and
``N(u) = m(k) * F[c1 u + c2 u^2 + c3 u^3]`` with ``m`` a Fourier multiplier that
carries the derivative of the nonlinear term (``-i k alpha / 2`` for
``-alpha u u_x``) and the dealiasing mask of Orszag's rule for the polynomial's
degree. Equations build these terms for any grid, so one trajectory can be solved
at several resolutions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exponential import STEPPERS
from .grid import FourierGrid
from .spectral_system import SystemTerms, solve_system_frames


@dataclass(frozen=True)
class SemilinearTerms:
    """The linear symbol, nonlinear multiplier and polynomial of one problem on one grid."""

    symbol: np.ndarray
    multiplier: np.ndarray
    poly: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def degree(self) -> int:
        return max((d + 1 for d, c in enumerate(self.poly) if c != 0.0), default=0)


def stack_terms(terms: list[SemilinearTerms]) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Batch arrays for the kernels; shared rows are kept as one row."""
    symbol = np.array([t.symbol for t in terms], dtype=complex)
    multiplier = np.array([t.multiplier for t in terms], dtype=complex)
    poly = np.array([t.poly for t in terms], dtype=float)
    if all(np.array_equal(symbol[0], s) for s in symbol[1:]):
        symbol = symbol[:1]
    if all(np.array_equal(multiplier[0], s) for s in multiplier[1:]):
        multiplier = multiplier[:1]
    if (poly == poly[0]).all():
        poly = poly[:1]
    coeffs = tuple(np.ascontiguousarray(poly[:, j : j + 1]) for j in range(3))
    return symbol, multiplier, coeffs


def solve_frames(
    grid: FourierGrid,
    terms: list[SemilinearTerms] | list[SystemTerms],
    initial: np.ndarray,
    frame_interval: float,
    num_frames: int,
    steps_per_frame: int,
    method: str = "etdrk4",
) -> np.ndarray:
    """Solve a batch and return physical frames of shape (B, num_frames, N).

    The step is ``frame_interval / steps_per_frame`` so every frame lies exactly on
    the solver's clock. Spectral systems (:class:`SystemTerms`: several or complex
    fields, 2D grids) return shape (B, num_frames, *state_shape).
    """
    if terms and isinstance(terms[0], SystemTerms):
        return solve_system_frames(terms, initial, frame_interval, num_frames, steps_per_frame, method)
    initial = np.atleast_2d(np.asarray(initial, dtype=float))
    if initial.shape != (len(terms), grid.num_points):
        raise ValueError(f"initial has shape {initial.shape}, expected {(len(terms), grid.num_points)}")
    stepper = STEPPERS[method]()
    symbol, multiplier, poly = stack_terms(terms)
    step = frame_interval / steps_per_frame
    v0 = np.fft.rfft(initial, axis=-1)
    frames = stepper.run(v0, grid.num_points, symbol, step, multiplier, poly, steps_per_frame, num_frames)
    frames[:, 0, :] = initial  # the exact samples, not their FFT round trip
    return frames


def time_derivative(grid: FourierGrid, terms: SemilinearTerms | SystemTerms, frames: np.ndarray) -> np.ndarray:
    """``u_t = L u + N(u)`` at each frame of ``frames`` (F, *state), evaluated spectrally on ``grid``,
    the grid the frames live on: the equation's own right-hand side, not a difference of frames."""
    if isinstance(terms, SystemTerms):
        v = np.ascontiguousarray(terms.forward(np.asarray(frames)), dtype=complex)
        rhs = np.empty_like(v)
        for i in range(v.shape[0]):
            terms.nonlinear(v[i], np.ascontiguousarray(terms.params, dtype=float),
                            np.ascontiguousarray(terms.coef, dtype=complex), np.ascontiguousarray(terms.dims), rhs[i])
            rhs[i] += terms.symbol * v[i]
        return np.asarray(terms.inverse(rhs))
    u = np.asarray(frames, dtype=float)
    c1, c2, c3 = terms.poly
    nonlinear = terms.multiplier * np.fft.rfft(c1 * u + c2 * u**2 + c3 * u**3, axis=-1)
    return np.fft.irfft(terms.symbol * np.fft.rfft(u, axis=-1) + nonlinear, grid.num_points, axis=-1)
