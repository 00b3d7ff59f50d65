"""Long computations in a child process, so that the TUI's event loop keeps the GIL.

A backtest in a thread of the TUI's own process shares the interpreter lock with the event
loop. Some numpy calls (``argmax``, ``argmin``, ``sort``, ``searchsorted``) release it for
a few microseconds and take it straight back; a thread calling them in a loop wins every
hand-over, and the waiting event loop can stall for 100 ms and more (measured by
``benchmarks/bench_speed.py``, row 5). A child process has its own interpreter: the thread
that waits for it only sleeps on a pipe.

Children are forked from a ``forkserver`` that has imported the backtest once (started on
first use, ~0.5 s; later children start in milliseconds). The child takes the caller's
environment and working directory as they are at the call, runs ``fn(*args,
progress=..., cancelled=...)`` and sends back its result or its exception.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)
# what the jobs import: imported once, in the server (this module first: see _quiet_server)
_PRELOAD = [
    "rp_tui.services.child_process",
    "rp_tui.services.backtest",
    "rp_tui.inputs.trading_days",
    "rp_tui.services.risk_report",
]
_POLL_SECONDS = 0.05  # how often the waiting thread checks ``cancelled`` and the child
_GRACE_SECONDS = 2.0  # after a cancel, how long the child has to stop before it is killed


class ChildProcessLost(RuntimeError):
    """The child process ended without a result (killed, or crashed in native code), or
    raised an exception that cannot be sent back (its type and message are in this one's)."""


class _NoFileno:
    """A stand-in for ``sys.stderr`` without a file descriptor (see :func:`_context`)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("no file descriptor")


_start_lock = threading.Lock()


def _context():
    """The forkserver context, its server (and multiprocessing's resource tracker) running.

    Both are started with ``sys.stderr`` swapped for one without a descriptor: under
    Textual, ``sys.stderr.fileno()`` is -1, which the tracker would pass on to the process
    it starts (a ``ValueError``), and a real descriptor would let the tracker's warnings
    land on the TUI's screen.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    with _start_lock:
        context.set_forkserver_preload(_PRELOAD)
        from multiprocessing import forkserver, resource_tracker

        stderr, sys.stderr = sys.stderr, _NoFileno()
        try:
            resource_tracker.ensure_running()
            forkserver.ensure_running()
        finally:
            sys.stderr = stderr
    return context


def _quiet_server() -> None:
    """In the forkserver, as it imports its preload modules: point its stdout and stderr at
    /dev/null. They are the caller's (the TUI's terminal), and its children inherit them: a
    child failing inside multiprocessing's own start-up, before :func:`_child` silences it
    (its arguments fail to unpickle, say), would print a traceback over the screen. The
    caller still learns of it (:class:`ChildProcessLost`). Anywhere else: nothing."""
    from multiprocessing import forkserver

    server, child = forkserver.main.__code__, getattr(forkserver, "_serve_one", None)
    frame = sys._getframe()
    while frame is not None and frame.f_code is not server:
        if child is not None and frame.f_code is child.__code__:
            return  # a process the server forked (another pool's worker, say): its own
        frame = frame.f_back
    if frame is not None:  # called (through imports) by forkserver.main: the server
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)


_quiet_server()


def _portable(exc: BaseException) -> BaseException:
    """``exc``, or an exception of the same meaning that survives pickling (one whose
    ``__init__`` takes other arguments than its message would not rebuild)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        from rp_tui.errors import UserError

        kind = UserError if isinstance(exc, UserError) else ChildProcessLost
        return kind(str(exc) if kind is UserError else f"{type(exc).__name__}: {exc}")
    return exc


def _child(fn, args, environment, messages, stop) -> None:
    """The child's main: report progress fractions, then ``("done", result)`` or
    ``("error", exception)``."""
    quiet = os.open(os.devnull, os.O_WRONLY)  # the server's stdout/stderr may be the TUI's
    os.dup2(quiet, 1)  # terminal: warnings and native libraries' messages go nowhere
    os.dup2(quiet, 2)
    last = -1.0

    def progress(fraction: float) -> None:
        nonlocal last
        if fraction - last >= 0.01 or fraction >= 1.0:  # ~100 messages at most
            last = fraction
            messages.put(("progress", fraction))

    try:
        os.environ.clear()  # (the working folder is the caller's already: multiprocessing)
        os.environ.update(environment)
        result = fn(*args, progress=progress, cancelled=stop.is_set)
    except BaseException as exc:  # every failure goes back to the caller, to be raised there
        messages.put(("error", _portable(exc)))
    else:
        messages.put(("done", result))
    messages.close()
    messages.join_thread()


def run_in_child(
    fn: Callable[..., Any],
    args: tuple,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Any:
    """``fn(*args, progress=..., cancelled=...)`` in a child process; its return value.

    Args:
        fn, args: a module-level function and its arguments (both picklable), e.g.
            :func:`rp_tui.services.backtest.backtest` with a session and options.
        progress: called in this thread with each fraction done, in [0, 1].
        cancelled: polled every 50 ms at most; once True, the child's own ``cancelled``
            turns True (it stops at its next check) and it is killed if it has not ended
            2 s later.

    Where no child can be started (``OSError``: e.g. a container without POSIX
    semaphores), ``fn`` runs in this thread instead (a warning is logged).

    Raises:
        whatever ``fn`` raised in the child (e.g. ``DataError``, ``BacktestCancelled``);
        ChildProcessLost: the child ended without a result (killed after a cancel too).
    """
    try:
        context = _context()
        messages, stop = context.Queue(), context.Event()
        child = context.Process(
            target=_child,
            args=(fn, args, dict(os.environ), messages, stop),
            daemon=True,
        )
        child.start()
    except OSError as exc:  # no process or semaphore to be had (a locked-down container):
        logger.warning("running %s in this process: %s", fn.__name__, exc)  # slower UI, same
        progress = progress or (lambda _fraction: None)
        return fn(*args, progress=progress, cancelled=cancelled or (lambda: False))
    stop_sent_at = None
    try:
        while True:
            if stop_sent_at is None and cancelled is not None and cancelled():
                stop.set()
                stop_sent_at = time.monotonic()
            if stop_sent_at is not None and time.monotonic() - stop_sent_at > _GRACE_SECONDS:
                child.kill()
            try:
                kind, value = messages.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive() and messages.empty():
                    raise ChildProcessLost(
                        f"the computation's process ended without a result (exit code "
                        f"{child.exitcode})"
                    ) from None
                continue
            if kind == "progress":
                if progress is not None:
                    progress(value)
            elif kind == "error":
                raise value
            else:
                return value
    finally:
        child.join(timeout=_GRACE_SECONDS)
        if child.is_alive():
            child.kill()
            child.join()
        messages.close()
