"""How much work a run or a batch is, estimated before it starts, and the ceiling on it.

The estimate counts what drives a run's cost: civilians (vectorised, about a quarter of a
microsecond each per step), the grid's cells (whole-grid sums), security units (about a
microsecond each per step), decision batches and steps, the spin-up's included; memory grows
with the grid's cells and the units. The constants were measured on one core of the machine
the project is developed on (README, "Resource ceiling"); the figures are rough (from
half to five times the time measured), there to stop a mistyped grid, batch count or
design, not to plan a cluster.

A run whose estimate passes `MAX_RUN_SECONDS` or `MAX_RUN_BYTES`, or a batch of more than
`MAX_RUNS` runs, is refused unless the caller allows large work on purpose
(`--allow-large`); work estimated at more than `LONG_SECONDS` is announced before it starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .scenario.schema import ModelParams, TroopDeployment

MAX_RUN_SECONDS = 3600.0
"""Longest single run accepted without `--allow-large`: one hour on one core (estimated)."""

MAX_RUN_BYTES = 4e9
"""Most memory a single run may need without `--allow-large`: 4 GB (estimated)."""

MAX_RUNS = 100_000
"""Most runs in one batch without `--allow-large` (the plan and journal hold each run)."""

LONG_SECONDS = 60.0
"""Work estimated to take longer than this (on the cores it gets) is announced up front."""

SECONDS_PER_CIVILIAN_STEP = 2.5e-7
SECONDS_PER_CELL_STEP = 5e-8
SECONDS_PER_UNIT_STEP = 1e-6
SECONDS_PER_BATCH = 1e-5
SECONDS_PER_STEP = 0.001
SECONDS_TO_START = 0.7
SPIN_UP_SHARE = 0.3
"""A spin-up step runs only rebellion and arrests: about this share of a full step."""
BYTES_TO_START = 2e8
BYTES_PER_CELL = 400
BYTES_PER_UNIT = 1024


class WorkloadError(ValueError):
    """Work over the ceiling, refused before it starts."""


@dataclass(frozen=True)
class Workload:
    """The estimated size of a run (or of each run of a batch) and of the whole."""

    civilians: int
    units: int
    cells: int
    steps: int
    spin_up_steps: int
    batches: int
    runs: int
    run_seconds: float
    run_bytes: float

    @property
    def model_seconds(self) -> float:
        """One run's model work: building and stepping it, the process's start left out."""
        return self.run_seconds - SECONDS_TO_START

    @property
    def step_seconds(self) -> float:
        """One step of a run (the start and the spin-up left out)."""
        steps = self.steps + SPIN_UP_SHARE * self.spin_up_steps
        return self.model_seconds / max(1.0, steps)

    @property
    def seconds(self) -> float:
        """All runs on one core."""
        return self.run_seconds * self.runs

    def describe(self, workers: int = 1) -> str:
        """The estimate in words, e.g. "about 6 min and 6.2 GB of memory per run (...)"."""
        size = (f"{self.civilians:,} civilians, {self.units:,} units, {self.cells:,} cells, "
                f"{self.steps:,} steps + {self.spin_up_steps:,} spin-up steps, "
                f"{self.batches:,} decision batches")
        each = f"about {duration(self.run_seconds)} and {gigabytes(self.run_bytes)} per run"
        if self.runs == 1:
            return f"{each} on one core ({size})"
        cores = max(1, workers)
        total = f"{self.runs:,} runs: about {duration(self.seconds / cores)}"
        total += f" on {cores} cores" if cores > 1 else " on one core"
        return f"{total}; {each} ({size})"

    def over_ceiling(self) -> list[str]:
        """What passes the ceiling, in words (empty if nothing does)."""
        found = []
        if self.runs > MAX_RUNS:
            found.append(f"{self.runs:,} runs (at most {MAX_RUNS:,})")
        if self.run_seconds > MAX_RUN_SECONDS:
            found.append(f"about {duration(self.run_seconds)} per run on one core (at most "
                         f"{duration(MAX_RUN_SECONDS)})")
        if self.run_bytes > MAX_RUN_BYTES:
            found.append(f"about {gigabytes(self.run_bytes)} of memory per run (at most "
                         f"{gigabytes(MAX_RUN_BYTES)})")
        return found


def estimate(params: ModelParams, runs: int = 1) -> Workload:
    """Estimate the work of `runs` runs of `params` (see the module for the model)."""
    cells = params.space.width * params.space.height
    civilians = params.civilians()
    units = sum(d.police + d.army + d.cmo_units + d.ngos for d in params.districts)
    for event in params.events:
        if isinstance(event, TroopDeployment):
            reach = 1 if event.district is not None else len(params.districts)
            units += (event.police + event.army + event.cmo_units) * reach
    batches = params.activation.batches
    per_step = (SECONDS_PER_STEP + SECONDS_PER_CIVILIAN_STEP * civilians
                + SECONDS_PER_CELL_STEP * cells + SECONDS_PER_UNIT_STEP * units
                + SECONDS_PER_BATCH * batches)
    spin_up = params.time.steps_for(params.time.spin_up_days)
    seconds = SECONDS_TO_START + per_step * (params.time.steps + SPIN_UP_SHARE * spin_up)
    memory = BYTES_TO_START + BYTES_PER_CELL * cells + BYTES_PER_UNIT * units
    return Workload(civilians, units, cells, params.time.steps, spin_up, batches, runs,
                    seconds, memory)


def check(workload: Workload, *, allow_large: bool) -> None:
    """Refuse work over the ceiling unless `allow_large`.

    Raises:
        WorkloadError: naming what passes the ceiling, the estimate and the way past it.

    """
    over = workload.over_ceiling()
    if over and not allow_large:
        raise WorkloadError(
            f"too large: {'; '.join(over)}. Estimate: {workload.describe()}. Make it smaller "
            "(space.width/height, activation.batches, units, steps, replicates, design), or "
            "pass --allow-large to run it anyway")


def duration(seconds: float) -> str:
    """`42 s`, `3 min`, `2.5 h`, `4 days`."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def gigabytes(size: float) -> str:
    """`0.3 GB`, `6.2 GB`, `1,200 GB`."""
    return f"{size / 1e9:,.1f} GB"
