"""Compiled building blocks of the simplified Newton iterations of the implicit methods.

The Jacobian is only a preconditioner here: it decides how fast the iteration
converges, never the converged value, so central finite differences suffice.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = np.finfo(np.float64).eps
MAX_ITERATIONS = 40


@njit(cache=True, nogil=True)
def jacobian(field, y, params, out, work, plus, minus):
    """Central-difference Jacobian ``out[:, k] = (f(y + d e_k) - f(y - d e_k)) / 2d``
    with ``d = eps^(1/3) max(1, |y_k|)``, the step that balances truncation and
    cancellation. Uses ``2 len(y)`` field evaluations."""
    n = y.shape[0]
    for k in range(n):
        delta = EPS ** (1.0 / 3.0) * max(1.0, abs(y[k]))
        work[:] = y
        work[k] = y[k] + delta
        up = work[k] - y[k]
        field(work, params, plus)
        work[k] = y[k] - delta
        down = y[k] - work[k]
        field(work, params, minus)
        for r in range(n):
            out[r, k] = (plus[r] - minus[r]) / (up + down)


@njit(cache=True, nogil=True)
def lu_factor(m, pivots):
    """In-place LU factorisation with partial pivoting (``m`` becomes L\\U)."""
    n = m.shape[0]
    for k in range(n):
        best = k
        for r in range(k + 1, n):
            if abs(m[r, k]) > abs(m[best, k]):
                best = r
        pivots[k] = best
        if best != k:
            for c in range(n):
                m[k, c], m[best, c] = m[best, c], m[k, c]
        if m[k, k] == 0.0:
            continue
        for r in range(k + 1, n):
            m[r, k] /= m[k, k]
            factor = m[r, k]
            for c in range(k + 1, n):
                m[r, c] -= factor * m[k, c]


@njit(cache=True, nogil=True)
def lu_solve(m, pivots, rhs):
    """Solve ``M x = rhs`` in place from the factors of ``lu_factor``."""
    n = m.shape[0]
    for k in range(n):
        p = pivots[k]
        if p != k:
            rhs[k], rhs[p] = rhs[p], rhs[k]
    for r in range(1, n):
        for c in range(r):
            rhs[r] -= m[r, c] * rhs[c]
    for r in range(n - 1, -1, -1):
        for c in range(r + 1, n):
            rhs[r] -= m[r, c] * rhs[c]
        rhs[r] /= m[r, r]


@njit(cache=True, nogil=True)
def max_abs(v):
    largest = 0.0
    for k in range(v.shape[0]):
        largest = max(largest, abs(v[k]))
    return largest
