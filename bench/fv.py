"""A second-order finite-volume solver of the kind PDEBench's 1D data come from (the ``pdebench`` case's peer).

Periodic cells of width dx; values are cell averages, initialised (as PDEBench does) with point values at
the cell centres. The semi-discretisation of ``u_t + f(u)_x = nu u_xx + rho u (1 - u)``:

* MUSCL reconstruction with the monotonised-central (MC) limiter, slope
  ``minmod(2 D-, (D- + D+)/2, 2 D+)``, face values ``u_i +- slope_i / 2``;
* Rusanov (local Lax-Friedrichs) flux ``(f(uL) + f(uR))/2 - a (uR - uL)/2`` with ``a = |beta|`` for
  advection (pure upwind then) and ``max(|uL|, |uR|)`` for Burgers' ``f = u^2/2``;
* central differences for diffusion, ``nu (u_{i+1} - u_i)/dx`` at faces;
* the reaction pointwise;

stepped by SSP-RK2 (Heun) with a fixed step from the CFL conditions of the initial data,
``dt = 1 / (a / (C_a dx) + 2 nu / (C_d dx^2))`` (C_a = 0.4, PDEBench's advection CFL; C_d = 0.9 of SSP-RK2's
explicit diffusion limit), shortened so that it divides the output interval. The maximum principle bounds
|u| by its initial maximum for advection and Burgers, so the step stays stable. Compare PDEBench's own
generators (pdebench/PDEBench, ``pdebench/data_gen/data_gen_NLE/*Eq/*_multi_solution_Hydra.py`` and
``utils.py``): limited second-order reconstruction, upwind fluxes, a predictor-corrector step, CFL 0.25-0.4,
and for reaction-diffusion an exact logistic step split from the explicit diffusion.

Kernels are Numba-compiled loops over the batch, the frames and the cells (float64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

ADVECTION, BURGERS, NO_FLUX = 0, 1, 2
CFL_ADVECTIVE, CFL_DIFFUSIVE = 0.4, 0.9


@dataclass(frozen=True)
class FiniteVolumeProblem:
    """``u_t + f(u)_x = nu u_xx + rho u (1 - u)`` with ``f = beta u`` (advection), ``u^2/2`` (Burgers) or 0."""

    flux: int
    beta: float = 0.0
    nu: float = 0.0
    rho: float = 0.0

    def substeps(self, initial: np.ndarray, dx: float, frame_interval: float) -> int:
        """Steps per output interval from the CFL conditions of the initial data (the worst of the batch)."""
        speed = {ADVECTION: abs(self.beta), BURGERS: float(np.abs(initial).max()), NO_FLUX: 0.0}[self.flux]
        rate = speed / (CFL_ADVECTIVE * dx) + 2 * self.nu / (CFL_DIFFUSIVE * dx * dx)
        return max(1, math.ceil(frame_interval * rate))


@njit(cache=True)
def _mc(a, b):
    if a * b <= 0.0:
        return 0.0
    c = 0.5 * (a + b)
    s = 1.0 if a > 0 else -1.0
    return s * min(2.0 * abs(a), abs(c), 2.0 * abs(b))


@njit(cache=True)
def _rhs(u, out, slope, face, dx, flux, beta, nu, rho):
    n = u.size
    if flux != 2:  # the limited slopes only enter the advective flux
        slope[0] = _mc(u[0] - u[n - 1], u[1] - u[0])
        for i in range(1, n - 1):
            slope[i] = _mc(u[i] - u[i - 1], u[i + 1] - u[i])
        slope[n - 1] = _mc(u[n - 1] - u[n - 2], u[0] - u[n - 1])
    for i in range(n):  # face i + 1/2
        j = i + 1 if i + 1 < n else 0
        value = 0.0
        if flux == 0:
            left, right = u[i] + 0.5 * slope[i], u[j] - 0.5 * slope[j]
            value = 0.5 * beta * (left + right) - 0.5 * abs(beta) * (right - left)
        elif flux == 1:
            left, right = u[i] + 0.5 * slope[i], u[j] - 0.5 * slope[j]
            speed = max(abs(left), abs(right))
            value = 0.25 * (left * left + right * right) - 0.5 * speed * (right - left)
        face[i] = value - nu * (u[j] - u[i]) / dx
    out[0] = -(face[0] - face[n - 1]) / dx + rho * u[0] * (1.0 - u[0])
    for i in range(1, n):
        out[i] = -(face[i] - face[i - 1]) / dx + rho * u[i] * (1.0 - u[i])


@njit(cache=True)
def fv_frames(initial, dx, flux, beta, nu, rho, step, substeps, num_frames):
    """SSP-RK2 frames (B, num_frames, N) from ``initial`` (B, N), ``substeps`` steps of ``step`` per frame."""
    batch, n = initial.shape
    frames = np.empty((batch, num_frames, n))
    slope, face = np.empty(n), np.empty(n)
    k1, k2, stage = np.empty(n), np.empty(n), np.empty(n)
    for b in range(batch):
        u = initial[b].copy()
        frames[b, 0] = u
        for f in range(1, num_frames):
            for _ in range(substeps):
                _rhs(u, k1, slope, face, dx, flux, beta, nu, rho)
                for i in range(n):
                    stage[i] = u[i] + step * k1[i]
                _rhs(stage, k2, slope, face, dx, flux, beta, nu, rho)
                for i in range(n):
                    u[i] = 0.5 * (u[i] + stage[i] + step * k2[i])
            frames[b, f] = u
    return frames


def solve(problem: FiniteVolumeProblem, initial: np.ndarray, dx: float, frame_interval: float,
          num_frames: int) -> tuple[np.ndarray, int]:
    """Frames of the batch ``initial`` (B, N) at ``num_frames`` output times; also the steps per frame."""
    initial = np.ascontiguousarray(np.atleast_2d(initial), dtype=float)
    substeps = problem.substeps(initial, dx, frame_interval)
    frames = fv_frames(initial, dx, problem.flux, problem.beta, problem.nu, problem.rho,
                       frame_interval / substeps, substeps, num_frames)
    return frames, substeps
