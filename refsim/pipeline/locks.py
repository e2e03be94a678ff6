"""Exclusive locks beside a store: one build of a version at a time, one creator of a repository."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class BuildLockedError(RuntimeError):
    """Another process is building the same version."""


@contextlib.contextmanager
def build_lock(path: Path, key: str, wait: bool = False):
    """An exclusive lock beside the store, released when the process ends (also on SIGKILL).

    Without ``wait`` a second holder is refused at once with a clear message.
    """
    lock_path = path.parent / f".{path.name}.{key}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            raise BuildLockedError(f"another process ({handle.read().strip() or 'unknown pid'}) is building "
                                   f"{path.name} ({key}); wait for it to finish, then run again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
