"""One step's record: what the units and insurgents did, counted and placed on the grid.

Units write arrests, abuses and contacts into a fresh `StepRecord` during their phase; the
civilian phase reads where they happened (as `Sightings`, what each civilian saw), and the
measures read the counts. Plain state.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .population import FORCES

TALLIES = ("arrests", "abuses", "abuses_reported", "abuses_sanctioned", "incidents")
"""The counts a step record keeps."""


def _per_force(shape: tuple[int, int]) -> dict[str, np.ndarray]:
    return {f: np.zeros(shape, dtype=np.int32) for f in FORCES}


@dataclass
class StepRecord:
    """Counts of this step's events and, per force, where abuses and contacts happened."""

    abuse_grid: dict[str, np.ndarray]
    fair_grid: dict[str, np.ndarray]
    unfair_grid: dict[str, np.ndarray]
    incident_grid: np.ndarray
    arrests: int = 0
    abuses: int = 0
    abuses_reported: int = 0
    abuses_sanctioned: int = 0
    incidents: int = 0

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> StepRecord:
        """A record with nothing yet happened on a grid of `shape`."""
        return cls(_per_force(shape), _per_force(shape), _per_force(shape),
                   np.zeros(shape, dtype=np.int32))

    def add_abuse(self, force: str, x: int, y: int) -> None:
        """An abuse by a unit of `force` at (x, y)."""
        self.abuse_grid[force][x, y] += 1
        self.abuses += 1

    def add_contact(self, force: str, x: int, y: int, *, fair: bool) -> None:
        """A patrol of `force` at (x, y): a fair contact (reformed unit) or an unfair one."""
        (self.fair_grid if fair else self.unfair_grid)[force][x, y] += 1


def add_events(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """One event at each cell (x[i], y[i]) of a count grid; repeated cells add up.

    The one is of the grid's type: with a Python int, np.add.at casts, about 5x slower.
    """
    np.add.at(grid, (x, y), grid.dtype.type(1))


@dataclass
class RecentCounts:
    """The counts of the last few steps, for measures that are rates over a trailing window."""

    steps: int  # steps in the window
    weeks_per_step: float
    counts: deque[dict[str, int]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.counts = deque(self.counts, maxlen=self.steps)

    def add(self, record: StepRecord) -> None:
        """Keep a closed step's counts (the oldest leaves the window)."""
        self.counts.append({name: getattr(record, name) for name in TALLIES})

    def per_week(self, name: str) -> float:
        """Events of one kind per week over the window (the steps kept so far)."""
        kept = len(self.counts)
        if kept == 0:
            return 0.0
        total = sum(c[name] for c in self.counts)
        return total / kept if self.weeks_per_step == 1 else total / (kept * self.weeks_per_step)


@dataclass
class Sightings:
    """What each civilian saw of this step's events near her home (arrays of length n).

    Counted once (`phases.what_civilians_saw`) and handed to the trust update and to the
    survey-style experience, so the two cannot disagree about what was seen.
    """

    abuses: dict[str, np.ndarray]  # abuses per force within the witness radius
    incidents: np.ndarray  # insurgent incidents within the witness radius
    actives: np.ndarray  # active rebels within the witness radius (herself included)
    fair: dict[str, np.ndarray]  # fair contacts per force within the contact radius
    unfair: dict[str, np.ndarray]  # unfair contacts per force within the contact radius


def both_forces(per_force: dict[str, np.ndarray]) -> np.ndarray:
    """Counts of police and army together (of abuses or contacts seen, per civilian)."""
    police, army = (per_force[f] for f in FORCES)
    total: np.ndarray = police + army
    return total
