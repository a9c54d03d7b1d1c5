"""The per-step measures, declared as data: name, label, unit, meaning, and a function.

The model's DataCollector is built from this table, so adding a measure is adding a row.
Per-district trust columns (`trust_<district>` and per force) are added for the scenario's
districts. `measure_info` describes every column for the results format, so analysis can
read labels, units and which way is better without importing the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..results_format import Better, MeasureInfo
from ..scenario.schema import ACTIVITIES
from . import mechanisms as mech
from .adaptive import reform_share
from .agents import NGO, CMOUnit
from .forces import ReformState
from .population import CivilianState, DDRStage
from .world import World

SHARE = "share (0-1)"
INDEX = "index (0-1)"
MONEY = "money per step"


@dataclass(frozen=True)
class Measure:
    """One recorded quantity: what it means, how it is computed, which way is better."""

    name: str
    description: str
    compute: Callable[[World], float]
    better: Better | None = None
    unit: str = ""
    label: str = ""

    def info(self, headline: bool) -> MeasureInfo:
        """The measure as the results format describes it."""
        label = self.label or self.name.replace("_", " ").capitalize()
        return MeasureInfo(self.name, label, self.unit, self.better, self.description, headline)


def _mean_capacity(world: World) -> float:
    forces = world.forces
    return float(np.mean(forces.capacity(world.params))) if forces.size else 0.0


def _stability(world: World) -> float:
    """Rebellion and armed violence: actives and insurgent incidents, not abuses."""
    pop = world.population
    return mech.stability(pop.count(CivilianState.ACTIVE) / pop.size,
                          world.recent.per_week("incidents") * 1000.0 / pop.size,
                          world.params.measures.violence_scale)


def _seen(last_seen: np.ndarray, world: World, days: int) -> np.ndarray:
    """Whether each civilian saw it in the last `days` (at least this step)."""
    return mech.seen_within(last_seen, world.steps, world.params.time.window_steps(days))


def _share(mask: np.ndarray) -> float:
    """The share of True in `mask`: its mean, exactly, without a sum of floats."""
    return np.count_nonzero(mask) / mask.size


def _share_this_week(last_seen: np.ndarray, world: World) -> float:
    """Share of civilians who saw it within `measures.window_days` (a week by default)."""
    return _share(_seen(last_seen, world, world.params.measures.window_days))


def _share_recalled(last_seen: np.ndarray, world: World) -> float:
    """Share of civilians who saw it within the recall window (`measures.recall_days`)."""
    return _share(_seen(last_seen, world, world.params.measures.recall_days))


def _conduct(world: World) -> float:
    """1 - share of civilians who saw an abuse or met an unfair contact this week."""
    pop = world.population
    days = world.params.measures.window_days
    return 1.0 - _share(_seen(pop.last_abuse, world, days) | _seen(pop.last_unfair, world, days))


def _ddr(stage: DDRStage) -> Measure:
    return Measure(f"ddr_{stage.name.lower()}", f"Ex-combatants {stage.name.lower()}.",
                   lambda w: w.population.count_ddr(stage), unit="civilians")


def _state(state: CivilianState) -> Measure:
    return Measure(state.name.lower(), f"Civilians {state.name.lower()}.",
                   lambda w: w.population.count(state), unit="civilians")


def _tally(name: str, description: str, better: Better | None = None, label: str = ""
           ) -> Measure:
    return Measure(name, description, lambda w: getattr(w.record, name), better,
                   "events per step", label)


def _spent(index: int, activity: str) -> Measure:
    return Measure(f"spent_{activity}", f"Programme money spent on {activity} this step.",
                   lambda w: float(w.ledger.spent[index]), unit=MONEY)


def _allocation(index: int, activity: str) -> Measure:
    return Measure(f"alloc_{activity}", f"Budget share allocated to {activity}.",
                   lambda w: float(w.institutions.allocation[index]), unit=SHARE)


MEASURES: list[Measure] = [
    Measure("trust", "Mean trust of civilians in the security forces.",
            lambda w: float(w.population.trust.mean()), "higher", INDEX,
            "Trust in security forces"),
    Measure("stability", "Rebellion and armed violence: (1 - share active) x exp(-insurgent "
            "incidents per 1,000 residents per week (over measures.window_days) / "
            "measures.violence_scale). Abuses by the forces are not counted (see conduct).",
            _stability, "higher", INDEX, "Stability"),
    Measure("conduct", "Conduct of the forces as residents meet it: 1 - share of residents "
            "who witnessed an abuse (within trust.witness_radius) or met an unfair contact "
            "(within trust.contact_radius) in the last week (measures.window_days).", _conduct,
            "higher", SHARE, "Conduct (share meeting no abuse or extortion)"),
    Measure("abuses_per_1000", "Abuses by the forces per 1,000 residents per week (over "
            "measures.window_days).",
            lambda w: w.recent.per_week("abuses") * 1000.0 / w.population.size, "lower",
            "abuses per 1,000 residents per week", "Abuses per 1,000 residents"),
    Measure("unfair_contact_share", "Share of residents who met an unfair contact (everyday "
            "extortion or harassment by an unreformed unit) within trust.contact_radius this "
            "week.", lambda w: _share_this_week(w.population.last_unfair, w), "lower", SHARE,
            "Residents meeting extortion this week"),
    Measure("perceived_safety", "Share of residents who saw no armed violence (an insurgent "
            "incident or an active rebel within trust.witness_radius) in the recall window "
            "(measures.recall_days). Abuses are not counted (survey: safe from armed "
            "conflict).", lambda w: 1.0 - _share_recalled(w.population.last_violence, w),
            "higher", SHARE, "Perceived safety (no violence seen in the recall window)"),
    Measure("experienced_corruption", "Share of residents who met an unfair contact "
            "(extortion by an unreformed unit) within trust.contact_radius in the recall "
            "window (measures.recall_days).",
            lambda w: _share_recalled(w.population.last_unfair, w), "lower", SHARE,
            "Experienced corruption (extortion met in the recall window)"),
    Measure("reform_uptake", "Share of security units reformed.",
            lambda w: reform_share(w.forces, ReformState.REFORMED), "higher", SHARE,
            "Reform uptake (share of units reformed)"),
    Measure("in_training", "Share of security units in training.",
            lambda w: reform_share(w.forces, ReformState.TRAINING), unit=SHARE),
    Measure("accountability", "Share of abuses reported and sanctioned (trailing window).",
            lambda w: w.institutions.sanction_rate(), "higher", SHARE,
            "Accountability (abuses sanctioned)"),
    Measure("oversight", "Oversight strength O.", lambda w: w.institutions.oversight,
            "higher", INDEX),
    Measure("judicial", "Judicial reform progress J.", lambda w: w.institutions.judicial,
            "higher", INDEX),
    Measure("legislative", "Legislative framework progress F.",
            lambda w: w.institutions.legislative, "higher", INDEX),
    Measure("civilian_control", "Civilian control C.",
            lambda w: w.institutions.civilian_control, "higher", INDEX, "Civilian control"),
    Measure("political_resistance", "Political resistance.",
            lambda w: w.institutions.political_resistance, "lower", INDEX),
    Measure("capacity", "Mean arrest capacity of security units.", _mean_capacity, "higher",
            "probability", "Capacity (arrest probability)"),
    Measure("service_coverage", "Population-weighted mean district service level.",
            lambda w: w.districts.population_mean(w.districts.service_level), "higher", INDEX),
    Measure("legitimacy", "Mean perceived legitimacy L.",
            lambda w: float(w.population.legitimacy.mean()), "higher", INDEX),
    Measure("cooperation", "Mean willingness to report.",
            lambda w: float(w.population.cooperation.mean()), "higher", INDEX),
    Measure("police_trust", "Mean trust in the police T^P.",
            lambda w: float(w.population.trust_police.mean()), "higher", INDEX,
            "Trust in the police"),
    Measure("army_trust", "Mean trust in the army T^A.",
            lambda w: float(w.population.trust_army.mean()), "higher", INDEX,
            "Trust in the army"),
    Measure("police_knowledge", "Population-weighted mean knowledge of the police k_d.",
            lambda w: w.districts.population_mean(w.districts.knowledge), "higher", INDEX),
    Measure("policing_visits", "Community-policing visits this step.",
            lambda w: int(w.districts.visits.sum()), unit="visits per step"),
    Measure("hardship", "Mean hardship H.", lambda w: float(w.population.hardship.mean()),
            "lower", INDEX),
    Measure("anger", "Mean anger A at abuses by the forces (Bennett 2008), part of grievance.",
            lambda w: float(w.population.anger.mean()), "lower", INDEX),
    Measure("active_share", "Share of civilians active.",
            lambda w: w.population.count(CivilianState.ACTIVE) / w.population.size, "lower",
            SHARE),
    *[_state(s) for s in CivilianState],
    _tally("arrests", "Arrests this step."),
    _tally("abuses", "Abuses this step.", "lower", "Abuses per step"),
    _tally("abuses_reported", "Abuses reported this step."),
    _tally("abuses_sanctioned", "Abuses sanctioned this step."),
    _tally("incidents", "Insurgent incidents this step.", "lower", "Insurgent incidents per step"),
    *[_ddr(s) for s in (DDRStage.ARMED, DDRStage.DEMOBILISED, DDRStage.REINTEGRATED)],
    Measure("budget", "Programme budget available this step.", lambda w: w.ledger.available,
            unit=MONEY),
    Measure("spent", "Programme money spent this step (the cost of an option).",
            lambda w: w.ledger.total_spent, "lower", MONEY, "Programme spending per step"),
    *[_spent(i, a) for i, a in enumerate(ACTIVITIES)],
    Measure("spent_crisis", "Programme money spent on crisis response this step.",
            lambda w: w.ledger.crisis_spent, unit=MONEY),
    Measure("ngo_spent", "NGO own funds spent this step.", lambda w: w.ledger.ngo_spent,
            unit=MONEY),
    *[_allocation(i, a) for i, a in enumerate(ACTIVITIES)],
    Measure("security_units", "Security units deployed.",
            lambda w: w.forces.size, unit="units"),
    Measure("cmo_units", "CMO units deployed.", lambda w: len(w.of_type(CMOUnit)), unit="units"),
    Measure("ngos", "NGOs present.", lambda w: len(w.of_type(NGO)), unit="organisations"),
]

HEADLINE = ("trust", "stability", "conduct", "reform_uptake", "accountability",
            "civilian_control")
"""Measures shown first (the run's 2x3 chart, the terminal summary): each answers one question.

`conduct` replaced `capacity`, which is nearly a function of reform uptake (reformed units
have the reformed capacity) and is an attribute of the forces, not an outcome residents meet.
Every headline measure is a share or index in [0, 1], higher better, as the chart assumes.
"""

LABELS = {m.name: m.info(False).label for m in MEASURES}
"""Readable names of the measures."""

DISTRICT_TRUST = {"trust": ("trust", "trust"),
                  "police_trust": ("trust_police", "trust in the police"),
                  "army_trust": ("trust_army", "trust in the army")}
"""Per-district trust measures `<prefix>_<district>`: the Population array each averages."""


def district_trust(index: int, name: str, prefix: str = "trust") -> Measure:
    """Mean trust (combined, or in the police or army) of one district's civilians.

    NaN if nobody lives there.
    """
    field, what = DISTRICT_TRUST[prefix]

    def mean_trust(world: World) -> float:
        trust = getattr(world.population, field)[world.population.district == index]
        return float(trust.mean()) if trust.size else float("nan")

    return Measure(f"{prefix}_{name}", f"Mean {what} in district {name}.", mean_trust, "higher",
                   INDEX, f"{what.capitalize()} in {name}")


def measures_for(district_names: Sequence[str]) -> list[Measure]:
    """All measures of a model: the fixed table plus per-district trust columns."""
    if len(district_names) < 2:
        return list(MEASURES)
    return MEASURES + [district_trust(i, n, prefix) for prefix in DISTRICT_TRUST
                       for i, n in enumerate(district_names)]


def measure_info(district_names: Sequence[str]) -> list[MeasureInfo]:
    """Label, unit and better direction of every measure of a model with these districts."""
    return [m.info(m.name in HEADLINE) for m in measures_for(district_names)]

