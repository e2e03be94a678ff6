"""Viscous Burgers equation on an interval."""

from __future__ import annotations

import numpy as np
from scipy.special import ive

from ..solvers.chebyshev import BoundaryCondition, IntervalTerms
from .base import Parameter
from .initial_conditions import InitialCondition
from .interval_base import IntervalEquation, IntervalExactCase, constant_data


class BurgersInterval(IntervalEquation):
    r"""Viscous Burgers equation on [a, b] with Dirichlet or Neumann boundaries.

    .. math:: u_t + u u_x = \nu u_{xx}, \qquad x \in [a, b],

    with ``u = g`` or ``u_x = g`` at each end (the recipe's ``domain.boundary``; the classical problem is
    ``u(a) = u(b) = 0``). Terms: diffusion ``nu`` (treated exactly by the exponential integrator) and the
    conservative flux ``F(u) = -u^2/2``, differentiated by the Chebyshev matrix at the collocation points.
    Maximum principle with constant Dirichlet data or ``u_x = 0``: values stay within the range of the
    initial and boundary values.

    Exact solution (Cole 1951; reference-cases V6): for ``u0 = A sin(pi (x - a)/l)``, ``l = b - a``, and
    ``u(a) = u(b) = 0``, with ``beta = A l / (2 pi nu)`` and the modified Bessel functions ``I_n``,

    .. math:: u = \frac{4\pi\nu}{l}\,\frac{\sum_{n\ge1} n I_n(\beta) e^{-n^2\pi^2\nu t/l^2}\sin(n\pi\xi/l)}
              {I_0(\beta) + 2\sum_{n\ge1} I_n(\beta) e^{-n^2\pi^2\nu t/l^2}\cos(n\pi\xi/l)}, \quad \xi = x - a,

    the Cole-Hopf transform of the heat solution with ``theta_0 = exp(beta cos(pi xi / l))``. Evaluated with
    exponentially scaled Bessel functions (``scipy.special.ive``); the denominator ranges over
    ``e^{-2|beta|}..1``, so the series loses ``2|beta| / ln 10`` digits: accurate to about 1e-15 for
    ``|beta| <= 2`` (checked against 30-digit mpmath in ``tests/test_chebyshev.py``).
    Good values: nu >= 0.02 with A = 1 on [0, 1] (N <= 64 reaches 1e-12).
    """

    name = "burgers_interval"
    title = "Viscous Burgers equation on an interval"
    pde = "u_t + u u_x = nu u_xx on [a, b]"
    parameters = (Parameter("nu", "nu", "viscosity", default=0.1, minimum=0.0, exclusive_minimum=True),)
    references = ("Cole, Q. Appl. Math. 9 (1951) 225-236, doi:10.1090/qam/42889",)
    exact_solutions = "u0 = A sin(pi (x - a)/(b - a)) with u(a) = u(b) = 0 (Cole's Bessel series)"

    def terms(self):
        return IntervalTerms(self.nu, flux=(0.0, -0.5, 0.0))

    def admissible_range(self, initial, left, right):
        data = []
        for side in (left, right):
            value = constant_data(side, "dirichlet")
            if value is None and constant_data(side, "neumann") != 0.0:
                return None  # inflow through a flux or time-dependent data can create new extrema
            data += [] if value is None else [value]
        return min(float(initial.min()), *data), max(float(initial.max()), *data)

    @classmethod
    def exact_cases(cls):
        return (IntervalExactCase("cole-sine", {"nu": 0.1}, 1.0, 21, 0.5, 6,
                                  lambda eq, length, origin: SineMode(1.0, origin, length)),)

    def exact_solution(self, ic, x, t):
        if not isinstance(ic, SineMode):
            return None
        return cole_series(ic.amplitude, self.nu, ic.length, np.asarray(x, dtype=float) - ic.origin, t)

    def exact_boundary(self, ic, a, b):
        return BoundaryCondition("dirichlet", 0.0), BoundaryCondition("dirichlet", 0.0)


class SineMode(InitialCondition):
    """``A sin(pi (x - origin) / length)``: one half sine wave on the interval, zero at both ends."""

    def __init__(self, amplitude, origin, length):
        self.amplitude, self.origin, self.length = amplitude, origin, length

    def __call__(self, x):
        return self.amplitude * np.sin(np.pi * (np.asarray(x, dtype=float) - self.origin) / self.length)

    def describe(self):
        return {"amplitude": self.amplitude}


def cole_series(amplitude: float, nu: float, length: float, xi: np.ndarray, t) -> np.ndarray:
    """Cole's series (class docstring) at offsets ``xi`` from the left end and times ``t``: (T, len(xi))."""
    beta = amplitude * length / (2 * np.pi * nu)
    n = np.arange(1, int(2 * abs(beta)) + 80)
    weights = ive(n, beta) / ive(0, beta)  # I_n / I_0: the exp(-|beta|) scalings cancel
    n, weights = n[np.abs(weights) > 1e-300], weights[np.abs(weights) > 1e-300]
    t = np.atleast_1d(np.asarray(t, dtype=float))
    decay = weights * np.exp(-np.outer(t, n**2) * (np.pi**2 * nu / length**2))  # (T, n)
    phase = np.pi * np.outer(n, xi) / length
    numerator = (decay * n) @ np.sin(phase)
    denominator = 1.0 + 2.0 * decay @ np.cos(phase)
    return (4 * np.pi * nu / length) * numerator / denominator
