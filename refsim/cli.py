"""The ``refsim`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .commands.common import _fail, format_certificate
from .schemas.recipe import RecipeError


@click.group()
@click.version_option(package_name="refsim")
def main():
    """Build reference-quality, precision-verified simulation datasets."""


@main.command()
@click.argument("recipe")
@click.option("--out", default="stores", show_default=True, type=click.Path(file_okay=False),
              help="directory that holds the stores; the store is OUT/<recipe name>")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="workers of the embedded Dask LocalCluster")
@click.option("--worker-kind", type=click.Choice(["auto", "threads", "processes"]), default="auto",
              show_default=True,
              help="embedded LocalCluster: worker processes, or threads of this process (no start-up cost); "
                   "auto: threads for one worker or at most 8 partitions per worker, processes beyond")
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
def generate(recipe, out, workers, worker_kind, scheduler, cluster_kind, cluster_config, share, quiet):
    """Build the dataset of RECIPE (a YAML file or a built-in recipe name).

    Running it again after an interruption resumes from the committed partitions.
    """
    from .pipeline.build import build, build_partition_share
    from .pipeline.locks import BuildLockedError
    from .pipeline.storage import RejectionLimitError
    from .schemas.recipe import load_recipe
    from .schemas.spec import build_spec

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

        processes = {"auto": None, "threads": False, "processes": True}[worker_kind]
        report = build(spec, out, workers=workers, scheduler=scheduler, progress=not quiet, cluster=cluster,
                       annotate=version_training_attrs, processes=processes)
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
    except KeyboardInterrupt:
        _fail("interrupted; the partitions committed so far are kept: run the same command again to resume", 130)
    except Exception as err:  # noqa: BLE001 - storage and cluster failures: one line, the work is kept
        from .pipeline.build import describe_build_failure

        message = describe_build_failure(err)
        if message is None:
            raise
        _fail(f"{message}; the partitions committed so far are kept: run the same command again to resume", 1)
    finally:
        if cluster is not None:
            cluster.close()
    state = "already built; nothing to do" if report.reused else f"built, {report.partitions_run} partitions run" + \
        (f" on {report.ran_on}" if report.ran_on else "")
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
    from .schemas.spec import spec_from_stored

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
    from .schemas.recipe import load_recipe
    from .schemas.spec import build_spec

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


def _register() -> None:
    from .commands import info, stores

    for command in stores.COMMANDS + info.COMMANDS:
        main.add_command(command)


_register()


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
