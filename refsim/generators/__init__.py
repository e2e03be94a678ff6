"""What to simulate: equations, initial-condition families, samplers and built-in recipes."""

from . import (  # noqa: F401
    advection,
    allen_cahn,
    allen_cahn_2d,
    burgers,
    burgers_interval,
    cahn_hilliard,
    cahn_hilliard_2d,
    darcy,
    fisher_kpp,
    fisher_kpp_interval,
    gray_scott,
    heat,
    kdv,
    kuramoto_sivashinsky,
    navier_stokes_2d,
    nls,
    pdebench_ic,
    sine_gordon,
    swift_hohenberg,
    swift_hohenberg_2d,
    systems,
)
from .base import EQUATIONS, Equation, Invariant, Parameter
from .initial_conditions import FAMILIES, ArrayFamily, Family, InitialCondition
from .recipes import RECIPES, recipe_path
from .samplers import Sampler, parse_sampler, trajectory_rng

__all__ = [
    "EQUATIONS", "FAMILIES", "RECIPES", "ArrayFamily", "Equation", "Family", "InitialCondition",
    "Invariant", "Parameter", "Sampler", "parse_sampler", "recipe_path", "trajectory_rng",
]
