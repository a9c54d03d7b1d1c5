"""Where runs execute: the local pool's workers come from one fork server."""

import multiprocessing
import os

import pytest

from ssrsim.batch.executors import open_executor


@pytest.mark.slow  # starts a fork server and two process pools
@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="no fork server on this system (the pool uses spawn)")
def test_workers_of_successive_pools_are_forked_from_one_server():
    parents = set()
    for _ in range(2):  # two batches in one process: the second imports nothing again
        with open_executor(2) as (pool, slots):
            assert slots == 2
            parents |= {pool.submit(os.getppid).result() for _ in range(4)}
    assert len(parents) == 1
    assert os.getpid() not in parents
