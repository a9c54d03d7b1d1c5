"""National institutions: indices, resistances, the budget allocation, legitimacy shifts.

`Institutions` holds the national indices (oversight, judiciary, legislature, civilian
control), the resistances, the budget allocation and its modifiers, gradual legitimacy
changes and the record of abuses and sanctions. Plain state: its methods read or book state;
how the indices evolve is the `update_institutions` phase.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..scenario.paths import allocation_vector
from ..scenario.schema import ModelParams
from . import mechanisms as mech


@dataclass
class BudgetModifier:
    """A multiplier on the programme budget, until a step (None: for good)."""

    factor: float
    until: int | None


@dataclass
class LegitimacyRamp:
    """A gradual legitimacy change: `per_step` added on each of the next `steps_left` steps."""

    per_step: float
    steps_left: int


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
    advocacy: float = 0.0  # NGO advocacy money spent in the last step
    legitimacy_ramps: list[LegitimacyRamp] = field(default_factory=list)
    modifiers: list[BudgetModifier] = field(default_factory=list)
    history: deque[tuple[int, int]] = field(default_factory=deque)
    abuses_in_window: int = 0  # the sums over `history`, kept as it moves
    sanctioned_in_window: int = 0

    @classmethod
    def from_scenario(cls, scenario: ModelParams) -> Institutions:
        """Initial institutions as the scenario declares them."""
        inst = scenario.institutions
        return cls(
            oversight=inst.oversight, judicial=inst.judicial, legislative=inst.legislative,
            civilian_control=inst.civilian_control,
            political_resistance=inst.political_resistance,
            institutional_resistance=inst.institutional_resistance,
            allocation=allocation_vector(scenario.budget.allocation),
            history=deque(maxlen=scenario.time.window_steps(inst.accountability_days)),
        )

    def expire_modifiers(self, step: int) -> None:
        """Drop the budget cuts and surges that have ended by `step`."""
        self.modifiers = [m for m in self.modifiers if m.until is None or step < m.until]

    def budget(self, base: float) -> float:
        """Programme budget available, after the budget cuts and surges in force."""
        factor = float(np.prod([m.factor for m in self.modifiers])) if self.modifiers else 1.0
        return base * factor

    def shift_legitimacy(self, change: float, duration: int) -> None:
        """Shift legitimacy by `change`, at once or in `duration` equal steps from now on."""
        if duration == 0:
            self.legitimacy_shift += change
        else:
            self.legitimacy_ramps.append(LegitimacyRamp(change / duration, duration))

    def advance_legitimacy(self) -> None:
        """Apply this step's share of every gradual legitimacy change."""
        for ramp in self.legitimacy_ramps:
            self.legitimacy_shift += ramp.per_step
            ramp.steps_left -= 1
        self.legitimacy_ramps = [r for r in self.legitimacy_ramps if r.steps_left > 0]

    def governance(self) -> float:
        """Governance quality Q."""
        return mech.governance_quality(self.oversight, self.judicial, self.legislative,
                                       self.civilian_control)

    def sanction_rate(self) -> float:
        """Accountability: share of abuses reported and sanctioned over the trailing window.

        With no abuse in the window it is the expected share, P(report) * P(sanction).
        """
        if self.abuses_in_window == 0:
            return self.expected_accountability
        return self.sanctioned_in_window / self.abuses_in_window

    def record(self, abuses: int, sanctioned: int) -> None:
        """Close a step's record of abuses and sanctions."""
        if len(self.history) == self.history.maxlen:
            dropped_abuses, dropped_sanctioned = self.history[0]
            self.abuses_in_window -= dropped_abuses
            self.sanctioned_in_window -= dropped_sanctioned
        self.history.append((abuses, sanctioned))
        self.abuses_in_window += abuses
        self.sanctioned_in_window += sanctioned
