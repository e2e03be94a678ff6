"""The discrete variational derivative method (DVDM): difference operators, Newton solve, time loop.

A Hamiltonian or gradient PDE ``u_t = D dG/du`` (``D`` skew-adjoint, or negative semi-definite)
is discretised on ``M`` periodic points ``x_k = x_0 + k dx`` by a discrete energy
``G_d(U) = sum_k g(U)_k dx`` and its *discrete variational derivative*
``dG/d(U', U)``, defined by the discrete chain rule

.. math:: G_d(U') - G_d(U) = \\sum_k \\frac{\\delta G_d}{\\delta(U', U)}_k (U'_k - U_k)\\, \\Delta x,

and the scheme is ``(U^{n+1} - U^n) / dt = D_d dG/d(U^{n+1}, U^n)`` with a difference operator
``D_d`` that keeps ``D``'s structure. The identity gives
``G_d(U^{n+1}) - G_d(U^n) = dt sum_k mu_k (D_d mu)_k dx``: zero for skew ``D_d`` (KdV, NLS),
``-dt sum (delta^+ mu)^2 dx <= 0`` for ``D_d = delta^<2>`` (Cahn-Hilliard), *exactly*, whatever the
step. In floating point the conservation holds up to round-off and the residual left by the
nonlinear solve, which is why every step here is solved by Newton's method to the round-off floor
(DGNet's data used ``scipy.optimize.fsolve`` with ``xtol = 1e-10``, which leaves the energy
conserved only to about that level). The schemes are symmetric and second order in dt and dx.

Difference operators (periodic): ``delta^+ U_k = (U_{k+1} - U_k)/dx``, ``delta^- U_k = (U_k -
U_{k-1})/dx``, ``delta^<1> = (delta^+ + delta^-)/2``, ``delta^<2> = delta^+ delta^-``.

References: D. Furihata, J. Comput. Phys. 156 (1999) 181, doi:10.1006/jcph.1999.6377;
D. Furihata & T. Matsuo, *Discrete Variational Derivative Method*, CRC Press (2011),
doi:10.1201/b10387.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg

SCHEMES: dict[str, type[DvdmScheme]] = {}

TARGET = 1e-14  # relative Newton residual the solve must reach (it then runs on to the round-off floor)
MAX_ITERATIONS = 30
DENSE_LIMIT = 64  # unknowns up to which a batched dense LU beats a sparse LU per trajectory (LAPACK threads
# oversubscribe busy cores from about 100 unknowns)
_EPS = np.finfo(float).eps
GUESSES = ("extrapolate", "previous", "euler")


class PeriodicDifferences:
    """Central-difference operators on ``num_points`` periodic points of spacing ``length / num_points``."""

    def __init__(self, num_points: int, length: float):
        self.num_points, self.spacing = num_points, length / num_points

    def forward(self, u):
        return (np.roll(u, -1, axis=-1) - u) / self.spacing

    def backward(self, u):
        return (u - np.roll(u, 1, axis=-1)) / self.spacing

    def central(self, u):
        return (np.roll(u, -1, axis=-1) - np.roll(u, 1, axis=-1)) / (2 * self.spacing)

    def second(self, u):
        return (np.roll(u, -1, axis=-1) - 2 * u + np.roll(u, 1, axis=-1)) / self.spacing**2

    def gradient_squared(self, u):
        """``((delta^+ U)^2 + (delta^- U)^2) / 2``, the symmetric discrete ``u_x^2`` (``|.|^2`` if complex)."""
        return 0.5 * (np.abs(self.forward(u)) ** 2 + np.abs(self.backward(u)) ** 2)

    def integrate(self, density):
        return density.sum(axis=-1) * self.spacing

    def matrix(self, stencil: dict[int, float]) -> sparse.csr_matrix:
        """Circulant matrix of ``(A U)_k = sum_j stencil[j] U_{k+j}`` (indices mod M)."""
        m = self.num_points
        rows = np.repeat(np.arange(m), len(stencil))
        cols = (rows + np.tile(list(stencil), m)) % m
        values = np.tile(list(stencil.values()), m)
        return sparse.csr_matrix((values, (rows, cols)), shape=(m, m))

    @property
    def central_matrix(self):
        return self.matrix({-1: -0.5 / self.spacing, 1: 0.5 / self.spacing})

    @property
    def second_matrix(self):
        h2 = self.spacing**2
        return self.matrix({-1: 1 / h2, 0: -2 / h2, 1: 1 / h2})


def operator_norm(op: sparse.spmatrix) -> float:
    """Max-norm (largest absolute row sum) of a sparse matrix."""
    return float(abs(sparse.csr_matrix(op)).sum(axis=1).max())


@dataclass(frozen=True)
class DiscreteInvariant:
    """A discrete functional of the grid values, named like the PDE invariant it approximates.

    ``exact`` says whether the scheme keeps it (conserved, or non-increasing) up to round-off and
    the Newton residual; the others converge to the PDE's value at second order but drift.
    """

    name: str
    formula: str
    kind: Literal["conserved", "nonincreasing"]
    degree: int
    exact: bool
    evaluate: Callable[[np.ndarray], np.ndarray]  # field values (..., M) -> (...)


class DvdmScheme:
    """One equation's DVDM scheme on a periodic grid; subclasses register by the equation's name.

    A subclass defines ``residual(new, old, dt)`` (``new - old - dt F(new, old)`` for a batch of
    real states, shape (B, n)), its Jacobian in ``new`` as ``jacobian_terms`` (a list of
    ``(operator name, coefficients)`` meaning ``sum_t L_t diag(c_t)``, with ``L_t`` from
    ``operators``), and ``invariants``; it passes the max-norm of the linear part of ``F`` as
    ``stiffness``, which sets the scale of the relative Newton residual. Complex fields are solved
    as real states ``[Re u, Im u]``.
    """

    name: ClassVar[str]
    complex_valued: ClassVar[bool] = False
    order: ClassVar[int] = 2

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            SCHEMES[cls.name] = cls

    def __init__(self, num_points: int, length: float, operators: dict[str, sparse.spmatrix], stiffness: float):
        self.num_points, self.length, self.stiffness = num_points, length, stiffness
        self.d = PeriodicDifferences(num_points, length)
        self.size = next(iter(operators.values())).shape[0]
        # every operator on the union of their sparsity patterns (CSC), so a Jacobian is one weighted sum
        pattern = sparse.csc_matrix(sum(abs(sparse.csc_matrix(op)) for op in operators.values()))
        pattern.sort_indices()
        self._indices, self._indptr = pattern.indices, pattern.indptr
        self._columns = np.repeat(np.arange(self.size), np.diff(pattern.indptr))
        self._on_pattern = {n: np.asarray(sparse.csr_matrix(op)[self._indices, self._columns]).ravel()
                            for n, op in operators.items()}
        self._dense = {n: sparse.csr_matrix(op).toarray() for n, op in operators.items()} \
            if self.size <= DENSE_LIMIT else None

    def residual(self, new: np.ndarray, old: np.ndarray, dt: float) -> np.ndarray:
        raise NotImplementedError

    def jacobian_terms(self, new: np.ndarray, old: np.ndarray, dt: float) -> list[tuple[str, object]]:
        raise NotImplementedError

    def invariants(self) -> tuple[DiscreteInvariant, ...]:
        raise NotImplementedError

    def to_state(self, u: np.ndarray) -> np.ndarray:
        """Field values (..., M) -> real solver state (..., n)."""
        return np.concatenate([u.real, u.imag], axis=-1) if self.complex_valued else np.asarray(u, dtype=float)

    def to_field(self, state: np.ndarray) -> np.ndarray:
        if not self.complex_valued:
            return state
        m = self.num_points
        return state[..., :m] + 1j * state[..., m:]

    def newton_step(self, new: np.ndarray, old: np.ndarray, dt: float, residual: np.ndarray) -> np.ndarray:
        """``J(new)^{-1} residual`` for every row: a batched dense LU up to ``DENSE_LIMIT`` unknowns, a
        sparse LU per row above (the Jacobians are banded up to the periodic corners)."""
        terms = self.jacobian_terms(new, old, dt)
        if self._dense is not None:
            jac = sum(self._dense[n][None] * (c[:, None, :] if np.ndim(c) else c) for n, c in terms)
            return np.linalg.solve(jac, residual[..., None])[..., 0]
        data = sum(self._on_pattern[n] * (c[:, self._columns] if np.ndim(c) else c) for n, c in terms)
        data = np.broadcast_to(data, (residual.shape[0], self._columns.size))
        out = np.empty_like(residual)
        for row in range(residual.shape[0]):
            jac = sparse.csc_matrix((data[row], self._indices, self._indptr), shape=(self.size, self.size))
            out[row] = sparse_linalg.splu(jac).solve(residual[row])
        return out


def newton(scheme: DvdmScheme, old: np.ndarray, guess: np.ndarray, dt: float):
    """Solve ``scheme.residual(new, old, dt) = 0`` for each row by Newton's method.

    The relative residual is ``r = max|R| / (max|old| (1 + dt s))``, with ``s = scheme.stiffness``
    the max-norm of the linear part of ``F``: the size of the terms whose difference is ``R``, so
    round-off alone leaves ``r`` at a few ``eps`` however stiff the grid. It is driven below
    ``TARGET`` and on until a step no longer reduces it eightfold (the round-off floor), or below
    ``4 eps``; the iterate with the smallest residual is kept. Rows are independent: each stops on
    its own, so a trajectory's result does not depend on the others in its batch. A non-finite
    residual makes the row NaN.

    Returns the solutions (B, n), their relative residuals (B,) and the Newton iterations (B,).
    """
    new = np.array(guess, dtype=float)
    scale = np.maximum(np.abs(old).max(axis=-1) * (1 + dt * scheme.stiffness), np.finfo(float).tiny)
    best, best_r = new.copy(), np.full(new.shape[0], np.inf)
    iterations = np.zeros(new.shape[0], dtype=np.int64)
    active = np.arange(new.shape[0])
    for it in range(MAX_ITERATIONS + 1):
        res = scheme.residual(new[active], old[active], dt)
        r = np.abs(res).max(axis=-1) / scale[active]
        previous = best_r[active]
        improved = r < previous
        best[active[improved]], best_r[active[improved]] = new[active[improved]], r[improved]
        stalled = ~(r < previous / 8)
        broken = ~np.isfinite(r)
        best[active[broken]], best_r[active[broken]] = np.nan, np.nan
        finished = broken | (r <= 4 * _EPS) | ((best_r[active] <= TARGET) & stalled) | (it == MAX_ITERATIONS)
        active, res = active[~finished], res[~finished]
        if not active.size:
            break
        new[active] -= scheme.newton_step(new[active], old[active], dt, res)
        iterations[active] += 1
    return best, best_r, iterations


@dataclass
class DvdmRun:
    """Frames of a batch and the record of its Newton solves."""

    frames: np.ndarray  # (B, F, n) solver states
    residual: np.ndarray  # (B, F) largest relative residual of the steps ending at each frame (0 at frame 0)
    residual_sum: np.ndarray  # (B, F) relative residuals summed over all steps up to each frame
    iterations: np.ndarray  # (B,) Newton iterations


def integrate(scheme: DvdmScheme, state0: np.ndarray, dt: float, steps_per_frame: int, num_frames: int,
              guess: str = "extrapolate") -> DvdmRun:
    """March ``(B, n)`` initial states for ``(num_frames - 1) * steps_per_frame`` steps of ``dt``.

    ``guess`` is the Newton starting point: ``extrapolate`` (``2 U^n - U^{n-1}``, explicit Euler on
    the first step), ``previous`` (``U^n``) or ``euler`` (``U^n + dt F(U^n, U^n)``, DGNet's choice).
    They converge to the same solution up to round-off, by different paths, which is what the
    model-error estimate measures.
    """
    if guess not in GUESSES:
        raise ValueError(f"guess must be one of {GUESSES}, got {guess!r}")
    state = np.array(state0, dtype=float)
    batch = state.shape[0]
    frames = np.empty((batch, num_frames, state.shape[1]))
    frames[:, 0] = state
    residual, total = np.zeros((batch, num_frames)), np.zeros((batch, num_frames))
    iterations = np.zeros(batch, dtype=np.int64)
    before = None
    with np.errstate(all="ignore"):  # a blow-up shows as NaN rows, reported by the caller
        for frame in range(1, num_frames):
            worst, summed = np.zeros(batch), total[:, frame - 1].copy()
            for _ in range(steps_per_frame):
                if guess == "previous":
                    start = state
                elif guess == "extrapolate" and before is not None:
                    start = 2 * state - before
                else:
                    start = state - scheme.residual(state, state, dt)  # R(U, U) = -dt F(U, U)
                new, r, its = newton(scheme, state, start, dt)
                worst, summed, iterations = np.maximum(worst, r), summed + r, iterations + its
                before, state = state, new
            frames[:, frame], residual[:, frame], total[:, frame] = state, worst, summed
    return DvdmRun(frames, residual, total, iterations)
