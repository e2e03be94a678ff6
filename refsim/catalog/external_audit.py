"""How wrong is someone else's dataset? Re-solve its trajectories with refsim and compare.

Each audited trajectory is re-solved from the file's own first frame, on the file's
own grid and at the file's own times, by refsim's certified solver at a tight
tolerance; the external data's error is then ``max_x |u_file - u_ref| / max_x
|u_ref|`` per frame, reported beside the reference's own certified bound (the
audit is meaningful where the external error is far above that bound).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..generators import EQUATIONS
from ..generators.initial_conditions import GridSamples
from ..solvers.grid import FourierGrid
from ..solvers.verification import ACCEPTED, Resolution, TrajectoryProblem, Verifier
from .exchange import ExternalData


@dataclass
class AuditResult:
    samples: list[int]
    times: np.ndarray
    errors: np.ndarray  # (K, frames): the external data's relative error per frame
    reference_bound: np.ndarray  # (K,): the refsim reference's own certified estimate (max over frames)
    resolution: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"samples": self.samples, "times": self.times.tolist(), "errors": self.errors.tolist(),
                "max_error": self.errors.max(axis=1).tolist(), "final_error": self.errors[:, -1].tolist(),
                "reference_error_bound": self.reference_bound.tolist(),
                "reference_resolution": [{"points": n, "steps_per_frame": s} for n, s in self.resolution]}

    def table(self) -> str:
        lines = ["sample   max rel. error   final-frame error   reference bound   reference grid/steps"]
        for i, sample in enumerate(self.samples):
            n, s = self.resolution[i]
            lines.append(f"{sample:>6}   {self.errors[i].max():>14.3e}   {self.errors[i, -1]:>17.3e}   "
                         f"{self.reference_bound[i]:>15.1e}   {n} points, {s} steps/frame")
        return "\n".join(lines)


def audit(data: ExternalData, equation: str, parameters: dict[str, float], samples: int = 4,
          tolerance: float = 1e-10, seed: int = 0) -> AuditResult:
    """Re-solve ``samples`` trajectories (drawn without replacement, seeded) and measure the file's error."""
    if equation not in EQUATIONS or EQUATIONS[equation].kind != "pde":
        pdes = sorted(n for n, c in EQUATIONS.items() if c.kind == "pde")
        raise ValueError(f"--equation: unknown PDE {equation!r}; allowed: {', '.join(pdes)}")
    model = EQUATIONS[equation](**parameters)
    n_samples, frames, points = data.values.shape
    if points % 2:
        raise ValueError(f"the file's grid has {points} points; the Fourier reference needs an even number")
    chosen = sorted(np.random.default_rng(seed).choice(n_samples, size=min(samples, n_samples), replace=False))
    grid = FourierGrid(points, data.length, float(data.x[0]))
    verifier = Verifier(grid, float(data.times[1] - data.times[0]), frames, tolerance)
    problems = [TrajectoryProblem(model.terms, GridSamples(data.values[i, 0], grid.domain_length, grid.origin))
                for i in chosen]
    results = verifier.certify(problems, Resolution(points, 2))
    errors, bounds, resolution = [], [], []
    for i, r in zip(chosen, results):
        if r.status != ACCEPTED:
            raise ValueError(f"sample {i}: the reference could not be certified ({r.reason}); "
                             "a looser --tolerance or other --parameters may be needed")
        scale = np.abs(r.frames).max(axis=-1)
        errors.append(np.abs(data.values[i] - r.frames).max(axis=-1) / np.where(scale > 0, scale, 1.0))
        bounds.append(float(r.error_estimate.max()))
        resolution.append((r.resolution.num_points, r.resolution.steps_per_frame))
    return AuditResult([int(i) for i in chosen], data.times, np.array(errors), np.array(bounds), resolution)


def plot_audit(result: AuditResult, out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for i, sample in enumerate(result.samples):
        ax.semilogy(result.times[1:], np.maximum(result.errors[i, 1:], 1e-17), label=f"sample {sample}")
    ax.axhline(result.reference_bound.max(), color="k", ls=":", label="refsim reference bound")
    ax.set_xlabel("t")
    ax.set_ylabel("relative error of the external data")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def write_json(result: AuditResult, out: Path, **context) -> Path:
    out.write_text(json.dumps({**context, **result.to_dict()}, indent=1))
    return out
