"""What a worker does: run a chunk of runs and return their tables, summaries or errors.

Top-level functions only, so any executor (a local process pool, Dask) can pickle them. A run
that raises is returned as failed with its traceback; the chunk always completes.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

import pandas as pd

from ..results_format import BATCH_ID_COLUMNS
from ..scenario import Scenario, apply_changes
from ..single_run import run
from .plan import RunSpec


@dataclass(frozen=True)
class Outcome:
    """The result of one run: done with its table and summary, or failed with an error."""

    spec: RunSpec
    status: str  # "done" or "failed"
    seconds: float
    table: pd.DataFrame | None = None
    final: dict | None = None
    mean: dict | None = None
    error: str | None = None


def run_scenario(scenario: Scenario, spec: RunSpec) -> Scenario:
    """The exact scenario of one run: its policy's scenario with design values and seed."""
    return apply_changes(scenario, {**spec.changes, "seed": spec.seed},
                         source=f"run {spec.run_id}")


def execute(scenario: Scenario, spec: RunSpec) -> Outcome:
    """Run one spec; never raises."""
    started = time.perf_counter()
    try:
        result = run(run_scenario(scenario, spec), policy=spec.policy)
    except Exception:
        return Outcome(spec, "failed", time.perf_counter() - started,
                       error=traceback.format_exc())
    table = result.timeseries
    ids = {**{k: getattr(spec, k) for k in BATCH_ID_COLUMNS}, **spec.changes}
    table = pd.concat([pd.DataFrame(ids, index=table.index), table], axis=1)
    return Outcome(spec, "done", time.perf_counter() - started, table,
                   result.summary["final"], result.summary["mean"])


def execute_chunk(scenarios: dict[str, Scenario], specs: list[RunSpec]) -> list[Outcome]:
    """Run a chunk of specs, each with its policy's scenario."""
    return [execute(scenarios[spec.policy], spec) for spec in specs]
