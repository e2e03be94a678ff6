"""Re-checking a finished version: integrity, certificates, provenance and re-solves.

``verify_version`` never trusts the store: it recomputes the checksum of every
chunk against the manifest written at build time, re-draws every trajectory's
parameters and initial condition from the recipe, and re-solves a random subset
at tighter settings to confirm the stored error estimates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import icechunk
import numpy as np
import zarr

from ..solvers.verification import ACCEPTED, ROUNDING, Resolution, TrajectoryProblem, Verifier, relative_difference
from . import storage
from .solve import draw
from .spec import BuildSpec

CALIBRATION_FACTOR = 2.0  # a stored estimate may be below the re-solved error by at most this factor


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    version: str
    checks: list[Check] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, problems: list[str], good: str) -> None:
        shown = "; ".join(problems[:5]) + (f"; ... {len(problems) - 5} more" if len(problems) > 5 else "")
        self.checks.append(Check(name, not problems, shown if problems else good))

    def to_dict(self) -> dict:
        return {"version": self.version, "ok": self.ok, "checks": [c.__dict__ for c in self.checks],
                "resolved": self.resolved}


def _integrity(group: zarr.Group, report: VerifyReport) -> bool:
    manifest = json.loads(group.attrs.get("manifest", "{}"))
    problems = []
    if not manifest:
        problems.append("no manifest: the version was never finalised")
    for name, array in sorted(group.arrays()):
        expected = manifest.get(name)
        if expected is None:
            if manifest:
                problems.append(f"{name}: not in the manifest")
            continue
        present = storage.written_chunks(group.store, name) if hasattr(group, "store") else set()
        for index in np.ndindex(*array.cdata_shape):
            key = ".".join(map(str, index))
            if key not in present:
                problems.append(f"{name} chunk {key}: missing (would read as fill values)")
                continue
            try:
                got = storage.chunk_checksum(array, index)
            except Exception as err:  # noqa: BLE001 - any unreadable chunk is a finding
                first = next((line.strip(" |x-`>") for line in str(err).splitlines() if line.strip(" |x-`>")), "")
                problems.append(f"{name} chunk {key}: unreadable ({type(err).__name__}: {first[:100]})")
                continue
            if got != expected.get(key):
                problems.append(f"{name} chunk {key}: content checksum differs from the manifest")
    report.add("integrity", problems, f"{sum(len(v) for v in manifest.values())} chunks present, checksums match")
    return not problems


def _state_names(spec: BuildSpec) -> list[str]:
    if spec.kind == "pde":
        return list(spec.fields)
    return ["q", "p"] if draw(spec, 0)[0].layout().kind == "canonical" else ["y"]


def _stored_states(group: zarr.Group, spec: BuildSpec, i, frames=slice(None)) -> np.ndarray:
    """Trajectory i as the solver's state: (F, d) (ODE) or (F, *state) (PDE)."""
    dtype = complex if spec.complex_valued else float
    parts = [np.asarray(group[name][i, frames], dtype=dtype) for name in _state_names(spec)]
    if spec.kind == "ode":
        return np.concatenate([p.reshape(p.shape[0], -1) for p in parts], axis=-1)
    return spec.join_fields(parts)


def _certificates(group: zarr.Group, spec: BuildSpec, report: VerifyReport) -> None:
    status = group["status"][:]
    problems = []
    rejections = {r["sample"] for r in json.loads(group.attrs.get("rejections", "[]"))}
    # xarray stores booleans as int8: an int8 mask would index frames 0 and 1 instead of selecting frames
    estimate, trusted = group["error_estimate"][:], group["trusted"][:].astype(bool)
    for i in np.flatnonzero(status == ACCEPTED):
        window = trusted[i]
        if not window.any() or np.nanmax(estimate[i][window]) > spec.tolerance:
            problems.append(f"sample {i}: trusted frames exceed the tolerance {spec.tolerance:.1e}")
        if not np.isfinite(_stored_states(group, spec, i)).all():
            problems.append(f"sample {i}: certified but holds non-finite values (a fill-value hole)")
    for i in np.flatnonzero(status != ACCEPTED):
        if int(i) not in rejections:
            problems.append(f"sample {i}: status {status[i]} but no recorded rejection")
    report.add("certificates", problems,
               f"{int((status == ACCEPTED).sum())} certified within tolerance, {len(rejections)} rejections recorded")


def _provenance(group: zarr.Group, spec: BuildSpec, report: VerifyReport) -> None:
    problems = []
    status = group["status"][:]
    for i in range(spec.samples):
        eq, ic = draw(spec, i)
        for name, value in eq.params.items():
            stored = group[name][i]
            if stored != value:
                problems.append(f"sample {i}: stored {name} = {stored!r} but the recipe draws {value!r}")
        if status[i] == ACCEPTED:
            initial = spec.grid.sample(ic) if spec.kind == "pde" else ic()
            storage = spec.field_dtype if spec.kind == "pde" else spec.dtype
            expected = initial.astype(storage).astype(complex if spec.complex_valued else float)
            if not np.array_equal(_stored_states(group, spec, i, slice(0, 1))[0], expected):
                problems.append(f"sample {i}: stored initial frame differs from the recipe's initial condition")
    report.add("provenance", problems, "parameters and initial frames equal those the recipe draws")


def _resolve(group: zarr.Group, spec: BuildSpec, count: int, seed: int, report: VerifyReport) -> None:
    status = group["status"][:]
    good = np.flatnonzero(status == ACCEPTED)
    chosen = np.sort(np.random.default_rng(seed).choice(good, size=min(count, good.size), replace=False))
    problems = []
    rounding = ROUNDING[spec.dtype]
    for i in chosen:
        frames, tight = _tighter_run(group, spec, int(i))
        stored = _stored_states(group, spec, i)
        measured = relative_difference(stored.reshape(stored.shape[0], -1), frames.reshape(frames.shape[0], -1))
        estimate = group["error_estimate"][i]
        window = group["trusted"][i].astype(bool)
        allowed = CALIBRATION_FACTOR * estimate + 4 * rounding
        worst = float(np.max((measured - allowed)[window])) if window.any() else 0.0
        report.resolved.append({"sample": int(i), "measured_max": float(measured[window].max()),
                                "estimate_max": float(estimate[window].max()), "resolution": tight})
        if worst > 0:
            problems.append(f"sample {i}: re-solved error {measured[window].max():.2e} exceeds "
                            f"{CALIBRATION_FACTOR:g} x stored estimate {estimate[window].max():.2e}")
    report.add("re-solve", problems, f"{len(chosen)} trajectories re-solved at tighter settings: "
                                     "stored estimates confirmed")


def _tighter_run(group: zarr.Group, spec: BuildSpec, i: int) -> tuple[np.ndarray, dict]:
    """Trajectory i re-solved from the recipe at (2N, 4s) (PDE), 4s or rtol/100 (ODE); a dvdm-model store is
    its fixed discrete model, re-solved by a Newton path that neither stored run took."""
    if spec.truth == "dvdm-model":
        from .solve_discrete import resolve_discrete

        return resolve_discrete(spec, i), {"scheme": "dvdm", "newton_start": "explicit Euler"}
    if spec.interval is not None:
        from .solve_bounded import tighter_run

        return tighter_run(spec, i, int(group["internal_points"][i]), int(group["steps_per_frame"][i]))
    model, ic = draw(spec, i)
    if spec.kind == "pde":
        verifier = Verifier(spec.grid, spec.frame_interval, spec.frames, spec.tolerance, spec.method, spec.dtype)
        refine = 2 if spec.truth == "pde-converged" else 1  # a semi-discrete truth lives on its own grid
        tight = Resolution(refine * int(group["internal_points"][i]), 4 * int(group["steps_per_frame"][i]))
        frames = verifier._run([TrajectoryProblem(model.terms, ic)], tight.num_points, tight.steps_per_frame)[0]
        return spec.grid.restrict(frames, tight.num_points // spec.points), tight.__dict__
    from ..solvers.ode import ODE_METHODS, integrate

    setting = float(group["solver_setting"][i])
    if ODE_METHODS[spec.method].kind == "adaptive":
        from ..solvers.ode_verification import ABSOLUTE, TWIN_FLOOR

        rtol = max(setting / 100, TWIN_FLOOR)
        options = {"rtol": rtol, "atol": ABSOLUTE * rtol}
    else:
        options = {"steps_per_frame": 4 * int(setting)}
    result = integrate(spec.method, model.functions(), ic()[None], model.params_array()[None],
                       spec.frame_interval, spec.frames, **options)
    return result.frames[0], options


def verify_version(repo: icechunk.Repository, version: str | None, spec_of: Callable[[zarr.Group], BuildSpec],
                   resolve: int = 2, seed: int = 0) -> VerifyReport:
    """Verify tag ``version``, or with None the head of ``main`` (which must be a finished version).

    ``spec_of`` rebuilds the spec from the stored recipe once the data are known to be intact.
    """
    if version is None:
        head = repo.lookup_branch("main")
        tags = [t for t in repo.list_tags() if repo.lookup_tag(t) == head]
        report = VerifyReport(tags[0] if tags else f"main@{head}")
        report.add("versions", [] if tags else ["the head of main is not a finished (tagged) version"],
                   f"main is version {tags[0] if tags else ''}")
        session = repo.readonly_session(branch="main")
    else:
        report = VerifyReport(version)
        session = repo.readonly_session(tag=version)
    group = zarr.open_group(session.store, mode="r")
    if not _integrity(group, report):
        return report  # the data cannot be trusted enough to check anything else
    spec = spec_of(group)
    if spec.kind == "steady":
        from .audit_steady import verify_steady

        verify_steady(group, spec, report, resolve, seed)
        return report
    _certificates(group, spec, report)
    _provenance(group, spec, report)
    if resolve > 0:
        _resolve(group, spec, resolve, seed, report)
    return report
