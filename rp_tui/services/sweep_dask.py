"""A sweep on Dask distributed: a scheduler's address, or a ``LocalCluster`` started here.

Chunks of points (``split``: :func:`rp_tui.services.sweep.chunks`) are submitted as tasks
(``task``: :func:`rp_tui.services.sweep.run_chunk`, passed in so that this module imports
nothing of the sweep's); rows come back as chunks finish. Ctrl+C (``KeyboardInterrupt``)
cancels what is still pending and, for a cluster started here, stops its workers before the
exception goes on.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable


def run_on_dask(
    points: list,
    task: Callable[..., list[dict]],
    split: Callable[[list, int], list[list]],
    config: str,
    prices: str | None,
    options,
    workers: int,
    scheduler: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Run ``task(chunk, config, prices, options)`` over ``split(points, threads)`` on Dask.

    Args:
        points, config, prices, options: as :func:`rp_tui.services.sweep.run_sweep`.
        task: runs one chunk (``run_chunk``); split: cuts the points into chunks (``chunks``).
        workers: worker processes of a ``LocalCluster`` (``scheduler == "local"``).
        scheduler: ``"local"`` or a scheduler address (``tcp://host:port``).
        progress: called with (points done, total) as chunks finish.

    Raises:
        UserError: Dask distributed is not installed.
    """
    if scheduler == "local":  # Dask's own log lines are not the sweep's output
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        from rp_tui.errors import UserError

        raise UserError(
            f"--scheduler {scheduler}: Dask distributed is not installed in this Python "
            f"({exc.name or 'distributed'} is missing); run `pip install distributed`, "
            "or leave out --scheduler to use this machine's cores"
        ) from None
    cluster = None
    if scheduler == "local":
        logging.getLogger("distributed").setLevel(logging.ERROR)
        # workers started while Ctrl+C is ignored keep ignoring it: the terminal's SIGINT
        # reaches only this process, which cancels the work and closes the cluster
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
    client = Client(cluster if cluster is not None else scheduler)
    futures: list = []
    try:
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        futures = [
            client.submit(task, chunk, config, prices, options, pure=False)
            for chunk in split(points, max(threads, 1))
        ]
        rows: list[dict] = []
        for future in as_completed(futures):
            rows.extend(future.result())
            if progress:
                progress(len(rows), len(points))
        return rows
    except BaseException:
        if futures:
            client.cancel(futures, force=True)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
