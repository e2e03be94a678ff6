"""What the command modules share: failing with a message, and the certificate summary as text."""

from __future__ import annotations

import sys

import click


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
