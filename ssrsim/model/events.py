"""Scenario events: what each event class does to the model's state when its step comes.

One function per event class, dispatched on the class (`functools.singledispatch`). The
browser app's shock buttons go through `apply_event` too, so a shock and a scheduled event
are the same thing.
"""

from __future__ import annotations

from functools import singledispatch

import numpy as np

from ..scenario import schema as s
from ..scenario.paths import allocation_vector
from . import mechanisms as mech
from .agents import CMOUnit
from .districts import VisitProgramme
from .institutions import BudgetModifier
from .population import FORCES, DDRStage
from .world import World


def _district_mask(model: World, event: s.EventBase) -> np.ndarray:
    """Per-district mask of the districts an event touches."""
    mask = np.ones(len(model.district_names), dtype=bool)
    if event.district is not None:
        mask[:] = False
        mask[model.district_names.index(event.district)] = True
    return mask


def _trust_shock(model: World, event: s.EventBase, size: float,
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


def _add_crisis(model: World, event: s.EventBase, size: float) -> None:
    mask = _district_mask(model, event)
    model.districts.crisis[mask] = np.minimum(1.0, model.districts.crisis[mask] + size)


def _shift_political_resistance(model: World, change: float) -> None:
    inst = model.institutions
    inst.political_resistance = float(np.clip(inst.political_resistance + change, 0.0, 1.0))


def _until(model: World, event: s.BudgetCut | s.DonorSurge | s.CommunityPolicingProgramme
           ) -> int | None:
    """The step an event with a duration ends (None: it lasts to the end of the run)."""
    if not event.duration_days:
        return None
    return model.steps + model.params.time.window_steps(event.duration_days)


@singledispatch
def _act(event: s.EventBase, model: World) -> None:
    raise TypeError(f"no handler for event class {type(event).__name__}")


@_act.register
def _budget(event: s.BudgetCut | s.DonorSurge, model: World) -> None:
    model.institutions.modifiers.append(BudgetModifier(event.factor, _until(model, event)))


@_act.register
def _troop_drawdown(event: s.TroopDrawdown, model: World) -> None:
    """Each force loses its share of units in the district(s), picked at random.

    Police go last and only if asked, so a drawdown without police draws the same random
    numbers as before police could leave.
    """
    mask = _district_mask(model, event)

    def withdraw_security(kind: str, share: float) -> None:
        f = model.forces
        uids = f.uid[(f.kind == FORCES.index(kind)) & mask[f.district]]
        model.withdraw_units(model.rng.choice(uids, round(share * uids.size), replace=False))

    withdraw_security("army", event.army_share)
    cmo = [u for u in model.of_type(CMOUnit) if mask[u.district]]
    for unit in model.random.sample(cmo, round(event.cmo_share * len(cmo))):
        unit.remove()
    if event.police_share > 0:
        withdraw_security("police", event.police_share)


@_act.register
def _troop_deployment(event: s.TroopDeployment, model: World) -> None:
    counts = {"police": event.police, "army": event.army, "cmo": event.cmo_units}
    for district in np.flatnonzero(_district_mask(model, event)):
        model.add_units(int(district), counts, event.reformed)


@_act.register
def _crisis(event: s.HumanitarianCrisis, model: World) -> None:
    _add_crisis(model, event, event.crisis)
    _trust_shock(model, event, event.trust_shock)


@_act.register
def _insurgency_change(event: s.InsurgencyChange, model: World) -> None:
    mask = _district_mask(model, event)
    d = model.districts
    d.insurgency[mask] = np.clip(d.insurgency[mask] + event.change, 0.0, 1.0)


@_act.register
def _allocation_change(event: s.AllocationChange, model: World) -> None:
    model.institutions.allocation = allocation_vector(event.allocation)


@_act.register
def _election(event: s.Election, model: World) -> None:
    _shift_political_resistance(model, event.political_resistance)
    _trust_shock(model, event, event.trust_shock)
    _add_crisis(model, event, event.crisis)


@_act.register
def _coup(event: s.Coup, model: World) -> None:
    inst = model.institutions
    inst.civilian_control *= 1.0 - event.civilian_control
    inst.legislative *= 1.0 - event.legislative
    _shift_political_resistance(model, event.political_resistance)
    _trust_shock(model, event, event.trust_shock)
    _add_crisis(model, event, event.crisis)


@_act.register
def _abuse_scandal(event: s.AbuseScandal, model: World) -> None:
    inst = model.institutions
    inst.oversight = float(np.clip(inst.oversight + event.oversight, 0.0, 1.0))
    _trust_shock(model, event, event.trust_shock, event.force)
    _add_crisis(model, event, event.crisis)


@_act.register
def _peace_agreement(event: s.PeaceAgreement, model: World) -> None:
    mask = _district_mask(model, event)
    model.districts.insurgency[mask] *= 1.0 - event.insurgency_reduction
    _shift_political_resistance(model, event.political_resistance)
    pop = model.population
    armed = np.flatnonzero((pop.ddr == DDRStage.ARMED) & mask[pop.district])
    chosen = model.rng.random(armed.size) < event.demobilise_share
    pop.ddr[armed[chosen]] = DDRStage.DEMOBILISED


@_act.register
def _legitimacy_change(event: s.LegitimacyChange, model: World) -> None:
    model.institutions.shift_legitimacy(event.change,
                                        model.params.time.steps_for(event.duration_days))


@_act.register
def _community_policing(event: s.CommunityPolicingProgramme, model: World) -> None:
    model.districts.programmes.append(
        VisitProgramme(_district_mask(model, event), event.visits_per_year, _until(model, event)))


def apply_event(model: World, event: s.EventBase) -> None:
    """Apply one event to the model now, and log it."""
    _act(event, model)
    model.event_log.append((model.steps, event.type, event.label))
