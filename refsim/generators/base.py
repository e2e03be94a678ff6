"""What an equation declares: parameters, semilinear terms, invariants, exact solutions.

An equation is one file that subclasses :class:`Equation`; it registers itself by
name in :data:`EQUATIONS`. The solvers never see this module: an equation turns
into :class:`~refsim.solvers.semilinear.SemilinearTerms` on any grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ..solvers.grid import FourierGrid
from ..solvers.semilinear import SemilinearTerms

EQUATIONS: dict[str, type[Equation]] = {}


@dataclass(frozen=True)
class Parameter:
    """A scalar parameter with its symbol, default and admissible interval."""

    name: str
    symbol: str
    description: str
    default: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    nonzero: bool = False

    def problem(self, value: float) -> str | None:
        """None if ``value`` is admissible, else a sentence saying what is allowed."""
        if not np.isfinite(value):
            return "must be a finite number"
        if self.nonzero and value == 0:
            return "must be nonzero"
        if self.minimum is not None:
            if self.exclusive_minimum and not value > self.minimum:
                return f"must be > {self.minimum:g}"
            if value < self.minimum:
                return f"must be >= {self.minimum:g}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum:g}"
        return None

    @property
    def allowed(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        if self.nonzero:
            parts.append("nonzero")
        return " and ".join(parts) or "any finite number"


@dataclass(frozen=True)
class Invariant:
    """A functional monitored per frame.

    ``kind`` is ``conserved`` (constant in time for the PDE) or ``nonincreasing``
    (a Lyapunov functional such as a free energy). ``degree`` is the polynomial
    degree of the density: Runge-Kutta and exponential methods preserve linear
    invariants (degree 1) to round-off; other drifts converge at the method's order.
    """

    name: str
    formula: str
    kind: Literal["conserved", "nonincreasing"]
    degree: int
    evaluate: Callable[[np.ndarray, FourierGrid], np.ndarray]


def mass(u: np.ndarray, grid: FourierGrid) -> np.ndarray:
    return grid.integrate(u)


def l2_squared(u: np.ndarray, grid: FourierGrid) -> np.ndarray:
    return grid.integrate(u * u)


@dataclass(frozen=True)
class ExactCase:
    """A configuration with a known exact solution, for calibration and contract tests.

    ``initial(equation, length, origin)`` returns the initial condition; the
    equation's :meth:`Equation.exact_solution` must know it.
    """

    name: str
    parameters: dict[str, float]
    length: float
    points: int
    end: float
    frames: int
    initial: Callable
    origin: float = 0.0


class Model:
    """What every registered model (PDE or ODE system) shares: a name and validated parameters."""

    kind: ClassVar[str]
    name: ClassVar[str]
    title: ClassVar[str]
    pde: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    references: ClassVar[tuple[str, ...]] = ()
    exact_solutions: ClassVar[str] = "none known"
    chaotic: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            EQUATIONS[cls.name] = cls

    def __init__(self, **values: float):
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(
                f"unknown parameter {unknown[0]!r} for equation {self.name!r}; allowed: {', '.join(known) or 'none'}"
            )
        params = {}
        for name, spec in known.items():
            if name not in values and spec.default is None:
                raise ValueError(f"parameter {name!r} of equation {self.name!r} is required ({spec.description})")
            value = float(values.get(name, spec.default))
            problem = spec.problem(value)
            if problem:
                raise ValueError(f"parameter {name!r} {problem} (got {value:g})")
            params[name] = value
        self.params = params

    def __getattr__(self, item):
        try:
            return self.__dict__["params"][item]
        except KeyError:
            raise AttributeError(item) from None

    def invariants(self) -> tuple[Invariant, ...]:
        return ()

    @classmethod
    def exact_cases(cls) -> tuple[ExactCase, ...]:
        """Configurations whose exact solution this model knows (none by default)."""
        return ()

    @classmethod
    def describe(cls) -> dict:
        return {
            "name": cls.name,
            "kind": cls.kind,
            "title": cls.title,
            "pde": cls.pde,
            "parameters": {p.name: {"symbol": p.symbol, "description": p.description,
                                    "default": p.default, "allowed": p.allowed} for p in cls.parameters},
            "invariants": [{"name": i.name, "formula": i.formula, "kind": i.kind}
                           for i in cls(**{p.name: p.default if p.default is not None else 1.0
                                           for p in cls.parameters}).invariants()],
            "exact_solutions": cls.exact_solutions,
            "references": list(cls.references),
        }


class Equation(Model):
    """Base class of a periodic 1D semilinear PDE ``u_t = L u + N(u)``.

    Subclasses set ``name``, ``title``, ``pde``, ``parameters``, ``references`` and
    implement :meth:`linear_symbol` and :meth:`nonlinear`.
    """

    kind = "pde"
    variable: ClassVar[str] = "u"

    def linear_symbol(self, grid: FourierGrid) -> np.ndarray:
        raise NotImplementedError

    def nonlinear(self, grid: FourierGrid) -> tuple[np.ndarray, tuple[float, float, float]]:
        """The multiplier ``m(k)`` (without dealiasing) and polynomial ``(c1, c2, c3)``."""
        return np.zeros(grid.num_modes, dtype=complex), (0.0, 0.0, 0.0)

    def terms(self, grid: FourierGrid) -> SemilinearTerms:
        multiplier, poly = self.nonlinear(grid)
        terms = SemilinearTerms(np.asarray(self.linear_symbol(grid), dtype=complex), multiplier, poly)
        mask = grid.dealias_mask(terms.degree)
        return SemilinearTerms(terms.symbol, np.asarray(multiplier, dtype=complex) * mask, poly)

    def admissible_range(self, initial: np.ndarray) -> tuple[float, float] | None:
        """Bounds the solution keeps for all time given its initial values, or None."""
        return None

    def exact_solution(self, initial_condition, x: np.ndarray, t: np.ndarray) -> np.ndarray | None:
        """Exact solution for this initial condition at times t (shape (T, len(x))), or None."""
        return None
