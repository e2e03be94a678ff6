"""Butcher tableaus as data that check themselves, and Gauss–Legendre rules to full precision.

A Runge–Kutta method ``Y_i = y0 + h sum_j a_ij f(Y_j)``, ``y1 = y0 + h sum_i b_i f(Y_i)``
is given by ``(A, b, c)``. ``ButcherTableau`` verifies on construction the row
sums ``A 1 = c``, the simplifying conditions ``B(order)`` and ``C(stage_order)``
and every rooted-tree order condition ``b^T Phi(t) = 1/gamma(t)`` for trees with
at most ``order`` vertices (Butcher's theory; Hairer, Nørsett & Wanner, *Solving
Ordinary Differential Equations I*, Sec. II.2, doi:10.1007/978-3-540-78862-1).

Gauss–Legendre nodes are the roots of the shifted Legendre polynomial, found by
Newton's method in 40-digit decimal arithmetic (stdlib ``decimal``, so no extra
runtime dependency) and rounded once to float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cache

import numpy as np

DIGITS = 40
EPS = np.finfo(np.float64).eps


@cache
def rooted_trees(max_order: int) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """All rooted trees with at most ``max_order`` vertices, each as (order, children),
    ``children`` being sorted indices of earlier trees (a canonical multiset)."""
    trees: list[tuple[int, tuple[int, ...]]] = [(1, ())]

    def forests(total, start, pool):
        if total == 0:
            yield ()
            return
        for index in range(start, len(pool)):
            if pool[index][0] <= total:
                for rest in forests(total - pool[index][0], index, pool):
                    yield (index, *rest)

    for order in range(2, max_order + 1):
        pool = list(trees)
        trees.extend((order, children) for children in forests(order - 1, 0, pool))
    return tuple(trees)


@dataclass(frozen=True, eq=False)
class ButcherTableau:
    """A Runge–Kutta tableau ``(A, b, c)`` of the declared ``order`` and ``stage_order``.

    Raises ``ValueError`` on construction if an order condition fails by more than
    a few units of round-off of its own terms.
    """

    A: np.ndarray
    b: np.ndarray
    c: np.ndarray
    order: int
    stage_order: int = 1

    def __post_init__(self):
        for key in ("A", "b", "c"):
            value = np.array(getattr(self, key), dtype=np.float64, order="C")
            value.setflags(write=False)
            object.__setattr__(self, key, value)
        s = self.b.shape[0]
        if self.A.shape != (s, s) or self.c.shape != (s,):
            raise ValueError(f"inconsistent tableau shapes A {self.A.shape}, b {self.b.shape}, c {self.c.shape}")
        self._require(self.A.sum(axis=1), self.c, np.abs(self.A).sum(axis=1), "row sums A 1 = c")
        for k in range(1, self.order + 1):
            self._require(self.b @ self.c ** (k - 1), 1.0 / k, np.abs(self.b) @ np.abs(self.c) ** (k - 1),
                          f"B({k}): sum b c^{k - 1} = 1/{k}")
        for k in range(1, self.stage_order + 1):
            self._require(self.A @ self.c ** (k - 1), self.c ** k / k, np.abs(self.A) @ np.abs(self.c) ** (k - 1),
                          f"C({k}): A c^{k - 1} = c^{k}/{k}")
        self._check_trees()

    def _check_trees(self):
        vectors, sizes, gammas = [], [], []
        abs_a, abs_b = np.abs(self.A), np.abs(self.b)
        for order, children in rooted_trees(self.order):
            g, g_abs, gamma = np.ones_like(self.b), np.ones_like(self.b), order
            for child in children:
                g = g * (self.A @ vectors[child])
                g_abs = g_abs * (abs_a @ sizes[child])
                gamma *= gammas[child]
            vectors.append(g)
            sizes.append(g_abs)
            gammas.append(gamma)
            self._require(self.b @ g, 1.0 / gamma, abs_b @ g_abs, f"tree of order {order} with children {children}")

    @staticmethod
    def _require(value, target, magnitude, what):
        if np.any(np.abs(value - target) > 64 * EPS * np.maximum(magnitude, 1.0)):
            raise ValueError(f"Butcher tableau fails {what}: {value} != {target}")

    @property
    def stages(self) -> int:
        return self.b.shape[0]


def _legendre(n: int, x: Decimal) -> tuple[Decimal, Decimal]:
    """``P_n(x)`` and ``P_n'(x)`` by the three-term recurrence."""
    previous, current = Decimal(1), x
    for k in range(1, n):
        previous, current = current, ((2 * k + 1) * x * current - k * previous) / (k + 1)
    return current, n * (x * current - previous) / (x * x - 1)


@cache
def gauss_legendre_decimal(num_nodes: int) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
    """Nodes and weights of the ``num_nodes``-point Gauss rule on [0, 1], to 40 digits."""
    guesses = np.polynomial.legendre.leggauss(num_nodes)[0]
    nodes, weights = [], []
    with localcontext() as context:
        context.prec = DIGITS + 10
        for guess in guesses:
            x = Decimal(float(guess))
            for _ in range(8):
                value, slope = _legendre(num_nodes, x)
                x -= value / slope
            _, slope = _legendre(num_nodes, x)
            nodes.append((1 + x) / 2)
            weights.append(1 / ((1 - x * x) * slope * slope))
    return tuple(nodes), tuple(weights)


def gauss_legendre_rule(num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Float64 nodes and weights of the Gauss–Legendre rule on [0, 1], exact for
    polynomials of degree ``2 num_nodes - 1``."""
    nodes, weights = gauss_legendre_decimal(num_nodes)
    return np.array([float(x) for x in nodes]), np.array([float(w) for w in weights])


def gauss_legendre_tableau(stages: int) -> ButcherTableau:
    """The ``stages``-stage Gauss–Legendre collocation method (order ``2 stages``,
    stage order ``stages``): ``c`` the Gauss nodes on [0, 1], ``a_ij = int_0^{c_i} l_j``,
    ``b_j = int_0^1 l_j`` with ``l_j`` the Lagrange basis on ``c``."""
    nodes, _ = gauss_legendre_decimal(stages)
    with localcontext() as context:
        context.prec = DIGITS + 10
        primitives = []
        for j in range(stages):
            coefficients = [Decimal(1)]
            for k in range(stages):
                if k == j:
                    continue
                scale = nodes[j] - nodes[k]
                shifted = [Decimal(0)] + coefficients
                for m, value in enumerate(coefficients):
                    shifted[m] -= nodes[k] * value
                coefficients = [value / scale for value in shifted]
            primitives.append([value / (m + 1) for m, value in enumerate(coefficients)])

        def integral(j, upper):
            return sum(value * upper ** (m + 1) for m, value in enumerate(primitives[j]))

        a = [[float(integral(j, nodes[i])) for j in range(stages)] for i in range(stages)]
        b = [float(integral(j, Decimal(1))) for j in range(stages)]
    return ButcherTableau(np.array(a), np.array(b), np.array([float(x) for x in nodes]),
                          order=2 * stages, stage_order=stages)
