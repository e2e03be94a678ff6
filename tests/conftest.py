import numpy as np
import pytest

from refsim.solvers.grid import FourierGrid
from refsim.solvers.verification import Resolution, TrajectoryProblem, Verifier


def certify_one(equation, ic, grid: FourierGrid, end: float, frames: int, tolerance: float,
                method: str = "etdrk4", start: Resolution | None = None):
    """Certify one trajectory with the production verifier; returns (result, times)."""
    verifier = Verifier(grid, end / (frames - 1), frames, tolerance, method)
    start = start or Resolution(grid.num_points, 1)
    (result,) = verifier.certify([TrajectoryProblem(equation.terms, ic)], start)
    return result, np.linspace(0.0, end, frames)


def relative_error(u, exact):
    """Per-frame max|u - exact| / max|exact| (frames first; every field and direction counts)."""
    u, exact = np.asarray(u), np.asarray(exact)
    if exact.ndim >= 3:
        u, exact = u.reshape(u.shape[0], -1), exact.reshape(exact.shape[0], -1)
    return np.abs(u - exact).max(axis=-1) / np.abs(exact).max(axis=-1)


def grid_of(equation, points: int, length: float, origin: float = 0.0) -> FourierGrid:
    """The grid an equation is solved on (1D, or 2D for 2D equations)."""
    cls = equation.grid_class() if hasattr(equation, "grid_class") else FourierGrid
    return cls(points, length, origin)


def fitted_order(steps, errors):
    """Least-squares slope of log(error) against log(step)."""
    return np.polyfit(np.log(steps), np.log(errors), 1)[0]


@pytest.fixture(scope="session")
def cluster():
    """A real two-process Dask cluster shared by the pipeline tests."""
    import logging

    from distributed import LocalCluster

    from refsim.pipeline.build import WORKER_ENV

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR, env=WORKER_ENV) as c:
        yield c
