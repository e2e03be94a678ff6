"""Compiled stepping loops (Numba + rocket-fft) for ``v' = L v + N(v)`` in Fourier space.

The state is the batch of real-FFT coefficients ``v`` of shape (B, N/2+1). The
nonlinear term is ``N(v) = m * rfft(c1 u + c2 u^2 + c3 u^3)`` with ``u = irfft(v)``
and ``m`` a multiplier that already contains the derivative (e.g. ``-i k / 2``)
and the dealiasing mask. Coefficient arrays have shape (1, N/2+1) when shared by
the batch or (B, N/2+1) when every trajectory has its own parameters; ``c1..c3``
have shape (1, 1) or (B, 1). Whole time loops run compiled; the physical frames
are returned. All arithmetic is float64 / complex128.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def nonlinear(v, n, m, c1, c2, c3):
    u = np.fft.irfft(v, n, -1)
    p = u * (c1 + u * (c2 + c3 * u))
    w = np.fft.rfft(p, n, -1)
    return w * m


@njit(cache=True)
def etdrk4_frames(v0, n, e, e2, q, f1, f2, f3, m, c1, c2, c3, steps_per_frame, num_frames):
    batch = v0.shape[0]
    out = np.empty((batch, num_frames, n))
    v = v0.copy()
    out[:, 0, :] = np.fft.irfft(v, n, -1)
    linear_only = not (np.any(c1 != 0.0) or np.any(c2 != 0.0) or np.any(c3 != 0.0))
    for frame in range(1, num_frames):
        for _ in range(steps_per_frame):
            if linear_only:
                v = e * v
                continue
            nv = nonlinear(v, n, m, c1, c2, c3)
            a = e2 * v + q * nv
            na = nonlinear(a, n, m, c1, c2, c3)
            b = e2 * v + q * na
            nb = nonlinear(b, n, m, c1, c2, c3)
            c = e2 * a + q * (2.0 * nb - nv)
            nc = nonlinear(c, n, m, c1, c2, c3)
            v = e * v + f1 * nv + 2.0 * f2 * (na + nb) + f3 * nc
        out[:, frame, :] = np.fft.irfft(v, n, -1)
    return out


@njit(cache=True)
def ifrk4_frames(v0, n, e, e2, h, m, c1, c2, c3, steps_per_frame, num_frames):
    batch = v0.shape[0]
    out = np.empty((batch, num_frames, n))
    v = v0.copy()
    out[:, 0, :] = np.fft.irfft(v, n, -1)
    for frame in range(1, num_frames):
        for _ in range(steps_per_frame):
            k1 = nonlinear(v, n, m, c1, c2, c3)
            k2 = nonlinear(e2 * (v + 0.5 * h * k1), n, m, c1, c2, c3)
            k3 = nonlinear(e2 * v + 0.5 * h * k2, n, m, c1, c2, c3)
            k4 = nonlinear(e * v + h * e2 * k3, n, m, c1, c2, c3)
            v = e * v + (h / 6.0) * (e * k1 + 2.0 * e2 * (k2 + k3) + k4)
        out[:, frame, :] = np.fft.irfft(v, n, -1)
    return out
