"""A pyabc sampler whose populations depend on the seed only: not on workers, pool or cluster.

pyabc's own samplers reseed each worker process from the operating system, so a parallel fit
never repeats. This one is pyabc's `MappingSampler` (each task proposes until one particle is
accepted) with one seed per task, drawn in the calling process from the global generator that
`--seed` seeds, and the tasks' results taken in task order, as `Executor.map` returns them.
A task seeds the global generators pyabc proposes from with its own seed and restores them
after, so the same seed gives the same population in this process, on a local pool or on a
Dask cluster. Imported only when a calibration runs (pyabc is an optional dependency).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from pyabc.sampler import MappingSampler

Mapper = Callable[[Callable[[int], Any], Iterable[int]], Iterator[Any]]
"""A map whose results come back in the order of its inputs (`Executor.map`)."""


class SeededSampler(MappingSampler):
    """pyabc's MappingSampler with one seed per accepted particle (see the module)."""

    def __init__(self, map_: Mapper) -> None:
        super().__init__(map_=map_, mapper_pickles=False)

    def map_function(self, simulate_one: bytes, seed: int) -> tuple[Any, int]:
        """Propose from `seed` until one particle is accepted: the sample and its count."""
        simulate = self.unpickle(simulate_one)
        numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
        np.random.seed(seed)  # noqa: NPY002 (pyabc proposes from the legacy global state)
        random.seed(seed)
        try:
            sample, count = self._create_empty_sample(), 0
            while True:
                particle = simulate()
                count += 1
                sample.append(particle)
                if particle.accepted:
                    return sample, count
        finally:
            np.random.set_state(numpy_state)  # noqa: NPY002
            random.setstate(python_state)

    def sample_until_n_accepted(self, n: int, simulate_one: Callable[[], Any], t: int, *,
                                max_eval: float = np.inf, all_accepted: bool = False,
                                ana_vars: Any = None) -> Any:
        """A sample of `n` accepted particles, one per task, each from a seed drawn here."""
        del t, max_eval, all_accepted, ana_vars  # as in MappingSampler: not used
        seeds = np.random.randint(0, 2**31 - 1, size=n)  # noqa: NPY002 (seeded by --seed)
        task = functools.partial(self.map_function, self.pickle(simulate_one))
        results = list(self.map_(task, [int(seed) for seed in seeds]))
        sample = self._create_empty_sample()
        for part, _ in results:
            sample += part
        self.nr_evaluations_ = sum(count for _, count in results)
        return sample
