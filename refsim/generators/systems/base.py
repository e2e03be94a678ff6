"""What an ODE system declares: its state layout, compiled vector field, energy, invariants.

A system is one file that subclasses :class:`System`; it registers itself by name
in the same registry as the PDEs. Its compiled functions have the fixed Numba
signatures of :mod:`refsim.solvers.ode.signatures`, so every integrator kernel is
compiled once for all systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..base import Invariant, Model


@dataclass(frozen=True)
class Layout:
    """How the flat state ``y`` is stored.

    ``canonical``: ``y = (q, p)``, each of shape (bodies, components) flattened.
    ``state``: ``y`` is a list of named scalars (non-canonical systems).
    """

    kind: str
    bodies: int = 1
    components: int = 1
    names: tuple[str, ...] = ()

    @property
    def dimension(self) -> int:
        return 2 * self.bodies * self.components if self.kind == "canonical" else len(self.names)


class System(Model):
    """Base class of an autonomous ODE system ``y' = f(y)``.

    Subclasses set ``name``, ``title``, ``pde`` (the equations as text), ``parameters``
    and implement :meth:`layout` and :meth:`functions`; Hamiltonian systems also
    :meth:`energy` (vectorised over frames).
    """

    kind = "ode"
    hamiltonian: ClassVar[bool] = True
    separable: ClassVar[bool] = True
    energy_degree: ClassVar[int] = 0  # polynomial degree of H in the state; 0: not a polynomial

    def layout(self) -> Layout:
        raise NotImplementedError

    def functions(self) -> dict:
        """The compiled functions: ``field`` always; ``force``/``velocity`` if separable; ``energy``."""
        raise NotImplementedError

    def params_array(self) -> np.ndarray:
        return np.array([self.params[p.name] for p in self.parameters], dtype=float)

    def field(self, y: np.ndarray) -> np.ndarray:
        """The vector field at each state of ``y`` (shape (..., d)), evaluated by the compiled function."""
        flat = np.ascontiguousarray(np.asarray(y, dtype=float).reshape(-1, y.shape[-1]))
        out = np.empty_like(flat)
        params = self.params_array()
        fn = self.functions()["field"]
        for i in range(flat.shape[0]):
            fn(flat[i], params, out[i])
        return out.reshape(np.shape(y))

    def energy_of(self, y: np.ndarray) -> np.ndarray:
        flat = np.ascontiguousarray(np.asarray(y, dtype=float).reshape(-1, y.shape[-1]))
        params = self.params_array()
        fn = self.functions()["energy"]
        return np.array([fn(row, params) for row in flat]).reshape(np.shape(y)[:-1])

    def energy_invariant(self, formula: str) -> Invariant:
        return Invariant("energy", formula, "conserved", self.energy_degree, lambda y, system: system.energy_of(y))

    def admissible_range(self, initial: np.ndarray):
        return None

    def exact_solution(self, initial_condition, t: np.ndarray) -> np.ndarray | None:
        """Exact states at times t, shape (len(t), d), or None."""
        return None


def split(y: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """``q`` and ``p`` of canonical states ``y`` (..., d), each (..., bodies, components)."""
    half = y.shape[-1] // 2
    shape = y.shape[:-1] + (layout.bodies, layout.components)
    return y[..., :half].reshape(shape), y[..., half:].reshape(shape)
