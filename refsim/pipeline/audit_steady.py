"""``refsim verify`` for a steady version (``kind == "steady"``), after the shared integrity check.

* certificates: every certified sample has finite data, an estimate within the tolerance and a solve at
  round-off; every other sample has a recorded rejection;
* provenance: every sample's parameters and coefficient field equal what the recipe draws (bit for bit);
* re-solve: a few certified samples are solved again from the recipe, the model by another factorisation
  (it must agree to ``MODEL_AGREEMENT``: the data are that discrete solution), and on the grid refined 2x
  (its difference from the stored solution is part of the distance from the PDE, so it must lie within
  the stored estimate).
"""

from __future__ import annotations

import json

import numpy as np

from ..solvers.verification import ACCEPTED
from .solve_steady import BACKWARD_LIMIT, resolve_steady
from .spec_steady import SteadySpec, draw_steady

# Two backward-stable solves of one system differ by ~cond(A) eps: cond ~ 4 points^2 contrast / pi^2, at most
# ~7e5 at 128^2 with contrast 100, so ~1e-10 relative; 1e-9 leaves a margin and is 1e6 below the PDE distance.
MODEL_AGREEMENT = 1e-9


def _certificates(group, spec: SteadySpec, report) -> None:
    status, estimate = group["status"][:], group["error_estimate"][:]
    backward = group["backward_error"][:]
    output = spec.fields[1]
    rejections = {r["sample"] for r in json.loads(group.attrs.get("rejections", "[]"))}
    problems = []
    for i in np.flatnonzero(status == ACCEPTED):
        if not estimate[i] <= spec.tolerance:
            problems.append(f"sample {i}: error_estimate {estimate[i]:.2e} exceeds the tolerance {spec.tolerance:.1e}")
        if not backward[i] <= BACKWARD_LIMIT:
            problems.append(f"sample {i}: backward error {backward[i]:.1e} is not at round-off")
        if not np.isfinite(group[output][i]).all():
            problems.append(f"sample {i}: certified but holds non-finite values (a fill-value hole)")
    for i in np.flatnonzero(status != ACCEPTED):
        if int(i) not in rejections:
            problems.append(f"sample {i}: status {status[i]} but no recorded rejection")
    report.add("certificates", problems,
               f"{int((status == ACCEPTED).sum())} certified within tolerance, {len(rejections)} rejections recorded")


def _provenance(group, spec: SteadySpec, report) -> None:
    problems = []
    input_field = spec.fields[0]
    for i in range(spec.samples):
        equation, draw = draw_steady(spec, i)
        for name, value in equation.params.items():
            if group[name][i] != value:
                problems.append(f"sample {i}: stored {name} = {group[name][i]!r} but the recipe draws {value!r}")
        if not np.array_equal(group[input_field][i], draw.coefficient(spec.points)):
            problems.append(f"sample {i}: stored {input_field} differs from the recipe's coefficient draw")
    report.add("provenance", problems, "parameters and coefficient fields equal those the recipe draws")


def _resolve(group, spec: SteadySpec, count: int, seed: int, report) -> None:
    good = np.flatnonzero(group["status"][:] == ACCEPTED)
    chosen = np.sort(np.random.default_rng(seed).choice(good, size=min(count, good.size), replace=False))
    output = spec.fields[1]
    problems = []
    for i in chosen:
        _, model, refined = resolve_steady(spec, int(i))
        stored = np.asarray(group[output][i])
        agreement = float(np.abs(stored - model).max() / np.abs(model).max())
        measured = float(np.abs(stored - refined).max() / np.abs(stored).max())
        estimate = float(group["error_estimate"][i])
        report.resolved.append({"sample": int(i), "measured_max": measured, "estimate_max": estimate,
                                "model_difference": agreement, "resolution": {"model": "COLAMD re-factorisation",
                                                                              "refined": 2 * spec.points}})
        if agreement > MODEL_AGREEMENT:
            problems.append(f"sample {i}: re-solved model differs by {agreement:.1e} (allowed {MODEL_AGREEMENT:.0e})")
        if measured > estimate:
            problems.append(f"sample {i}: difference {measured:.2e} from the 2x-refined solve exceeds the stored "
                            f"estimate {estimate:.2e}")
    report.add("re-solve", problems, f"{len(chosen)} samples re-solved: the model agrees to {MODEL_AGREEMENT:.0e}, "
                                     "the 2x-refined solve lies within the stored estimate")


def verify_steady(group, spec: SteadySpec, report, resolve: int, seed: int) -> None:
    _certificates(group, spec, report)
    _provenance(group, spec, report)
    if resolve > 0:
        _resolve(group, spec, resolve, seed, report)
