"""refsim: reference-quality, precision-verified simulation datasets for scientific ML."""

__version__ = "0.1.0"


def open(path, version=None, include_rejected=False):  # noqa: A001 - the public verb
    """Open a refsim store lazily as an ``xarray.Dataset``.

    ``path`` may carry a version as ``"path@version"``; without a version the newest
    finished one is opened. Rejected trajectories are dropped unless
    ``include_rejected`` is true.
    """
    from .catalog.store import open_dataset

    return open_dataset(path, version=version, include_rejected=include_rejected)
