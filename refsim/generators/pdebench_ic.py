"""PDEBench's 1D initial-condition family (``init_multi``) as a function of x.

Source read (not copied): pdebench/PDEBench, ``pdebench/data_gen/data_gen_NLE/utils.py``
(``init_multi``), called with ``k_tot=4`` by the advection, Burgers and reaction-diffusion
generators in ``pdebench/data_gen/data_gen_NLE/{AdvectionEq,BurgersEq,ReactionDiffusionEq}/``
(Takamoto et al., PDEBench, NeurIPS 2022 Datasets and Benchmarks, arXiv:2210.07182).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .initial_conditions import Family, InitialCondition

_SEARCH_POINTS = 4096  # per period: locates the extrema that the normalisation needs before Brent refines them


class SinusoidSum(InitialCondition):
    r"""``u(x) = n(w(x) * s * m(sum_j a_j sin(2 pi n_j x / L + phi_j)))``, periodic with period L.

    ``n_j`` are integers (0 gives the constant ``a_j sin phi_j``), ``m`` is the absolute value or the
    identity, ``s = +-1``, ``w`` a periodic tanh window or 1, and ``n`` the affine map of the function's
    continuous range onto [0, 1] or the identity. Every step is a function of x, so the same draw can be
    evaluated on any grid; the normalisation uses the true minimum and maximum over the period (dense
    search refined by Brent's method), not those of a particular grid.
    """

    def __init__(self, wavenumbers, amplitudes, phases, length, origin, absolute=False, sign=1.0, window=None,
                 normalize=False):
        self.wavenumbers = np.asarray(wavenumbers, dtype=float)
        self.amplitudes = np.asarray(amplitudes, dtype=float)
        self.phases = np.asarray(phases, dtype=float)
        self.length, self.origin = length, origin
        self.absolute, self.sign, self.window = bool(absolute), float(sign), window
        self.bounds = self._range() if normalize else None

    def _raw(self, x):
        x = np.asarray(x, dtype=float)
        angle = 2 * np.pi * np.multiply.outer(x, self.wavenumbers) / self.length + self.phases
        u = np.sin(angle) @ self.amplitudes
        if self.absolute:
            u = np.abs(u)
        u = self.sign * u
        if self.window is not None:
            left, right, width = self.window
            # x wrapped into one period plus the images one period either side: exactly periodic
            # (PDEBench's window is not, by ~e^-20)
            x = self.origin + np.mod(x - self.origin, self.length)
            mask = sum(0.5 * (np.tanh((x + m * self.length - left) / width)
                              - np.tanh((x + m * self.length - right) / width)) for m in (-1, 0, 1))
            u = u * mask
        return u

    def _range(self) -> tuple[float, float]:
        from scipy.optimize import minimize_scalar

        step = self.length / _SEARCH_POINTS
        x = self.origin + step * np.arange(_SEARCH_POINTS)
        values = self._raw(x)
        spread = values.max() - values.min()
        if not spread > 0:
            raise ValueError("pdebench_sinusoids: a constant draw cannot be normalised to [0, 1]")
        extremes = []
        for sign in (1.0, -1.0):  # minimum, then maximum (as the minimum of -u)
            v = sign * values
            # every sampled local minimum near the lowest one: two almost equal minima may swap under refinement
            local = (v <= np.roll(v, 1)) & (v <= np.roll(v, -1)) & (v <= v.min() + 0.01 * spread)
            best = v.min()
            for i in np.flatnonzero(local):
                found = minimize_scalar(lambda z, s=sign: s * float(self._raw(z)), bounds=(x[i] - step, x[i] + step),
                                        method="bounded", options={"xatol": 1e-13 * self.length})
                best = min(best, found.fun)
            extremes.append(sign * best)
        return extremes[0], extremes[1]

    def __call__(self, x):
        u = self._raw(x)
        if self.bounds is not None:
            low, high = self.bounds
            u = (u - low) / (high - low)
        return u

    def describe(self):
        return {"wavenumbers": self.wavenumbers.astype(int).tolist(), "amplitudes": self.amplitudes.tolist(),
                "phases": self.phases.tolist(), "absolute": self.absolute, "sign": self.sign,
                "window": list(self.window) if self.window is not None else None,
                "normalized_from": list(self.bounds) if self.bounds is not None else None}


@dataclass(frozen=True)
class PDEBenchSinusoids(Family):
    r"""PDEBench's ``init_multi``: a few random sinusoids with integer wavenumbers, then random modifications.

    .. math:: u_0(x) = \sum_{j=1}^{K} a_j \sin(2\pi s_j j x / L + \phi_j)

    ``choices`` indices are drawn uniformly from 1..K (``modes``) with replacement, and ``s_j`` counts how often
    j was drawn (so a wavenumber can double, and an undrawn j leaves the constant ``a_j sin phi_j``), with
    ``a_j ~ U(0, 1)``, ``phi_j ~ U(0, 2 pi)``. Then, in PDEBench's order: with probability
    ``absolute_probability`` the absolute value is taken; the sign is flipped with probability 1/2; with
    probability ``window_probability`` u is multiplied by ``(tanh((x - x_L)/w) - tanh((x - x_R)/w))/2``,
    ``w = window_width * L``, ``x_L ~ U(0.1, 0.45) L``, ``x_R ~ U(0.55, 0.9) L`` from the origin; with
    ``normalize`` (PDEBench's reaction-diffusion data) u is mapped affinely onto [0, 1].

    Differences from PDEBench's code, all deliberate: the wavenumber unit is 2 pi / L, so u0 is periodic
    (PDEBench divides by ``xc[-1] - xc[0] = L - dx``, which leaves a jump of up to ~0.05 at the periodic
    boundary at 1024 cells); the window is periodised; the minimum and maximum of the normalisation are
    those of the function, not of one grid; every random choice is an independent draw (PDEBench reuses
    one JAX key for several draws, which correlates them: e.g. its x_R - x_L is always 0.45).

    Defaults are PDEBench's (``modes`` = k_tot = 4 as its 1D generators call it, two picks, window
    probability 0.1, width 0.01) except ``absolute_probability``, 0 instead of 0.1, for reference data:
    ``|u|`` has a kink wherever u changes sign, which a Fourier solver sampling u0 on its grid resolves
    only at first order near the kink (measured: estimates 5e-4 for advection and 3e-6 for
    diffusion-reaction at 16384 points, far from 1e-8). The window is no such obstacle: it is a
    tanh step of width 0.01 L, analytic, with Fourier coefficients decaying like exp(-pi^2 0.01 n);
    windowed draws certified at 1024-2048 internal points for all three PDEBench problems (1e-8 to
    1e-14). Set ``absolute_probability: 0.1`` to draw PDEBench's full family (and expect rejections).
    """

    name = "pdebench_sinusoids"
    description = "PDEBench's init_multi: random integer-wavenumber sinusoids, optional |u|, window, [0, 1] scaling"
    modes: int = 4
    choices: int = 2
    absolute_probability: float = 0.0
    window_probability: float = 0.1
    window_width: float = 0.01
    normalize: bool = False

    def __post_init__(self):
        if self.modes < 1:
            raise ValueError(f"modes: must be >= 1, got {self.modes}")
        if self.choices < 1:
            raise ValueError(f"choices: must be >= 1, got {self.choices}")
        for name in ("absolute_probability", "window_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}: must be in [0, 1], got {getattr(self, name)}")
        if not 0 < self.window_width < 0.5:
            raise ValueError(f"window_width: must be in (0, 0.5) (a fraction of the period), got {self.window_width}")

    def sample(self, rng, equation, length, origin):
        # a fixed number of draws in a fixed order, whatever the probabilities: changing one of them
        # changes only the modifications, never the sinusoids
        picked = rng.integers(0, self.modes, self.choices)
        amplitudes = rng.uniform(0.0, 1.0, self.modes)
        phases = rng.uniform(0.0, 2 * np.pi, self.modes)
        absolute = rng.uniform() < self.absolute_probability
        sign = 1.0 if rng.uniform() < 0.5 else -1.0
        windowed = rng.uniform() < self.window_probability
        left, right = origin + length * rng.uniform(0.1, 0.45), origin + length * rng.uniform(0.55, 0.9)
        counts = np.bincount(picked, minlength=self.modes)
        wavenumbers = counts * np.arange(1, self.modes + 1)
        window = (left, right, self.window_width * length) if windowed else None
        return SinusoidSum(wavenumbers, amplitudes, phases, length, origin, absolute, sign, window, self.normalize)
