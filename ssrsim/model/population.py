"""Civilian state as numpy arrays: one row per civilian.

Civilians are many (10^4 to 10^6) and follow the same rules, so their state lives in arrays
and the civilian phase is computed for all of them at once. The Mesa `Civilian` agent
(`agents.py`) is a view onto one row. Plain state: this module imports only the pure
equations of `mechanisms`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ..scenario.schema import BetaDist
from . import mechanisms as mech

FORCES = ("police", "army")
"""The security forces civilians trust separately (the kinds of `SecurityForceUnit`)."""

NEVER = -1_000_000_000
"""The `last_*` step of something a civilian has never seen: further back than any window."""


class CivilianState(IntEnum):
    """Epstein's three states.

    Arrays are compared with a member's `.value` (a plain int): numpy takes an IntEnum member
    by a slow path, about 3 us more per comparison of 10,000 values.
    """

    QUIESCENT = 0
    ACTIVE = 1
    JAILED = 2


class DDRStage(IntEnum):
    """Stage of an ex-combatant on the DDR track (NONE for others; compared by `.value`)."""

    NONE = 0
    ARMED = 1
    DEMOBILISED = 2
    REINTEGRATED = 3


def draw_beta(rng: np.random.Generator, dist: BetaDist, size: int) -> np.ndarray:
    """Draws from a Beta distribution given by mean and concentration."""
    a = dist.mean * dist.concentration
    b = (1.0 - dist.mean) * dist.concentration
    return rng.beta(a, b, size)


@dataclass
class Population:
    """Per-civilian arrays, all of length n (the row index is the civilian's index)."""

    x: np.ndarray  # home cell column
    y: np.ndarray  # home cell row
    district: np.ndarray
    base_hardship: np.ndarray  # H0
    hardship: np.ndarray  # H after services and crises
    risk_aversion: np.ndarray
    trust_police: np.ndarray  # T^P
    trust_army: np.ndarray  # T^A
    police_weight: float  # w in T = w T^P + (1 - w) T^A
    anchor_police: np.ndarray  # T^P_0: initial trust in the police, which trust relaxes toward
    anchor_army: np.ndarray  # T^A_0
    anger: np.ndarray  # A: anger at abuses by the forces (Bennett 2008), adds to grievance
    social_count: np.ndarray  # homes in each civilian's social neighbourhood
    cooperation: np.ndarray
    legitimacy: np.ndarray
    state: np.ndarray  # CivilianState values
    jail_left: np.ndarray  # steps of her jail term left: above 0 only while jailed
    ddr: np.ndarray  # DDRStage values
    # The step each civilian last saw something (NEVER if not since the start), for the
    # survey-style measures over a recall window (`phases.update_experience`):
    last_violence: np.ndarray  # an insurgent incident or an active rebel near home
    last_abuse: np.ndarray  # an abuse by the forces near home
    last_unfair: np.ndarray  # an unfair contact (extortion, harassment) with either force

    @property
    def size(self) -> int:
        """Number of civilians."""
        return len(self.x)

    @property
    def trust(self) -> np.ndarray:
        """Trust in the security forces, T = w T^P + (1 - w) T^A (a new array)."""
        return np.asarray(mech.combined_trust(self.trust_police, self.trust_army,
                                              self.police_weight))

    def trust_in(self, force: str) -> np.ndarray:
        """The trust array of one force, "police" or "army" (the array itself, not a copy)."""
        return self.trust_police if force == "police" else self.trust_army

    def anchor_of(self, force: str) -> np.ndarray:
        """The initial trust in one force that trust relaxes toward (`trust.memory_rate`)."""
        return self.anchor_police if force == "police" else self.anchor_army

    def in_district(self, values: np.ndarray) -> np.ndarray:
        """Each civilian's district's value of a per-district array.

        With one district, its value alone (a 0-d array): arithmetic broadcasts it to every
        civilian with the same result per civilian, without a gather of n values.
        """
        if values.size == 1:
            return values.reshape(())
        read: np.ndarray = values[self.district]
        return read

    def count(self, state: CivilianState) -> int:
        """Number of civilians in a state."""
        return int(np.count_nonzero(self.state == state.value))

    @staticmethod
    def never_seen(n: int) -> np.ndarray:
        """A `last_*` array for n civilians who have seen nothing yet."""
        return np.full(n, NEVER, dtype=np.int64)

    def count_ddr(self, stage: DDRStage) -> int:
        """Number of ex-combatants at a DDR stage."""
        return int(np.count_nonzero(self.ddr == stage.value))
