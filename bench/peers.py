"""The peer: scipy's ``solve_ivp(method="DOP853")`` on refsim's own semi-discretisation.

Method of lines in Fourier space, the same right-hand side that refsim's ETDRK4
kernel integrates (``refsim/solvers/kernels.py``)::

    dv/dt = symbol * v + multiplier * rfft(c1 u + c2 u^2 + c3 u^3),   u = irfft(v)

with ``v`` the real-FFT coefficients (N/2 + 1 complex numbers per trajectory),
``symbol``/``multiplier``/``poly`` taken unchanged from ``Equation.terms(grid)``
(so the dealiasing mask, the zeroed Nyquist derivative and the linear operator
are bit-for-bit those of refsim). ``solve_ivp`` needs a real state, so the
complex coefficients are integrated as their interleaved real and imaginary
parts (a zero-copy ``.view(float)``). The RHS is plain NumPy (pocketfft), two
FFTs per evaluation, like refsim's ``nonlinear`` kernel; everything is float64.

Tolerances: ``rtol`` as given and ``atol = rtol * max_j |v_j(0)|``, the largest
real-FFT coefficient of the initial data (over the whole batch when the batch
is stacked, per trajectory when the trajectories are run one after another).
That is the Fourier-space analogue of ``atol = rtol * max|u|``: an absolute
error allowance in every coefficient scaled to the dominant mode, so the tiny
high modes do not force a pure relative test.

Batch layouts:

* ``stacked`` (default): the B trajectories form one system of B (N/2 + 1)
  complex unknowns, one ``solve_ivp`` call, vectorised FFTs over the batch. The
  step size is shared and the error norm is the RMS over all trajectories.
  This is the faster layout for scipy (the per-step Python overhead of
  ``solve_ivp`` is paid once for the whole batch).
* ``sequential``: one ``solve_ivp`` call per trajectory, as the API intends;
  each trajectory gets its own step sizes. Several times slower here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from refsim.solvers.grid import FourierGrid
from refsim.solvers.semilinear import SemilinearTerms

LAYOUTS = ("stacked", "sequential")


@dataclass
class PeerResult:
    final: np.ndarray  # (B, N) physical values at the end time
    nfev: int  # RHS evaluations (each on the whole stacked batch, or summed over trajectories)
    success: bool
    message: str


def fourier_rhs(grid: FourierGrid, terms: SemilinearTerms, batch: int):
    """``f(t, y)`` for ``solve_ivp``: y is the float view of (batch, N/2+1) rfft coefficients."""
    n = grid.num_points
    symbol = np.asarray(terms.symbol, dtype=complex)
    multiplier = np.asarray(terms.multiplier, dtype=complex)
    c1, c2, c3 = (float(c) for c in terms.poly)
    shape = (batch, grid.num_modes)

    def rhs(t, y):
        v = y.view(complex).reshape(shape)
        u = np.fft.irfft(v, n, axis=-1)
        w = symbol * v + multiplier * np.fft.rfft(u * (c1 + u * (c2 + c3 * u)), axis=-1)
        return w.view(float).ravel()

    return rhs


def dop853(
    grid: FourierGrid,
    terms: SemilinearTerms,
    initial: np.ndarray,
    end_time: float,
    rtol: float,
    layout: str = "stacked",
) -> PeerResult:
    """Integrate the batch ``initial`` (B, N) to ``end_time`` with DOP853; return the final values."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    initial = np.atleast_2d(np.asarray(initial, dtype=float))
    coeffs = np.fft.rfft(initial, axis=-1)  # complex128, C-contiguous
    groups = [coeffs] if layout == "stacked" else [coeffs[b : b + 1] for b in range(coeffs.shape[0])]
    finals, nfev, ok, messages = [], 0, True, set()
    for group in groups:
        rhs = fourier_rhs(grid, terms, group.shape[0])
        y0 = np.ascontiguousarray(group).view(float).ravel().copy()
        atol = rtol * float(np.abs(group).max())
        # t_eval=[T]: keep only the end point (DOP853's dense output reproduces the last step there)
        sol = solve_ivp(rhs, (0.0, end_time), y0, method="DOP853", rtol=rtol, atol=atol, t_eval=[end_time])
        nfev += int(sol.nfev)
        ok &= bool(sol.success)
        messages.add(str(sol.message))
        if sol.y.shape[1] == 0:  # failed before the end time: no end point to compare
            finals.append(np.full((group.shape[0], grid.num_points), np.nan))
            continue
        v_end = np.ascontiguousarray(sol.y[:, -1]).view(complex).reshape(group.shape)
        finals.append(np.fft.irfft(v_end, grid.num_points, axis=-1))
    return PeerResult(np.concatenate(finals, axis=0), nfev, ok, "; ".join(sorted(messages)))
