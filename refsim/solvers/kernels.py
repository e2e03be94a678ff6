"""Compiled stepping loops (Numba + rocket-fft) for ``v' = L v + N(v)`` in Fourier space.

The state is the batch of real-FFT coefficients ``v`` of shape (B, N/2+1). The
nonlinear term is ``N(v) = m * rfft(c1 u + c2 u^2 + c3 u^3)`` with ``u = irfft(v)``
and ``m`` a multiplier that already contains the derivative (e.g. ``-i k / 2``)
and the dealiasing mask. Coefficient arrays have shape (1, N/2+1) when shared by
the batch or (B, N/2+1) when every trajectory has its own parameters; ``c1..c3``
have shape (1, 1) or (B, 1). Whole time loops run compiled; the physical frames
are returned. All arithmetic is float64 / complex128.

The loops allocate nothing per step: every stage lives in a buffer made once, the
FFTs write into buffers (``out=``), and each stage combination is one fused pass
over the modes. The arithmetic of every element is exactly that of the NumPy
expressions written in the comments, in the same order, so the results are the
same to the bit as evaluating those expressions array by array.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def nonlinear_into(v, n, m, c1, c2, c3, u, out):
    """``out = m * rfft(p(irfft(v)))`` with ``p(u) = u (c1 + u (c2 + c3 u))``; ``u`` is (B, n) scratch."""
    np.fft.irfft(v, n, -1, None, u)
    batch, points = u.shape
    r1, r2, r3 = c1.shape[0] > 1, c2.shape[0] > 1, c3.shape[0] > 1
    for i in range(batch):
        a1, a2, a3 = c1[i if r1 else 0, 0], c2[i if r2 else 0, 0], c3[i if r3 else 0, 0]
        for j in range(points):
            x = u[i, j]
            u[i, j] = x * (a1 + x * (a2 + a3 * x))
    np.fft.rfft(u, n, -1, None, out)
    rm = m.shape[0] > 1
    for i in range(batch):
        row = i if rm else 0
        for j in range(out.shape[1]):
            out[i, j] = out[i, j] * m[row, j]


@njit(cache=True, nogil=True)
def etdrk4_frames(v0, n, e, e2, q, f1, f2, f3, m, c1, c2, c3, steps_per_frame, num_frames):
    batch, modes = v0.shape
    out = np.empty((batch, num_frames, n))
    v = v0.copy()
    nv, na, nb, nc = np.empty_like(v), np.empty_like(v), np.empty_like(v), np.empty_like(v)
    a, b, c = np.empty_like(v), np.empty_like(v), np.empty_like(v)
    u = np.empty((batch, n))
    out[:, 0, :] = np.fft.irfft(v, n, -1)
    linear_only = not (np.any(c1 != 0.0) or np.any(c2 != 0.0) or np.any(c3 != 0.0))
    shared = e.shape[0] == 1
    for frame in range(1, num_frames):
        for _ in range(steps_per_frame):
            if linear_only:
                for i in range(batch):
                    r = 0 if shared else i
                    for j in range(modes):
                        v[i, j] = e[r, j] * v[i, j]
                continue
            nonlinear_into(v, n, m, c1, c2, c3, u, nv)
            for i in range(batch):  # a = e2 * v + q * nv
                r = 0 if shared else i
                for j in range(modes):
                    a[i, j] = e2[r, j] * v[i, j] + q[r, j] * nv[i, j]
            nonlinear_into(a, n, m, c1, c2, c3, u, na)
            for i in range(batch):  # b = e2 * v + q * na
                r = 0 if shared else i
                for j in range(modes):
                    b[i, j] = e2[r, j] * v[i, j] + q[r, j] * na[i, j]
            nonlinear_into(b, n, m, c1, c2, c3, u, nb)
            for i in range(batch):  # c = e2 * a + q * (2.0 * nb - nv)
                r = 0 if shared else i
                for j in range(modes):
                    c[i, j] = e2[r, j] * a[i, j] + q[r, j] * (2.0 * nb[i, j] - nv[i, j])
            nonlinear_into(c, n, m, c1, c2, c3, u, nc)
            for i in range(batch):  # v = e * v + f1 * nv + 2.0 * f2 * (na + nb) + f3 * nc
                r = 0 if shared else i
                for j in range(modes):
                    v[i, j] = (e[r, j] * v[i, j] + f1[r, j] * nv[i, j] + 2.0 * f2[r, j] * (na[i, j] + nb[i, j])
                               + f3[r, j] * nc[i, j])
        np.fft.irfft(v, n, -1, None, u)
        out[:, frame, :] = u
    return out


@njit(cache=True, nogil=True)
def ifrk4_frames(v0, n, e, e2, h, m, c1, c2, c3, steps_per_frame, num_frames):
    batch, modes = v0.shape
    out = np.empty((batch, num_frames, n))
    v = v0.copy()
    k1, k2, k3, k4 = np.empty_like(v), np.empty_like(v), np.empty_like(v), np.empty_like(v)
    w = np.empty_like(v)
    u = np.empty((batch, n))
    out[:, 0, :] = np.fft.irfft(v, n, -1)
    shared = e.shape[0] == 1
    half, sixth = 0.5 * h, h / 6.0
    for frame in range(1, num_frames):
        for _ in range(steps_per_frame):
            nonlinear_into(v, n, m, c1, c2, c3, u, k1)
            for i in range(batch):  # w = e2 * (v + 0.5 * h * k1)
                r = 0 if shared else i
                for j in range(modes):
                    w[i, j] = e2[r, j] * (v[i, j] + half * k1[i, j])
            nonlinear_into(w, n, m, c1, c2, c3, u, k2)
            for i in range(batch):  # w = e2 * v + 0.5 * h * k2
                r = 0 if shared else i
                for j in range(modes):
                    w[i, j] = e2[r, j] * v[i, j] + half * k2[i, j]
            nonlinear_into(w, n, m, c1, c2, c3, u, k3)
            for i in range(batch):  # w = e * v + h * e2 * k3
                r = 0 if shared else i
                for j in range(modes):
                    w[i, j] = e[r, j] * v[i, j] + h * e2[r, j] * k3[i, j]
            nonlinear_into(w, n, m, c1, c2, c3, u, k4)
            for i in range(batch):  # v = e * v + (h / 6.0) * (e * k1 + 2.0 * e2 * (k2 + k3) + k4)
                r = 0 if shared else i
                for j in range(modes):
                    v[i, j] = e[r, j] * v[i, j] + sixth * (e[r, j] * k1[i, j] + 2.0 * e2[r, j] * (k2[i, j] + k3[i, j])
                                                           + k4[i, j])
        np.fft.irfft(v, n, -1, None, u)
        out[:, frame, :] = u
    return out
