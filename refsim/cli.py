"""The ``refsim`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .schemas.recipe import RecipeError


def _fail(message: str, code: int = 2):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def format_certificate(summary: dict) -> str:
    lines = [f"certified {summary['certified']}/{summary['samples']} trajectories "
             f"(truth: {summary.get('truth', 'pde-converged')}, tolerance {summary['tolerance']:.1e})"]
    rejected = {k: v for k, v in summary.get("rejected", {}).items() if v}
    if rejected:
        lines.append("rejected: " + ", ".join(f"{v} {k}" for k, v in rejected.items()))
    if "error_estimate_max" in summary:
        what = "estimated relative distance from the PDE" if summary.get("kind") == "steady" else \
            "relative error estimate"
        lines.append(f"{what}: max {summary['error_estimate_max']:.2e}, "
                     f"median {summary['error_estimate_median']:.2e}")
        if summary.get("full_horizon", summary["certified"]) < summary["certified"]:
            lines.append(f"trust horizon: {summary['certified'] - summary['full_horizon']} trajectories flagged "
                         f"after t = {summary['trust_horizon_min']:g} (earliest)")
        if summary.get("kind") == "steady":
            lines.append(f"grid {summary['grid'][0]}^2, refined to {summary['refinement_points'][-1]}^2 for the "
                         f"estimate; largest relative residual {summary['relative_residual_max']:.1e}, "
                         f"backward error {summary['backward_error_max']:.1e}")
        elif "internal_points" in summary:
            p, s = summary["internal_points"], summary["steps_per_frame"]
            lines.append(f"internal grid {p[0]}-{p[1]} points, {s[0]}-{s[1]} steps per frame"
                         + (f"; largest Newton residual {summary['newton_residual_max']:.1e}"
                            if "newton_residual_max" in summary else ""))
        else:
            s = summary["solver_setting"]
            lines.append(f"solver setting (steps per frame, or rtol) {s[0]:g}-{s[1]:g}; "
                         f"largest Newton residual {summary['newton_residual_max']:.1e}")
        monitored = set(summary.get("invariants_monitored_only", []))
        drifts = ", ".join(f"{k} {v:.1e}" + (" (monitored only)" if k in monitored else "")
                           for k, v in summary["invariant_drift_max"].items())
        if drifts:
            lines.append(f"max relative drift of conserved invariants: {drifts}")
        if summary.get("model_distance_from_pde_max") is not None:
            lines.append(f"distance of the {summary['truth'].removesuffix('-model')} model from the PDE "
                         "(error_space, not certified): "
                         f"max {summary['model_distance_from_pde_max']:.2e}")
        rises = ", ".join(f"{k} {v:.1e}" for k, v in summary.get("invariant_max_increase", {}).items())
        if rises:
            lines.append(f"non-increasing functionals, largest one-frame relative change (< 0: decrease): {rises}")
    return "\n".join(lines)


@click.group()
@click.version_option(package_name="refsim")
def main():
    """Build reference-quality, precision-verified simulation datasets."""


@main.command()
@click.argument("recipe")
@click.option("--out", default="stores", show_default=True, type=click.Path(file_okay=False),
              help="directory that holds the stores; the store is OUT/<recipe name>")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="worker processes of the embedded Dask LocalCluster")
@click.option("--scheduler", default=None, help="address of an existing Dask scheduler to use instead")
@click.option("--cluster", "cluster_kind", type=click.Choice(["slurm", "pbs"]), default=None,
              help="start a Dask cluster on a batch system (dask-jobqueue) and scale it to the work: one job per "
                   "partition still to build, at most --workers")
@click.option("--cluster-config", type=click.Path(dir_okay=False), default=None,
              help="YAML with queue, account, cores, memory, walltime, job_extra_directives, ...")
@click.option("--partition", "share", default=None, metavar="I/N",
              help="array-job mode: build share I of N (partitions p with p % N == I) here, without Dask; "
                   "then run `refsim finalize`")
@click.option("--quiet", is_flag=True, help="no progress bar")
def generate(recipe, out, workers, scheduler, cluster_kind, cluster_config, share, quiet):
    """Build the dataset of RECIPE (a YAML file or a built-in recipe name).

    Running it again after an interruption resumes from the committed partitions.
    """
    from .pipeline.build import build, build_partition_share
    from .pipeline.locks import BuildLockedError
    from .pipeline.storage import RejectionLimitError
    from .schemas.recipe import build_spec, load_recipe

    try:
        model, base = load_recipe(recipe)
        spec = build_spec(model, base)
        index_count = _parse_share(share) if share else None
        cluster = None
        if cluster_kind:
            from .schemas.cluster import load_cluster_config, make_cluster

            cluster = make_cluster(cluster_kind, load_cluster_config(cluster_config))
    except RecipeError as err:
        _fail(str(err))
    try:
        if index_count:
            staged = build_partition_share(spec, out, *index_count)
            click.echo(f"store: {(Path(out) / spec.name).resolve()}")
            click.echo(f"version: {spec.version_id}; share {index_count[0]}/{index_count[1]}: "
                       f"{len(staged['staged'])} partitions staged {staged.get('skipped', '')}".rstrip())
            return
        from .catalog.splits import version_training_attrs

        report = build(spec, out, workers=workers, scheduler=scheduler, progress=not quiet, cluster=cluster,
                       annotate=version_training_attrs)
    except OSError as err:
        if scheduler and not isinstance(err, (FileExistsError, PermissionError)):
            _fail(f"cannot use the Dask scheduler {scheduler!r}: {err}", 1)
        _fail(f"cannot write the store under {out!r}: {err}", 1)
    except ValueError as err:
        if scheduler:
            _fail(f"cannot use the Dask scheduler {scheduler!r}: {err}", 1)
        raise
    except (RejectionLimitError, BuildLockedError) as err:
        _fail(str(err), 1)
    except Exception as err:  # noqa: BLE001 - storage and cluster failures: one line, the work is kept
        from .pipeline.build import describe_build_failure

        message = describe_build_failure(err)
        if message is None:
            raise
        _fail(f"{message}; the partitions committed so far are kept: run the same command again to resume", 1)
    finally:
        if cluster is not None:
            cluster.close()
    state = "already built; nothing to do" if report.reused else f"built ({report.partitions_run} partitions run)"
    click.echo(f"store: {report.path.resolve()}")
    click.echo(f"version: {report.version_id} ({state})")
    click.echo(format_certificate(report.summary))
    for r in report.rejections[:10]:
        click.echo(f"  rejected sample {r['sample']}: {r['reason']}")
    if len(report.rejections) > 10:
        click.echo(f"  ... and {len(report.rejections) - 10} more (see the store's 'rejections' attribute)")
    if report.summary["certified"] == 0:
        _fail("no trajectory could be certified; see the reasons above", 1)


def _parse_share(text: str) -> tuple[int, int]:
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        raise RecipeError(f"--partition: expected I/N with integers, e.g. 0/4, got {text!r}") from None
    if not (count >= 1 and 0 <= index < count):
        raise RecipeError(f"--partition: need 0 <= I < N, got {text!r}")
    return index, count


@main.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="the staged version (needed if several)")
@click.option("--if-complete", is_flag=True,
              help="for array tasks: finalize only once every partition is staged (exit 0 before that, and "
                   "when another task has finished it); wait for a concurrent finalize instead of refusing")
def finalize(store, version, if_complete):
    """Assemble the partitions staged by array tasks, check them, commit and tag the version."""
    import zarr

    from .catalog.store import open_repository
    from .pipeline.build import finalize_staged
    from .pipeline.locks import BuildLockedError
    from .pipeline.storage import IncompleteBuildError, RejectionLimitError
    from .schemas.recipe import spec_from_stored

    try:
        path = Path(store)
        repo = open_repository(path)
        builds = {b.split("-")[1] for b in repo.list_branches() if b.startswith("build-")}
        staged = sorted(builds - set(repo.list_tags()))
        if version:
            staged = [v for v in staged if v.startswith(version)]
        if not staged and if_complete and repo.list_tags():
            click.echo(f"store: {path.resolve()} (already finalized)")
            return
        if len(staged) != 1:
            raise LookupError(f"{'no' if not staged else 'several'} unfinished builds in {path}: "
                              f"{', '.join(staged) or 'none'}; pass --version")
        group = zarr.open_group(repo.readonly_session(branch=f"build-{staged[0]}").store, mode="r")
        spec = spec_from_stored(dict(group.attrs), None)
        from .catalog.splits import version_training_attrs

        report = finalize_staged(path, spec, if_complete=if_complete, annotate=version_training_attrs)
        if report is None:
            click.echo(f"store: {path.resolve()}; partitions still missing: the last array task finalizes")
            return
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    except (IncompleteBuildError, RejectionLimitError, BuildLockedError) as err:
        _fail(str(err), 1)
    click.echo(f"store: {path.resolve()}")
    click.echo(f"version: {report.version_id} ({'already finished' if report.reused else 'finalized'})")
    click.echo(format_certificate(report.summary))


@main.command()
@click.argument("recipe")
@click.option("--cluster", "cluster_kind", type=click.Choice(["slurm", "pbs"]), required=True)
@click.option("--cluster-config", type=click.Path(dir_okay=False), default=None)
@click.option("--array", "array_tasks", type=click.IntRange(min=1), default=None,
              help="print an array-job script with this many tasks instead of a Dask worker job")
@click.option("--out", default="stores", show_default=True, type=click.Path(file_okay=False))
def jobscript(recipe, cluster_kind, cluster_config, array_tasks, out):
    """Print the batch script `generate --cluster` would submit, or an array-job script."""
    from .schemas.cluster import array_script, load_cluster_config, make_cluster
    from .schemas.recipe import build_spec, load_recipe

    try:
        model, base = load_recipe(recipe)
        build_spec(model, base)
        config = load_cluster_config(cluster_config)
    except RecipeError as err:
        _fail(str(err))
    if array_tasks:
        path = Path(recipe) if Path(recipe).exists() else None
        from .generators import recipe_path

        source = (path or recipe_path(recipe)).resolve()
        click.echo(array_script(cluster_kind, config, source, Path(out).resolve(), array_tasks, model.name), nl=False)
        return
    cluster = make_cluster(cluster_kind, config)
    try:
        click.echo(cluster.job_script())
    finally:
        cluster.close()


@main.command()
@click.argument("store")
def versions(store):
    """List the finished versions of a store with recipe hashes, dates and certificates."""
    from .catalog.store import version_table

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


@main.command()
@click.argument("store")
@click.argument("v1")
@click.argument("v2")
def diff(store, v1, v2):
    """Show how the recipes of two versions differ."""
    from .catalog.store import open_repository, recipe_diff, resolve_version, version_table

    try:
        repo = open_repository(Path(store))
        a, b = resolve_version(repo, v1), resolve_version(repo, v2)
    except (FileNotFoundError, LookupError) as err:
        _fail(str(err), 1)
    recipes = {r["version"]: r["recipe"] for r in version_table(store)}
    lines = recipe_diff(recipes[a], recipes[b])
    click.echo("\n".join(lines) if lines else "the recipes are identical")


@main.command()
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
    from .catalog.exchange import ExchangeError, export_pdebench, export_the_well
    from .catalog.store import export_zarr, open_dataset, split_version

    if (zarr_out is None) == (fmt is None) or (fmt is not None and out is None):
        _fail("export: give either --zarr DIR or --format pdebench|the-well OUT")
    try:
        path, version = split_version(store, version)
        if zarr_out:
            written = export_zarr(path, zarr_out, version)
        else:
            ds = open_dataset(path, version=version)
            writer = export_pdebench if fmt == "pdebench" else export_the_well
            written = writer(ds, Path(out), dtype)
    except (FileNotFoundError, LookupError, FileExistsError, ExchangeError) as err:
        _fail(str(err), 1)
    except OSError as err:
        _fail(f"cannot write {out or zarr_out!r}: {err}", 1)
    click.echo(f"exported: {Path(written).resolve()}")


@main.command()
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
    from .catalog.exchange import ExchangeError, read_external
    from .catalog.external_audit import audit as run_audit
    from .catalog.external_audit import plot_audit, write_json

    try:
        parameters = _parse_parameters(parameter_text)
        data = read_external(Path(file), fmt, field, time_coordinate)
        result = run_audit(data, equation, parameters, samples, tolerance, seed)
    except (ExchangeError, ValueError) as err:
        _fail(str(err), 1)
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


@main.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="version id (default: newest)")
def inspect(store, version):
    """Summarise a store: variables, sizes and the certificate."""
    from .catalog.store import certificate, list_versions, open_dataset, open_repository, split_version

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


@main.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="version id (default: newest)")
@click.option("--resolve", default=2, show_default=True, type=click.IntRange(min=0),
              help="re-solve this many random trajectories at tighter settings")
@click.option("--seed", default=0, show_default=True, help="seed of the choice of trajectories to re-solve")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def verify(store, version, resolve, seed, as_json):
    """Re-check a store: integrity, certificates, provenance, re-solves. Exit 1 on any failure."""
    from .catalog.store import open_repository, resolve_version, split_version
    from .pipeline.audit import verify_version
    from .schemas.recipe import spec_from_stored

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


@main.command()
@click.argument("store")
@click.option("--version", "version", default=None, help="version id (default: newest)")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="directory for the card and figures (default: STORE-report)")
def report(store, version, out):
    """Write a dataset card (markdown) with figures."""
    from .catalog.report import write_card
    from .catalog.store import open_dataset, split_version

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


@main.command()
@click.argument("store")
@click.option("--sample", "index", default=0, show_default=True, help="trajectory index")
@click.option("--version", "version", default=None, help="version id (default: newest)")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="PNG file (default: STORE-sample-I.png)")
def plot(store, index, version, out):
    """Draw one trajectory: space-time image (1D), frames (2D) or orbit (ODE)."""
    from .catalog.plots import plot_sample
    from .catalog.store import open_dataset, split_version

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


@main.command()
@click.argument("name", required=False)
def equations(name):
    """List the equations, or describe one."""
    from .generators import EQUATIONS

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


@main.group()
def catalog():
    """The datasets under one or more roots (default: ./stores, or $REFSIM_ROOT)."""


def _roots(root):
    from .catalog.index import default_roots

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
    from .catalog.index import build_index

    _print_index(build_index(_roots(root)))


@catalog.command("show")
@click.argument("name")
@click.option("--root", multiple=True, type=click.Path(file_okay=False))
def catalog_show(name, root):
    """Describe dataset NAME[@VERSION]: versions, recipe and certificate."""
    from .catalog.index import resolve
    from .catalog.store import open_dataset

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
    from .catalog.index import build_index, search

    ranges = {}
    for text in parameter:
        try:
            key, bounds = text.split("=")
            lo, hi = (float(v) for v in bounds.split(":"))
        except ValueError:
            _fail(f"--parameter: expected NAME=LO:HI, got {text!r}")
        ranges[key] = (lo, hi)
    _print_index(search(build_index(_roots(root), save=False), equation, max_tolerance, min_points, ranges))


@main.command()
@click.argument("name", required=False)
def families(name):
    """List the initial-condition families, or describe one with its fields."""
    import dataclasses

    from .generators import FAMILIES

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


@main.command()
def recipes():
    """List the built-in recipes."""
    import yaml

    from .generators import RECIPES

    for name, path in RECIPES.items():
        data = yaml.safe_load(path.read_text())
        click.echo(f"{name:<28} {data['equation']:<22} {data.get('description', '').strip().splitlines()[0]}")


@main.command()
def schema():
    """Print the JSON Schema of a recipe."""
    from .schemas.recipe import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


def run() -> None:
    """The console entry point: ``main``, then an exit that skips interpreter finalisation.

    icechunk's Rust runtime keeps worker threads alive until the process ends; when one is
    still busy while Python finalises, the process can abort (SIGABRT) after all of its work
    was committed and reported. Every command has finished and flushed by then, so the
    process leaves with ``os._exit`` and the command's own exit status.
    """
    import os

    try:
        main(standalone_mode=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
