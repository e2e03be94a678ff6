"""Compiled stepping loops for spectral systems ``v' = L v + N(v)`` with any state layout.

The state of one trajectory is a flat complex vector ``v`` (length M): the Fourier
coefficients of all its fields, in whatever layout its equation chose (rfft of a
real 1D field, fft of a complex one, rfft2 of a 2D field, a diagonalising change of
variables of a wave system...). ``L`` is diagonal in that layout. ``N`` is a
first-class Numba function with the fixed signature :data:`NONLINEAR`::

    nonlinear(v, params, coef, dims, out)   # out[:] = N(v)

``params`` (float64) holds the trajectory's scalar parameters, ``coef`` (complex,
K x M) the equation's per-mode arrays (wavenumbers, dealiasing mask, forcing...),
``dims`` (int64) the grid shape. Because the function type is fixed, every kernel
here compiles once, is cached on disk, and serves every equation (the pattern of
``solvers/ode``). Trajectories of a batch are advanced one after another with
preallocated stage buffers, so a row's result never depends on the others.
Coefficient arrays have one row shared by the batch, or one row per trajectory.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

_C1 = types.complex128[::1]
_C2 = types.complex128[:, ::1]
_F1 = types.float64[::1]
_F2 = types.float64[:, ::1]
_I1 = types.int64[::1]
NONLINEAR = types.void(_C1, _F1, _C2, _I1, _C1)
NONLINEAR_FUNCTION = types.FunctionType(NONLINEAR)
_FRAMES = types.complex128[:, :, ::1]


@njit(_FRAMES(NONLINEAR_FUNCTION, _C2, _C2, _C2, _C2, _C2, _C2, _C2, _F2, _C2, _I1, types.int64, types.int64),
      cache=True, nogil=True)
def etdrk4_system(nonlinear, v0, e, e2, q, f1, f2, f3, params, coef, dims, steps_per_frame, num_frames):
    """Cox-Matthews ETDRK4; returns the spectral frames, shape (B, num_frames, M)."""
    batch, m = v0.shape
    out = np.empty((batch, num_frames, m), dtype=np.complex128)
    nv = np.empty(m, dtype=np.complex128)
    na, nb, nc = np.empty_like(nv), np.empty_like(nv), np.empty_like(nv)
    a, b, c = np.empty_like(nv), np.empty_like(nv), np.empty_like(nv)
    for i in range(batch):
        r = i if e.shape[0] > 1 else 0
        p = params[i if params.shape[0] > 1 else 0]
        v = v0[i].copy()
        out[i, 0] = v
        for frame in range(1, num_frames):
            for _ in range(steps_per_frame):
                nonlinear(v, p, coef, dims, nv)
                for j in range(m):
                    a[j] = e2[r, j] * v[j] + q[r, j] * nv[j]
                nonlinear(a, p, coef, dims, na)
                for j in range(m):
                    b[j] = e2[r, j] * v[j] + q[r, j] * na[j]
                nonlinear(b, p, coef, dims, nb)
                for j in range(m):
                    c[j] = e2[r, j] * a[j] + q[r, j] * (2.0 * nb[j] - nv[j])
                nonlinear(c, p, coef, dims, nc)
                for j in range(m):
                    v[j] = e[r, j] * v[j] + f1[r, j] * nv[j] + 2.0 * f2[r, j] * (na[j] + nb[j]) + f3[r, j] * nc[j]
            out[i, frame] = v
    return out


@njit(_FRAMES(NONLINEAR_FUNCTION, _C2, _C2, _C2, types.float64, _F2, _C2, _I1, types.int64, types.int64),
      cache=True, nogil=True)
def ifrk4_system(nonlinear, v0, e, e2, h, params, coef, dims, steps_per_frame, num_frames):
    """Integrating-factor classical RK4; returns the spectral frames, shape (B, num_frames, M)."""
    batch, m = v0.shape
    out = np.empty((batch, num_frames, m), dtype=np.complex128)
    k1 = np.empty(m, dtype=np.complex128)
    k2, k3, k4, w = np.empty_like(k1), np.empty_like(k1), np.empty_like(k1), np.empty_like(k1)
    for i in range(batch):
        r = i if e.shape[0] > 1 else 0
        p = params[i if params.shape[0] > 1 else 0]
        v = v0[i].copy()
        out[i, 0] = v
        for frame in range(1, num_frames):
            for _ in range(steps_per_frame):
                nonlinear(v, p, coef, dims, k1)
                for j in range(m):
                    w[j] = e2[r, j] * (v[j] + 0.5 * h * k1[j])
                nonlinear(w, p, coef, dims, k2)
                for j in range(m):
                    w[j] = e2[r, j] * v[j] + 0.5 * h * k2[j]
                nonlinear(w, p, coef, dims, k3)
                for j in range(m):
                    w[j] = e[r, j] * v[j] + h * e2[r, j] * k3[j]
                nonlinear(w, p, coef, dims, k4)
                for j in range(m):
                    v[j] = e[r, j] * v[j] + (h / 6.0) * (e[r, j] * k1[j] + 2.0 * e2[r, j] * (k2[j] + k3[j]) + k4[j])
            out[i, frame] = v
    return out
