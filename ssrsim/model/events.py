"""Scenario events: what each event type does to the model when its step comes.

One function per event type, looked up by the event's `type`. The browser app's shock
buttons go through `apply_event` too, so a shock and a scheduled event are the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..scenario import schema as s
from . import mechanisms as mech
from .agents import CMOUnit, SecurityForceUnit
from .institutions import BudgetModifier, VisitProgramme
from .population import FORCES, DDRStage

if TYPE_CHECKING:
    from .model import SSRModel


def _district_mask(model: SSRModel, event: s.EventBase) -> np.ndarray:
    """Per-district mask of the districts an event touches."""
    mask = np.ones(len(model.district_names), dtype=bool)
    if event.district is not None:
        mask[:] = False
        mask[model.district_names.index(event.district)] = True
    return mask


def _trust_shock(model: SSRModel, event: s.EventBase, size: float,
                 force: str = "both") -> None:
    """Negative: that share of trust is lost; positive: that share of distrust recovered.

    With one `force`, trust in the other takes `trust.spillover` of the shock.
    """
    if size == 0:
        return
    pop = model.population
    hit = _district_mask(model, event)[pop.district]
    spillover = model.params.trust.spillover
    for f in FORCES:
        z = size if force in ("both", f) else spillover * size
        trust = pop.trust_in(f)
        if z < 0:
            trust[hit] *= 1.0 + z
        elif z > 0:
            trust[hit] = mech.trust_after_gain(trust[hit], z)


def _add_crisis(model: SSRModel, event: s.EventBase, size: float) -> None:
    mask = _district_mask(model, event)
    model.districts.crisis[mask] = np.minimum(1.0, model.districts.crisis[mask] + size)


def _shift_political_resistance(model: SSRModel, change: float) -> None:
    inst = model.institutions
    inst.political_resistance = float(np.clip(inst.political_resistance + change, 0.0, 1.0))


def _budget(model: SSRModel, event: s.BudgetCut | s.DonorSurge) -> None:
    until = model.steps + event.duration if event.duration else None
    model.institutions.modifiers.append(BudgetModifier(event.factor, until))


def _withdraw(model: SSRModel, units: list, share: float) -> None:
    """Remove round(share * n) of the given units, chosen at random."""
    count = round(share * len(units))
    for unit in model.random.sample(units, count):
        unit.remove()


def _troop_drawdown(model: SSRModel, event: s.TroopDrawdown) -> None:
    mask = _district_mask(model, event)
    army = [u for u in model.agents_by_type.get(SecurityForceUnit, [])
            if u.kind == "army" and mask[u.district]]
    cmo = [u for u in model.agents_by_type.get(CMOUnit, []) if mask[u.district]]
    _withdraw(model, army, event.army_share)
    _withdraw(model, cmo, event.cmo_share)


def _troop_deployment(model: SSRModel, event: s.TroopDeployment) -> None:
    counts = {"police": event.police, "army": event.army, "cmo": event.cmo_units}
    for district in np.flatnonzero(_district_mask(model, event)):
        model.add_units(int(district), counts, event.reformed)


def _crisis(model: SSRModel, event: s.HumanitarianCrisis) -> None:
    _add_crisis(model, event, event.crisis)
    _trust_shock(model, event, event.trust_shock)


def _insurgency_change(model: SSRModel, event: s.InsurgencyChange) -> None:
    mask = _district_mask(model, event)
    d = model.districts
    d.insurgency[mask] = np.clip(d.insurgency[mask] + event.change, 0.0, 1.0)


def _allocation_change(model: SSRModel, event: s.AllocationChange) -> None:
    model.institutions.allocation = np.array(
        [getattr(event.allocation, a) for a in s.ACTIVITIES], dtype=np.float64)


def _election(model: SSRModel, event: s.Election) -> None:
    _shift_political_resistance(model, event.political_resistance)
    _trust_shock(model, event, event.trust_shock)
    _add_crisis(model, event, event.crisis)


def _coup(model: SSRModel, event: s.Coup) -> None:
    inst = model.institutions
    inst.civilian_control *= 1.0 - event.civilian_control
    inst.legislative *= 1.0 - event.legislative
    _shift_political_resistance(model, event.political_resistance)
    _trust_shock(model, event, event.trust_shock)
    _add_crisis(model, event, event.crisis)


def _abuse_scandal(model: SSRModel, event: s.AbuseScandal) -> None:
    inst = model.institutions
    inst.oversight = float(np.clip(inst.oversight + event.oversight, 0.0, 1.0))
    _trust_shock(model, event, event.trust_shock, event.force)
    _add_crisis(model, event, event.crisis)


def _peace_agreement(model: SSRModel, event: s.PeaceAgreement) -> None:
    mask = _district_mask(model, event)
    model.districts.insurgency[mask] *= 1.0 - event.insurgency_reduction
    _shift_political_resistance(model, event.political_resistance)
    pop = model.population
    armed = np.flatnonzero((pop.ddr == DDRStage.ARMED) & mask[pop.district])
    chosen = model.rng.random(armed.size) < event.demobilise_share
    pop.ddr[armed[chosen]] = DDRStage.DEMOBILISED


def _legitimacy_change(model: SSRModel, event: s.LegitimacyChange) -> None:
    model.institutions.shift_legitimacy(event.change, event.duration)


def _community_policing(model: SSRModel, event: s.CommunityPolicingProgramme) -> None:
    until = model.steps + event.duration if event.duration else None
    model.districts.programmes.append(
        VisitProgramme(_district_mask(model, event), event.visits_per_year, until))


HANDLERS: dict[str, Callable] = {
    "budget_cut": _budget,
    "donor_surge": _budget,
    "troop_drawdown": _troop_drawdown,
    "troop_deployment": _troop_deployment,
    "election": _election,
    "coup": _coup,
    "abuse_scandal": _abuse_scandal,
    "peace_agreement": _peace_agreement,
    "legitimacy_change": _legitimacy_change,
    "community_policing": _community_policing,
    "crisis": _crisis,
    "insurgency_change": _insurgency_change,
    "allocation_change": _allocation_change,
}


def apply_event(model: SSRModel, event: s.EventBase) -> None:
    """Apply one event to the model now."""
    HANDLERS[event.type](model, event)
    model.event_log.append((model.steps, event.type, event.label))
