"""Built-in recipes: the YAML files beside this module, by name."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent
RECIPES: dict[str, Path] = {p.stem: p for p in sorted(_HERE.glob("*.yaml"))}


def recipe_path(name: str) -> Path:
    if name not in RECIPES:
        raise KeyError(f"no built-in recipe {name!r}; available: {', '.join(RECIPES)}")
    return RECIPES[name]
