"""Initial conditions for equations with several fields or two dimensions.

The random families of ``initial_conditions.py`` draw one independent function per
field of the equation (:class:`Stacked`), and on 2D equations a 2D series
(:class:`FourierSeries2D`); scalar 1D equations draw exactly as before.
"""

from __future__ import annotations

import numpy as np

from .initial_conditions import InitialCondition


class FourierSeries2D(InitialCondition):
    """``offset + Re sum c_{jx,jy} exp(i (kx (x - x0) + ky (y - x0)))`` on a periodic square."""

    def __init__(self, modes: np.ndarray, coefficients: np.ndarray, length: float, origin: float, offset=0.0):
        self.modes = np.asarray(modes, dtype=float)  # (K, 2): (jx, jy)
        self.coefficients = np.asarray(coefficients, dtype=complex)
        self.length, self.origin, self.offset = length, origin, offset

    def __call__(self, x, y):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.ndim == 2 and y.ndim == 2:
            if x.shape[0] == 1 and y.shape[1] == 1:  # x along columns, y along rows (Grid2D.sample)
                return self._grid(x[0], y[:, 0])
            if x.shape[1] == 1 and y.shape[0] == 1:  # x along rows, y along columns
                return self._grid(y[0], x[:, 0], transpose=True)
        x, y = np.broadcast_arrays(x, y)
        k = 2 * np.pi * self.modes / self.length
        phase = np.multiply.outer(x - self.origin, k[:, 0]) + np.multiply.outer(y - self.origin, k[:, 1])
        return self.offset + (np.exp(1j * phase) @ self.coefficients).real

    def _grid(self, columns, rows, transpose=False):
        """The series on the tensor grid ``rows x columns`` without the (N, N, K) phase tensor: with
        ``exp(i (kx x + ky y)) = exp(i kx x) exp(i ky y)`` it is ``Re(E_rows C E_columns^T)``, where
        ``E = exp(i k t)`` over the distinct wavenumbers of each direction and ``C`` holds the
        coefficients by (row mode, column mode). ``transpose``: x runs along the rows."""
        jc, jr = (self.modes[:, 0], self.modes[:, 1]) if not transpose else (self.modes[:, 1], self.modes[:, 0])
        uc, ic = np.unique(jc, return_inverse=True)
        ur, ir = np.unique(jr, return_inverse=True)
        c = np.zeros((ur.size, uc.size), dtype=complex)
        np.add.at(c, (ir, ic), self.coefficients)
        scale = 2 * np.pi / self.length
        e_columns = np.exp(1j * np.multiply.outer(columns - self.origin, scale * uc))
        e_rows = np.exp(1j * np.multiply.outer(rows - self.origin, scale * ur))
        return self.offset + ((e_rows @ c) @ e_columns.T).real

    def describe(self):
        return {"modes": int(self.modes.shape[0])}


def random_series_2d(rng, max_mode: int, spectrum, amplitude: float, length: float, origin: float,
                     offset: float = 0.0) -> FourierSeries2D:
    """Independent complex normal coefficients on the half plane of modes ``0 < max(|jx|, |jy|) <= max_mode``,
    with standard deviation ``spectrum(|k|)``, scaled to root-mean-square ``amplitude``."""
    j = np.arange(-max_mode, max_mode + 1)
    jx, jy = (a.ravel() for a in np.meshgrid(j, j))
    half = (jy > 0) | ((jy == 0) & (jx > 0))  # one of each +-k pair: the field is real
    modes = np.stack([jx[half], jy[half]], axis=1)
    k = 2 * np.pi * np.hypot(modes[:, 0], modes[:, 1]) / length
    std = spectrum(k)
    c = (rng.standard_normal(len(modes)) + 1j * rng.standard_normal(len(modes))) * std
    rms = np.sqrt(0.5 * np.sum(np.abs(c) ** 2))
    return FourierSeries2D(modes, c * amplitude / rms, length, origin, offset)


class Stacked(InitialCondition):
    """One initial condition per field, evaluated together: shape (fields, *grid)."""

    def __init__(self, parts: list[InitialCondition]):
        self.parts = list(parts)

    def __call__(self, *coordinates):
        return np.stack([np.broadcast_to(p(*coordinates), np.broadcast_shapes(*(np.shape(c) for c in coordinates)))
                         for p in self.parts])

    def describe(self):
        return {"fields": [p.describe() for p in self.parts]}


def per_field(equation, draw) -> InitialCondition:
    """``draw()`` once per field of ``equation``: a single IC for one field, else :class:`Stacked`."""
    fields = getattr(equation, "fields", ("u",))
    if len(fields) == 1:
        return draw()
    return Stacked([draw() for _ in fields])
