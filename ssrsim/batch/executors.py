"""Where runs execute: this process, a local process pool, or a Dask cluster.

All are `concurrent.futures.Executor`s, so the runner does not care which. The local pool
uses the `spawn` start method through its own context, never by changing the process-wide
default.
"""

from __future__ import annotations

import multiprocessing
import os
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
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            yield pool, count


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
