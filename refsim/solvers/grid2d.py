"""Periodic square grids in two dimensions, with the same interface as :class:`FourierGrid`.

Fields are arrays of shape ``(N, N)`` indexed ``[iy, ix]`` (y first, as images and
xarray's ``(y, x)`` dims); their real-FFT spectra ``rfft2`` have shape ``(N, N/2+1)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .grid import FourierGrid


@dataclass(frozen=True)
class FourierGrid2D(FourierGrid):
    """``num_points`` x ``num_points`` equispaced points on ``[origin, origin + domain_length)^2``."""

    dimension = 2

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.num_points, self.num_points)

    @property
    def size(self) -> int:
        return self.num_points**2

    @property
    def volume(self) -> float:
        return self.domain_length**2

    @property
    def y(self) -> np.ndarray:
        return self.x

    @property
    def spectral_shape(self) -> tuple[int, int]:
        return (self.num_points, self.num_modes)

    @cached_property
    def wavevectors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(kx, ky)`` on the rfft2 layout, each of shape (N, N/2+1), Nyquist modes included."""
        n = self.num_points
        ky = 2 * np.pi * np.fft.fftfreq(n, self.domain_length / n)
        return np.broadcast_to(self.k[None, :], self.spectral_shape), np.broadcast_to(ky[:, None], self.spectral_shape)

    @cached_property
    def wavevectors_odd(self) -> tuple[np.ndarray, np.ndarray]:
        """``(kx, ky)`` for odd derivatives: the Nyquist row and column are zeroed."""
        kx, ky = (np.array(k) for k in self.wavevectors)
        n = self.num_points
        kx[:, -1] = 0.0
        ky[n // 2, :] = 0.0
        return kx, ky

    def dealias_mask(self, degree: int) -> np.ndarray:
        """Orszag's rule per direction (the 2/3 rule for degree 2), on the rfft2 layout."""
        n = self.num_points
        jx = np.arange(self.num_modes)[None, :]
        jy = np.abs(np.fft.fftfreq(n, 1.0 / n))[:, None]
        if degree <= 1:
            keep = (jx < n // 2) & (jy < n // 2)
        else:
            keep = ((degree + 1) * jx < n) & ((degree + 1) * jy < n)
        return keep.astype(float)

    def sample(self, function) -> np.ndarray:
        """Values of ``function(x, y)`` with ``x`` of shape (1, N) and ``y`` of shape (N, 1)."""
        value = function(self.x[None, :], self.y[:, None])
        return np.asarray(np.broadcast_to(value, np.shape(value)[:-2] + self.shape), dtype=float)

    def restrict(self, values: np.ndarray, factor: int) -> np.ndarray:
        return values[..., ::factor, ::factor]

    def derivative(self, u: np.ndarray, order: int = 1, axis: str = "x") -> np.ndarray:
        """Spectral derivative along ``x`` or ``y`` of real fields (last two axes)."""
        kx, ky = self.wavevectors_odd if order % 2 else self.wavevectors
        k = kx if axis == "x" else ky
        u_hat = np.fft.rfft2(u)
        return np.fft.irfft2(u_hat * (1j * k) ** order, self.shape)

    def integrate(self, f: np.ndarray) -> np.ndarray:
        """Integral over the periodic square (spectrally accurate)."""
        return f.mean(axis=(-2, -1)) * self.volume

    def interpolate_from(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError("2D grid samples are not interpolated; give the initial condition as a function")
