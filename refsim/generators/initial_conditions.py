"""Initial-condition families: seeded random functions of x, evaluable on any grid.

A family is a frozen dataclass registered by name in :data:`FAMILIES`. Its
``sample(rng, equation, length, origin)`` returns an :class:`InitialCondition`,
a periodic function of x, so one random initial condition can be evaluated at
the output grid and at every finer grid the verification uses.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..solvers.grid import FourierGrid
from .samplers import parse_sampler

FAMILIES: dict[str, type[Family]] = {}


class InitialCondition:
    """A periodic function of x with a description for the metadata."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Family:
    __pydantic_config__: ClassVar[dict] = {"extra": "forbid"}
    name: ClassVar[str]
    description: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            FAMILIES[cls.name] = cls

    def sample(self, rng: np.random.Generator, equation, length: float, origin: float) -> InitialCondition:
        raise NotImplementedError


class FourierSeries(InitialCondition):
    """``offset + sum_j a_j cos(k_j (x - x0)) + b_j sin(k_j (x - x0))``, k_j = 2 pi j / L."""

    def __init__(self, cos_coefficients, sin_coefficients, length, origin, offset=0.0):
        self.a = np.asarray(cos_coefficients, dtype=float)
        self.b = np.asarray(sin_coefficients, dtype=float)
        self.length, self.origin, self.offset = length, origin, offset

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        j = np.arange(1, self.a.size + 1)
        phase = 2 * np.pi * np.outer(x - self.origin, j) / self.length
        return self.offset + np.cos(phase) @ self.a + np.sin(phase) @ self.b

    def describe(self):
        return {"modes": int(self.a.size)}

    def evolved(self, symbol, x, t):
        """Exact solution of ``u_t = L u`` (L with Fourier symbol ``symbol(k)``) at times t.

        Mode j with complex amplitude ``a_j - i b_j`` multiplies by ``exp(symbol(k_j) t)``.
        Returns shape (len(t), len(x)).
        """
        x = np.asarray(x, dtype=float)
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
        k = 2 * np.pi * np.arange(1, self.a.size + 1) / self.length
        amp = (self.a - 1j * self.b)[None, :] * np.exp(np.asarray(symbol(k))[None, :] * t)
        waves = np.exp(1j * np.outer(k, x - self.origin))
        mean = self.offset * np.exp(complex(symbol(np.zeros(1))[0]) * t)
        return (amp @ waves).real + mean.real



def poisson_kernel(eq, length, origin, ratio=0.7):
    """``(1 - r^2) / (1 - 2 r cos x + r^2) = 1 + 2 sum r^j cos(j x)``: every mode present, so a
    coarse grid has a measurable spatial error (the series is cut where ``r^j`` is below 1e-20)."""
    j = np.arange(1, int(np.log(1e-20) / np.log(ratio)) + 1)
    return FourierSeries(2 * ratio**j, np.zeros(j.size), length, origin, offset=1.0)


@dataclass(frozen=True)
class RandomFourier(Family):
    """Band-limited random Fourier series with modes 1..``modes``.

    Coefficients are independent normal with standard deviation ``j**-decay``;
    the series is scaled to root-mean-square ``amplitude`` (computed from the
    coefficients, so it does not depend on the grid) and shifted by ``offset``.
    """

    name = "fourier"
    description = "band-limited random Fourier series (one per field; 2D series on 2D equations)"
    modes: int = 6
    amplitude: float | dict = 1.0
    decay: float = 1.0
    offset: float | dict = 0.0

    def __post_init__(self):
        if self.modes < 1:
            raise ValueError(f"modes: must be >= 1, got {self.modes}")
        parse_sampler(self.amplitude, "amplitude")
        parse_sampler(self.offset, "offset")

    def sample(self, rng, equation, length, origin):
        from .multifield import per_field, random_series_2d

        def draw():
            amplitude = parse_sampler(self.amplitude, "amplitude").draw(rng)
            offset = parse_sampler(self.offset, "offset").draw(rng)
            if getattr(equation, "dimension", 1) == 2:
                wavenumber_unit = 2 * np.pi / length
                return random_series_2d(rng, self.modes, lambda k: (k / wavenumber_unit) ** -self.decay,
                                        amplitude, length, origin, offset)
            std = np.arange(1, self.modes + 1, dtype=float) ** -self.decay
            a, b = rng.standard_normal((2, self.modes)) * std
            rms = np.sqrt(0.5 * np.sum(a * a + b * b))
            return FourierSeries(a * amplitude / rms, b * amplitude / rms, length, origin, offset)

        return per_field(equation, draw)


@dataclass(frozen=True)
class GaussianRandomField(Family):
    """Periodic Gaussian random field with spectrum ``(1 + (k l)^2)^(-smoothness)``.

    ``length_scale`` is l (in units of x), modes above ``max_mode`` are cut, and the
    field is scaled to root-mean-square ``amplitude`` from its coefficients.
    """

    name = "gaussian_random_field"
    description = "Gaussian random field with a Matern-like power spectrum (one per field; 2D on 2D equations)"
    length_scale: float = 1.0
    smoothness: float = 2.0
    max_mode: int = 32
    amplitude: float | dict = 1.0

    def __post_init__(self):
        if not self.length_scale > 0:
            raise ValueError(f"length_scale: must be > 0, got {self.length_scale}")
        if self.max_mode < 1:
            raise ValueError(f"max_mode: must be >= 1, got {self.max_mode}")
        parse_sampler(self.amplitude, "amplitude")

    def sample(self, rng, equation, length, origin):
        from .multifield import per_field, random_series_2d

        def spectrum(k):
            return np.sqrt((1 + (k * self.length_scale) ** 2) ** -self.smoothness)

        def draw():
            amplitude = parse_sampler(self.amplitude, "amplitude").draw(rng)
            if getattr(equation, "dimension", 1) == 2:
                return random_series_2d(rng, self.max_mode, spectrum, amplitude, length, origin)
            std = spectrum(2 * np.pi * np.arange(1, self.max_mode + 1) / length)
            a, b = rng.standard_normal((2, self.max_mode)) * std
            rms = np.sqrt(0.5 * np.sum(a * a + b * b))
            return FourierSeries(a * amplitude / rms, b * amplitude / rms, length, origin)

        return per_field(equation, draw)


class Constant(InitialCondition):
    def __init__(self, value):
        self.value = value

    def __call__(self, *coordinates):
        return np.full(np.broadcast_shapes(*(np.shape(c) for c in coordinates)), self.value, dtype=float)

    def describe(self):
        return {"value": self.value}


@dataclass(frozen=True)
class ConstantFamily(Family):
    """A spatially uniform state (exact solutions of several equations start from it)."""

    name = "constant"
    description = "spatially uniform value"
    value: float | dict = 0.5

    def __post_init__(self):
        parse_sampler(self.value, "value")

    def sample(self, rng, equation, length, origin):
        return Constant(parse_sampler(self.value, "value").draw(rng))


_FUNCTIONS = {
    name: getattr(np, name)
    for name in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "arctan", "abs")
}
_FUNCTIONS["sech"] = lambda z: 1.0 / np.cosh(z)
_CONSTANTS = {"pi": np.pi, "e": np.e}
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Load, ast.Constant,
          ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


class _FloatConstants(ast.NodeTransformer):
    """Integers become floats, so ``10**10**10`` overflows to inf instead of computing a huge integer."""

    def visit_Constant(self, node):
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return ast.copy_location(ast.Constant(float(node.value)), node)
        return node


def check_expression(text: str) -> ast.Expression:
    """Parse a formula in x; only arithmetic, numbers and a few numpy functions are allowed."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"expression: not a valid formula: {text!r} ({err.msg})") from None
    allowed_names = set(_FUNCTIONS) | set(_CONSTANTS) | {"x", "y", "L", "x0"}
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ValueError(f"expression: {type(node).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.Name) and node.id not in allowed_names:
            raise ValueError(
                f"expression: unknown name {node.id!r}; allowed: x, y (2D), L, x0, pi, e, "
                f"{', '.join(sorted(_FUNCTIONS))}"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, complex)):
            raise ValueError(f"expression: only numbers are allowed as constants in {text!r}")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS):
            raise ValueError(f"expression: only these functions may be called: {', '.join(sorted(_FUNCTIONS))}")
    return ast.fix_missing_locations(_FloatConstants().visit(tree))


class Formula(InitialCondition):
    def __init__(self, text, length, origin):
        self.text, self.length, self.origin = text, length, origin
        self.code = compile(check_expression(text), "<initial_condition>", "eval")

    def __getstate__(self):
        return {"text": self.text, "length": self.length, "origin": self.origin}

    def __setstate__(self, state):
        self.__init__(state["text"], state["length"], state["origin"])

    def __call__(self, x, y=None):
        x = np.asarray(x, dtype=float)
        y = np.zeros_like(x) if y is None else np.asarray(y, dtype=float)
        names = {**_FUNCTIONS, **_CONSTANTS, "x": x, "y": y, "L": self.length, "x0": self.origin}
        with np.errstate(all="ignore"):
            value = np.asarray(eval(self.code, {"__builtins__": {}}, names))  # noqa: S307 - checked AST
        dtype = complex if np.iscomplexobj(value) else float
        return np.broadcast_to(value.astype(dtype), np.broadcast_shapes(x.shape, y.shape)).copy()

    def describe(self):
        return {"expression": self.text}


@dataclass(frozen=True)
class Expression(Family):
    """A deterministic formula in x (and y on 2D domains), e.g. ``cos(pi*x)``; periodic on the domain.

    Names: x, y, L (domain length), x0 (origin), pi, e and the functions sin, cos, tan,
    exp, log, sqrt, tanh, sinh, cosh, sech, arctan, abs; complex numbers such as
    ``1j`` for complex fields. Equations with several fields take one formula per
    field: ``expression: {u: "...", v: "..."}``.
    """

    name = "expression"
    description = "deterministic formula in x (and y); one per field for several fields"
    expression: str | dict[str, str] = "sin(2*pi*(x - x0)/L)"

    def __post_init__(self):
        for text in (self.expression.values() if isinstance(self.expression, dict) else [self.expression]):
            check_expression(text)

    def sample(self, rng, equation, length, origin):
        from .multifield import Stacked

        fields = tuple(getattr(equation, "fields", ("u",)))
        if isinstance(self.expression, str):
            if len(fields) > 1:
                raise ValueError(f"expression: {equation.name} has fields {', '.join(fields)}; give one formula "
                                 "per field, e.g. {" + ", ".join(f'{f}: ...' for f in fields) + "}")
            return Formula(self.expression, length, origin)
        if sorted(self.expression) != sorted(fields):
            raise ValueError(f"expression: needs one formula for each of the fields {', '.join(fields)}, "
                             f"got {', '.join(self.expression) or 'none'}")
        if len(fields) == 1:
            return Formula(self.expression[fields[0]], length, origin)
        return Stacked([Formula(self.expression[f], length, origin) for f in fields])


class GridSamples(InitialCondition):
    """Values at equispaced points, extended to any x by trigonometric interpolation."""

    def __init__(self, values, length, origin):
        self.values = np.asarray(values, dtype=float)
        self.length, self.origin = length, origin

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        n, m = self.values.size, x.size
        target = FourierGrid(m, self.length, self.origin) if m >= 4 and m % 2 == 0 else None
        on_grid = target is not None and np.allclose(target.x, x, rtol=0, atol=1e-12 * self.length)
        if on_grid and m % n == 0:
            return target.interpolate_from(self.values) if m != n else self.values.copy()
        return self._interpolant(x)

    def _interpolant(self, x):
        n = self.values.size
        v_hat = np.fft.rfft(self.values) / n
        weights = np.full(v_hat.size, 2.0)
        weights[0] = 1.0
        if n % 2 == 0:
            weights[-1] = 1.0  # the Nyquist term is real: cos, split evenly between +-n/2
        k = 2 * np.pi * np.arange(v_hat.size) / self.length
        waves = np.exp(1j * np.outer(x.ravel() - self.origin, k))
        return ((waves * (weights * v_hat)).real.sum(axis=1)).reshape(x.shape)

    def describe(self):
        return {"points": int(self.values.size)}


@dataclass(frozen=True)
class GridNoise(Family):
    """Independent uniform values at ``points`` equispaced points, as a smooth periodic function.

    The values are drawn from U(``low``, ``high``) (DGNet's Cahn-Hilliard data use
    50 points and U(-0.05, 0.05)); between the points the function is their
    trigonometric interpolant, so it can be evaluated on every finer grid whose
    size is a multiple of ``points``.
    """

    name = "grid_noise"
    description = "i.i.d. uniform grid values, extended by trigonometric interpolation"
    points: int = 50
    low: float = -0.05
    high: float = 0.05

    def __post_init__(self):
        if self.points < 4 or self.points % 2:
            raise ValueError(f"points: must be even and >= 4, got {self.points}")
        if not self.high > self.low:
            raise ValueError(f"high: must be > low ({self.low:g}), got {self.high:g}")

    def sample(self, rng, equation, length, origin):
        return GridSamples(rng.uniform(self.low, self.high, self.points), length, origin)


@dataclass(frozen=True)
class ArrayFamily:
    """Initial conditions given as values at the grid points (from a ``.npy`` file)."""

    values: np.ndarray = field(repr=False)
    source: str = ""

    def sample_index(self, index: int, length: float, origin: float) -> InitialCondition:
        row = self.values if self.values.ndim == 1 else self.values[index]
        return GridSamples(row, length, origin)
