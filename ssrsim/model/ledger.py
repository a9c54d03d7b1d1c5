"""One step's budget ledger: what was available, what was spent where, and how effectively.

The ledger is opened at the start of every step and books spending so the programme budget
is never overspent; the district levels of the step follow from its `effective` spending.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..scenario.paths import ACTIVITY_INDEX
from ..scenario.schema import ACTIVITIES, ModelParams
from .districts import Districts

ENGAGEMENT, SERVICES, TRAINING, OVERSIGHT, DDR = (
    ACTIVITY_INDEX[a] for a in ("engagement", "services", "training", "oversight", "ddr"))
"""Positions of the activities in the allocation vector (`ACTIVITY_INDEX`)."""
CRISIS_FLOOR = 0.01
"""Crisis level below which CMO units stop diverting spending to crisis response."""


@dataclass
class Ledger:
    """One step's spending: what was available, what was spent where, and how effectively."""

    available: float
    allocation: np.ndarray
    coordination_factor: float
    districts: Districts
    crisis_share: float
    ngo_budget: float
    ngo_shares: tuple[float, float, float]
    spent: np.ndarray = field(default_factory=lambda: np.zeros(len(ACTIVITIES)))
    crisis_spent: float = 0.0
    ngo_spent: float = 0.0
    advocacy: float = 0.0
    effective: dict[str, np.ndarray] = field(default_factory=dict)
    cmo_budget_per_unit: float = 0.0

    @classmethod
    def open(cls, scenario: ModelParams, available: float, allocation: np.ndarray,
             districts: Districts, cmo_units: int) -> Ledger:
        """The ledger of a new step, with each CMO unit's budget (capped by throughput).

        Weekly amounts (NGO budgets, CMO throughput) are scaled to the step's length.
        """
        p = scenario
        weeks = p.time.weeks
        ledger = cls(
            available=available, allocation=allocation, districts=districts,
            coordination_factor=1.0 - p.cmo.coordination_penalty * (1.0 - p.cmo.coordination),
            crisis_share=p.cmo.crisis_share, ngo_budget=p.ngo.budget * weeks,
            ngo_shares=(p.ngo.monitoring, p.ngo.services, p.ngo.advocacy),
        )
        pot = sum(ledger.pot(a) for a in (ENGAGEMENT, SERVICES, TRAINING))
        throughput = p.cmo.throughput * weeks
        ledger.cmo_budget_per_unit = min(throughput, pot / cmo_units) if cmo_units else 0.0
        return ledger

    def __post_init__(self) -> None:
        n = len(self.districts.civilians)
        for key in ("engagement", "services", "training", "crisis", "monitoring", "ddr"):
            self.effective[key] = np.zeros(n)

    @property
    def total_spent(self) -> float:
        """Programme money spent this step (NGO own funds excluded)."""
        return float(self.spent.sum() + self.crisis_spent)

    @property
    def remaining(self) -> float:
        """Programme money not yet spent this step."""
        return max(0.0, self.available - self.total_spent)

    def pot(self, activity: int) -> float:
        """The allocation of one activity this step."""
        return self.available * float(self.allocation[activity])

    def spend_cmo(self, district: int, amount: float) -> None:
        """A CMO unit spends `amount` in a district: crisis response first, then activities."""
        amount = min(amount, self.remaining)
        if amount <= 0:
            return
        eff = self.districts.access[district] * self.coordination_factor
        if self.districts.crisis[district] > CRISIS_FLOOR:
            crisis = amount * self.crisis_share
            self.crisis_spent += crisis
            self.effective["crisis"][district] += eff * crisis
            amount -= crisis
        shares = self.allocation[[ENGAGEMENT, SERVICES, TRAINING]]
        if shares.sum() <= 0:
            return
        split = amount * shares / shares.sum()
        for activity, key, value in zip((ENGAGEMENT, SERVICES, TRAINING),
                                        ("engagement", "services", "training"), split,
                                        strict=True):
            self.spent[activity] += value
            self.effective[key][district] += eff * value

    def spend_ngo(self, district: int) -> None:
        """An NGO spends its own budget on monitoring, services and advocacy."""
        monitoring, services, advocacy = (self.ngo_budget * s for s in self.ngo_shares)
        access = self.districts.access[district]
        self.effective["monitoring"][district] += access * monitoring
        self.effective["services"][district] += access * services
        self.advocacy += advocacy
        self.ngo_spent += self.ngo_budget

    def spend_ddr(self, ex_combatants: np.ndarray) -> None:
        """Split the DDR pot across districts in proportion to ex-combatants not reintegrated."""
        total = ex_combatants.sum()
        if total <= 0:
            return
        amount = min(self.pot(DDR), self.remaining)
        self.spent[DDR] += amount
        self.effective["ddr"] += amount * ex_combatants / total * self.districts.access

    def spend_oversight(self) -> float:
        """Spend the oversight pot on national institutions; returns the amount."""
        amount = min(self.pot(OVERSIGHT), self.remaining)
        self.spent[OVERSIGHT] += amount
        return amount
