"""Batch-system settings for `--cluster slurm|pbs` (a file apart from the recipe: they never
change the data, so they never enter the version id)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from .recipe import RecipeError, format_error

SYSTEMS = ("slurm", "pbs")
WORKER_EXPORTS = ["export NUMBA_NUM_THREADS=1", "export OMP_NUM_THREADS=1",
                  "export MALLOC_MMAP_THRESHOLD_=67108864", "export MALLOC_TRIM_THRESHOLD_=268435456"]


class ClusterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    queue: str | None = Field(None, description="partition (SLURM) or queue (PBS)")
    account: str | None = Field(None, description="account / project to charge")
    cores: int = Field(2, ge=1, description="cores per job")
    processes: int | None = Field(None, ge=1, description="worker processes per job (default: cores)")
    memory: str = Field("8GiB", description="memory per job")
    walltime: str = Field("01:00:00", pattern=r"^\d+:\d\d:\d\d$")
    jobs: int = Field(1, ge=1, description="jobs to scale the Dask cluster to")
    job_extra_directives: list[str] = Field(default_factory=list, description="extra #SBATCH / #PBS lines")
    job_script_prologue: list[str] = Field(default_factory=list, description="shell lines run before the worker")
    scheduler_host: str | None = Field(None, description="address the scheduler binds to (default: the host's)")


def load_cluster_config(path: str | Path | None) -> ClusterConfig:
    if path is None:
        return ClusterConfig()
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise RecipeError(f"cluster config {path}: {err}") from None
    try:
        return ClusterConfig.model_validate(data)
    except pydantic.ValidationError as err:
        raise RecipeError(f"cluster config: {format_error(err)}") from None


def _prologue(config: ClusterConfig) -> list[str]:
    return config.job_script_prologue or [f"source {shlex.quote(str(Path(sys.prefix) / 'bin' / 'activate'))}"]


def make_cluster(system: str, config: ClusterConfig):
    """A dask-jobqueue cluster (constructing it starts its scheduler; jobs are submitted on scale)."""
    from dask_jobqueue import PBSCluster, SLURMCluster

    cls = {"slurm": SLURMCluster, "pbs": PBSCluster}[system]
    scheduler = {"dashboard_address": None}
    if config.scheduler_host:
        scheduler["host"] = config.scheduler_host
    return cls(
        cores=config.cores, processes=config.processes or config.cores, memory=config.memory,
        walltime=config.walltime, queue=config.queue, account=config.account,
        job_extra_directives=config.job_extra_directives,
        job_script_prologue=_prologue(config) + WORKER_EXPORTS, scheduler_options=scheduler,
        worker_extra_args=["--nthreads", "1"],
    )


def array_script(system: str, config: ClusterConfig, recipe: Path, out: Path, tasks: int, name: str) -> str:
    """A batch array script: task i runs `refsim generate --partition i/tasks`, then `refsim finalize
    --if-complete`, so whichever task finishes last assembles and tags the version."""
    refsim = shlex.quote(str(Path(sys.prefix) / "bin" / "refsim"))
    recipe_q, out_q = shlex.quote(str(recipe)), shlex.quote(str(out))
    if system == "slurm":
        head = [f"#SBATCH -J refsim-{name}", f"#SBATCH --array=0-{tasks - 1}", "#SBATCH -n 1",
                f"#SBATCH --cpus-per-task={config.cores}", f"#SBATCH --mem={_slurm_memory(config.memory)}",
                f"#SBATCH -t {config.walltime}"]
        head += [f"#SBATCH -p {config.queue}"] if config.queue else []
        head += [f"#SBATCH -A {config.account}"] if config.account else []
        head += [f"#SBATCH {line}" for line in config.job_extra_directives]
        index, submit = "${SLURM_ARRAY_TASK_ID}", "sbatch --dependency=afterok:<ARRAY_JOB_ID>"
    else:
        head = [f"#PBS -N refsim-{name}", f"#PBS -J 0-{tasks - 1}",
                f"#PBS -l select=1:ncpus={config.cores}:mem={config.memory.replace('GiB', 'gb')}",
                f"#PBS -l walltime={config.walltime}"]
        head += [f"#PBS -q {config.queue}"] if config.queue else []
        head += [f"#PBS -A {config.account}"] if config.account else []
        head += [f"#PBS {line}" for line in config.job_extra_directives]
        index, submit = "${PBS_ARRAY_INDEX}", "qsub -W depend=afterok:<ARRAY_JOB_ID>"
    body = _prologue(config) + WORKER_EXPORTS + [
        f"{refsim} generate {recipe_q} --out {out_q} --partition {index}/{tasks} --quiet",
        f"{refsim} finalize --if-complete {shlex.quote(str(out / name))}",
    ]
    tail = ["", "# a task that died leaves its partitions missing: resubmit it (or all: committed work is kept),",
            f"# or finalize from a job submitted with {submit}: {refsim} finalize {shlex.quote(str(out / name))}"]
    return "\n".join(["#!/usr/bin/env bash", *head, "set -euo pipefail", *body, *tail]) + "\n"


def _slurm_memory(text: str) -> str:
    number = "".join(c for c in text if c.isdigit() or c == ".")
    unit = text[len(number):].strip().upper()[:1] or "G"
    return f"{number}{unit}"
