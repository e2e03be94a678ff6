"""The dataset card of a steady store (``kind == "steady"``): inputs, outputs, truth and certificate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from .plots import pyplot, steady_panels


def _figures(ds: xr.Dataset, out: Path, count: int = 3) -> dict[str, str]:
    plt = pyplot()
    good = np.flatnonzero(ds["status"].values == 0)
    files = {}
    if good.size == 0:
        return files
    rows = good[:count]
    fig, axes = plt.subplots(rows.size, 3, figsize=(13.5, 4.2 * rows.size), squeeze=False, constrained_layout=True)
    for row, i in zip(axes, rows):
        steady_panels(row, fig, ds, int(i))
        row[0].set_title(f"sample {int(ds.sample[i])}")
    fig.suptitle(f"{ds.attrs['title']}: {ds.attrs['pde']}", fontsize=9)
    files["samples"] = _save(plt, fig, out / "samples.png")
    fig, ax = plt.subplots(figsize=(6.4, 4), constrained_layout=True)
    ax.hist(np.log10(ds["error_estimate"].values[good]), bins=20, color="C0")
    ax.axvline(np.log10(ds.attrs["tolerance"]), color="k", ls="--", label="tolerance")
    ax.set_xlabel("log10 error_estimate (relative distance of the stored model solution from the PDE)")
    ax.set_ylabel("samples")
    ax.legend()
    files["error"] = _save(plt, fig, out / "error_estimate.png")
    return files


def _save(plt, fig, path: Path) -> str:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def write_steady_card(ds: xr.Dataset, out: Path, store_path: str | None = None) -> Path:
    """Write ``out/README.md`` and its PNG figures; return the card's path."""
    out.mkdir(parents=True, exist_ok=True)
    files = _figures(ds, out)
    a = ds.attrs
    recipe, solver = json.loads(a["recipe"]), json.loads(a["solver"])
    good = ds["status"].values == 0
    lines = [
        f"# {a['title']}  (version {a['version_id']})", "", recipe.get("description", ""), "",
        "## Problem",
        f"- Equation: `{a['pde']}` ({a['equation']}), boundary conditions: {a['boundary_conditions']}",
        f"- Parameters: `{a['parameters']}`; coefficient: `{a['coefficient']}`",
        f"- Grid: {a['grid']}",
        f"- Inputs: {', '.join(json.loads(a['inputs']))}; outputs: {', '.join(json.loads(a['outputs']))}",
        f"- Samples: {ds.sizes['sample']} (seed {recipe['seed']}); truth: **{a['truth']}**: {a['truth_description']}",
        "", "## Method",
        f"- Discretisation: {solver['description']}; linear solve: {solver['linear_solve']}",
        f"- Verification: {solver['verification']}; backend {solver['backend']}",
        f"- Stored dtype: {a['storage_dtype']}",
        "", "## Certificate",
        f"- Tolerance on error_estimate (relative distance from the PDE): {a['tolerance']:.1e}",
        f"- Certified: {int(good.sum())} of {good.size}; rejected: {int((~good).sum())}",
    ]
    if good.any():
        q = np.quantile(ds["error_estimate"].values[good], [0.0, 0.5, 0.9, 1.0])
        lines += [f"- error_estimate min / median / 90% / max: {' / '.join(f'{v:.2e}' for v in q)}",
                  f"- Largest relative residual {ds['relative_residual'].values[good].max():.1e}, backward error "
                  f"{ds['backward_error'].values[good].max():.1e}; observed order, median "
                  f"{np.median(ds['observed_order'].values[good]):.2f}"]
    rejections = json.loads(a.get("rejections", "[]"))
    if rejections:
        lines += ["", "Rejected samples:", ""] + [f"- sample {r['sample']}: {r['reason']}" for r in rejections[:20]]
    lines += ["", "## Figures", ""] + [f"![{k}]({v})" for k, v in files.items()]
    lines += ["", "## Load", "", "```python", "import refsim",
              f"ds = refsim.open('{store_path or 'PATH'}@{a['version_id']}')", "```", "",
              f"Packages: `{a['packages']}`", "", f"Summary: `{a.get('certificate', '{}')}`", ""]
    card = out / "README.md"
    card.write_text("\n".join(lines))
    return card
