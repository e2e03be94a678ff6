"""From a validated recipe to the pipeline's :class:`BuildSpec`: canonical form, version id, budgets."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from .. import __version__
from ..generators import EQUATIONS, ArrayFamily, parse_sampler
from ..pipeline.solve import draw
from ..pipeline.spec import BuildSpec
from ..solvers.verification import _FRAME_VALUES, _WORK_VALUES, Budget
from .format import FORMAT_VERSION
from .interval import boundary_mismatch, interval_spec_fields
from .recipe import Recipe, RecipeError, _default_method, _family_instance, parse_recipe
from .steady import SteadyRecipe, is_steady, steady_spec

DEFAULT_MEMORY_MIB = 4096


def _load_array(recipe: Recipe, base: Path) -> tuple[ArrayFamily, str]:
    if EQUATIONS[recipe.equation].kind == "ibvp":
        raise RecipeError("initial_condition.file: not available on an interval (grid values would need a "
                          "non-periodic extension); allowed: family (e.g. expression)")
    path = Path(recipe.initial_condition["file"])
    if not path.is_absolute():
        path = base / path
    if not path.exists():
        raise RecipeError(f"initial_condition.file: no such file {str(path)!r}")
    try:
        values = np.load(path, allow_pickle=False)
    except Exception as err:  # noqa: BLE001 - any unreadable file is a recipe error
        raise RecipeError(f"initial_condition.file: cannot read {str(path)!r} as .npy ({err})") from None
    if recipe.domain is None:
        raise RecipeError("initial_condition.file: only for PDEs; ODE systems take family: state")
    model = EQUATIONS[recipe.equation]
    if getattr(model, "dimension", 1) != 1 or len(getattr(model, "fields", ("u",))) != 1 or getattr(
            model, "complex_valued", False):
        raise RecipeError(f"initial_condition.file: only for scalar real 1D equations so far; {recipe.equation} "
                          "takes a family")
    n = recipe.domain.points
    if values.shape not in ((n,), (recipe.samples, n)):
        raise RecipeError(
            f"initial_condition.file: array has shape {values.shape}; allowed: ({n},) or "
            f"({recipe.samples}, {n}) = (samples, domain.points)"
        )
    if np.iscomplexobj(values):
        raise RecipeError("initial_condition.file: values must be real (the array is complex)")
    if not np.issubdtype(values.dtype, np.number) or not np.isfinite(values).all():
        raise RecipeError("initial_condition.file: values must be finite numbers")
    values = np.ascontiguousarray(values, dtype=float)
    digest = hashlib.sha256(values.tobytes() + str(values.shape).encode()).hexdigest()
    return ArrayFamily(values, source=str(path)), digest


def canonical_recipe(recipe: Recipe, ic_digest: str | None = None) -> dict:
    data = recipe.model_dump(mode="json")
    if ic_digest is not None:
        data["initial_condition"] = {"file": Path(recipe.initial_condition["file"]).name, "sha256": ic_digest}
    else:
        data["initial_condition"] = {"family": recipe.initial_condition["family"],
                                     **_family_canonical(recipe.initial_condition)}
    if data["solver"]["memory_mib"] is None:  # unset: the default, and the version ids of recipes written
        del data["solver"]["memory_mib"]       # before the key existed stay what they were
    if EQUATIONS[recipe.equation].kind == "ibvp":  # the largest degree used (its default differs), so a stored
        data["solver"]["max_points"] = interval_spec_fields(recipe)["max_points"]  # recipe re-parses to it
    return data


def _family_canonical(ic: dict) -> dict:
    inst = _family_instance(ic)
    return {f.name: getattr(inst, f.name) for f in dataclasses.fields(inst)}


def build_spec(recipe: Recipe, base: Path = Path(".")) -> BuildSpec:
    """Validate what needs files and produce the pipeline's spec, with the version id."""
    if isinstance(recipe, SteadyRecipe):
        return steady_spec(recipe)
    if "file" in recipe.initial_condition:
        family, digest = _load_array(recipe, base)
    else:
        family, digest = _family_instance(recipe.initial_condition), None
    canonical = canonical_recipe(recipe, digest)
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    recipe_hash = hashlib.sha256(text.encode()).hexdigest()
    version_id = hashlib.sha256(f"{recipe_hash}|{__version__}|{FORMAT_VERSION}".encode()).hexdigest()[:12]
    s = recipe.solver
    model = EQUATIONS[recipe.equation]
    d = recipe.domain
    dvdm = recipe.truth == "dvdm-model"  # the model's own step, validated to divide the frame interval
    steps = round(recipe.time.end / (recipe.time.frames - 1) / s.time_step) if dvdm else s.steps_per_frame or 2
    if model.kind == "ibvp":
        bounded = interval_spec_fields(recipe)
    else:
        bounded = {"start_points": s.points or (d.points if d else 0), "length": d.length if d else None,
                   "origin": d.origin if d else None, "max_points": s.max_points}
    spec = BuildSpec(
        name=recipe.name,
        equation=recipe.equation,
        parameters={n: parse_sampler(v, n) for n, v in recipe.parameters.items()},
        length=bounded["length"],
        points=d.points if d else None,
        origin=bounded["origin"],
        end_time=recipe.time.end,
        frames=recipe.time.frames,
        initial_condition=family,
        samples=recipe.samples,
        seed=recipe.seed,
        tolerance=recipe.tolerance,
        dtype=recipe.dtype,
        partition_size=recipe.partition_size,
        method="dvdm" if dvdm else s.method or _default_method(model),
        start_points=bounded["start_points"],
        start_steps_per_frame=steps,  # default 2, even: the order check then costs half a run
        budget=Budget(bounded["max_points"], s.max_steps_per_frame, s.max_total_steps,
                      max_memory_bytes=(s.memory_mib or DEFAULT_MEMORY_MIB) * 2**20),
        canonical=canonical,
        recipe_hash=recipe_hash,
        version_id=version_id,
        format_version=FORMAT_VERSION,
        horizon=recipe.horizon,
        gates=recipe.gates.model_dump(),
        max_rejected=recipe.max_rejected,
        kind="ode" if model.kind == "ode" else "pde",  # the stored layout: fields on x for every PDE
        observation_noise=recipe.observation_noise,
        time_derivatives=recipe.time_derivatives,
        truth=recipe.truth or ("ode-converged" if model.kind == "ode" else "pde-converged"),
        interval=bounded.get("interval"),
        boundary=bounded.get("boundary"),
    )
    if spec.kind == "pde" and spec.interval is None:
        _check_memory(spec, model, s.memory_mib)
    try:  # the first trajectory's draw checks that the initial condition fits the model
        model_0, ic_0 = draw(spec, 0)
        with np.errstate(all="ignore"):
            values = spec.grid.sample(ic_0) if spec.kind == "pde" else ic_0()
    except ValueError as err:
        raise RecipeError(f"initial_condition: {err}") from None
    except (AttributeError, KeyError, TypeError, IndexError) as err:  # a family made for another kind of model
        raise RecipeError(f"initial_condition: family {recipe.initial_condition.get('family')!r} does not fit "
                          f"equation {recipe.equation} ({type(err).__name__}: {err}); see `refsim families`") from None
    periodic = spec.kind == "pde" and spec.interval is None
    fields = getattr(model_0, "fields", ("u",))
    expected = ((len(fields),) if len(fields) > 1 else ()) + tuple(spec.grid.shape) if periodic else None
    if expected is not None and np.shape(values) != tuple(expected):
        raise RecipeError(f"initial_condition: family {recipe.initial_condition.get('family')!r} gives values of "
                          f"shape {np.shape(values)}; equation {recipe.equation} needs {tuple(expected)}")
    if not np.isfinite(values).all():
        raise RecipeError("initial_condition: the first trajectory's values are not finite on the grid")
    if spec.interval is not None:
        problem = boundary_mismatch(spec, values)
        if problem:
            raise RecipeError(f"initial_condition: {problem}")
    return spec


def _check_memory(spec: BuildSpec, model, memory_mib: int | None) -> None:
    """Refuse, before any compute, a grid whose first trajectory alone would not fit the memory budget (the
    estimate is the verifier's own, :meth:`Verifier.trajectory_bytes`)."""
    dimension = getattr(model, "dimension", 1)
    values = spec.start_points**dimension * len(getattr(model, "fields", ("u",))) * (
        2 if getattr(model, "complex_valued", False) else 1)
    need = 8 * values * (_FRAME_VALUES * spec.frames + _WORK_VALUES)
    limit = (memory_mib or DEFAULT_MEMORY_MIB) * 2**20
    if need > limit:
        where = "solver.points" if spec.start_points != spec.points else "domain.points"
        raise RecipeError(f"{where}: {spec.start_points}{'^2' if dimension == 2 else ''} points with "
                          f"{spec.frames} frames needs about {need / 2**20:.0f} MiB per trajectory, above the memory "
                          f"budget of {limit / 2**20:.0f} MiB; allowed: a coarser grid, fewer frames, or a larger "
                          f"solver.memory_mib")


def spec_from_stored(attrs: dict, initial_frames) -> BuildSpec:
    """Rebuild the spec of a stored version from its canonical recipe.

    A file initial condition is replaced by the stored initial frames, which are its
    values at the grid points.
    """
    canonical = json.loads(attrs["recipe"])
    data = dict(canonical)
    if is_steady(data):
        return build_spec(parse_recipe(data))
    from_file = "file" in data["initial_condition"]
    if from_file:
        data["initial_condition"] = {"family": "constant"}  # placeholder, replaced below
    recipe = parse_recipe(data)
    spec = build_spec(recipe)
    if from_file:
        values = np.ascontiguousarray(np.asarray(initial_frames, dtype=float))
        spec = dataclasses.replace(spec, initial_condition=ArrayFamily(values, source="stored initial frames"),
                                   canonical=canonical, recipe_hash=attrs["recipe_hash"],
                                   version_id=attrs["version_id"])
    return spec
