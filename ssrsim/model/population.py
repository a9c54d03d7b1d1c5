"""Civilian state as numpy arrays, and the Mesa `Civilian` agent as a view onto one row.

Civilians are many (10^4 to 10^5) and follow the same rules, so their state lives in arrays
owned by the model and the civilian phase is computed for all of them at once. Each civilian
is still a Mesa agent (`model.agents_by_type[Civilian]`) whose attributes read its row, so
inspection, the browser app and agent-level reporters work as with any Mesa model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..scenario.schema import BetaDist
from . import mechanisms as mech

FORCES = ("police", "army")
"""The security forces civilians trust separately (the kinds of `SecurityForceUnit`)."""

if TYPE_CHECKING:
    from .model import SSRModel


class CivilianState(IntEnum):
    """Epstein's three states."""

    QUIESCENT = 0
    ACTIVE = 1
    JAILED = 2


class DDRStage(IntEnum):
    """Stage of an ex-combatant on the DDR track (NONE for other civilians)."""

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
    cooperation: np.ndarray
    legitimacy: np.ndarray
    state: np.ndarray  # CivilianState values
    jail_left: np.ndarray
    ddr: np.ndarray  # DDRStage values

    @property
    def size(self) -> int:
        """Number of civilians."""
        return len(self.x)

    @property
    def trust(self) -> np.ndarray:
        """Trust in the security forces, T = w T^P + (1 - w) T^A (a new array)."""
        return mech.combined_trust(self.trust_police, self.trust_army, self.police_weight)

    def trust_in(self, force: str) -> np.ndarray:
        """The trust array of one force, "police" or "army" (the array itself, not a copy)."""
        return self.trust_police if force == "police" else self.trust_army

    def count(self, state: CivilianState) -> int:
        """Number of civilians in a state."""
        return int(np.count_nonzero(self.state == state))

    def count_ddr(self, stage: DDRStage) -> int:
        """Number of ex-combatants at a DDR stage."""
        return int(np.count_nonzero(self.ddr == stage))


class Civilian(mesa.Agent):
    """A civilian: a Mesa agent whose state is row `index` of the model's population arrays."""

    def __init__(self, model: SSRModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _rows(self) -> Population:
        return self.model.population

    @property
    def position(self) -> tuple[int, int]:
        """Home cell (x, y)."""
        return int(self._rows.x[self.index]), int(self._rows.y[self.index])

    @property
    def district(self) -> str:
        """Name of the home district."""
        return self.model.district_names[self._rows.district[self.index]]

    @property
    def trust(self) -> float:
        """Trust in the security forces (police and army combined), in [0, 1]."""
        rows = self._rows
        return float(mech.combined_trust(rows.trust_police[self.index],
                                         rows.trust_army[self.index], rows.police_weight))

    @property
    def trust_police(self) -> float:
        """Trust in the police, in [0, 1]."""
        return float(self._rows.trust_police[self.index])

    @property
    def trust_army(self) -> float:
        """Trust in the army, in [0, 1]."""
        return float(self._rows.trust_army[self.index])

    @property
    def hardship(self) -> float:
        """Current hardship H, in [0, 1]."""
        return float(self._rows.hardship[self.index])

    @property
    def risk_aversion(self) -> float:
        """Risk aversion R, in [0, 1]."""
        return float(self._rows.risk_aversion[self.index])

    @property
    def cooperation(self) -> float:
        """Willingness to report to the security forces, in [0, 1]."""
        return float(self._rows.cooperation[self.index])

    @property
    def state(self) -> CivilianState:
        """Quiescent, active or jailed."""
        return CivilianState(self._rows.state[self.index])

    @property
    def ddr_stage(self) -> DDRStage:
        """DDR stage (NONE unless an ex-combatant)."""
        return DDRStage(self._rows.ddr[self.index])
