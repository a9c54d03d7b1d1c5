"""The per-step measures, declared as data: name, meaning, and a function of the model.

The model's DataCollector is built from this table, so adding a measure is adding a row.
Per-district trust columns (`trust_<district>`) are added for the scenario's districts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..scenario.schema import ACTIVITIES
from . import mechanisms as mech
from .agents import NGO, CMOUnit, ReformState, SecurityForceUnit
from .population import CivilianState, DDRStage

if TYPE_CHECKING:
    from .model import SSRModel


@dataclass(frozen=True)
class Measure:
    """One recorded quantity, and which way is better for SSR (None: neither)."""

    name: str
    description: str
    compute: Callable[[SSRModel], float]
    better: Literal["higher", "lower"] | None = None


def _units(model: SSRModel) -> list[SecurityForceUnit]:
    return list(model.agents_by_type.get(SecurityForceUnit, []))


def reform_share(model: SSRModel, state: ReformState) -> float:
    """Share of security units in a reform state (0 with no units)."""
    units = _units(model)
    return sum(u.reform == state for u in units) / len(units) if units else 0.0


def _mean_capacity(model: SSRModel) -> float:
    units = _units(model)
    return float(np.mean([u.capacity for u in units])) if units else 0.0


def _count(model: SSRModel, cls: type) -> int:
    return len(model.agents_by_type.get(cls, []))


def _stability(model: SSRModel) -> float:
    pop = model.population
    violent = model.tally["incidents"] + model.tally["abuses"]
    return mech.stability(pop.count(CivilianState.ACTIVE) / pop.size,
                          violent * 1000.0 / pop.size, model.params.measures.violence_scale)


def service_coverage(model: SSRModel) -> float:
    """Population-weighted mean of the district service levels."""
    d = model.districts
    return float(np.average(d.service_level, weights=np.maximum(d.civilians, 1e-12)))


def police_knowledge(model: SSRModel) -> float:
    """Population-weighted mean of the districts' knowledge of the police."""
    d = model.districts
    return float(np.average(d.knowledge, weights=np.maximum(d.civilians, 1e-12)))


def _ddr(stage: DDRStage) -> Measure:
    return Measure(f"ddr_{stage.name.lower()}", f"Ex-combatants {stage.name.lower()}.",
                   lambda m: m.population.count_ddr(stage))


def _state(state: CivilianState) -> Measure:
    return Measure(state.name.lower(), f"Civilians {state.name.lower()}.",
                   lambda m: m.population.count(state))


def _tally(name: str, description: str, better: Literal["higher", "lower"] | None = None
           ) -> Measure:
    return Measure(name, description, lambda m: m.tally[name], better)


def _spent(index: int, activity: str) -> Measure:
    return Measure(f"spent_{activity}", f"Programme money spent on {activity} this step.",
                   lambda m: float(m.ledger.spent[index]))


def _allocation(index: int, activity: str) -> Measure:
    return Measure(f"alloc_{activity}", f"Budget share allocated to {activity}.",
                   lambda m: float(m.institutions.allocation[index]))


MEASURES: list[Measure] = [
    Measure("trust", "Mean trust of civilians in the security forces.",
            lambda m: float(m.population.trust.mean()), better="higher"),
    Measure("stability", "(1 - share active) x exp(-violent events per 1,000 / scale).",
            _stability, better="higher"),
    Measure("reform_uptake", "Share of security units reformed.",
            lambda m: reform_share(m, ReformState.REFORMED), better="higher"),
    Measure("in_training", "Share of security units in training.",
            lambda m: reform_share(m, ReformState.TRAINING)),
    Measure("accountability", "Share of abuses reported and sanctioned (trailing window).",
            lambda m: m.institutions.sanction_rate(), better="higher"),
    Measure("oversight", "Oversight strength O.", lambda m: m.institutions.oversight,
            better="higher"),
    Measure("judicial", "Judicial reform progress J.", lambda m: m.institutions.judicial,
            better="higher"),
    Measure("legislative", "Legislative framework progress F.",
            lambda m: m.institutions.legislative, better="higher"),
    Measure("civilian_control", "Civilian control C.",
            lambda m: m.institutions.civilian_control, better="higher"),
    Measure("political_resistance", "Political resistance.",
            lambda m: m.institutions.political_resistance, better="lower"),
    Measure("capacity", "Mean arrest capacity of security units.", _mean_capacity, better="higher"),
    Measure("service_coverage", "Population-weighted mean district service level.",
            service_coverage, better="higher"),
    Measure("legitimacy", "Mean perceived legitimacy L.",
            lambda m: float(m.population.legitimacy.mean()), better="higher"),
    Measure("cooperation", "Mean willingness to report.",
            lambda m: float(m.population.cooperation.mean()), better="higher"),
    Measure("police_trust", "Mean trust in the police T^P.",
            lambda m: float(m.population.trust_police.mean()), better="higher"),
    Measure("army_trust", "Mean trust in the army T^A.",
            lambda m: float(m.population.trust_army.mean()), better="higher"),
    Measure("police_knowledge", "Population-weighted mean knowledge of the police k_d.",
            police_knowledge, better="higher"),
    Measure("policing_visits", "Community-policing visits this step.",
            lambda m: int(m.districts.visits.sum())),
    Measure("hardship", "Mean hardship H.", lambda m: float(m.population.hardship.mean()),
            better="lower"),
    Measure("active_share", "Share of civilians active.",
            lambda m: m.population.count(CivilianState.ACTIVE) / m.population.size, better="lower"),
    *[_state(s) for s in CivilianState],
    _tally("arrests", "Arrests this step."),
    _tally("abuses", "Abuses this step.", better="lower"),
    _tally("abuses_reported", "Abuses reported this step."),
    _tally("abuses_sanctioned", "Abuses sanctioned this step."),
    _tally("incidents", "Insurgent incidents this step.", better="lower"),
    *[_ddr(s) for s in (DDRStage.ARMED, DDRStage.DEMOBILISED, DDRStage.REINTEGRATED)],
    Measure("budget", "Programme budget available this step.", lambda m: m.ledger.available),
    Measure("spent", "Programme money spent this step (the cost of an option).",
            lambda m: m.ledger.total_spent, better="lower"),
    *[_spent(i, a) for i, a in enumerate(ACTIVITIES)],
    Measure("spent_crisis", "Programme money spent on crisis response this step.",
            lambda m: m.ledger.crisis_spent),
    Measure("ngo_spent", "NGO own funds spent this step.", lambda m: m.ledger.ngo_spent),
    *[_allocation(i, a) for i, a in enumerate(ACTIVITIES)],
    Measure("security_units", "Security units deployed.",
            lambda m: _count(m, SecurityForceUnit)),
    Measure("cmo_units", "CMO units deployed.", lambda m: _count(m, CMOUnit)),
    Measure("ngos", "NGOs present.", lambda m: _count(m, NGO)),
]

HEADLINE = ("trust", "stability", "reform_uptake", "accountability", "civilian_control",
            "capacity")
"""Measures shown in the run's chart and terminal summary."""

LABELS = {
    "trust": "Trust in security forces",
    "stability": "Stability",
    "reform_uptake": "Reform uptake (share of units reformed)",
    "accountability": "Accountability (abuses sanctioned)",
    "civilian_control": "Civilian control",
    "capacity": "Capacity (arrest probability)",
    "abuses": "Abuses per step",
    "incidents": "Insurgent incidents per step",
    "spent": "Programme spending per step",
}
"""Readable names of the measures charts show most."""


DISTRICT_TRUST = {"trust": ("trust", "trust"),
                  "police_trust": ("trust_police", "trust in the police"),
                  "army_trust": ("trust_army", "trust in the army")}
"""Per-district trust measures `<prefix>_<district>`: the Population array each averages."""


def district_measure_names(districts: Sequence[str]) -> list[str]:
    """Names of the per-district trust columns (none with a single district)."""
    if len(districts) < 2:
        return []
    return [f"{prefix}_{name}" for prefix in DISTRICT_TRUST for name in districts]


def district_trust(index: int, name: str, prefix: str = "trust") -> Measure:
    """Mean trust (combined, or in the police or army) of one district's civilians.

    NaN if nobody lives there.
    """
    field, what = DISTRICT_TRUST[prefix]

    def mean_trust(model: SSRModel) -> float:
        trust = getattr(model.population, field)[model.population.district == index]
        return float(trust.mean()) if trust.size else float("nan")

    return Measure(f"{prefix}_{name}", f"Mean {what} in district {name}.", mean_trust, "higher")


def measures_for(model: SSRModel) -> list[Measure]:
    """All measures of a model: the fixed table plus per-district trust columns."""
    if len(model.district_names) < 2:
        return list(MEASURES)
    return MEASURES + [district_trust(i, n, prefix) for prefix in DISTRICT_TRUST
                       for i, n in enumerate(model.district_names)]


def direction(name: str) -> Literal["higher", "lower"] | None:
    """Which way a recorded measure is better, by name (district trust columns included)."""
    if name.startswith(tuple(f"{prefix}_" for prefix in DISTRICT_TRUST)):
        return "higher"
    return next((m.better for m in MEASURES if m.name == name), None)


from ..results_format import MeasureInfo  # noqa: E402  (appended with measure_info, see below)


def measure_info(district_names: Sequence[str]) -> list[MeasureInfo]:
    """Label, unit and better direction of every recorded measure of a model with these districts."""  # noqa: E501
    districts = [district_trust(i, n, prefix) for prefix in DISTRICT_TRUST
                 for i, n in enumerate(district_names)] if len(district_names) > 1 else []
    return [MeasureInfo(m.name, LABELS.get(m.name) or m.name.replace("_", " ").capitalize(),
                        "", direction(m.name), m.description, m.name in HEADLINE)
            for m in [*MEASURES, *districts]]
