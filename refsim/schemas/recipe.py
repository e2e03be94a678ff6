"""The recipe: a pydantic model of a dataset build, validated before any compute."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from ..generators import EQUATIONS, FAMILIES, RECIPES, parse_sampler, recipe_path
from ..solvers.chebyshev_etdrk4 import INTERVAL_STEPPERS
from ..solvers.dvdm import SCHEMES as DVDM_SCHEMES
from ..solvers.exponential import STEPPERS
from .interval import Boundary, check_interval_recipe, interval_equations
from .steady import SteadyRecipe, is_steady, parse_steady


class RecipeError(ValueError):
    """A recipe is invalid; the message is one line naming the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Domain(_Strict):
    length: float | None = Field(None, gt=0, description="period L; the domain is [origin, origin + L)")
    points: int = Field(ge=4, description="number of output grid points (even when periodic; an interval's "
                                          "points are uniform and include both ends)")
    origin: float = 0.0
    interval: list[float] | None = Field(None, description="[a, b] for equations on an interval (instead of "
                                                           "length and origin)")
    boundary: Boundary | None = Field(None, description="with interval: {left: {dirichlet: g} | {neumann: g}, "
                                                        "right: ...}")

    @field_validator("interval")
    @classmethod
    def _ordered(cls, v):
        if v is not None and not (len(v) == 2 and np.isfinite(v).all() and v[0] < v[1]):
            raise ValueError(f"must be [a, b] with finite a < b (got {list(v)})")
        return v

    @model_serializer(mode="wrap")
    def _only_given_kind(self, handler):
        """Periodic domains dump exactly as before intervals existed (their version ids do not change)."""
        data = handler(self)
        for key in (("length", "origin") if self.interval is not None else ("interval", "boundary")):
            data.pop(key, None)
        return data


class Time(_Strict):
    end: float = Field(gt=0, description="final time; frames at linspace(0, end, frames)")
    frames: int = Field(ge=2, description="number of saved frames, t = 0 included")


class Solver(_Strict):
    method: str | None = Field(None, description="PDE: etdrk4 (default) | ifrk4; ODE: gauss8 (default for "
                                                 "Hamiltonian systems) | dop853 (default otherwise) | ...")
    points: int | None = Field(None, ge=4, description="initial internal grid (a multiple of domain.points)")
    steps_per_frame: int | None = Field(None, ge=1, description="initial steps per output interval (default 2)")
    max_points: int = Field(16384, ge=4)
    max_steps_per_frame: int = Field(1 << 20, ge=1)
    max_total_steps: int = Field(4_000_000, ge=1)
    memory_mib: int | None = Field(None, ge=16, description="memory budget, MiB, for the runs of one batch of "
                                                           "trajectories in a worker (default 4096): trajectories "
                                                           "at the same resolution are solved together in batches "
                                                           "that fit, and a trajectory that alone would not fit is "
                                                           "refused with the reason, never attempted")
    time_step: float | None = Field(None, gt=0, description="truth dvdm-model only: the discrete model's time step; "
                                                            "must divide the frame interval time.end / "
                                                            "(time.frames - 1) exactly")


class Gates(_Strict):
    duplicate_frames: bool = Field(True, description="reject two bitwise-equal consecutive frames")
    constant_frames: bool = Field(True, description="reject spatially constant frames")
    admissible_range: bool = Field(True, description="reject values outside the equation's admissible range")


class Recipe(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    equation: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    domain: Domain | None = None
    time: Time
    initial_condition: dict[str, Any]
    samples: int = Field(1, ge=1)
    seed: int = Field(0, ge=0)
    tolerance: float = Field(gt=0, le=0.1)
    dtype: Literal["float64", "float32"] = "float64"
    partition_size: int = Field(16, ge=1)
    solver: Solver = Solver()
    horizon: Literal["refuse", "flag"] = Field(
        "refuse", description="when the tolerance cannot be met to the end: refuse (reject the trajectory) or "
                              "flag (keep it with a trust horizon; later frames marked untrusted)")
    gates: Gates = Gates()
    max_rejected: int | None = Field(None, ge=0, description="fail the build if more trajectories are rejected")
    truth: Literal["pde-converged", "fourier-semidiscrete", "dvdm-model"] | None = Field(
        None, description="PDE only (default pde-converged): what the data are exact samples of: the PDE (the "
                          "internal grid is refined until the spatial error is within tolerance); the Fourier "
                          "pseudo-spectral model on exactly domain.points points (the grid is never refined; only "
                          "the time error is certified, the distance to the PDE is stored as error_space for "
                          "information); or dvdm-model: the data are exact samples of the discrete "
                          "variational-derivative model on domain.points with solver.time_step; model-consistent, "
                          "not PDE-converged (equations with a DVDM scheme only; the estimate is the error against "
                          "that model, the distance to the PDE is stored as error_space for information)")
    time_derivatives: bool = Field(False, description="PDE only: also store d<field>/dt at every stored frame, "
                                                    "from the equation's right-hand side (labels for "
                                                    "derivative-learning models); ODE stores always have them")
    observation_noise: float = Field(0.0, ge=0, description="ODE only: std of Gaussian noise added to copies of "
                                                            "the clean states (stored as q_noisy, p_noisy / y_noisy)")

    @field_validator("equation")
    @classmethod
    def _equation(cls, v):
        if v not in EQUATIONS:
            raise ValueError(f"unknown equation {v!r}; allowed: {', '.join(sorted(EQUATIONS))}")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        spec = EQUATIONS[self.equation]
        known = {p.name: p for p in spec.parameters}
        for name, value in self.parameters.items():
            if name not in known:
                raise ValueError(
                    f"parameters.{name}: unknown parameter of {self.equation}; allowed: {', '.join(known) or 'none'}"
                )
            sampler = parse_sampler(value, f"parameters.{name}")
            for v in set(sampler.values):
                problem = known[name].problem(v)
                if problem:
                    raise ValueError(f"parameters.{name}: {problem} (got {v:g}); allowed: {known[name].allowed}")
        for name, p in known.items():
            if name not in self.parameters and p.default is None:
                raise ValueError(f"parameters.{name}: required ({p.description})")
        model = spec
        if model.kind == "ibvp":
            check_interval_recipe(self, model)
        elif self.domain is not None and (self.domain.interval is not None or self.domain.boundary is not None):
            key = "interval" if self.domain.interval is not None else "boundary"
            raise ValueError(f"domain.{key}: {self.equation} is {'periodic' if model.kind == 'pde' else 'an ODE'}; "
                             f"equations on an interval: {', '.join(interval_equations())}")
        if model.kind == "pde":
            if self.domain is None or self.domain.length is None:
                raise ValueError(f"domain.length: required for the PDE {self.equation} (length, points, origin)")
            if self.domain.points % 2:
                raise ValueError(f"domain.points: must be even (got {self.domain.points})")
            if self.observation_noise:
                raise ValueError("observation_noise: only for ODE systems")
            if self.truth == "fourier-semidiscrete" and self.solver.points not in (None, self.domain.points):
                raise ValueError(f"solver.points: a fourier-semidiscrete truth is the model on domain.points "
                                 f"= {self.domain.points} points; allowed: {self.domain.points} or unset")
            allowed = STEPPERS
        elif model.kind == "ibvp":
            allowed = INTERVAL_STEPPERS
        else:
            if self.time_derivatives:
                raise ValueError("time_derivatives: ODE stores always hold dq_dt, dp_dt (or dy_dt); remove the key")
            if self.domain is not None:
                raise ValueError(f"domain: not used by the ODE system {self.equation}; remove it")
            if self.solver.points is not None:
                raise ValueError(f"solver.points: not used by the ODE system {self.equation}")
            from ..solvers.ode import ODE_METHODS

            allowed = ODE_METHODS
        if model.kind == "ode" and self.truth is not None:
            raise ValueError("truth: an ODE system is its own model (its data converge to its exact flow); "
                             "remove the key")
        _check_discrete_model(self)
        if self.solver.method is not None and self.solver.method not in allowed:
            raise ValueError(f"solver.method: unknown method {self.solver.method!r} for a {model.kind.upper()}; "
                             f"allowed: {', '.join(allowed)}")
        if model.kind == "ode":
            method = ODE_METHODS[self.solver.method or _default_method(model)]
            if method.requires == "separable" and not model.separable:
                separable_free = ", ".join(n for n, m in ODE_METHODS.items() if m.requires != "separable")
                raise ValueError(f"solver.method: {self.solver.method} needs a separable Hamiltonian, which "
                                 f"{self.equation} is not; allowed: {separable_free}")
        floor = {"float64": 1e-14, "float32": 2 * 2.0**-24}[self.dtype]
        if self.tolerance < floor:
            raise ValueError(f"tolerance: {self.tolerance:g} is below what {self.dtype} storage can certify; "
                             f"allowed: >= {floor:.1e}")
        if model.kind == "pde" and self.solver.max_points < (self.solver.points or self.domain.points):
            start = "solver.points" if self.solver.points else "domain.points"
            raise ValueError(f"{start}: {self.solver.points or self.domain.points} is above solver.max_points "
                             f"{self.solver.max_points}; allowed: at most solver.max_points (raise it to go finer)")
        if model.kind == "pde" and self.solver.points is not None and self.solver.points % self.domain.points:
            raise ValueError(
                f"solver.points: must be a multiple of domain.points={self.domain.points} (got {self.solver.points})"
            )
        _check_initial_condition(self.initial_condition)
        return self


def _check_discrete_model(recipe: Recipe) -> None:
    """``truth: dvdm-model`` and its ``solver.time_step``: the model is the scheme with that step."""
    step, dvdm = recipe.solver.time_step, recipe.truth == "dvdm-model"
    if (step is not None or dvdm) and recipe.equation not in DVDM_SCHEMES:
        field = "solver.time_step" if step is not None else "truth"
        raise ValueError(f"{field}: the dvdm-model truth needs an equation with a discrete variational-derivative "
                         f"scheme; allowed equations: {', '.join(sorted(DVDM_SCHEMES))} (got {recipe.equation})")
    if not dvdm:
        if step is not None:
            raise ValueError(f"solver.time_step: only with truth: dvdm-model (the discrete model's step); "
                             f"allowed: unset, or set truth: dvdm-model (got truth {recipe.truth or 'pde-converged'})")
        return
    interval = recipe.time.end / (recipe.time.frames - 1)
    examples = f"e.g. {interval:g}, {interval / 2:g}, {interval / 10:g}"
    if step is None:
        raise ValueError(f"solver.time_step: required with truth dvdm-model; allowed: the frame interval "
                         f"time.end / (time.frames - 1) = {interval:g} divided by a whole number, {examples}")
    steps = round(interval / step)
    if steps < 1 or abs(steps * step - interval) > 1e-9 * interval:
        raise ValueError(f"solver.time_step: {step:g} does not divide the frame interval time.end / "
                         f"(time.frames - 1) = {interval:g}; allowed: {interval:g}/n for a whole number n, {examples}")
    for key in ("method", "points", "steps_per_frame"):
        if getattr(recipe.solver, key) is not None:
            raise ValueError(f"solver.{key}: not used by truth dvdm-model (the model is its scheme on domain.points "
                             "with solver.time_step); remove it")
    if recipe.time_derivatives:
        raise ValueError("time_derivatives: not available with truth dvdm-model (the labels would be the PDE's "
                         "right-hand side, not the model's); remove it")


def _default_method(model) -> str:
    if model.kind in ("pde", "ibvp"):
        return "etdrk4"
    return "gauss8" if model.hamiltonian else "dop853"


def _check_initial_condition(ic: dict) -> None:
    keys = set(ic)
    if "file" in keys:
        if keys - {"file"}:
            raise ValueError(f"initial_condition: with 'file' no other key is allowed (got {sorted(keys - {'file'})})")
        return
    if "family" not in keys:
        raise ValueError(
            f"initial_condition: needs 'file: PATH.npy' or 'family: NAME'; families: {', '.join(sorted(FAMILIES))}"
        )
    family = ic["family"]
    if family not in FAMILIES:
        raise ValueError(f"initial_condition.family: unknown family {family!r}; allowed: {', '.join(sorted(FAMILIES))}")
    _family_instance(ic)


def _family_instance(ic: dict):
    cls = FAMILIES[ic["family"]]
    fields = {k: v for k, v in ic.items() if k != "family"}
    try:
        return pydantic.TypeAdapter(cls).validate_python(fields)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        allowed = ", ".join(f.name for f in dataclasses.fields(cls)) or "no fields"
        msg = first["msg"].removeprefix("Value error, ")
        where = f"initial_condition.{loc}" if loc else "initial_condition"
        raise ValueError(f"{where}: {msg} (family {cls.name} takes: {allowed})") from None


def format_error(err: pydantic.ValidationError) -> str:
    """One line: the field path, what is wrong, and what is allowed."""
    errors = err.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])  # a typo explains a "missing"
    loc = ".".join(str(p) for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        parent = _model_at(first["loc"][:-1])
        allowed = ", ".join(parent.model_fields) if parent else ""
        return f"{loc}: unknown key; allowed keys here: {allowed}"
    if first["type"] == "missing":
        return f"{loc}: required field missing"
    if not loc:  # model-level checks name their field themselves
        return msg
    got = first.get("input")
    suffix = f" (got {got!r})" if isinstance(got, (int, float, str)) and "(got " not in msg else ""
    return f"{loc}: {msg}{suffix}"


def _model_at(loc) -> type[BaseModel] | None:
    model: Any = Recipe
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        options = typing.get_args(field.annotation) or (field.annotation,)  # unwrap Optional[...]
        models = [t for t in options if isinstance(t, type) and issubclass(t, BaseModel)]
        if not models:
            return None
        model = models[0]
    return model


class _RecipeLoader(yaml.SafeLoader):
    """YAML as scientists write it: ``1e-2`` is a number (YAML 1.1 wants ``1.0e-2``), and a key given
    twice in one mapping is an error rather than silently the last value."""


_RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _mapping_without_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (line {key_node.start_mark.line + 1})", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_RecipeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(text: str):
    return yaml.load(text, Loader=_RecipeLoader)  # noqa: S506 - a SafeLoader subclass


def load_recipe(source: str | Path) -> tuple[Recipe, Path]:
    """Parse a YAML recipe file or a built-in recipe name; RecipeError on any problem."""
    path = Path(source)
    if not path.exists():
        if str(source) in RECIPES:
            path = recipe_path(str(source))
        else:
            raise RecipeError(f"recipe: no file {str(source)!r} and no built-in recipe of that name; "
                              f"built-in: {', '.join(RECIPES)}")
    try:
        data = read_yaml(path.read_text())
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise RecipeError(f"recipe {path}: not valid YAML{line}: {problem}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"recipe {path}: expected a mapping of keys, got {type(data).__name__}")
    return parse_recipe(data), path.parent


def parse_recipe(data: dict) -> Recipe | SteadyRecipe:
    if is_steady(data):  # kind "steady": its own rules (schemas/steady.py)
        try:
            return parse_steady(data)
        except ValueError as err:
            raise RecipeError(str(err)) from None
    try:
        return Recipe.model_validate(data)
    except pydantic.ValidationError as err:
        raise RecipeError(format_error(err)) from None


def json_schema() -> dict:
    return Recipe.model_json_schema()
