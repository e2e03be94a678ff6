"""Commands on built stores: versions, diff, export, audit, inspect, verify, report, plot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import _fail, format_certificate


@click.command()
@click.argument("store")
def versions(store):
    """List the finished versions of a store with recipe hashes, dates and certificates."""
    from ..catalog.store import version_table

    try:
        rows = version_table(store)
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    if not rows:
        click.echo("no finished version")
    for r in rows:
        c = r["certificate"]
        click.echo(f"{r['version']}  {r['written_at']:%Y-%m-%d %H:%M}  recipe {r.get('recipe_hash', '')[:12]}  "
                   f"certified {c.get('certified')}/{c.get('samples')}  max error {c.get('error_estimate_max', 0):.1e}"
                   f"  tolerance {c.get('tolerance', 0):.0e}")


@click.command()
@click.argument("store")
@click.argument("v1")
@click.argument("v2")
def diff(store, v1, v2):
    """Show how the recipes of two versions differ."""
    from ..catalog.store import open_repository, recipe_diff, resolve_version, version_table

    try:
        repo = open_repository(Path(store))
        a, b = resolve_version(repo, v1), resolve_version(repo, v2)
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    recipes = {r["version"]: r["recipe"] for r in version_table(store)}
    lines = recipe_diff(recipes[a], recipes[b])
    click.echo("\n".join(lines) if lines else "the recipes are identical")


@click.command()
@click.argument("store")
@click.option("--version", "version", default=None)
@click.option("--zarr", "zarr_out", type=click.Path(file_okay=False), default=None,
              help="write a plain Zarr v3 copy of the version here")
@click.option("--format", "fmt", type=click.Choice(["pdebench", "the-well"]), default=None,
              help="write the certified trajectories as one HDF5 file in PDEBench's or The Well's layout")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True,
              help="with --format: float32 matches those projects' own files (and loses the digits past 1e-7)")
@click.argument("out", required=False, type=click.Path(dir_okay=False))
def export(store, version, zarr_out, fmt, dtype, out):
    """Export a version for tools that cannot read icechunk: --zarr DIR, or --format pdebench|the-well OUT."""
    from ..catalog.exchange import ExchangeError, export_pdebench, export_the_well
    from ..catalog.store import export_zarr, open_dataset, split_version

    if fmt is not None and out is None and zarr_out is None:
        _fail(f"export: --format {fmt} needs OUT, the file to write (e.g. {Path(store).name}.h5)")
    if (zarr_out is None) == (fmt is None) or (fmt is not None and out is None):
        _fail("export: give either --zarr DIR or --format pdebench|the-well OUT")
    try:
        path, version = split_version(store, version)
        if zarr_out:
            written = export_zarr(path, zarr_out, version)
        else:
            ds = open_dataset(path, version=version)
            writer = export_pdebench if fmt == "pdebench" else export_the_well
            Path(out).parent.mkdir(parents=True, exist_ok=True)  # as --zarr does
            written = writer(ds, Path(out), dtype)
    except (FileNotFoundError, LookupError, FileExistsError, ExchangeError) as err:
        _fail(str(err), 1)
    except OSError as err:
        _fail(f"cannot write {out or zarr_out!r}: {err}", 1)
    click.echo(f"exported: {Path(written).resolve()}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["pdebench", "the-well"]), required=True)
@click.option("--equation", required=True, help="the refsim equation the file solves (refsim equations)")
@click.option("--parameters", "parameter_text", default="",
              help="in refsim's convention, e.g. nu=0.0031831 for PDEBench's Burgers Nu=0.01 (nu = Nu/pi)")
@click.option("--samples", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--tolerance", default=1e-10, show_default=True, type=click.FloatRange(min=1e-14, max=1e-3))
@click.option("--field", default=None, help="The Well: which t0 field (needed when there are several)")
@click.option("--time-coordinate", type=click.Choice(["frames", "drop-last"]), default="frames", show_default=True,
              help="drop-last: the file's time coordinate has one extra trailing entry (PDEBench's own files)")
@click.option("--out", "out_dir", default="audit", show_default=True, type=click.Path(file_okay=False),
              help="directory for audit.json and audit.png")
@click.option("--seed", default=0, show_default=True, help="which samples are drawn")
def audit(file, fmt, equation, parameter_text, samples, tolerance, field, time_coordinate, out_dir, seed):
    """Measure how wrong an external dataset is: re-solve K of its trajectories at tight tolerance."""
    from ..catalog.exchange import ExchangeError, read_external
    from ..catalog.external_audit import audit as run_audit
    from ..catalog.external_audit import plot_audit, write_json

    try:
        parameters = _parse_parameters(parameter_text)
        data = read_external(Path(file), fmt, field, time_coordinate)
        result = run_audit(data, equation, parameters, samples, tolerance, seed)
    except (ExchangeError, ValueError) as err:
        _fail(str(err), 1)
    except OSError as err:  # not an HDF5 file, or unreadable
        _fail(f"cannot read {file!r} as {fmt} HDF5: {err}", 1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(result, out / "audit.json", file=str(Path(file).resolve()), format=fmt, equation=equation,
               parameters=parameters, tolerance=tolerance)
    plot_audit(result, out / "audit.png", f"{Path(file).name}: {equation} {parameter_text}".strip())
    click.echo(result.table())
    click.echo(f"written: {(out / 'audit.json').resolve()}, {(out / 'audit.png').resolve()}")


def _parse_parameters(text: str) -> dict[str, float]:
    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--parameters: expected name=number pairs separated by commas, got {item!r}") from None
    return out


@click.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="version id (default: newest)")
def inspect(store, version):
    """Summarise a store: variables, sizes and the certificate."""
    from ..catalog.store import certificate, list_versions, open_dataset, open_repository, split_version

    try:
        path, version = split_version(store, version)
        ds = open_dataset(path, version=version, include_rejected=True)
        versions = list_versions(open_repository(path))
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    click.echo(f"store: {path}  version: {ds.attrs['version_id']}  ({len(versions)} version(s))")
    click.echo(f"equation: {ds.attrs['pde']}  [{ds.attrs['equation']}]")
    space = f"x in [{float(ds.x[0]):g}, {float(ds.x[-1]):g}]  " if "x" in ds.coords else ""
    times = f"t in [{float(ds.time[0]):g}, {float(ds.time[-1]):g}]" if "time" in ds.coords else "steady"
    click.echo(f"dims: {dict(ds.sizes)}   {space}{times}")
    width = max(len(n) for n in ds.data_vars)
    for name, var in sorted(ds.data_vars.items()):
        click.echo(f"  {name:<{width}}  {str(var.dtype):<8} {str(tuple(var.shape)):<18} {var.nbytes / 2**20:9.2f} MiB")
    click.echo(format_certificate(certificate(ds)))


@click.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="version id (default: newest)")
@click.option("--resolve", default=2, show_default=True, type=click.IntRange(min=0),
              help="re-solve this many random trajectories at tighter settings")
@click.option("--seed", default=0, show_default=True, help="seed of the choice of trajectories to re-solve")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def verify(store, version, resolve, seed, as_json):
    """Re-check a store: integrity, certificates, provenance, re-solves. Exit 1 on any failure."""
    from ..catalog.store import open_repository, resolve_version, split_version
    from ..pipeline.audit import verify_version
    from ..schemas.spec import spec_from_stored

    try:
        path, version = split_version(store, version)
        repo = open_repository(path)
        tag = resolve_version(repo, version) if version else None
        if not repo.list_tags():
            raise LookupError("the store has no finished version (was its build interrupted? run generate again)")
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    def spec_of(group):
        return spec_from_stored(dict(group.attrs), group["u"][:, 0, :] if "u" in group else None)

    report = verify_version(repo, tag, spec_of, resolve=resolve, seed=seed)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(f"verify {path} version {report.version}")
        for check in report.checks:
            click.echo(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
        for r in report.resolved:
            click.echo(f"      sample {r['sample']}: re-solved error {r['measured_max']:.2e}, "
                       f"stored estimate {r['estimate_max']:.2e}")
        click.echo("PASSED" if report.ok else "FAILED")
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="version id (default: newest)")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="directory for the card and figures (default: STORE-report)")
def report(store, version, out):
    """Write a dataset card (markdown) with figures."""
    from ..catalog.report import write_card
    from ..catalog.store import open_dataset, split_version

    try:
        path, version = split_version(store, version)
        ds = open_dataset(path, version=version, include_rejected=True)
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    try:
        card = write_card(ds, Path(out) if out else Path(f"{path}-report"), store_path=str(path.resolve()))
    except OSError as err:
        _fail(f"cannot write the report: {err}", 1)
    click.echo(f"card: {card.resolve()}")
    for png in sorted(card.parent.glob("*.png")):
        click.echo(f"figure: {png.resolve()}")


@click.command()
@click.argument("store")
@click.option("--sample", "index", default=0, show_default=True, help="trajectory index")
@click.option("--version", "version", default=None, help="version id (default: newest)")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="PNG file (default: STORE-sample-I.png)")
def plot(store, index, version, out):
    """Draw one trajectory: space-time image (1D), frames (2D) or orbit (ODE)."""
    from ..catalog.plots import plot_sample
    from ..catalog.store import open_dataset, split_version

    try:
        path, version = split_version(store, version)
        ds = open_dataset(path, version=version, include_rejected=True)
        target = Path(out) if out else Path(f"{path}-sample-{index}.png")
        plot_sample(ds, index, target)
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    except OSError as err:
        _fail(f"cannot write the figure: {err}", 1)
    click.echo(f"figure: {target.resolve()}")


COMMANDS = (versions, diff, export, audit, inspect, verify, report, plot,)
