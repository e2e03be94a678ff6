"""Preload of the embedded LocalCluster's worker processes.

A terminal's Ctrl-C goes to the whole process group: the driver handles it (the build stops, finished
partitions stay committed, the cluster is closed, which ends its workers), so a worker process ignores
SIGINT instead of printing its own KeyboardInterrupt traceback.
"""

import signal
import threading


def dask_setup(worker) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
