"""Gray-Scott reaction-diffusion system in two dimensions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..solvers.spectral_system import SystemTerms
from ..solvers.system_kernels import NONLINEAR
from .base import ExactCase, Parameter
from .initial_conditions import Constant, Family, InitialCondition
from .multifield import Stacked
from .samplers import parse_sampler
from .spectral_base import SpectralEquation, real_fields_layout


@njit(NONLINEAR, cache=True)
def _reaction(v, params, coef, dims, out):
    n = dims[0]
    half = n * (n // 2 + 1)
    u = np.fft.irfft2(v[:half].reshape((n, n // 2 + 1)), (n, n))
    w = np.fft.irfft2(v[half:].reshape((n, n // 2 + 1)), (n, n))
    uvv = np.fft.rfft2(u * w * w).ravel()
    for j in range(half):
        out[j] = -coef[0, j] * uvv[j]
        out[half + j] = coef[0, j] * uvv[j]
    out[0] += params[0] * n * n  # the feed F * 1: a constant, transformed exactly


class GrayScott(SpectralEquation):
    r"""Gray-Scott reaction-diffusion system on a periodic square.

    .. math:: u_t = D_u \Delta u - u v^2 + F (1 - u), \qquad v_t = D_v \Delta v + u v^2 - (F + k) v

    ``L = diag(-D_u |k|^2 - F, -D_v |k|^2 - (F + k))``; ``N = (-F[u v^2] + F delta_0, F[u v^2])``
    with the cubic term dealiased by Orszag's rule in each direction. Not a gradient
    flow and without invariants; ``(u, v) = (1, 0)`` is a stable steady state and
    spots, stripes and labyrinths grow from localised perturbations of it. Pearson's
    classic set-up is D_u = 2e-5, D_v = 1e-5 on a square of side 2.5, with F and k
    chosen in his phase diagram (F = 0.04, k = 0.06: spots that replicate).
    Exact for a uniform state without v (the feed alone): ``u = 1 - (1 - u0) e^{-F t}``,
    ``v = 0``, which checks the feed term's constant mode; patterns are verified by
    refinement only.
    """

    name = "gray_scott"
    title = "Gray-Scott reaction-diffusion system (2D)"
    pde = "u_t = Du lap u - u v^2 + F (1 - u),  v_t = Dv lap v + u v^2 - (F + k) v"
    fields = ("u", "v")
    dimension = 2
    parameters = (
        Parameter("diffusion_u", "D_u", "diffusion coefficient of u", default=2e-5, minimum=0.0),
        Parameter("diffusion_v", "D_v", "diffusion coefficient of v", default=1e-5, minimum=0.0),
        Parameter("feed", "F", "feed rate", default=0.04, minimum=0.0),
        Parameter("kill", "k", "kill rate", default=0.06, minimum=0.0),
    )
    references = (
        "Gray & Scott, Chem. Eng. Sci. 39 (1984) 1087, doi:10.1016/0009-2509(84)87017-7",
        "Pearson, Science 261 (1993) 189, doi:10.1126/science.261.5118.189",
    )

    def terms(self, grid):
        kx, ky = grid.wavevectors
        k2 = (kx**2 + ky**2).ravel()
        mask = grid.dealias_mask(3).ravel().astype(complex)
        symbol = np.concatenate([-self.diffusion_u * k2 - self.feed, -self.diffusion_v * k2 - self.feed - self.kill])
        forward, inverse = real_fields_layout(grid, 2)
        return SystemTerms(symbol.astype(complex), _reaction, np.array([self.feed]),
                           np.concatenate([mask, mask])[None], np.array([grid.num_points], dtype=np.int64),
                           (2, *grid.shape), forward, inverse, degree=3)

    @classmethod
    def exact_cases(cls):
        return (ExactCase("uniform-feed", {"feed": 0.5, "kill": 0.06}, 2.5, 16, 4.0, 5,
                          lambda eq, length, origin: Stacked([Constant(0.2), Constant(0.0)])),)

    def exact_solution(self, ic, x, t):
        if not (isinstance(ic, Stacked) and all(isinstance(p, Constant) for p in ic.parts) and ic.parts[1].value == 0):
            return None
        t = np.atleast_1d(np.asarray(t, dtype=float))
        u = 1 - (1 - ic.parts[0].value) * np.exp(-self.feed * t)
        state = np.zeros((t.size, 2, x.size, x.size))
        state[:, 0] = u[:, None, None]
        return state

    def admissible_range(self, initial):
        return min(float(initial.min()), 0.0) - 1e-8, max(float(initial.max()), 1.0) + 1e-8


class Spots(InitialCondition):
    """``u = 1 - sum a_i b_i(x, y)``, ``v = sum a_i b_i(x, y) / 2`` with smooth periodic bumps
    ``b_i = exp(kappa (cos(2 pi (x - x_i) / L) + cos(2 pi (y - y_i) / L) - 2))``."""

    def __init__(self, centres, amplitudes, sharpness, length):
        self.centres, self.amplitudes = np.asarray(centres, float), np.asarray(amplitudes, float)
        self.sharpness, self.length = sharpness, length

    def __call__(self, x, y):
        wave = 2 * np.pi / self.length
        bumps = sum(a * np.exp(self.sharpness * (np.cos(wave * (x - cx)) + np.cos(wave * (y - cy)) - 2))
                    for (cx, cy), a in zip(self.centres, self.amplitudes))
        bumps = np.broadcast_to(bumps, np.broadcast_shapes(np.shape(x), np.shape(y)))
        return np.stack([1.0 - bumps, 0.5 * bumps])

    def describe(self):
        return {"centres": self.centres.tolist(), "amplitudes": self.amplitudes.tolist(), "sharpness": self.sharpness}


@dataclass(frozen=True)
class GrayScottSpots(Family):
    """Perturbations of the steady state (1, 0) at random places: Pearson's seeds, made smooth and periodic.

    ``count`` bumps at uniformly random centres with amplitudes ``amplitude``; ``sharpness``
    kappa sets their width (about ``L / (2 pi sqrt(kappa))``). The bumps are analytic, so
    a spectral grid resolves them.
    """

    name = "gray_scott_spots"
    description = "smooth periodic bumps of v (and dips of u) on the steady state (u, v) = (1, 0)"
    count: int = 4
    amplitude: float | dict = 0.5
    sharpness: float = 40.0

    def __post_init__(self):
        if self.count < 1:
            raise ValueError(f"count must be >= 1 (got {self.count})")
        if not self.sharpness > 0:
            raise ValueError(f"sharpness must be > 0 (got {self.sharpness})")
        parse_sampler(self.amplitude, "amplitude")

    def sample(self, rng, equation, length, origin):
        if getattr(equation, "fields", None) != ("u", "v") or getattr(equation, "dimension", 1) != 2:
            raise ValueError("gray_scott_spots is for two-field 2D systems (u, v) such as gray_scott")
        centres = origin + length * rng.random((self.count, 2))
        amplitude = parse_sampler(self.amplitude, "amplitude")
        amplitudes = np.array([amplitude.draw(rng) for _ in range(self.count)])
        return Spots(centres, amplitudes, self.sharpness, length)
