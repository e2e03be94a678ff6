"""Cubic nonlinear Schroedinger equation and its bright solitons."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..solvers.spectral_system import SystemTerms
from ..solvers.system_kernels import NONLINEAR
from .base import ExactCase, Invariant, Parameter
from .initial_conditions import InitialCondition
from .spectral_base import SpectralEquation


@njit(NONLINEAR, cache=True)
def _cubic(v, params, coef, dims, out):
    u = np.fft.ifft(v)
    w = np.fft.fft(u * (u.real**2 + u.imag**2))
    for j in range(v.size):
        out[j] = 1j * params[0] * w[j] * coef[0, j]


def _dx(u, grid):
    k = 2 * np.pi * np.fft.fftfreq(grid.num_points, grid.spacing)
    k[grid.num_points // 2] = 0.0  # odd derivative: no Nyquist mode
    return np.fft.ifft(1j * k * np.fft.fft(u, axis=-1), axis=-1)


class NonlinearSchrodinger(SpectralEquation):
    r"""Cubic nonlinear Schroedinger equation, periodic, complex field.

    .. math:: i u_t + \alpha u_{xx} + \kappa |u|^2 u = 0

    Solved for the complex Fourier coefficients (full FFT): ``L(k) = -i alpha k^2``,
    ``N(u) = i kappa F[|u|^2 u]``, dealiased by Orszag's rule for cubic terms (|j| < N/4
    kept). kappa > 0 is focusing. Convention A of reference-cases V9 is alpha = 1/2,
    kappa = 1 (Raissi's NLS.mat); convention B is alpha = 1, kappa = 2.

    Invariants: mass ``int |u|^2``, momentum ``Im int conj(u) u_x`` and the Hamiltonian
    ``int alpha |u_x|^2 - (kappa/2) |u|^4``. Exact bright soliton (alpha, kappa > 0)
    ``u = A sech(eta (x - v t - x0)) exp(i (v x / (2 alpha) + (alpha eta^2 - v^2/(4 alpha)) t))``
    with ``A^2 = 2 alpha eta^2 / kappa``; on a periodic box it is exact up to its tails
    at the boundary, ``~ 2 A exp(-eta L / 2)``, when ``v / (2 alpha)`` is a multiple of 2 pi / L.
    """

    name = "nls"
    title = "Cubic nonlinear Schroedinger equation"
    pde = "i u_t + alpha u_xx + kappa |u|^2 u = 0"
    complex_valued = True
    parameters = (
        Parameter("alpha", "alpha", "dispersion coefficient", default=0.5, nonzero=True),
        Parameter("kappa", "kappa", "nonlinear coefficient (> 0 focusing)", default=1.0),
    )
    references = (
        "Zakharov & Shabat, Sov. Phys. JETP 34 (1972) 62",
        "Raissi, Perdikaris & Karniadakis, J. Comput. Phys. 378 (2019) 686, doi:10.1016/j.jcp.2018.10.045",
    )
    exact_solutions = "nls_soliton initial conditions (bright soliton, alpha and kappa > 0)"

    def terms(self, grid):
        n = grid.num_points
        k = 2 * np.pi * np.fft.fftfreq(n, grid.spacing)
        j = np.abs(np.fft.fftfreq(n, 1.0 / n))
        mask = (4 * j < n).astype(complex)
        return SystemTerms(-1j * self.alpha * k**2, _cubic, np.array([self.kappa]), mask[None, :],
                           np.array([n], dtype=np.int64), (n,), lambda u: np.fft.fft(u, axis=-1),
                           lambda v: np.fft.ifft(v, axis=-1), degree=3, complex_valued=True)

    def invariants(self):
        def mass(u, grid):
            return grid.integrate(np.abs(u) ** 2)

        def momentum(u, grid):
            return grid.integrate((np.conj(u) * _dx(u, grid)).imag)

        def hamiltonian(u, grid):
            return grid.integrate(self.alpha * np.abs(_dx(u, grid)) ** 2 - 0.5 * self.kappa * np.abs(u) ** 4)

        return (
            Invariant("mass", "int |u|^2 dx", "conserved", 2, mass),
            Invariant("momentum", "Im int conj(u) u_x dx", "conserved", 2, momentum),
            Invariant("hamiltonian", "int alpha |u_x|^2 - (kappa/2) |u|^4 dx", "conserved", 4, hamiltonian),
        )

    @classmethod
    def exact_cases(cls):
        def soliton(eq, length, origin):
            return NLSSoliton(1.5, 3, origin + 0.4 * length, eq.alpha, eq.kappa, length)

        return (ExactCase("soliton", {"alpha": 0.5, "kappa": 1.0}, 50.0, 256, 4.0, 9, soliton, origin=-25.0),)

    def exact_solution(self, ic, x, t):
        if isinstance(ic, NLSSoliton) and (ic.alpha, ic.kappa) == (self.alpha, self.kappa) and self.kappa > 0:
            return ic.at(x, t)
        return None


class NLSSoliton(InitialCondition):
    """Bright soliton of width 1/eta whose carrier has ``wave_index`` periods on the box."""

    def __init__(self, eta, wave_index, centre, alpha, kappa, length):
        self.eta, self.wave_index, self.centre = eta, wave_index, centre
        self.alpha, self.kappa, self.length = alpha, kappa, length

    def at(self, x, t):
        x = np.asarray(x, dtype=float)[None, :]
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
        wavenumber = 2 * np.pi * self.wave_index / self.length
        speed = 2 * self.alpha * wavenumber
        amplitude = np.sqrt(2 * self.alpha / self.kappa) * self.eta
        shift = (x - speed * t - self.centre + self.length / 2) % self.length - self.length / 2
        phase = wavenumber * x + (self.alpha * self.eta**2 - speed**2 / (4 * self.alpha)) * t
        return amplitude / np.cosh(self.eta * shift) * np.exp(1j * phase)

    def __call__(self, x):
        return self.at(x, 0.0)[0]

    def describe(self):
        return {"eta": self.eta, "wave_index": self.wave_index, "centre": self.centre}
