"""Incompressible Navier-Stokes equations in two dimensions, vorticity form."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..solvers.spectral_system import SystemTerms
from ..solvers.system_kernels import NONLINEAR
from .base import ExactCase, Invariant, Parameter
from .initial_conditions import InitialCondition
from .spectral_base import SpectralEquation, real_fields_layout


@njit(NONLINEAR, cache=True)
def _advection(v, params, coef, dims, out):
    # The array expressions psi = v coef[2]; u = F^-1[coef[1] psi]; w = F^-1[-coef[0] psi];
    # wx, wy = F^-1[coef[0 or 1] v]; out = -F[u wx + w wy] coef[3] + A coef[4], with 4 work arrays
    # (one spectral, three physical) instead of ~14 temporaries: each spectral product is written into
    # the one spectral buffer and transformed into a physical one (rocket-fft's out=), u wx and then
    # + w wy accumulate in place over u, and the forward transform goes back into the spectral buffer.
    # Same arithmetic in the same order: bitwise identical to the array expressions. The footprint
    # matters more than the count: glibc returns the freed blocks to the OS after each call (trim), so
    # at 256^2 and up every call page-faults its work arrays in again (bench/ns_advection.py).
    n, modes = dims[0], dims[0] // 2 + 1
    size = n * modes
    shape = (n, n)
    s = np.empty(size, dtype=np.complex128)
    spec = s.reshape((n, modes))
    u, t, t2 = np.empty(shape), np.empty(shape), np.empty(shape)
    for j in range(size):
        s[j] = coef[1, j] * (v[j] * coef[2, j])  # u = psi_y
    np.fft.irfft2(spec, shape, (0, 1), None, u)
    for j in range(size):
        s[j] = coef[0, j] * v[j]  # omega_x
    np.fft.irfft2(spec, shape, (0, 1), None, t)
    for i in range(n):
        for k in range(n):
            u[i, k] = u[i, k] * t[i, k]
    for j in range(size):
        s[j] = -coef[0, j] * (v[j] * coef[2, j])  # v = -psi_x
    np.fft.irfft2(spec, shape, (0, 1), None, t)
    for j in range(size):
        s[j] = coef[1, j] * v[j]  # omega_y
    np.fft.irfft2(spec, shape, (0, 1), None, t2)
    for i in range(n):
        for k in range(n):
            u[i, k] = u[i, k] + t[i, k] * t2[i, k]
    np.fft.rfft2(u, shape, (0, 1), None, spec)
    for j in range(size):
        out[j] = -s[j] * coef[3, j] + params[0] * coef[4, j]


class NavierStokes2D(SpectralEquation):
    r"""Incompressible Navier-Stokes in 2D, vorticity form, on a periodic square.

    .. math:: \omega_t + \mathbf{u} \cdot \nabla \omega = \nu \Delta \omega - \mu \omega + f,
              \qquad \mathbf{u} = (\psi_y, -\psi_x), \quad \Delta \psi = -\omega

    ``L(k) = -nu |k|^2 - mu`` (real); ``N = -F[u omega_x + v omega_y] + f^`` with the
    advection dealiased by the 2/3 rule in each direction and odd derivatives without
    their Nyquist modes. Kolmogorov forcing ``f = -A n cos(n y)`` (the curl of the body
    force ``(A sin(n y), 0)``); A = 0 is decaying turbulence.

    Monitored: kinetic energy ``E = (1/2) int |u|^2`` and enstrophy ``Z = (1/2) int
    omega^2``, both non-increasing when A = 0. Exact Taylor-Green vortex (V11) on
    [0, 2 pi)^2: ``omega = 2 sin x sin y e^{-2 nu t}`` (the advection vanishes), with
    ``E = pi^2 e^{-4 nu t}``.
    """

    name = "navier_stokes_2d"
    title = "Incompressible Navier-Stokes equations in 2D (vorticity form)"
    pde = "omega_t + u . grad omega = nu lap omega - mu omega + f,  u = (psi_y, -psi_x),  lap psi = -omega"
    fields = ("omega",)
    dimension = 2
    parameters = (
        Parameter("nu", "nu", "kinematic viscosity", default=1e-3, minimum=0.0, exclusive_minimum=True),
        Parameter("drag", "mu", "linear (Ekman) drag", default=0.0, minimum=0.0),
        Parameter("forcing", "A", "amplitude of the Kolmogorov body force (A sin(n y), 0)", default=0.0),
        Parameter("forcing_wavenumber", "n", "wavenumber n of the forcing (an integer number of periods)",
                  default=4.0, minimum=1.0),
    )
    references = (
        "Taylor & Green, Proc. R. Soc. Lond. A 158 (1937) 499, doi:10.1098/rspa.1937.0036",
        "Kochkov et al., PNAS 118 (2021) e2101784118, doi:10.1073/pnas.2101784118 (Kolmogorov flow)",
    )
    exact_solutions = "taylor_green initial conditions (no forcing, no drag)"

    def __init__(self, **values):
        super().__init__(**values)
        if self.forcing_wavenumber != int(self.forcing_wavenumber):
            raise ValueError(f"parameter 'forcing_wavenumber' must be a whole number (got {self.forcing_wavenumber:g})")

    def terms(self, grid):
        kx, ky = grid.wavevectors
        kxo, kyo = grid.wavevectors_odd
        k2 = kx**2 + ky**2
        inverse_laplacian = np.where(k2 > 0, 1.0 / np.where(k2 > 0, k2, 1.0), 0.0)
        n = grid.num_points
        x = grid.x
        wave = 2 * np.pi * self.forcing_wavenumber / grid.domain_length
        shape_of_forcing = -wave * np.cos(wave * (x[:, None] - grid.origin)) * np.ones((1, n))
        coef = np.stack([(1j * kxo).ravel(), (1j * kyo).ravel(), inverse_laplacian.ravel().astype(complex),
                         grid.dealias_mask(2).ravel().astype(complex), np.fft.rfft2(shape_of_forcing).ravel()])
        forward, inverse = real_fields_layout(grid, 1)
        symbol = (-self.nu * k2 - self.drag).ravel().astype(complex)
        return SystemTerms(symbol, _advection, np.array([self.forcing]), coef, np.array([n], dtype=np.int64),
                           grid.shape, forward, inverse, degree=2)

    def invariants(self):
        kind = "nonincreasing" if self.forcing == 0 else "conserved"

        def energy(omega, grid):
            kx, ky = grid.wavevectors
            k2 = kx**2 + ky**2
            w_hat = np.fft.rfft2(omega)
            psi_hat = np.where(k2 > 0, w_hat / np.where(k2 > 0, k2, 1.0), 0.0)
            u = np.fft.irfft2(1j * ky * psi_hat, grid.shape)
            v = np.fft.irfft2(-1j * kx * psi_hat, grid.shape)
            return grid.integrate(0.5 * (u**2 + v**2))

        def enstrophy(omega, grid):
            return grid.integrate(0.5 * omega**2)

        if kind == "conserved":
            return ()  # forced flows have budgets, not invariants
        return (Invariant("energy", "(1/2) int |u|^2 dx dy", kind, 2, energy),
                Invariant("enstrophy", "(1/2) int omega^2 dx dy", kind, 2, enstrophy))

    @classmethod
    def exact_cases(cls):
        return (ExactCase("taylor-green", {"nu": 0.05}, 2 * np.pi, 32, 2.0, 5,
                          lambda eq, length, origin: TaylorGreen(1.0)),)

    def exact_solution(self, ic, x, t):
        if isinstance(ic, TaylorGreen) and self.forcing == 0 and self.drag == 0:
            t = np.atleast_1d(np.asarray(t, dtype=float))[:, None, None]
            return ic(x[None, :], x[:, None])[None] * np.exp(-2 * self.nu * ic.wavenumber**2 * t)
        return None


class TaylorGreen(InitialCondition):
    """Taylor-Green vorticity ``2 n sin(n x) sin(n y)`` (velocity ``(sin nx cos ny, -cos nx sin ny)``)."""

    def __init__(self, wavenumber):
        self.wavenumber = wavenumber

    def __call__(self, x, y):
        n = self.wavenumber
        return 2 * n * np.sin(n * x) * np.sin(n * y)

    def describe(self):
        return {"wavenumber": self.wavenumber}
