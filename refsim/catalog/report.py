"""A dataset card (markdown) with figures, written from a store's own data and metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from .plots import displayed, image, ode_panel, pyplot, state_fields


def _figures(ds: xr.Dataset, out: Path, count: int = 4) -> dict[str, str]:
    plt = pyplot()
    good = ds.isel(sample=np.flatnonzero(ds["status"].values == 0))
    n = min(count, good.sizes["sample"])
    files = {}
    if n == 0:
        return files
    t = ds.time.values
    if ds.attrs.get("kind") != "pde":
        files["trajectories"] = _ode_figure(good, n, out, plt)
    else:
        files.update(_pde_figures(ds, good, n, out, plt))
    files.update(_certificate_figures(ds, good, t, out, plt))
    return files


def _ode_figure(good, n, out, plt):
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False, constrained_layout=True)
    for ax, i in zip(axes[0], range(n)):
        ode_panel(ax, good, i)
        ax.set_title(f"sample {int(good.sample[i])}")
    fig.suptitle(f"{good.attrs['title']}: {good.attrs['pde']}")
    return _save(fig, out / "trajectories.png")


def _pde_figures(ds, good, n, out, plt):
    """Space-time images (1D) or final frames (2D) of the first field, and its final-frame spectrum."""
    files = {}
    name = state_fields(ds)[0]
    two_d = "y" in ds.dims
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False, constrained_layout=True)
    for ax, i in zip(axes[0], range(n)):
        if two_d:
            values, label = displayed(good[name].values[i, -1], name)
            image(ax, fig, ds.x.values, ds.y.values, values, f"{label} at t = {float(ds.time[-1]):.3g}")
            ax.set_aspect("equal")
        else:
            values, label = displayed(good[name].values[i], name)
            image(ax, fig, ds.x.values, ds.time.values, values, label)
            ax.set_ylabel("t")
        ax.set_title(f"sample {int(good.sample[i])}")
        ax.set_xlabel("x")
    fig.suptitle(f"{ds.attrs['title']}: {ds.attrs['pde']}")
    files["spacetime" if not two_d else "final_frames"] = _save(fig, out / ("spacetime.png" if not two_d else
                                                                            "final_frames.png"))
    fig, ax = plt.subplots(figsize=(6.4, 4), constrained_layout=True)
    x = ds.x.values
    dk = 2 * np.pi / (x.size * (x[1] - x[0]))
    for i in range(n):
        final = good[name].values[i, -1]
        power = np.abs(np.fft.fftn(final)) ** 2 / final.size**2
        index = np.abs(np.fft.fftfreq(x.size, 1.0 / x.size)).astype(int)
        shell = index if not two_d else np.maximum(index[:, None], index[None, :])
        spectrum = np.bincount(shell.ravel(), weights=power.ravel(), minlength=x.size // 2 + 1)
        ax.semilogy(dk * np.arange(1, spectrum.size), np.maximum(spectrum[1:], 1e-34), marker=".", lw=0.8,
                    label=f"sample {int(good.sample[i])}")
    ax.set_xlabel("wavenumber |k|" + (" (max norm of the wavevector)" if two_d else ""))
    ax.set_ylabel(f"power of {name} at the final frame")
    ax.set_title("spectrum of the stored final frame (output grid)")
    ax.legend()
    files["spectrum"] = _save(fig, out / "spectrum.png")
    return files


def _certificate_figures(ds, good, t, out, plt):
    files = {}
    fig, ax = plt.subplots(figsize=(6.4, 4), constrained_layout=True)
    est = good["error_estimate"].values
    for row in est:
        ax.semilogy(t, np.maximum(row, 1e-17), color="0.7", lw=0.6)
    ax.semilogy(t, np.maximum(np.median(est, axis=0), 1e-17), color="C0", lw=2, label="median")
    ax.semilogy(t, np.maximum(est.max(axis=0), 1e-17), color="C3", lw=2, label="max")
    ax.axhline(ds.attrs["tolerance"], color="k", ls="--", label="tolerance")
    ax.set_xlabel("t")
    ax.set_ylabel("estimated relative error")
    ax.set_title("error estimate of every certified trajectory")
    ax.legend()
    files["error"] = _save(fig, out / "error_estimate.png")

    drifts = [v for v in good.data_vars if v.startswith("drift_")]
    if drifts:
        fig, ax = plt.subplots(figsize=(6.4, 4), constrained_layout=True)
        for j, name in enumerate(drifts):
            values = np.abs(good[name].values)
            ax.semilogy(t, np.maximum(values.max(axis=0), 1e-18), color=f"C{j}", label=f"{name[6:]} (max)")
        ax.set_xlabel("t")
        ax.set_ylabel("|I(t) - I(0)| / scale")
        ax.set_title("invariant drift over all certified trajectories")
        ax.legend()
        files["invariants"] = _save(fig, out / "invariants.png")
    return files


def _save(fig, path: Path) -> str:
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path.name


def _resolution_line(ds, good) -> str:
    if "internal_points" in ds:
        return (f"- Internal grid (points): {sorted(set(ds['internal_points'].values[good].tolist()))}; "
                f"steps per frame: {sorted(set(ds['steps_per_frame'].values[good].tolist()))}")
    return (f"- Solver setting (steps per frame, or rtol): {sorted(set(ds['solver_setting'].values[good].tolist()))}; "
            f"largest Newton residual {np.nanmax(ds['newton_residual'].values[good]):.1e}")


def _quantiles(values: np.ndarray) -> str:
    q = np.quantile(values, [0.0, 0.5, 0.9, 1.0])
    return " / ".join(f"{v:.2e}" for v in q)


def write_card(ds: xr.Dataset, out: Path, store_path: str | None = None) -> Path:
    """Write ``out/README.md`` and its PNG figures; return the card's path."""
    if ds.attrs.get("kind") == "steady":
        from .report_steady import write_steady_card

        return write_steady_card(ds, out, store_path)
    out.mkdir(parents=True, exist_ok=True)
    files = _figures(ds, out)
    a = ds.attrs
    recipe = json.loads(a["recipe"])
    cert = json.loads(a.get("certificate", "{}"))
    solver = json.loads(a["solver"])
    status = ds["status"].values
    good = status == 0
    lines = [
        f"# {a['title']}  (version {a['version_id']})",
        "",
        recipe.get("description", ""),
        "",
        "## Problem",
        f"- Equation: `{a['pde']}` ({a['equation']}), boundary conditions: {a['boundary_conditions']}",
        f"- Parameters: `{a['parameters']}`",
        (f"- Domain: [{recipe['domain']['origin']:g}, {recipe['domain']['origin'] + recipe['domain']['length']:g}), "
         f"{ds.sizes['x']}{'^2' if 'y' in ds.dims else ''} stored points (right endpoint excluded)")
        if recipe.get("domain") and "interval" not in recipe["domain"] else
        (f"- Domain: [{recipe['domain']['interval'][0]:g}, {recipe['domain']['interval'][1]:g}], {ds.sizes['x']} "
         "uniform stored points (both ends included)")
        if recipe.get("domain") else
        f"- State: {', '.join(v for v in ('q', 'p', 'y') if v in ds)} with dims "
        f"{dict((d, s) for d, s in ds.sizes.items() if d not in ('sample', 'time'))}",
        f"- Time: {ds.sizes['time']} frames on [0, {float(ds.time[-1]):g}]",
        f"- Initial condition: `{json.dumps(recipe['initial_condition'])}`",
        f"- Trajectories: {ds.sizes['sample']} (seed {recipe['seed']}); truth: **{a['truth']}**",
        "",
        "## Method",
        f"- Time stepping: {solver['description']} (order {solver['order']})",
        f"- Space: {solver.get('spatial', 'none (ODE)')}; conserves: {solver.get('conserves', ['linear'])}",
        f"- Verification: {solver['verification']}; backend {solver['backend']}",
        _resolution_line(ds, good),
        f"- Stored dtype: {a['storage_dtype']}",
        "",
        "## Certificate",
        f"- Tolerance (relative, every stored frame): {a['tolerance']:.1e}",
        f"- Certified: {int(good.sum())} of {status.size}; rejected: {int((~good).sum())}",
    ]
    if good.any():
        lines += [
            f"- Per-trajectory error bound, min / median / 90% / max: {_quantiles(ds['error_bound'].values[good])}",
            f"- Observed temporal order, median: {np.nanmedian(ds['observed_order'].values[good]):.2f}"
            if np.isfinite(ds["observed_order"].values[good]).any() else "- Observed temporal order: round-off level",
            f"- Trust horizon: earliest {np.min(ds['trust_horizon'].values[good]):g} "
            f"({int((ds['trust_horizon'].values[good] >= float(ds.time[-1])).sum())} trajectories to the end)",
            "",
            "| invariant | kind | max relative drift |",
            "|---|---|---|",
        ]
        lines += [f"| {v[6:]} | {ds[v[6:]].attrs.get('kind', '')} | {np.nanmax(np.abs(ds[v].values[good])):.2e} |"
                  for v in ds.data_vars if v.startswith("drift_")]
    rejections = json.loads(a.get("rejections", "[]"))
    if rejections:
        lines += ["", "Rejected trajectories:", ""]
        lines += [f"- sample {r['sample']}: {r['reason']}" for r in rejections[:20]]
    lines += ["", "## Figures", ""] + [f"![{k}]({v})" for k, v in files.items()]
    lines += ["", "## Load", "", "```python", "import refsim",
              f"ds = refsim.open('{store_path or 'PATH'}@{a['version_id']}')", "```", "",
              f"Packages: `{a['packages']}`", "", f"Summary: `{json.dumps(cert)}`", ""]
    card = out / "README.md"
    card.write_text("\n".join(lines))
    return card
