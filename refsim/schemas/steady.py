"""Recipe rules for steady equations (``kind == "steady"``), kept apart from the time-dependent ones.

A steady recipe has no ``time``, ``initial_condition`` or ``solver``; it gives the stored grid
``domain: {points: N}`` (N x N cells on the unit square), the input field's family ``coefficient:
{family: thresholded_bumps, high: 1.0, low: 0.1, ...}``, the equation's ``parameters`` (samplers as
elsewhere), and a ``tolerance`` on the estimated relative distance of the stored finite-volume solution
from the PDE. ``truth`` is ``fv-model`` (see :data:`refsim.pipeline.spec_steady.TRUTH_NOTE`).

:func:`parse_recipe <refsim.schemas.recipe.parse_recipe>` hands a mapping whose ``equation`` is steady to
:func:`parse_steady`, and :func:`build_spec <refsim.schemas.spec.build_spec>` a :class:`SteadyRecipe` to
:func:`steady_spec`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import __version__
from ..generators import EQUATIONS, parse_sampler
from ..pipeline.spec_steady import SteadySpec
from .format import FORMAT_VERSION

GRID_SIZES = (8, 16, 32, 64, 128)  # 4x refinement of 128^2 is a 512^2 sparse LU: ~2 s, ~0.2 GB of factors
MAX_CONTRAST = 100.0  # the refinement estimate was calibrated at contrasts 10 (PDEBench) and 100
NOT_STEADY_KEYS = ("time", "initial_condition", "solver", "horizon", "gates", "time_derivatives",
                   "observation_noise")


class SteadyRecipeError(ValueError):
    """A steady recipe is invalid; the message is one line naming the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SteadyDomain(_Strict):
    points: int = Field(description="cells per side of the unit square; the data are at the cell centres "
                                    f"(i + 1/2)/points; allowed: {', '.join(map(str, GRID_SIZES))}")

    @field_validator("points")
    @classmethod
    def _power_of_two(cls, v):
        if v not in GRID_SIZES:
            raise ValueError(f"must be a power of two from {GRID_SIZES[0]} to {GRID_SIZES[-1]} (got {v}; the "
                             "grids then nest under coarsening by 2, and the 4x refinement of the estimate stays "
                             f"a feasible sparse LU); allowed: {', '.join(map(str, GRID_SIZES))}")
        return v


class Coefficient(_Strict):
    """``coefficient``: the random input field, ``high`` where a sum of Gaussian bumps exceeds its mean."""

    family: Literal["thresholded_bumps"] = "thresholded_bumps"
    high: float = Field(1.0, description="value of a above the threshold (PDEBench: 1)")
    low: float = Field(0.1, description="value of a below the threshold (PDEBench: 0.1)")
    num_bumps: int = Field(12, ge=1, le=1000, description="Gaussian bumps per draw")
    width_range: list[float] = Field([0.05, 0.2], description="[smallest, largest] bump width, log-uniform")

    @model_validator(mode="after")
    def _values(self):
        allowed = (f"allowed: two distinct positive finite values with contrast max/min <= {MAX_CONTRAST:g} "
                   "(PDEBench: high 1.0, low 0.1)")
        for key in ("high", "low"):
            value = getattr(self, key)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"coefficient.{key}: must be a positive finite number (got {value!r}); {allowed}")
        if self.high == self.low:
            raise ValueError(f"coefficient.low: equals coefficient.high ({self.high:g}), so a is constant; {allowed}")
        contrast = max(self.high, self.low) / min(self.high, self.low)
        if contrast > MAX_CONTRAST:
            raise ValueError(f"coefficient.high: contrast {contrast:g} is beyond the calibrated range; {allowed}")
        w = self.width_range
        if not (len(w) == 2 and np.isfinite(w).all() and 0 < w[0] <= w[1] <= 1):
            raise ValueError(f"coefficient.width_range: must be [smallest, largest] with 0 < smallest <= largest "
                             f"<= 1 (got {list(w)})")
        return self


class SteadyRecipe(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    equation: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    domain: SteadyDomain
    coefficient: Coefficient = Coefficient()
    samples: int = Field(1, ge=1)
    seed: int = Field(0, ge=0)
    tolerance: float = Field(gt=0, le=0.5, description="largest accepted error_estimate: the estimated relative "
                                                       "distance max|u - u_PDE| / max|u| of the stored "
                                                       "finite-volume solution from the PDE")
    dtype: Literal["float64"] = "float64"
    partition_size: int = Field(8, ge=1)
    truth: Literal["fv-model"] = Field("fv-model", description="the data are the discrete finite-volume model's "
                                                               "solution on domain.points^2 cells")
    max_rejected: int | None = Field(None, ge=0, description="fail the build if more samples are rejected")

    @field_validator("equation")
    @classmethod
    def _equation(cls, v):
        if v not in steady_equations():
            raise ValueError(f"not a steady equation; allowed: {', '.join(steady_equations())}")
        return v

    @model_validator(mode="after")
    def _parameters(self):
        known = {p.name: p for p in EQUATIONS[self.equation].parameters}
        for name, value in self.parameters.items():
            if name not in known:
                raise ValueError(f"parameters.{name}: unknown parameter of {self.equation}; allowed: "
                                 f"{', '.join(known) or 'none'}")
            for v in set(parse_sampler(value, f"parameters.{name}").values):
                problem = known[name].problem(v)
                if problem:
                    raise ValueError(f"parameters.{name}: {problem} (got {v:g}); allowed: {known[name].allowed}")
        return self


def steady_equations() -> list[str]:
    return sorted(name for name, cls in EQUATIONS.items() if cls.kind == "steady")


def is_steady(data: Any) -> bool:
    """Whether a recipe mapping names a steady equation (and so is parsed by :func:`parse_steady`)."""
    return isinstance(data, dict) and data.get("equation") in steady_equations()


def parse_steady(data: dict) -> SteadyRecipe:
    for key in NOT_STEADY_KEYS:
        if key in data:
            raise SteadyRecipeError(f"{key}: {data['equation']} is steady (no time axis, no initial condition, "
                                    "no time stepper); remove it")
    try:
        return SteadyRecipe.model_validate(data)
    except pydantic.ValidationError as err:
        raise SteadyRecipeError(_one_line(err)) from None


def _one_line(err: pydantic.ValidationError) -> str:
    errors = err.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        parent = {(): SteadyRecipe, ("domain",): SteadyDomain, ("coefficient",): Coefficient}.get(first["loc"][:-1])
        allowed = ", ".join(parent.model_fields) if parent else ""
        return f"{loc}: unknown key; allowed keys here: {allowed}"
    if first["type"] == "missing":
        return f"{loc}: required field missing"
    if not loc or msg.startswith((f"{loc}:", f"{loc}.")):  # the model's own checks name their field
        return msg
    got = first.get("input")
    suffix = f" (got {got!r})" if isinstance(got, (int, float, str)) and repr(got) not in msg else ""
    return f"{loc}: {msg}{suffix}"


def steady_spec(recipe: SteadyRecipe) -> SteadySpec:
    """The pipeline's spec of a steady recipe, with its version id (as for every recipe: the hash of the
    canonical recipe, refsim's version and the store format)."""
    canonical = recipe.model_dump(mode="json")
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    recipe_hash = hashlib.sha256(text.encode()).hexdigest()
    version_id = hashlib.sha256(f"{recipe_hash}|{__version__}|{FORMAT_VERSION}".encode()).hexdigest()[:12]
    return SteadySpec(
        name=recipe.name, equation=recipe.equation,
        parameters={n: parse_sampler(v, n) for n, v in recipe.parameters.items()},
        points=recipe.domain.points, coefficient=recipe.coefficient.model_dump(mode="json"),
        samples=recipe.samples, seed=recipe.seed, tolerance=recipe.tolerance, dtype=recipe.dtype,
        partition_size=recipe.partition_size, canonical=canonical, recipe_hash=recipe_hash,
        version_id=version_id, format_version=FORMAT_VERSION, max_rejected=recipe.max_rejected,
    )
