"""Where runs execute: this process, a local process pool, or a Dask cluster.

All are `concurrent.futures.Executor`s, so the runner does not care which. The local pool
uses the `spawn` start method through its own context, never by changing the process-wide
default. Its workers end when the parent process dies (even by `kill -9`): on Linux the
kernel sends them SIGKILL (`prctl(PR_SET_PDEATHSIG)`), and everywhere a watchdog thread in
each worker exits it once its parent is gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any


class ExecutorError(RuntimeError):
    """An executor that cannot be started (e.g. an unreachable scheduler)."""


class InProcessExecutor(Executor):
    """Runs each task at once in the calling process (for debugging and tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn` now and return its completed future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def default_workers() -> int:
    """Workers for the local pool: the cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextmanager
def open_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
) -> Iterator[tuple[Executor, int]]:
    """An executor and how many tasks it runs at once.

    Args:
        workers: local worker processes (None: all cores; 0: run in this process).
        scheduler: address of a Dask scheduler (`tcp://host:8786`).
        scheduler_file: a Dask scheduler file, instead of an address.

    """
    if scheduler or scheduler_file:
        with _dask_executor(scheduler, scheduler_file) as pair:
            yield pair
    elif workers == 0:
        yield InProcessExecutor(), 1
    else:
        count = workers or default_workers()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=count, mp_context=context,
                                 initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            yield pool, count


_PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 1.0
"""How often a worker's watchdog checks that its parent is alive."""


def die_with_parent(parent: int) -> None:
    """Make this (worker) process end when the process `parent` ends.

    Called as the pool's initializer: asks Linux for SIGKILL at the parent's death and
    starts a watchdog thread that exits when the parent is gone (other systems, and the
    moment before the request took effect).
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog still ends the worker
    if not _alive(parent):
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="ssrsim-parent-watchdog",
                     daemon=True).start()


def _watch(parent: int) -> None:
    """Exit this process when `parent` is gone (it is no longer our parent)."""
    while _alive(parent):
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


def _alive(parent: int) -> bool:
    """Whether `parent` is still this process's parent."""
    return os.getppid() == parent


@contextmanager
def _dask_executor(
    scheduler: str | None, scheduler_file: str | None
) -> Iterator[tuple[Executor, int]]:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ExecutorError("running on a Dask cluster needs dask.distributed: "
                            "pip install 'ssrsim[cluster]'") from exc
    where = scheduler or f"the scheduler in {scheduler_file}"
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            client = Client(scheduler_file=scheduler_file, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {where}: {exc}") from exc
    try:
        slots = sum(client.nthreads().values()) or 1
        # pure=False: identical submissions must not be merged into one run
        yield client.get_executor(pure=False), slots
    finally:
        client.close()
