"""Pictures of stored trajectories: space-time images (1D), frames (2D), orbits and phase portraits (ODE)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from ..generators import EQUATIONS


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def state_fields(ds: xr.Dataset) -> list[str]:
    """The stored state variables of a PDE store, in the equation's order."""
    spatial = ("x",) if "y" not in ds.dims else ("y", "x")
    model = EQUATIONS.get(ds.attrs.get("equation"))
    declared = list(getattr(model, "fields", (getattr(model, "variable", "u"),)))
    found = [n for n in ds.data_vars if ds[n].dims == ("sample", "time", *spatial) and n in declared]
    return sorted(found, key=lambda n: declared.index(n) if n in declared else len(declared))


def displayed(values: np.ndarray, name: str) -> tuple[np.ndarray, str]:
    """Real fields as they are; complex ones by modulus."""
    return (np.abs(values), f"|{name}|") if np.iscomplexobj(values) else (values, name)


def image(ax, fig, x, y, values, label, diverging=True):
    """One colour image with a labelled colour bar (symmetric about 0 for signed data)."""
    span = float(np.abs(values).max()) or 1.0
    signed = diverging and values.min() < 0
    mesh = ax.pcolormesh(x, y, values, shading="nearest", cmap="RdBu_r" if signed else "viridis",
                         vmin=-span if signed else None, vmax=span if signed else None)
    fig.colorbar(mesh, ax=ax, shrink=0.8, label=label)
    return mesh


def ode_panel(ax, ds: xr.Dataset, i: int) -> None:
    """Orbits (planar bodies), phase portraits (degrees of freedom) or the first against the last component."""
    if "q" in ds and ds.sizes["component"] == 2:
        q = ds["q"].values[i]
        for b in range(q.shape[1]):
            ax.plot(q[:, b, 0], q[:, b, 1], lw=1, marker=".", ms=2, label=f"body {b}")
        ax.set_xlabel("q_x")
        ax.set_ylabel("q_y")
        ax.set_aspect("equal", adjustable="datalim")
    elif "q" in ds:
        q, p = ds["q"].values[i, :, :, 0], ds["p"].values[i, :, :, 0]
        for b in range(q.shape[1]):
            ax.plot(q[:, b], p[:, b], lw=1, marker=".", ms=2, label=f"dof {b}")
        ax.set_xlabel("q")
        ax.set_ylabel("p")
    else:
        y = ds["y"].values[i]
        names = [str(c) for c in ds["component"].values]
        ax.plot(y[:, 0], y[:, -1], lw=0.8)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[-1])


def steady_panels(axes, fig, ds: xr.Dataset, i: int) -> None:
    """A steady sample (dims sample, y, x): its input field, its solution and the estimated distance from the PDE."""
    names = [*json.loads(ds.attrs["inputs"])[:1], *json.loads(ds.attrs["outputs"]), "pde_distance"]
    for ax, name in zip(axes, names):
        image(ax, fig, ds.x.values, ds.y.values, ds[name].values[i], name, diverging=False)
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_ylabel("y")


def plot_sample(ds: xr.Dataset, index: int, out: Path, frames: int = 6) -> Path:
    """One trajectory: a space-time image per field (1D), ``frames`` snapshots per field (2D), or its orbit."""
    plt = pyplot()
    i = int(np.flatnonzero(ds.sample.values == index)[0]) if index in ds.sample.values else None
    if i is None:
        raise LookupError(f"--sample: {index} is not a stored trajectory (0..{ds.sizes['sample'] - 1})")
    title = f"{ds.attrs['title']}, sample {index}: {ds.attrs['pde']}"
    if ds.attrs.get("kind") == "steady":
        fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.2), constrained_layout=True)
        steady_panels(axes, fig, ds, i)
        fig.suptitle(title, fontsize=9)
    elif ds.attrs.get("kind") != "pde":
        fig, ax = plt.subplots(figsize=(5.2, 4.6), constrained_layout=True)
        ode_panel(ax, ds, i)
        ax.set_title(title, fontsize=9)
    elif "y" not in ds.dims:
        fields = state_fields(ds)
        fig, axes = plt.subplots(1, len(fields), figsize=(5.2 * len(fields), 4.2), squeeze=False,
                                 constrained_layout=True)
        for ax, name in zip(axes[0], fields):
            values, label = displayed(ds[name].values[i], name)
            image(ax, fig, ds.x.values, ds.time.values, values, label)
            ax.set_xlabel("x")
            ax.set_ylabel("t")
        fig.suptitle(title, fontsize=9)
    else:
        fields = state_fields(ds)
        picks = np.unique(np.linspace(0, ds.sizes["time"] - 1, min(frames, ds.sizes["time"])).round().astype(int))
        fig, axes = plt.subplots(len(fields), picks.size, figsize=(3.0 * picks.size, 2.8 * len(fields)),
                                 squeeze=False, constrained_layout=True)
        for row, name in enumerate(fields):
            for col, k in enumerate(picks):
                values, label = displayed(ds[name].values[i, k], name)
                ax = axes[row, col]
                image(ax, fig, ds.x.values, ds.y.values, values, label)
                ax.set_aspect("equal")
                ax.set_title(f"t = {float(ds.time[k]):.3g}", fontsize=9)
        fig.suptitle(title, fontsize=9)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
