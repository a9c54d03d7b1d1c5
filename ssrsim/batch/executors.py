"""Where runs execute: this process, a local process pool, or a Dask cluster.

All are `concurrent.futures.Executor`s, so the runner does not care which. The local pool
uses the `forkserver` start method (`spawn` where there is none, as on Windows) through its
own context, never by changing the process-wide default. The fork server imports the worker
module (the model, Mesa, SciPy, pandas) once and forks every worker from itself, so workers
start in milliseconds instead of each importing everything again as under `spawn`, and a
second batch in the same process starts its workers at once.

Workers end when the process that opened the pool dies (even by `kill -9`): a watchdog
thread in each worker exits it the moment its pipe from that process closes, and on Linux the
kernel also sends it SIGKILL when its parent dies (`prctl(PR_SET_PDEATHSIG)`; the parent is
the fork server, which exits with the pool's owner, or the owner itself under `spawn`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import wait
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
        with ProcessPoolExecutor(max_workers=count, mp_context=pool_context(),
                                 initializer=die_with_parent) as pool:
            yield pool, count


WORKER_MODULE = "ssrsim.batch.worker"
"""What the fork server imports before forking workers: everything a run needs."""


def pool_context() -> multiprocessing.context.BaseContext:
    """The local pool's start method: a fork server that has imported the worker module.

    multiprocessing keeps one fork server per process, so its preload list is process-wide:
    it decides what the server imports when it starts (for other code's forkserver pools
    too) and changes nothing they compute. The server runs no Python threads; the native
    ones of OpenBLAS and Arrow's allocator prepare for fork themselves, though Python still
    warns about forking a multi-threaded process (a DeprecationWarning, hidden by default).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER_MODULE])
    return context


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Make this (worker) process end when the process that opened the pool ends.

    Called as the pool's initializer: asks Linux for SIGKILL at the death of this process's
    parent (the fork server, which exits when the pool's owner does; or the owner itself)
    and starts a watchdog thread that exits once the owner is gone (other systems, and the
    moment before the request took effect).
    """
    owner = multiprocessing.parent_process()
    if owner is None:
        return  # not started by multiprocessing: nothing to watch
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog still ends the worker
    threading.Thread(target=_watch, args=(owner.sentinel,), name="ssrsim-parent-watchdog",
                     daemon=True).start()


def _watch(sentinel: int) -> None:
    """Exit this process once `sentinel` is ready: the owner has closed its end, or died."""
    wait([sentinel])
    os._exit(1)


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
