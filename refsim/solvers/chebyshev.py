r"""Chebyshev collocation on an interval [a, b] with Dirichlet or Neumann boundaries.

The unknowns are the values at the Chebyshev-Gauss-Lobatto points

.. math:: x_j = \tfrac{a}{2}(1 - y_j) + \tfrac{b}{2}(1 + y_j), \qquad y_j = -\cos(j\pi/N), \quad j = 0..N,

ascending from ``x_0 = a`` to ``x_N = b`` (both hit exactly). The first-derivative matrix is Trefethen's
(*Spectral Methods in MATLAB*, SIAM 2000, doi:10.1137/1.9780898719598, ch. 6) with the node differences
computed from products of sines and the diagonal from the negative-sum trick (Baltensperger & Trummer,
SIAM J. Sci. Comput. 24 (2003) 1465, doi:10.1137/S1064827501388182), which keeps it accurate to about
``N^2`` ulps; the second-derivative matrix is its square. Values anywhere in [a, b] come from the
barycentric formula of the second kind with the weights ``(-1)^j``, halved at the ends (Berrut & Trefethen,
SIAM Rev. 46 (2004) 501, doi:10.1137/S0036144502417715), which is stable for these points (Higham,
IMA J. Numer. Anal. 24 (2004) 547, doi:10.1093/imanum/24.4.547).

Boundary conditions are rows ``B u = g(t)`` of the collocation system: the unit row (Dirichlet,
``u = g``) or the derivative row (Neumann, ``u_x = g``) at each end, with ``g`` constant or a function of
time. Solving these two rows for the two boundary values,

.. math:: u_{\partial} = B_{\partial}^{-1}\,(g - B_I u_I),

eliminates them (the boundary-bordering of Trefethen ch. 13 and Kassam & Trefethen 2005), so a
semilinear problem ``u_t = d u_xx + r u + P(u) + (F(u))_x`` becomes an ODE for the ``N - 1`` interior
values only: ``u_I' = L u_I + f(t) + N(u)`` with the dense matrix
``L = d (D2_II + D2_I∂ E) + r I`` (``E = -B_∂^{-1} B_I``) and the forcing ``f = d D2_I∂ B_∂^{-1} g(t)``
that carries the boundary data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import scipy.fft

BOUNDARY_KINDS = ("dirichlet", "neumann")


@dataclass(frozen=True)
class IntervalTerms:
    r"""``u_t = d u_xx + r u + P(u) + (F(u))_x`` with ``P(u) = p1 u + p2 u^2 + p3 u^3`` and the flux
    ``F(u) = f1 u + f2 u^2 + f3 u^3`` (Burgers: ``F = -u^2/2``). The diffusion ``d > 0`` and the
    reaction ``r`` form the linear operator that the exponential integrator treats exactly; ``P`` and
    ``F`` are evaluated pointwise at the collocation points (no dealiasing is needed by collocation)."""

    diffusion: float
    reaction: float = 0.0
    poly: tuple[float, float, float] = (0.0, 0.0, 0.0)
    flux: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self):
        if not self.diffusion > 0:
            raise ValueError(f"diffusion must be > 0 (a parabolic problem), got {self.diffusion}")


@dataclass(frozen=True)
class BoundaryCondition:
    """``u = value`` (Dirichlet) or ``u_x = value`` (Neumann) at one end; ``value`` is a number or a
    function of time (vectorised over an array of times)."""

    kind: str
    value: float | Callable[[np.ndarray], np.ndarray] = 0.0

    def __post_init__(self):
        if self.kind not in BOUNDARY_KINDS:
            raise ValueError(f"boundary kind {self.kind!r} unknown; allowed: {', '.join(BOUNDARY_KINDS)}")

    def at(self, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=float)
        if callable(self.value):
            return np.broadcast_to(np.asarray(self.value(times), dtype=float), times.shape).copy()
        return np.full(times.shape, float(self.value))

    def describe(self, side_x: float) -> str:
        what = "u" if self.kind == "dirichlet" else "u_x"
        value = "g(t)" if callable(self.value) else f"{float(self.value):g}"
        return f"{self.kind} {what} = {value} at x = {side_x:g}"


@dataclass(frozen=True)
class ChebyshevGrid:
    """The ``degree + 1`` Chebyshev-Gauss-Lobatto points on [a, b] and their collocation matrices."""

    degree: int
    a: float
    b: float

    def __post_init__(self):
        if self.degree < 2:
            raise ValueError(f"degree must be >= 2 (one interior point at least), got {self.degree}")
        if not self.a < self.b:
            raise ValueError(f"interval must have a < b, got [{self.a}, {self.b}]")

    @cached_property
    def reference_points(self) -> np.ndarray:
        """``y_j = -cos(j pi / N)`` in the symmetric form ``sin(pi (2j - N) / 2N)`` (exactly odd)."""
        n = self.degree
        return np.sin(np.pi * (2 * np.arange(n + 1) - n) / (2 * n))

    @cached_property
    def x(self) -> np.ndarray:
        y = self.reference_points
        x = 0.5 * self.a * (1 - y) + 0.5 * self.b * (1 + y)
        x[0], x[-1] = self.a, self.b
        return x

    @property
    def num_points(self) -> int:
        return self.degree + 1

    @cached_property
    def d1(self) -> np.ndarray:
        """First-derivative matrix on [a, b] (rows: points, ascending)."""
        n = self.degree
        j = np.arange(n + 1)
        # Trefethen's cheb() is for x_j = cos(j pi/N), descending; ascending points y = -x flip the sign of d/dy.
        sign = np.where(j % 2, -1.0, 1.0)
        c = np.where((j == 0) | (j == n), 2.0, 1.0) * sign
        half = np.pi / (2 * n)
        difference = -2.0 * np.sin((j[:, None] + j[None, :]) * half) * np.sin((j[:, None] - j[None, :]) * half)
        np.fill_diagonal(difference, 1.0)
        d = np.outer(c, 1.0 / c) / difference
        np.fill_diagonal(d, 0.0)
        np.fill_diagonal(d, -d.sum(axis=1))
        return -d * (2.0 / (self.b - self.a))

    @cached_property
    def d2(self) -> np.ndarray:
        return self.d1 @ self.d1

    @cached_property
    def barycentric_weights(self) -> np.ndarray:
        w = np.where(np.arange(self.degree + 1) % 2, -1.0, 1.0)
        w[0] *= 0.5
        w[-1] *= 0.5
        return w

    def interpolation_matrix(self, points: np.ndarray) -> np.ndarray:
        """Matrix P with ``P @ u`` the polynomial interpolant of the values ``u`` at ``points`` in [a, b];
        a point that coincides with a node takes that node's value exactly."""
        points = np.asarray(points, dtype=float)
        difference = points[:, None] - self.x[None, :]
        hits = difference == 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = self.barycentric_weights / difference
            matrix = terms / terms.sum(axis=1, keepdims=True)
        rows = hits.any(axis=1)
        matrix[rows] = hits[rows].astype(float)
        return matrix


def chebyshev_coefficients(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients ``c_k`` of the interpolant of values at the ascending Gauss-Lobatto points of any
    interval, ``u = sum_k c_k T_k(y)`` along the last axis (a DCT-I of the values at ``cos(j pi / N)``)."""
    degree = values.shape[-1] - 1
    c = scipy.fft.dct(values[..., ::-1], type=1, axis=-1) / degree
    c[..., 0] *= 0.5
    c[..., -1] *= 0.5
    return c


@lru_cache(maxsize=32)
def chebyshev_grid(degree: int, a: float, b: float) -> ChebyshevGrid:
    """A shared grid per (degree, interval): its matrices are computed once per process."""
    return ChebyshevGrid(degree, a, b)


@dataclass(frozen=True)
class UniformPoints:
    """Output points ``linspace(a, b, num_points)``, both endpoints included (the stored grid)."""

    num_points: int
    a: float
    b: float
    dimension = 1

    def __post_init__(self):
        if self.num_points < 2:
            raise ValueError(f"num_points must be >= 2, got {self.num_points}")
        if not self.a < self.b:
            raise ValueError(f"interval must have a < b, got [{self.a}, {self.b}]")

    @cached_property
    def x(self) -> np.ndarray:
        return np.linspace(self.a, self.b, self.num_points)

    def sample(self, function) -> np.ndarray:
        return np.asarray(function(self.x), dtype=float)


class IntervalOperator:
    """A semilinear problem on a Chebyshev grid with its two boundary rows eliminated (module docstring).

    Attributes used by the steppers: ``linear`` (n x n, n = N - 1), ``forcing`` (n x 2: times
    ``(g_left, g_right)``), ``boundary_map`` (2 x n) and ``boundary_data`` (2 x 2) giving the boundary
    values ``boundary_map @ u_I + boundary_data @ g``, and ``flux_rows`` (the interior rows of D1).
    """

    def __init__(self, grid: ChebyshevGrid, terms: IntervalTerms, left: BoundaryCondition,
                 right: BoundaryCondition):
        self.grid, self.terms, self.left, self.right = grid, terms, left, right
        n = grid.degree
        ends = [0, n]
        rows = np.zeros((2, n + 1))
        for row, (side, index) in enumerate(((left, 0), (right, n))):
            if side.kind == "dirichlet":
                rows[row, index] = 1.0
            else:
                rows[row] = grid.d1[index]
        inverse = np.linalg.inv(rows[:, ends])
        self.boundary_map = np.ascontiguousarray(-inverse @ rows[:, 1:n])
        self.boundary_data = np.ascontiguousarray(inverse)
        d2_interior = grid.d2[1:n]
        self.linear = terms.diffusion * (d2_interior[:, 1:n] + d2_interior[:, ends] @ self.boundary_map)
        self.linear[np.diag_indices(n - 1)] += terms.reaction
        self.forcing = np.ascontiguousarray(terms.diffusion * d2_interior[:, ends] @ inverse)
        self.flux_rows = np.ascontiguousarray(grid.d1[1:n])

    def boundary_values(self, times: np.ndarray) -> np.ndarray:
        """``g`` at each time: shape (len(times), 2), (left, right)."""
        return np.stack([self.left.at(times), self.right.at(times)], axis=-1)

    def full(self, interior: np.ndarray, data: np.ndarray) -> np.ndarray:
        """All N + 1 values from the interior values (..., n) and the boundary data (..., 2)."""
        ends = interior @ self.boundary_map.T + data @ self.boundary_data.T
        return np.concatenate([ends[..., :1], interior, ends[..., 1:]], axis=-1)
