"""Model-level institutions, district-level programme state, and the per-step budget ledger.

`Institutions` holds the national indices (oversight, judiciary, legislature, civilian
control), the resistances, the budget allocation and the record of abuses and sanctions.
`Districts` holds what programmes build up per district (services, engagement, crisis, DDR,
monitoring). `Ledger` books one step's spending so the budget is never overspent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..scenario.schema import ACTIVITIES, Scenario
from . import mechanisms as mech

ENGAGEMENT, SERVICES, TRAINING, OVERSIGHT, DDR = range(len(ACTIVITIES))
CRISIS_FLOOR = 0.01
"""Crisis level below which CMO units stop diverting spending to crisis response."""


@dataclass
class BudgetModifier:
    """A multiplier on the programme budget, until a step (None: for good)."""

    factor: float
    until: int | None


@dataclass
class VisitProgramme:
    """A community-policing programme: a visit rate in some districts, until a step."""

    districts: np.ndarray  # mask
    visits_per_year: float
    until: int | None


@dataclass
class Institutions:
    """National institutions and the programme budget."""

    oversight: float
    judicial: float
    legislative: float
    civilian_control: float
    political_resistance: float
    institutional_resistance: float
    allocation: np.ndarray
    expected_accountability: float = 0.0
    legitimacy_shift: float = 0.0
    legitimacy_ramps: list[list[float]] = field(default_factory=list)
    modifiers: list[BudgetModifier] = field(default_factory=list)
    history: deque[tuple[int, int]] = field(default_factory=deque)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Institutions:
        """Initial institutions as the scenario declares them."""
        inst = scenario.institutions
        alloc = scenario.budget.allocation
        return cls(
            oversight=inst.oversight, judicial=inst.judicial, legislative=inst.legislative,
            civilian_control=inst.civilian_control,
            political_resistance=inst.political_resistance,
            institutional_resistance=inst.institutional_resistance,
            allocation=np.array([getattr(alloc, a) for a in ACTIVITIES], dtype=np.float64),
            history=deque(maxlen=inst.accountability_window),
        )

    def budget(self, base: float, step: int) -> float:
        """Programme budget available at `step`, after active budget cuts and surges."""
        self.modifiers = [m for m in self.modifiers if m.until is None or step < m.until]
        factor = float(np.prod([m.factor for m in self.modifiers])) if self.modifiers else 1.0
        return base * factor

    def shift_legitimacy(self, change: float, duration: int) -> None:
        """Shift legitimacy by `change`, at once or in `duration` equal steps from now on."""
        if duration == 0:
            self.legitimacy_shift += change
        else:
            self.legitimacy_ramps.append([change / duration, duration])

    def advance_legitimacy(self) -> None:
        """Apply this step's share of every gradual legitimacy change."""
        for ramp in self.legitimacy_ramps:
            self.legitimacy_shift += ramp[0]
            ramp[1] -= 1
        self.legitimacy_ramps = [r for r in self.legitimacy_ramps if r[1] > 0]

    def governance(self) -> float:
        """Governance quality Q."""
        return mech.governance_quality(self.oversight, self.judicial, self.legislative,
                                       self.civilian_control)

    def sanction_rate(self) -> float:
        """Accountability: share of abuses reported and sanctioned over the trailing window.

        With no abuse in the window it is the expected share, P(report) * P(sanction).
        """
        abuses = sum(a for a, _ in self.history)
        if abuses == 0:
            return self.expected_accountability
        return sum(s for _, s in self.history) / abuses

    def record(self, abuses: int, sanctioned: int) -> None:
        """Close a step's record of abuses and sanctions."""
        self.history.append((abuses, sanctioned))

    def update(self, scenario: Scenario, drive: float) -> None:
        """Grow or decay O, J and F with the institutional drive; C follows F."""
        p = scenario.institutions
        self.oversight = mech.institution_step(self.oversight, drive, self.political_resistance,
                                               p.growth, p.decay)
        self.judicial = mech.institution_step(self.judicial, drive,
                                              self.institutional_resistance, p.growth, p.decay)
        self.legislative = mech.institution_step(self.legislative, drive,
                                                 self.political_resistance, p.growth, p.decay)
        self.civilian_control = mech.follow(self.civilian_control, self.legislative,
                                            p.control_adjustment)


@dataclass
class Districts:
    """Per-district programme state; every array has one entry per district."""

    civilians: np.ndarray
    access: np.ndarray
    insurgency: np.ndarray
    service_level: np.ndarray
    crisis: np.ndarray
    ddr_program: np.ndarray
    engagement: np.ndarray  # this step's engagement level e_d
    new_services: np.ndarray  # this step's service effect f_S
    monitoring: np.ndarray  # this step's NGO monitoring level m_d
    training_per_unit: np.ndarray  # this step's effective training spend per security unit
    violence: np.ndarray  # last step's active share plus incidents per civilian
    incidents: np.ndarray  # this step's incident counts
    knowledge: np.ndarray  # residents' knowledge of the police k_d
    visits: np.ndarray  # this step's community-policing visits
    standing_visits: float  # visits per year everywhere outside programmes
    programmes: list[VisitProgramme] = field(default_factory=list)

    @classmethod
    def from_scenario(cls, scenario: Scenario, civilians: np.ndarray) -> Districts:
        """Initial district state."""
        n = len(scenario.districts)

        def zeros() -> np.ndarray:
            return np.zeros(n)

        return cls(
            civilians=civilians.astype(np.float64),
            access=np.array([d.access for d in scenario.districts]),
            insurgency=np.array([d.insurgency for d in scenario.districts]),
            service_level=zeros(), crisis=zeros(), ddr_program=zeros(), engagement=zeros(),
            new_services=zeros(), monitoring=zeros(), training_per_unit=zeros(),
            violence=zeros(), incidents=np.zeros(n, dtype=np.int64), knowledge=zeros(),
            visits=np.zeros(n, dtype=np.int64),
            standing_visits=scenario.community_policing.visits_per_year,
        )

    def visit_rates(self, step: int) -> np.ndarray:
        """Visits per year per district at `step`: the standing rate, or the newest programme."""
        self.programmes = [p for p in self.programmes if p.until is None or step < p.until]
        rates = np.full(len(self.civilians), self.standing_visits)
        for programme in self.programmes:
            rates[programme.districts] = programme.visits_per_year
        return rates

    def per_1000(self, amounts: np.ndarray) -> np.ndarray:
        """Amounts per 1,000 civilians of each district."""
        return amounts * 1000.0 / np.maximum(self.civilians, 1.0)


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
