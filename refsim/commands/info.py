"""Commands that describe what refsim knows: equations, the dataset catalog, families, recipes, schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import _fail, format_certificate


@click.command()
@click.argument("name", required=False)
def equations(name):
    """List the equations, or describe one."""
    from ..generators import EQUATIONS

    if name is None:
        for key, cls in sorted(EQUATIONS.items(), key=lambda kv: (kv[1].kind, kv[0])):
            click.echo(f"{key:<22} {cls.kind.upper():<4} {cls.pde}")
        return
    if name not in EQUATIONS:
        _fail(f"unknown equation {name!r}; allowed: {', '.join(sorted(EQUATIONS))}")
    d = EQUATIONS[name].describe()
    where = {"pde": "periodic", "ibvp": "on an interval; boundary conditions in the recipe's domain.boundary",
             "steady": "steady, on the unit square; input field in the recipe's coefficient"}
    click.echo(f"{d['title']}: {d['pde']}  ({where.get(d['kind'], 'ODE system')})")
    for p, info in d["parameters"].items():
        click.echo(f"  parameter {p} ({info['symbol']}): {info['description']}; default {info['default']}; "
                   f"allowed {info['allowed']}")
    for inv in d["invariants"]:
        click.echo(f"  invariant {inv['name']} = {inv['formula']} ({inv['kind']})")
    click.echo(f"  exact solutions: {d['exact_solutions']}")
    for ref in d["references"]:
        click.echo(f"  reference: {ref}")


@click.group()
def catalog():
    """The datasets under one or more roots (default: ./stores, or $REFSIM_ROOT)."""


def _roots(root):
    from ..catalog.index import default_roots

    return [Path(r) for r in root] if root else default_roots()


def _print_index(index):
    if index.sizes["entry"] == 0:
        click.echo("no datasets")
        return
    click.echo(f"{'name':<22} {'version':<13} {'equation':<20} {'traj':>6} {'grid':>6} {'frames':>6} "
               f"{'tolerance':>9} {'max error':>9} {'size':>9}")
    for i in range(index.sizes["entry"]):
        e = {k: index[k].values[i] for k in index.data_vars}
        grid = e["points"] if int(e["points"]) else "ODE"
        click.echo(f"{e['name']:<22} {e['version']:<13} {e['equation']:<20} {int(e['certified']):>6} {grid!s:>6} "
                   f"{int(e['frames']):>6} {float(e['tolerance']):>9.0e} {float(e['error_max']):>9.1e} "
                   f"{int(e['size_bytes']) / 2**20:>7.1f}Mi")


@catalog.command("list")
@click.option("--root", multiple=True, type=click.Path(file_okay=False), help="a directory of stores (repeatable)")
def catalog_list(root):
    """Rebuild the index from the stores' metadata and print it."""
    from ..catalog.index import build_index

    _print_index(build_index(_roots(root)))


@catalog.command("show")
@click.argument("name")
@click.option("--root", multiple=True, type=click.Path(file_okay=False))
def catalog_show(name, root):
    """Describe dataset NAME[@VERSION]: versions, recipe and certificate."""
    from ..catalog.index import resolve
    from ..catalog.store import open_dataset

    base, _, version = name.partition("@")
    try:
        path, version = resolve(base, version or None, _roots(root))
        ds = open_dataset(path, version=version, include_rejected=True)
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    click.echo(f"{base} at {path} (version {ds.attrs['version_id']})")
    click.echo(f"equation: {ds.attrs['pde']} [{ds.attrs['equation']}]; dims {dict(ds.sizes)}")
    click.echo(format_certificate(json.loads(ds.attrs.get("certificate", "{}"))))
    click.echo(f"recipe: {ds.attrs['recipe']}")


@catalog.command("search")
@click.option("--root", multiple=True, type=click.Path(file_okay=False))
@click.option("--equation", default=None)
@click.option("--max-tolerance", type=float, default=None, help="tolerance at most this")
@click.option("--min-points", type=int, default=None, help="stored grid of at least this many points")
@click.option("--parameter", multiple=True, metavar="NAME=LO:HI", help="fixed parameter within [LO, HI]")
def catalog_search(root, equation, max_tolerance, min_points, parameter):
    """Find datasets by equation, tolerance, resolution or parameter range."""
    from ..catalog.index import build_index, search

    ranges = {}
    for text in parameter:
        try:
            key, bounds = text.split("=")
            lo, hi = (float(v) for v in bounds.split(":"))
        except ValueError:
            _fail(f"--parameter: expected NAME=LO:HI, got {text!r}")
        ranges[key] = (lo, hi)
    _print_index(search(build_index(_roots(root), save=False), equation, max_tolerance, min_points, ranges))


@click.command()
@click.argument("name", required=False)
def families(name):
    """List the initial-condition families, or describe one with its fields."""
    import dataclasses

    from ..generators import FAMILIES

    if name is None:
        for key, cls in sorted(FAMILIES.items()):
            click.echo(f"{key:<24} {cls.description}")
        return
    if name not in FAMILIES:
        _fail(f"unknown family {name!r}; allowed: {', '.join(sorted(FAMILIES))}")
    cls = FAMILIES[name]
    click.echo(f"{name}: {(cls.__doc__ or cls.description).strip()}")
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else "(required)"
        click.echo(f"  {f.name}: {f.type}, default {default!r}")


@click.command()
def recipes():
    """List the built-in recipes."""
    import yaml

    from ..generators import RECIPES

    for name, path in RECIPES.items():
        data = yaml.safe_load(path.read_text())
        click.echo(f"{name:<28} {data['equation']:<22} {data.get('description', '').strip().splitlines()[0]}")


@click.command()
def schema():
    """Print the JSON Schema of a recipe."""
    from ..schemas.recipe import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


COMMANDS = (equations, catalog, families, recipes, schema,)
