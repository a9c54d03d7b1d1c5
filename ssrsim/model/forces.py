"""Security force units as numpy arrays: one row per police or army unit.

Units are hundreds to thousands and follow the same rules, so their state lives in arrays
and the security phase (`security.py`) acts on all of them at once. The Mesa
`SecurityForceUnit` agent (`agents.py`) is a view onto one row, found by its `uid`. Plain
state: this module imports only the scenario's parameter types.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

from ..scenario.schema import ModelParams
from .population import FORCES


class ReformState(IntEnum):
    """A security unit's reform state (arrays compared with `.value`, as `CivilianState`)."""

    UNREFORMED = 0
    TRAINING = 1
    REFORMED = 2


POLICE, ARMY = FORCES.index("police"), FORCES.index("army")
"""Codes of the two kinds in `Forces.kind` (positions in `population.FORCES`)."""


@dataclass
class Forces:
    """Every police and army unit: kind, district, cell, resistance and reform state."""

    uid: np.ndarray  # increasing; a removed unit's uid is never reused
    kind: np.ndarray  # POLICE or ARMY
    district: np.ndarray
    x: np.ndarray
    y: np.ndarray
    resistance: np.ndarray  # resistance to reform, in [0, 1]
    reform: np.ndarray  # ReformState
    training_left: np.ndarray  # steps of training still to do

    @classmethod
    def empty(cls) -> Forces:
        """No units yet."""
        ints = (np.int64, np.int8, np.int64, np.int64, np.int64, np.float64, np.int8, np.int64)
        return cls(*(np.zeros(0, dtype=t) for t in ints))

    @property
    def size(self) -> int:
        """Number of units."""
        return int(self.uid.size)

    def add(self, kind: int, district: int, x: np.ndarray, y: np.ndarray,
            resistance: np.ndarray, reformed: np.ndarray) -> np.ndarray:
        """Append units of one kind in one district; returns their uids."""
        n = len(x)
        first = int(self.uid[-1]) + 1 if self.size else 0
        uids = np.arange(first, first + n)
        new = {"uid": uids, "kind": np.full(n, kind), "district": np.full(n, district),
               "x": x, "y": y, "resistance": resistance,
               "reform": np.where(reformed, ReformState.REFORMED, ReformState.UNREFORMED),
               "training_left": np.zeros(n)}
        for f in fields(self):
            old = getattr(self, f.name)
            setattr(self, f.name, np.concatenate([old, np.asarray(new[f.name], old.dtype)]))
        return uids

    def remove(self, rows: np.ndarray) -> None:
        """Drop the units at `rows`; the others keep their order."""
        keep = np.ones(self.size, dtype=bool)
        keep[rows] = False
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[keep])

    def row_of(self, uid: int) -> int:
        """The row of the unit with `uid` (uids are increasing)."""
        row = int(np.searchsorted(self.uid, uid))
        if row == self.size or self.uid[row] != uid:
            raise KeyError(f"no security unit with uid {uid} (withdrawn?)")
        return row

    def capacity(self, params: ModelParams) -> np.ndarray:
        """Each unit's probability of an arrest when actives are in vision."""
        sec = params.security
        table = np.array([[getattr(sec.capacity, f), getattr(sec.reformed_capacity, f)]
                          for f in FORCES])
        return table[self.kind, (self.reform == ReformState.REFORMED.value).astype(np.int64)]

    def per_district(self, mask: np.ndarray, districts: int) -> np.ndarray:
        """How many units matching `mask` each district has."""
        return np.bincount(self.district[mask], minlength=districts)
