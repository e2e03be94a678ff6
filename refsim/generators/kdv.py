"""Korteweg-de Vries equation and its soliton initial conditions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Equation, ExactCase, Invariant, Parameter, l2_squared, mass
from .initial_conditions import Family, InitialCondition
from .samplers import parse_sampler


class KdV(Equation):
    r"""Korteweg-de Vries equation in the general form, periodic.

    .. math:: u_t + \alpha u u_x + \beta u_{xxx} = 0

    ``L(k) = i beta k^3`` (imaginary, Nyquist zeroed); ``N(u) = -(alpha/2)(u^2)_x``,
    dealiased by the 2/3 rule. Conventions: alpha = 6, beta = 1 is the standard
    form; alpha = -6, beta = -1 is DGNet's ``u_t = (3u^2 + u_xx)_x``; alpha = 1,
    beta = 0.0025 is Raissi's KdV.mat (Zabusky-Kruskal with delta = 0.05).

    Hamiltonian form ``u_t = d/dx dH/du`` with
    ``H = int (beta/2) u_x^2 - (alpha/6) u^3 dx``; mass ``int u`` and momentum
    ``int u^2`` are conserved too.

    Exact solutions on the line: the soliton
    ``u = (12 beta k^2 / alpha) sech^2(k (x - 4 beta k^2 t - x0))`` and Hirota's
    two-soliton, scaled from the standard form by ``u = (6 beta/alpha) v(x, beta t)``
    (reference-cases V3, V4). On a periodic box of length L they hold up to the
    images' overlap, about ``8 k^2 exp(-k L)``.
    """

    name = "kdv"
    title = "Korteweg-de Vries equation"
    pde = "u_t + alpha u u_x + beta u_xxx = 0"
    parameters = (
        Parameter("alpha", "alpha", "nonlinear coefficient", default=6.0, nonzero=True),
        Parameter("beta", "beta", "dispersion coefficient", default=1.0, nonzero=True),
    )
    references = (
        "Hirota, Phys. Rev. Lett. 27 (1971) 1192, doi:10.1103/PhysRevLett.27.1192",
        "Matsubara, Ishikawa & Yaguchi, NeurIPS 2020 (DGNet), arXiv:1905.08604",
    )
    exact_solutions = "kdv_solitons initial conditions with one soliton, or two with hirota: true"

    def linear_symbol(self, grid):
        return 1j * self.beta * grid.k_odd**3

    def nonlinear(self, grid):
        return -0.5j * self.alpha * grid.k_odd, (0.0, 1.0, 0.0)

    def invariants(self):
        def hamiltonian(u, grid):
            ux = grid.derivative(u)
            return grid.integrate(0.5 * self.beta * ux**2 - self.alpha / 6.0 * u**3)

        return (
            Invariant("mass", "int u dx", "conserved", 1, mass),
            Invariant("momentum", "int u^2 dx", "conserved", 2, l2_squared),
            Invariant("energy", "int (beta/2) u_x^2 - (alpha/6) u^3 dx", "conserved", 3, hamiltonian),
        )

    @classmethod
    def exact_cases(cls):
        def soliton(eq, length, origin):
            return Solitons([0.8], [origin + 0.4 * length], eq.alpha, eq.beta, length, origin, 1, False)

        def collision(eq, length, origin):
            return Solitons([1.0, 0.6], [35.0, 42.0], eq.alpha, eq.beta, length, origin, 1, True)

        return (
            ExactCase("soliton", {"alpha": 6.0, "beta": 1.0}, 60.0, 128, 2.0, 9, soliton),
            ExactCase("two-soliton-dgnet-convention", {"alpha": -6.0, "beta": -1.0}, 80.0, 256, 3.0, 7, collision),
        )

    def exact_solution(self, ic, x, t):
        if isinstance(ic, Solitons) and (ic.alpha, ic.beta) == (self.alpha, self.beta):
            if len(ic.k) == 1 or ic.hirota:
                return ic.at(x, t)
        return None


def _hirota_standard(x, t, k1, k2, x1, x2):
    """Two-soliton of v_t + 6 v v_x + v_xxx = 0 evaluated without overflow."""
    big_k1, big_k2 = 2 * k1, 2 * k2
    a12 = ((big_k1 - big_k2) / (big_k1 + big_k2)) ** 2
    eta1 = big_k1 * (x - x1) - big_k1**3 * t
    eta2 = big_k2 * (x - x2) - big_k2**3 * t
    logs = np.stack([np.zeros_like(eta1), eta1, eta2, eta1 + eta2 + np.log(a12)])
    slopes = np.array([0.0, big_k1, big_k2, big_k1 + big_k2]).reshape((4,) + (1,) * eta1.ndim)
    w = np.exp(logs - logs.max(axis=0))
    f, fx, fxx = w.sum(0), (w * slopes).sum(0), (w * slopes**2).sum(0)
    return 2 * (fxx / f - (fx / f) ** 2)


class Solitons(InitialCondition):
    """Sum of KdV solitons, periodised by summing ``images`` copies on each side."""

    def __init__(self, k, centres, alpha, beta, length, origin, images, hirota):
        self.k, self.centres = tuple(k), tuple(centres)
        self.alpha, self.beta, self.length, self.origin = alpha, beta, length, origin
        self.images, self.hirota = images, hirota

    def at(self, x, t):
        x = np.asarray(x, dtype=float)[None, :]
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
        scale = 6 * self.beta / self.alpha
        out = np.zeros(np.broadcast_shapes(x.shape, t.shape))
        for n in range(-self.images, self.images + 1):
            xs = x + n * self.length
            if self.hirota and len(self.k) == 2:
                out += scale * _hirota_standard(xs, self.beta * t, *self.k, *self.centres)
                continue
            for k, c in zip(self.k, self.centres):
                arg = k * (xs - 4 * self.beta * k**2 * t - c)
                out += scale * 2 * k**2 / np.cosh(arg) ** 2
        return out

    def __call__(self, x):
        return self.at(x, 0.0)[0]

    def describe(self):
        return {"k": list(self.k), "centres": list(self.centres)}


@dataclass(frozen=True)
class KdVSolitons(Family):
    """Sums of KdV solitons ``(12 beta k^2/alpha) sech^2(k (x - x_i))``.

    ``k`` is drawn independently for each of the ``count`` solitons; the first
    centre is ``origin + position * L`` and each next one lies ``gap * L`` further.
    Defaults follow DGNet (k ~ U(0.5, 2), position ~ U(0.2, 0.3), gap ~ U(0.2, 0.5)).
    The sum is periodised over ``images`` copies on each side (DGNet's own initial
    condition is not periodised and jumps at the boundary for small k). With
    ``hirota: true`` and two solitons the initial condition is Hirota's exact
    two-soliton at t = 0, which makes the trajectory an exact solution. With probability ``mirror``
    the initial condition is reflected about ``origin + mirror_centre * L`` (its centres are), as
    DGNet's generator reverses its 50 grid values half of the time: ``mirror: 0.5, mirror_centre:
    0.49`` is that reversal, the reflection about ``(L - L/50) / 2``. The extra draw happens only when
    ``mirror > 0``, so other recipes keep their random streams.
    """

    name = "kdv_solitons"
    description = "sums of KdV solitons (exact for one soliton, or two with hirota)"
    count: int = 2
    k: float | dict = None  # type: ignore[assignment]
    position: float | dict = None  # type: ignore[assignment]
    gap: float | dict = None  # type: ignore[assignment]
    images: int = 2
    hirota: bool = False
    mirror: float = 0.0
    mirror_centre: float = 0.5

    def __post_init__(self):
        defaults = {"k": {"uniform": [0.5, 2.0]}, "position": {"uniform": [0.2, 0.3]},
                    "gap": {"uniform": [0.2, 0.5]}}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
            parse_sampler(getattr(self, name), name)
        if self.count < 1:
            raise ValueError(f"count: must be >= 1, got {self.count}")
        if self.images < 0:
            raise ValueError(f"images: must be >= 0, got {self.images}")
        if self.hirota and self.count != 2:
            raise ValueError("hirota: needs count: 2")
        if not 0.0 <= self.mirror <= 1.0:
            raise ValueError(f"mirror: a probability in [0, 1], got {self.mirror}")
        if self.hirota and self.mirror:
            raise ValueError("mirror: not with hirota: true (the mirrored two-soliton is not Hirota's form at "
                             "these centres); allowed: 0")
        if parse_sampler(self.k, "k").support()[0] <= 0:
            raise ValueError(f"k: must be positive, got {self.k}")

    def sample(self, rng, equation, length, origin):
        if equation.name != "kdv":
            raise ValueError(f"kdv_solitons needs equation kdv, not {equation.name}")
        ks = [parse_sampler(self.k, "k").draw(rng) for _ in range(self.count)]
        pos = origin + parse_sampler(self.position, "position").draw(rng) * length
        centres = [pos]
        for _ in range(self.count - 1):
            centres.append(centres[-1] + parse_sampler(self.gap, "gap").draw(rng) * length)
        if self.mirror and rng.random() < self.mirror:
            axis = origin + self.mirror_centre * length
            centres = [2 * axis - c for c in centres]
        return Solitons(ks, centres, equation.alpha, equation.beta, length, origin, self.images, self.hirota)
