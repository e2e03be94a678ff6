"""Periodic Fourier grids.

A grid of ``num_points`` equispaced points on ``[origin, origin + domain_length)``;
the right endpoint is excluded because it is the same point as the left one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class FourierGrid:
    """Periodic 1D grid with the wavenumbers of a real FFT.

    Parameters
    ----------
    num_points : int
        Number of grid points N (even).
    domain_length : float
        Period L of the domain.
    origin : float
        Left end of the domain.
    """

    num_points: int
    domain_length: float
    origin: float = 0.0
    dimension = 1

    def __post_init__(self) -> None:
        if self.num_points < 4 or self.num_points % 2:
            raise ValueError(f"num_points must be even and >= 4, got {self.num_points}")
        if not self.domain_length > 0:
            raise ValueError(f"domain_length must be positive, got {self.domain_length}")

    @cached_property
    def x(self) -> np.ndarray:
        """Grid points ``origin + j L / N`` for j = 0..N-1."""
        return self.origin + self.domain_length * np.arange(self.num_points) / self.num_points

    @property
    def spacing(self) -> float:
        return self.domain_length / self.num_points

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one field on the grid."""
        return (self.num_points,)

    @property
    def size(self) -> int:
        return self.num_points

    @property
    def volume(self) -> float:
        return self.domain_length

    def resized(self, num_points: int) -> FourierGrid:
        """The same domain with ``num_points`` points per direction."""
        return type(self)(num_points, self.domain_length, self.origin)

    def sample(self, function) -> np.ndarray:
        """Values of ``function(x)`` at the grid points (real or complex; fields first if several)."""
        return np.asarray(function(self.x))

    def restrict(self, values: np.ndarray, factor: int) -> np.ndarray:
        """Values on the grid ``factor`` times coarser: every ``factor``-th point of each direction."""
        return values[..., ::factor]

    @property
    def num_modes(self) -> int:
        """Length of the real-FFT spectrum, N/2 + 1."""
        return self.num_points // 2 + 1

    @cached_property
    def k(self) -> np.ndarray:
        """Wavenumbers 2 pi j / L, j = 0..N/2 (the Nyquist mode included)."""
        return 2 * np.pi * np.arange(self.num_modes) / self.domain_length

    @cached_property
    def k_odd(self) -> np.ndarray:
        """Wavenumbers for odd derivatives: the Nyquist mode is zeroed.

        An odd derivative of the Nyquist mode of a real signal is not representable
        on the grid (it would be imaginary at every point), so it is set to zero.
        """
        k = self.k.copy()
        k[-1] = 0.0
        return k

    def dealias_mask(self, degree: int) -> np.ndarray:
        """Orszag's rule for a polynomial nonlinearity of the given degree.

        Keeps modes j with (degree + 1) j < N, which removes every alias that a
        product of ``degree`` band-limited factors can create (degree 2 is the
        2/3 rule, degree 3 the 1/2 rule). Degree 0 or 1 keeps all but Nyquist.
        """
        j = np.arange(self.num_modes)
        if degree <= 1:
            return (j < self.num_points // 2).astype(float)
        return ((degree + 1) * j < self.num_points).astype(float)

    def refined(self, factor: int) -> FourierGrid:
        return self.resized(self.num_points * factor)

    def derivative(self, u: np.ndarray, order: int = 1) -> np.ndarray:
        """Spectral derivative of real samples ``u`` along the last axis."""
        k = self.k_odd if order % 2 else self.k
        u_hat = np.fft.rfft(u, axis=-1)
        return np.fft.irfft(u_hat * (1j * k) ** order, self.num_points, axis=-1)

    def integrate(self, f: np.ndarray) -> np.ndarray:
        """Integral over one period (trapezoidal rule, spectrally accurate)."""
        return f.mean(axis=-1) * self.domain_length

    def interpolate_from(self, values: np.ndarray) -> np.ndarray:
        """Trigonometric interpolation of samples on a coarser grid onto this grid.

        ``values`` has ``n`` points on the same domain with ``self.num_points``
        a multiple of ``n``. The interpolant's Nyquist mode is split evenly
        between +/- N/2 so that the result is real and reproduces the samples.
        """
        n = values.shape[-1]
        if self.num_points % n:
            raise ValueError(f"cannot interpolate {n} points onto {self.num_points}")
        if n == self.num_points:
            return np.array(values, dtype=float)
        v_hat = np.fft.rfft(values, axis=-1)
        if n % 2 == 0:
            v_hat[..., -1] *= 0.5
        out = np.zeros(values.shape[:-1] + (self.num_modes,), dtype=complex)
        out[..., : v_hat.shape[-1]] = v_hat
        return np.fft.irfft(out, self.num_points, axis=-1) * (self.num_points / n)
