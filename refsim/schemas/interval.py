"""Recipe rules for equations on an interval (``kind == "ibvp"``), kept apart from the periodic ones.

A recipe on an interval gives ``domain: {interval: [a, b], points: M, boundary: {left: {dirichlet: g} |
{neumann: g}, right: ...}}``: the data are stored at M uniform points that include both ends, and the
internal Chebyshev degree (``solver.points``, default 32) is doubled until the certificate holds, up to
``solver.max_points`` (default 512: the matrices are dense).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..generators import EQUATIONS

DEFAULT_DEGREE = 32
DEFAULT_MAX_DEGREE = 512
MAX_DEGREE = 1024  # dense N x N matrices and their eigendecompositions
EXAMPLE = "{interval: [0.0, 1.0], points: 101, boundary: {left: {dirichlet: 0.0}, right: {neumann: 0.0}}}"


class BoundarySide(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    dirichlet: float | None = Field(None, description="u = value at this end")
    neumann: float | None = Field(None, description="u_x = value at this end")

    @model_validator(mode="after")
    def _one(self):
        if (self.dirichlet is None) == (self.neumann is None):
            raise ValueError("give exactly one of dirichlet, neumann (a number)")
        return self


class Boundary(BaseModel):
    """``domain.boundary``: the condition at each end of the interval."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    left: BoundarySide
    right: BoundarySide


def interval_equations() -> list[str]:
    return sorted(name for name, cls in EQUATIONS.items() if cls.kind == "ibvp")


def check_interval_recipe(recipe, model) -> None:
    """Raise ValueError naming the field for what a recipe on an interval cannot have."""
    domain, solver = recipe.domain, recipe.solver
    if domain is None or domain.interval is None:
        raise ValueError(f"domain.interval: required for {recipe.equation}, an equation on an interval; "
                         f"e.g. domain: {EXAMPLE}")
    if domain.length is not None or "origin" in domain.model_fields_set:
        raise ValueError("domain.length: not used with domain.interval (its [a, b] gives both ends); "
                         "remove length and origin")
    if domain.boundary is None:
        raise ValueError(f"domain.boundary: required with domain.interval; allowed kinds at each end: dirichlet, "
                         f"neumann; e.g. domain: {EXAMPLE}")
    if recipe.truth not in (None, "pde-converged"):
        raise ValueError(f"truth: {recipe.equation} is certified against the PDE on the interval; "
                         "allowed: pde-converged")
    if recipe.time_derivatives:
        raise ValueError("time_derivatives: not available for equations on an interval yet; remove the key")
    if recipe.observation_noise:
        raise ValueError("observation_noise: only for ODE systems")
    start = solver.points or DEFAULT_DEGREE
    if start > MAX_DEGREE:
        raise ValueError(f"solver.points: the initial Chebyshev degree N (N + 1 points) is {start}; "
                         f"allowed: 4..{MAX_DEGREE} (dense matrices)")
    if "max_points" in solver.model_fields_set and not start <= solver.max_points <= MAX_DEGREE:
        raise ValueError(f"solver.max_points: the largest Chebyshev degree is {solver.max_points}; allowed: "
                         f"{start}..{MAX_DEGREE} (at least the initial degree; dense matrices)")


def interval_spec_fields(recipe) -> dict:
    """The BuildSpec fields of a recipe on an interval: ends, boundary, initial and largest degree."""
    a, b = recipe.domain.interval
    solver = recipe.solver
    start = solver.points or DEFAULT_DEGREE
    largest = solver.max_points if "max_points" in solver.model_fields_set else max(DEFAULT_MAX_DEGREE, start)
    return {"length": b - a, "origin": a, "interval": (a, b), "start_points": start, "max_points": largest,
            "boundary": recipe.domain.boundary.model_dump(exclude_none=True)}


def boundary_mismatch(spec, values: np.ndarray) -> str | None:
    """A sentence if the first trajectory's initial values at the ends contradict the Dirichlet data."""
    scale = max(1.0, float(np.abs(values).max()))
    for side, value, where in (("left", values[0], spec.interval[0]), ("right", values[-1], spec.interval[1])):
        data = spec.boundary[side].get("dirichlet")
        if data is not None and abs(value - data) > 1e-12 * scale:
            return (f"u0({where:g}) = {value:.6g} but domain.boundary.{side}.dirichlet = {data:g}; the initial "
                    "condition must meet the Dirichlet data (a jump at t = 0 cannot be certified)")
    return None
