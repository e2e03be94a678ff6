"""Equations solved as spectral systems: several fields, complex fields, or two dimensions.

Such an equation subclasses :class:`SpectralEquation` and turns itself into
:class:`~refsim.solvers.spectral_system.SystemTerms` on any grid. It declares its
fields (stored as one variable each, named as in the equation), whether they are
complex, and its spatial dimension. Everything else (parameters, invariants,
exact cases, the registry) is shared with the scalar :class:`~.base.Equation`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..solvers.grid import FourierGrid
from ..solvers.grid2d import FourierGrid2D
from ..solvers.spectral_system import SystemTerms
from .base import Model


class SpectralEquation(Model):
    """Base class of a periodic PDE system ``v_t = L v + N(v)`` in a spectral layout of its choice."""

    kind = "pde"
    fields: ClassVar[tuple[str, ...]] = ("u",)
    complex_valued: ClassVar[bool] = False
    dimension: ClassVar[int] = 1

    @property
    def variable(self) -> str:
        return self.fields[0]

    @classmethod
    def grid_class(cls) -> type[FourierGrid]:
        return FourierGrid2D if cls.dimension == 2 else FourierGrid

    def state_shape(self, grid: FourierGrid) -> tuple[int, ...]:
        """Shape of one trajectory's state on ``grid``: fields first when there are several."""
        return ((len(self.fields),) if len(self.fields) > 1 else ()) + grid.shape

    def terms(self, grid: FourierGrid) -> SystemTerms:
        raise NotImplementedError

    def admissible_range(self, initial: np.ndarray) -> tuple[float, float] | None:
        return None

    def exact_solution(self, initial_condition, x: np.ndarray, t: np.ndarray) -> np.ndarray | None:
        """Exact states at times t, shape (T, *state_shape), or None (x: the grid's coordinate)."""
        return None


def real_fields_layout(grid: FourierGrid, count: int):
    """``forward``/``inverse`` for ``count`` real fields: rfft (1D) or rfft2 (2D) of each, concatenated."""
    axes = tuple(range(-grid.dimension, 0))
    shape = grid.shape
    lead = 0 if count == 1 else 1

    def forward(u):
        u_hat = np.fft.rfftn(u, axes=axes)
        return u_hat.reshape(u.shape[: u.ndim - grid.dimension - lead] + (-1,))

    def inverse(v):
        spectral = (grid.num_points, grid.num_modes) if grid.dimension == 2 else (grid.num_modes,)
        fields = () if count == 1 else (count,)
        v_hat = v.reshape(v.shape[:-1] + fields + spectral)
        return np.fft.irfftn(v_hat, shape, axes=axes)

    return forward, inverse
