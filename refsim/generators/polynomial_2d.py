"""Scalar 2D equations ``u_t = L u + m(k) F[g u^2 + c u^3]``: one compiled nonlinear term for all of them.

Allen-Cahn, Cahn-Hilliard and Swift-Hohenberg in two dimensions differ only in
their linear symbol ``L(|k|^2)``, the multiplier ``m`` (1, or ``-|k|^2`` for a
conserved gradient flow) and the polynomial; each is one small file that
subclasses :class:`PolynomialEquation2D`. The polynomial is dealiased by Orszag's
rule for cubic terms in each direction (modes with ``4 |j| < N`` kept).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numba import njit

from ..solvers.spectral_system import SystemTerms
from ..solvers.system_kernels import NONLINEAR
from .spectral_base import SpectralEquation, real_fields_layout


@njit(NONLINEAR, cache=True)
def _polynomial(v, params, coef, dims, out):
    """``out = coef[0] * rfft2(params[0] u^2 + params[1] u^3)`` with ``u = irfft2(v)``."""
    n = dims[0]
    u = np.fft.irfft2(v.reshape((n, n // 2 + 1)), (n, n))
    p = np.fft.rfft2(u * u * (params[0] + params[1] * u)).ravel()
    for j in range(v.size):
        out[j] = coef[0, j] * p[j]


def laplacian_symbol(grid) -> np.ndarray:
    """``-|k|^2`` on the rfft2 layout (Nyquist modes kept: even derivatives)."""
    kx, ky = grid.wavevectors
    return -(kx**2 + ky**2)


def gradient_squared(u: np.ndarray, grid) -> np.ndarray:
    """``|grad u|^2`` of fields ``u`` (..., N, N), spectrally."""
    return grid.derivative(u, 1, "x") ** 2 + grid.derivative(u, 1, "y") ** 2


def laplacian(u: np.ndarray, grid) -> np.ndarray:
    return grid.derivative(u, 2, "x") + grid.derivative(u, 2, "y")


class PolynomialEquation2D(SpectralEquation):
    """A real scalar field on a periodic square with a quadratic-plus-cubic local nonlinearity."""

    dimension = 2
    conserved_form: ClassVar[bool] = False  # m = -|k|^2 (Cahn-Hilliard) instead of 1

    def symbol(self, k2: np.ndarray) -> np.ndarray:
        """Linear symbol as a function of ``|k|^2``."""
        raise NotImplementedError

    def polynomial(self) -> tuple[float, float]:
        """Coefficients ``(g, c)`` of ``g u^2 + c u^3``."""
        raise NotImplementedError

    def terms(self, grid):
        k2 = -laplacian_symbol(grid)
        multiplier = -k2 if self.conserved_form else np.ones_like(k2)
        coef = (multiplier * grid.dealias_mask(3)).ravel().astype(complex)[None]
        forward, inverse = real_fields_layout(grid, 1)
        return SystemTerms(self.symbol(k2).ravel().astype(complex), _polynomial, np.array(self.polynomial()),
                           coef, np.array([grid.num_points], dtype=np.int64), grid.shape, forward, inverse,
                           degree=3)
