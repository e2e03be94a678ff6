"""Sine-Gordon equation as a first-order system, its breather and its kink-antikink collision."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..solvers.spectral_system import SystemTerms
from ..solvers.system_kernels import NONLINEAR
from .base import ExactCase, Invariant, Parameter
from .initial_conditions import InitialCondition
from .spectral_base import SpectralEquation


@njit(NONLINEAR, cache=True)
def _restoring(v, params, coef, dims, out):
    n, modes = dims[0], dims[0] // 2 + 1
    u_hat = (v[:modes] - v[modes:]) * coef[1, :modes]
    u = np.fft.irfft(u_hat, n)
    w = np.fft.rfft(params[0] * u - np.sin(u), n)
    for j in range(modes):
        out[j] = w[j] * coef[0, j]
        out[modes + j] = out[j]


class SineGordon(SpectralEquation):
    r"""Sine-Gordon equation as a first-order system, periodic.

    .. math:: u_t = v, \qquad v_t = c^2 u_{xx} - \sin u

    The linear part is the Klein-Gordon operator of ``u_tt = c^2 u_xx - u``, which is
    diagonal in the variables ``a = v^ + i w u^`` and ``b = v^ - i w u^`` with
    ``w(k) = sqrt(c^2 k^2 + 1)`` (never zero): ``a_t = i w a + N^``,
    ``b_t = -i w b + N^``, ``N = u - sin u``, so the dispersive linear part is
    integrated exactly with complex phi-functions. ``N`` is not a polynomial; the 2/3
    rule is applied to it.

    Energy ``E = int (1/2) v^2 + (c^2/2) u_x^2 + 1 - cos u`` is conserved. Exact
    breather (c = 1, reference-cases V10) ``u = 4 arctan(sqrt(1 - w^2)/w sin(w t) /
    cosh(sqrt(1 - w^2) x))`` with energy ``16 sqrt(1 - w^2)``; on a periodic box it holds
    up to its exponentially small tails.

    Exact kink-antikink collision (any c; Perring & Skyrme 1962) ``u = 4 arctan(sinh(g V t) /
    (V cosh(g x / c)))``, ``g = 1/sqrt(1 - V^2)``, a kink and an antikink approaching at speeds
    ``+-V c``, passing through each other at ``t = 0``, energy ``16 g c`` (each carries ``8 g c``). A
    lone kink steps ``u`` by ``2 pi`` across the box and is not periodic; the pair steps up and back
    down, so it is (again up to exponentially small tails), which is why the pair is the kink case here.
    """

    name = "sine_gordon"
    title = "Sine-Gordon equation"
    pde = "u_t = v, v_t = c^2 u_xx - sin u"
    fields = ("u", "v")
    parameters = (Parameter("c", "c", "wave speed", default=1.0, minimum=0.0, exclusive_minimum=True),)
    references = ("Ablowitz, Kaup, Newell & Segur, Phys. Rev. Lett. 30 (1973) 1262, "
                  "doi:10.1103/PhysRevLett.30.1262",)
    exact_solutions = "breather (c = 1) and kink-antikink collision initial conditions"

    def _frequency(self, grid):
        return np.sqrt(self.c**2 * grid.k**2 + 1.0)

    def terms(self, grid):
        w = self._frequency(grid)
        modes = grid.num_modes
        mask = np.zeros(2 * modes, dtype=complex)
        mask[:modes] = grid.dealias_mask(2)
        inverse_2iw = np.zeros(2 * modes, dtype=complex)
        inverse_2iw[:modes] = 1.0 / (2j * w)
        n = grid.num_points

        def forward(state):
            u_hat, v_hat = np.fft.rfft(state[..., 0, :], axis=-1), np.fft.rfft(state[..., 1, :], axis=-1)
            return np.concatenate([v_hat + 1j * w * u_hat, v_hat - 1j * w * u_hat], axis=-1)

        def inverse(spectral):
            a, b = spectral[..., :modes], spectral[..., modes:]
            u = np.fft.irfft((a - b) / (2j * w), n, axis=-1)
            v = np.fft.irfft(0.5 * (a + b), n, axis=-1)
            return np.stack([u, v], axis=-2)

        symbol = np.concatenate([1j * w, -1j * w])
        # N = u - sin u enters with the Klein-Gordon mass 1 moved into L; params[0] is that mass
        return SystemTerms(symbol, _restoring, np.array([1.0]), np.stack([mask, inverse_2iw]),
                           np.array([n], dtype=np.int64), (2, n), forward, inverse, degree=3)

    def invariants(self):
        def energy(state, grid):
            u, v = state[..., 0, :], state[..., 1, :]
            ux = grid.derivative(u)
            return grid.integrate(0.5 * v**2 + 0.5 * self.c**2 * ux**2 + 1.0 - np.cos(u))

        return (Invariant("energy", "int v^2/2 + (c^2/2) u_x^2 + 1 - cos u dx", "conserved", 2, energy),)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("breather", {"c": 1.0}, 80.0, 256, 6.0, 7,
                          lambda eq, length, origin: Breather(0.5, origin + 0.5 * length), origin=-40.0),
                ExactCase("kink-antikink", {"c": 1.5}, 120.0, 256, 12.0, 7,
                          lambda eq, length, origin: KinkAntikink(0.6, origin + 0.5 * length, -6.0, eq.c),
                          origin=-60.0))

    def exact_solution(self, ic, x, t):
        if isinstance(ic, Breather) and self.c == 1.0:
            return ic.at(x, t)
        if isinstance(ic, KinkAntikink) and ic.c == self.c:
            return ic.at(x, t)
        return None


class Breather(InitialCondition):
    """The sine-Gordon breather of frequency ``omega`` (0 < omega < 1) centred at ``centre``."""

    def __init__(self, omega, centre):
        self.omega, self.centre = omega, centre

    def at(self, x, t):
        x = np.asarray(x, dtype=float)[None, :] - self.centre
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
        w, s = self.omega, np.sqrt(1 - self.omega**2)
        g = s / w * np.sin(w * t) / np.cosh(s * x)
        g_t = s * np.cos(w * t) / np.cosh(s * x)
        u = 4 * np.arctan(g)
        v = 4 * g_t / (1 + g**2)
        return np.stack([u, v], axis=1)

    def __call__(self, x):
        return self.at(x, 0.0)[0]

    def describe(self):
        return {"omega": self.omega, "centre": self.centre}


class KinkAntikink(InitialCondition):
    """Kink-antikink pair of speed ``velocity`` (in units of ``c``) at time ``start`` of the collision at 0."""

    def __init__(self, velocity, centre, start, c=1.0):
        if not 0 < velocity < 1:
            raise ValueError(f"velocity: must lie in (0, 1), in units of the wave speed c (got {velocity})")
        self.velocity, self.centre, self.start, self.c = velocity, centre, start, c

    @property
    def gamma(self):
        return 1.0 / np.sqrt(1.0 - self.velocity**2)

    def at(self, x, t):
        x = (np.asarray(x, dtype=float)[None, :] - self.centre) / self.c
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None] + self.start
        speed, g = self.velocity, self.gamma
        ratio = np.sinh(g * speed * t) / (speed * np.cosh(g * x))
        u = 4 * np.arctan(ratio)
        v = 4 * g * np.cosh(g * speed * t) / np.cosh(g * x) / (1 + ratio**2)
        return np.stack([u, v], axis=1)

    def energy(self):
        return 16.0 * self.gamma * self.c

    def __call__(self, x):
        return self.at(x, 0.0)[0]

    def describe(self):
        return {"velocity": self.velocity, "centre": self.centre, "start": self.start, "c": self.c}
