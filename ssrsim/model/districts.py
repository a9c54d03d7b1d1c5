"""District state: what programmes build up per district, and the residents' outlook.

`Districts` holds one entry per district for every programme level (services, engagement,
crisis, DDR, monitoring, knowledge of the police) and this step's counts. `DistrictOutlook`
holds the residents' mean cooperation, trust and need as of the latest civilian phase: the
units of the next step plan, report and suppress with it. Plain state: no model, no agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..scenario.schema import ModelParams


@dataclass
class VisitProgramme:
    """A community-policing programme: a visit rate in some districts, until a step."""

    districts: np.ndarray  # mask
    visits_per_year: float
    until: int | None


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
    def from_scenario(cls, scenario: ModelParams, civilians: np.ndarray) -> Districts:
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

    def expire_programmes(self, step: int) -> None:
        """Drop the community-policing programmes that have ended by `step`."""
        self.programmes = [p for p in self.programmes if p.until is None or step < p.until]

    def visit_rates(self) -> np.ndarray:
        """Visits per year per district: the standing rate, or the newest programme's."""
        rates = np.full(len(self.civilians), self.standing_visits)
        for programme in self.programmes:
            rates[programme.districts] = programme.visits_per_year
        return rates

    def per_1000(self, amounts: np.ndarray) -> np.ndarray:
        """Amounts per 1,000 civilians of each district."""
        return amounts * 1000.0 / np.maximum(self.civilians, 1.0)

    def population_mean(self, values: np.ndarray) -> float:
        """Population-weighted mean of a per-district quantity."""
        weights = np.maximum(self.civilians, 1e-12)
        return float((values * weights).sum() / weights.sum())  # np.average's sums, less overhead


@dataclass(frozen=True)
class DistrictOutlook:
    """Residents' mean cooperation and trust per district, and each district's need.

    Need (distrust plus crisis) is what coordinated planners weigh.
    """

    cooperation: np.ndarray
    trust: np.ndarray
    need: np.ndarray
