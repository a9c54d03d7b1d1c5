"""The phases of a step, as functions of the state they read and the state they change.

Each function names its inputs; what one phase hands the next is a return value, visible in
the model's `step()`. The security units' phase is in `security.py`; CMO units and NGOs act
through their `step` methods (`agents.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from ..scenario.schema import ModelParams
from . import mechanisms as mech
from .districts import DistrictOutlook, Districts
from .forces import POLICE, Forces, ReformState
from .institutions import Institutions
from .ledger import Ledger
from .population import FORCES, CivilianState, DDRStage, Population
from .record import Sightings, StepRecord, add_events, both_forces
from .security import Actives
from .space import Layout, Neighbourhoods, NeighbourhoodSum


def open_step(params: ModelParams, institutions: Institutions, districts: Districts, step: int,
              cmo_units: int, shape: tuple[int, int]) -> tuple[StepRecord, Ledger]:
    """A fresh record and the step's ledger, after budget cuts and surges that have ended.

    The step's budget is the weekly budget times the step's length in weeks.
    """
    institutions.expire_modifiers(step)
    budget = institutions.budget(params.budget.per_week * params.time.weeks)
    ledger = Ledger.open(params, budget, institutions.allocation, districts, cmo_units)
    return StepRecord.empty(shape), ledger


def spend_national(params: ModelParams, population: Population, institutions: Institutions,
                   ledger: Ledger) -> np.ndarray:
    """DDR money to districts, oversight money to institutions; institutions update.

    Spending drives institutions as an intensity per week (the step's spending over its
    length in weeks). Returns the ex-combatants on the DDR track (armed or demobilised) per
    district.
    """
    pop = population
    in_ddr = (pop.ddr == DDRStage.ARMED.value) | (pop.ddr == DDRStage.DEMOBILISED.value)
    ex_in_ddr = np.bincount(pop.district[in_ddr], minlength=len(params.districts))
    ledger.spend_ddr(ex_in_ddr)
    oversight = ledger.spend_oversight()
    hs = params.budget.half_saturation
    weeks = params.time.weeks
    advocacy_level = float(mech.saturation(institutions.advocacy / weeks, hs.oversight))
    drive = min(1.0, float(mech.saturation(oversight / weeks, hs.oversight))
                + params.institutions.advocacy_weight * advocacy_level)
    update_institutions(params, institutions, drive)
    return ex_in_ddr


def update_institutions(params: ModelParams, inst: Institutions, drive: float) -> None:
    """Grow or decay O, J and F with the institutional drive; C follows F."""
    p = params.institutions
    weeks = params.time.weeks
    inst.oversight = mech.institution_step(inst.oversight, drive, inst.political_resistance,
                                           p.growth, p.decay, weeks)
    inst.judicial = mech.institution_step(inst.judicial, drive, inst.institutional_resistance,
                                          p.growth, p.decay, weeks)
    inst.legislative = mech.institution_step(inst.legislative, drive,
                                             inst.political_resistance, p.growth, p.decay, weeks)
    inst.civilian_control = mech.follow(inst.civilian_control, inst.legislative,
                                        float(mech.per_step(p.control_adjustment, weeks)))


def update_districts(params: ModelParams, districts: Districts, ledger: Ledger,
                     forces: Forces, ex_in_ddr: np.ndarray,
                     visits: np.ndarray) -> None:
    """District levels from this step's effective spending and community-policing visits.

    Spending counts as an intensity per week (the step's over its length in weeks); stocks
    grow and decay at weekly rates compounded over the step (`mechanisms.per_step`).
    """
    p = params
    hs = p.budget.half_saturation
    d, eff = districts, ledger.effective
    weeks = p.time.weeks

    def weekly(amounts: np.ndarray) -> np.ndarray:
        return amounts / weeks

    # The equations take numbers or arrays; on district arrays they return arrays.
    d.engagement = np.asarray(mech.saturation(weekly(d.per_1000(eff["engagement"])),
                                              hs.engagement))
    d.new_services = np.asarray(mech.saturation(weekly(d.per_1000(eff["services"])),
                                                hs.services))
    d.service_level = np.asarray(mech.stock_step(
        d.service_level, mech.per_step(p.services.build_rate * d.new_services, weeks),
        mech.per_step(p.services.decay, weeks)))
    d.crisis = np.asarray(mech.crisis_step(
        d.crisis, mech.saturation(weekly(d.per_1000(eff["crisis"])), hs.crisis),
        p.crisis.decay, p.crisis.response_rate, weeks))
    d.monitoring = np.asarray(mech.saturation(weekly(eff["monitoring"]), hs.monitoring))
    unreformed = forces.reform == ReformState.UNREFORMED.value
    untrained = forces.per_district(unreformed, len(d.civilians))
    d.training_per_unit = weekly(eff["training"] / np.maximum(untrained, 1.0))
    cp = p.community_policing
    d.visits = visits
    d.knowledge = np.asarray(mech.stock_step(
        d.knowledge, mech.repeated_gain(cp.knowledge_gain, visits),
        mech.per_step(cp.knowledge_decay, weeks)))
    ddr_intensity = weekly(eff["ddr"] * 1000.0 / np.maximum(ex_in_ddr, 1.0))
    d.ddr_program = np.asarray(mech.stock_step(
        d.ddr_program,
        mech.per_step(p.ddr.program_build * mech.saturation(ddr_intensity, hs.ddr), weeks),
        mech.per_step(p.ddr.program_decay, weeks)))


def policing_visits(params: ModelParams, districts: Districts, forces: Forces, step: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Community-policing visits per district this step (Poisson, where there are police)."""
    districts.expire_programmes(step)
    police = forces.per_district(forces.kind == POLICE, len(districts.civilians))
    rates = districts.visit_rates() * (police > 0)
    visits: np.ndarray = rng.poisson(rates * params.time.step_days / 365.0)
    return visits


def insurgent_incidents(params: ModelParams, districts: Districts, population: Population,
                        layout: Layout, forces: Forces,
                        outlook: DistrictOutlook, stream: Sequence[int],
                        record: StepRecord) -> None:
    """Poisson incidents per district, each at the home of a random resident.

    Draws come from a generator of this step's own, seeded with `stream`: counts by inversion
    of one uniform per district, then places, so runs that differ only in the rates draw the
    same numbers. With every rate 0 no number is drawn (the counts are 0 at any uniform).
    """
    p = params.insurgency
    d = districts
    pop = population
    n = len(d.civilians)
    armed = np.bincount(pop.district[pop.ddr == DDRStage.ARMED.value], minlength=n)
    capacity = np.bincount(forces.district, forces.capacity(params), minlength=n)
    supp = mech.suppression(d.per_1000(capacity), outlook.cooperation, p.max_suppression,
                            p.suppression_half)
    rate = mech.incident_rate(d.civilians, d.insurgency, armed / np.maximum(d.civilians, 1.0),
                              p.base_rate, p.armed_weight, supp) * params.time.weeks
    if not np.any(rate > 0):
        d.incidents = np.zeros(n, dtype=np.int64)
        record.incidents = 0
        return
    draws = np.random.default_rng(stream)
    d.incidents = mech.poisson_quantile(draws.random(n), rate)
    for i, count in enumerate(d.incidents):
        members = layout.district_members[i]
        if count and members.size:
            who = members[draws.integers(0, members.size, count)]
            add_events(record.incident_grid, pop.x[who], pop.y[who])
    record.incidents = int(d.incidents.sum())


def what_civilians_saw(population: Population, record: StepRecord, layout: Layout,
                       neighbourhoods: Neighbourhoods, actives: Actives) -> Sightings:
    """Events of this step near each civilian's home, counted once for trust and experience.

    Abuses, incidents and active rebels within `trust.witness_radius`, fair and unfair
    contacts within `trust.contact_radius` (own cell included). Actives are those in open
    rebellion during this step (activated last step, not arrested since). The jailed see
    nothing. Unfair contacts are counted whether or not they cost trust.
    """
    pop = population
    free = pop.state != CivilianState.JAILED.value
    x, y = pop.x, pop.y

    def seen(neighbourhood: NeighbourhoodSum, grid: np.ndarray) -> np.ndarray:
        """Events on `grid` around each free civilian's home (0 for the jailed)."""
        if not grid.any():
            return np.zeros(pop.size, dtype=np.int32)
        return np.where(free, neighbourhood.counts_at(grid, layout.civilian_at, x, y), 0)

    n = neighbourhoods
    actives.refresh(pop)
    return Sightings(
        abuses={f: seen(n.witnessed, record.abuse_grid[f]) for f in FORCES},
        incidents=seen(n.witnessed, record.incident_grid),
        actives=seen(n.witnessed, actives.grid),
        fair={f: seen(n.contacted, record.fair_grid[f]) for f in FORCES},
        unfair={f: seen(n.contacted, record.unfair_grid[f]) for f in FORCES},
    )


def update_trust(params: ModelParams, population: Population, districts: Districts,
                 seen: Sightings, layout: Layout, neighbourhoods: Neighbourhoods) -> None:
    """Trust of every free civilian in each force after this step's harm, gains and talk."""
    pop = population
    free = pop.state != CivilianState.JAILED.value
    t = params.trust
    shared = _both_forces_factors(params, pop, districts)
    for force, other in zip(FORCES, FORCES[::-1], strict=True):
        old = pop.trust_in(force)
        heard = _heard_of(params, pop, seen.abuses[force], layout, neighbourhoods)
        trust = np.where(free, _trust_after_step(
            params, pop, districts, force, seen.abuses[force], seen.abuses[other],
            seen.incidents, seen.fair[force], seen.unfair[force], heard, *shared), old)
        if t.social_weight > 0:  # jailed neighbours count with their unchanged trust
            weight = float(mech.per_step(t.social_weight, params.time.weeks))
            trust = np.where(free, mech.social_influence(
                trust, _social_sum(params, pop, trust, neighbourhoods), pop.social_count,
                weight), old)
        np.clip(trust, 0.0, 1.0, out=old)


def _both_forces_factors(params: ModelParams, pop: Population, d: Districts
                         ) -> tuple[np.ndarray | None, np.ndarray]:
    """Per civilian, what acts alike on trust in either force this step.

    The expectation gap's loss (None when `trust.expectation_loss` is 0) and the share of
    distrust that new services leave.
    """
    t = params.trust
    weeks = params.time.weeks
    gap_loss = None
    if t.expectation_loss > 0:
        gap = mech.expectation_gap(pop.hardship, pop.base_hardship,
                                   pop.in_district(d.new_services),
                                   params.services.hardship_relief)
        gap_loss = np.asarray(mech.per_step(t.expectation_loss * gap, weeks))
    services_keep = pop.in_district(
        1.0 - np.asarray(mech.per_step(t.service_gain * d.new_services, weeks)))
    return gap_loss, services_keep


def _heard_of(params: ModelParams, pop: Population, witnessed: np.ndarray, layout: Layout,
              neighbourhoods: Neighbourhoods) -> np.ndarray | float:
    """Abuses by a force each civilian heard of: the mean her social neighbours witnessed."""
    if params.trust.hearsay == 0 or not witnessed.any():
        return 0.0
    grid = np.zeros(layout.shape, dtype=np.int32)
    grid[pop.x, pop.y] = witnessed
    heard = neighbourhoods.social.counts_at(grid, layout.civilian_at, pop.x, pop.y)
    return np.asarray(mech.heard_of(heard, pop.social_count))


def _social_sum(params: ModelParams, pop: Population, values: np.ndarray,
                neighbourhoods: Neighbourhoods) -> np.ndarray:
    """Per civilian, the sum of `values` over her social neighbours' homes."""
    grid = np.zeros((params.space.width, params.space.height))
    grid[pop.x, pop.y] = values
    summed: np.ndarray = neighbourhoods.social(grid)[pop.x, pop.y]
    return summed


def update_anger(params: ModelParams, population: Population, seen: Sightings) -> None:
    """Anger of every free civilian fades and rises with the abuses (by either force) seen.

    The jailed see nothing, and their anger fades like everyone's.
    """
    a = params.anger
    pop = population
    abuses = both_forces(seen.abuses)
    pop.anger = np.asarray(mech.anger_step(pop.anger, abuses, a.gain,
                                           mech.per_step(a.decay, params.time.weeks)))


def update_experience(population: Population, seen: Sightings, step: int) -> None:
    """Remember the step each civilian last saw violence, an abuse or an unfair contact.

    Violence is armed conflict as a survey asks about it: an insurgent incident or an active
    rebel. Abuses by the forces are kept apart (conduct). Read by the measures over a recall
    window (`measures.recall_days`).
    """
    pop = population
    pop.last_violence[(seen.incidents > 0) | (seen.actives > 0)] = step
    pop.last_abuse[both_forces(seen.abuses) > 0] = step
    pop.last_unfair[both_forces(seen.unfair) > 0] = step


def _trust_after_step(params: ModelParams, pop: Population, d: Districts, force: str,
                      own_abuses: np.ndarray, other_abuses: np.ndarray, incidents: np.ndarray,
                      fair: np.ndarray, unfair: np.ndarray, heard: np.ndarray | float,
                      gap_loss: np.ndarray | None, services_keep: np.ndarray) -> np.ndarray:
    """Trust in one force after this step's memory, harm, unmet expectations and gains.

    Abuses, incidents and visits are events: each counts once. A patrol's contact lasts the
    step, so contacts count as weeks of contact; memory, the expectation gap, engagement and
    services act at weekly rates. The gap compares the hardship she last felt with what this
    step's service spending promises (`gap_loss` and `services_keep`: `_both_forces_factors`).
    District factors are computed per district, then read per civilian.
    """
    t = params.trust
    weeks = params.time.weeks
    trust = pop.trust_in(force)
    if t.memory_rate > 0:
        trust = np.asarray(mech.trust_memory(trust, pop.anchor_of(force),
                                             mech.per_step(t.memory_rate, weeks)))
    trust = mech.trust_after_harm(trust, own_abuses, other_abuses, incidents,
                                  t.abuse_loss, t.spillover, t.incident_loss,
                                  _weeks_of(unfair, weeks), t.unfair_contact_loss,
                                  heard, t.hearsay)
    if gap_loss is not None:
        trust = np.asarray(mech.trust_after_gap(trust, gap_loss))
    # Gains: fair contact with the force's reformed units and new services for both;
    # engagement (CMO units are military) for the army; visits for the police.
    keep = (1.0 - mech.repeated_gain(t.fair_contact_gain, _weeks_of(fair, weeks))) * services_keep
    if force == "army":
        keep = keep * pop.in_district(
            1.0 - np.asarray(mech.per_step(t.engagement_gain * d.engagement, weeks)))
    else:
        keep = keep * pop.in_district((1.0 - params.community_policing.trust_gain) ** d.visits)
    return np.asarray(mech.trust_after_gain(trust, 1.0 - keep))


def _weeks_of(contacts: np.ndarray, weeks: float) -> np.ndarray:
    """Contacts in a step as weeks of contact (the counts themselves for one-week steps)."""
    return contacts if weeks == 1 else contacts * weeks


def update_outlook(params: ModelParams, population: Population, districts: Districts,
                   institutions: Institutions) -> DistrictOutlook:
    """Hardship, cooperation and legitimacy of every civilian from trust and district state.

    Returns the district means the units of the next step use.
    """
    p = params
    pop = population
    d = districts
    trust = pop.trust  # combined once: it is derived from the two forces' arrays
    pop.hardship = np.asarray(mech.hardship(
        pop.base_hardship, pop.in_district(d.service_level), p.services.hardship_relief,
        pop.in_district(d.crisis), p.crisis.hardship))
    c = p.cooperation
    pop.cooperation = np.asarray(mech.cooperation(
        trust, pop.in_district(d.engagement), pop.in_district(d.knowledge), c.base,
        c.trust_weight, c.engagement_weight, p.community_policing.cooperation_weight))
    shift = institutions.legitimacy_shift
    if p.legitimacy.mode == "fixed":  # the same for all: clipped once
        pop.legitimacy = np.full(pop.size, np.clip(p.legitimacy.fixed_value + shift, 0.0, 1.0))
    else:
        base = np.asarray(mech.legitimacy(trust, institutions.governance(), p.legitimacy.floor,
                                          p.legitimacy.trust_weight))
        pop.legitimacy = np.clip(base + shift, 0.0, 1.0)
    n = len(d.civilians)
    residents = np.maximum(d.civilians, 1.0)
    cooperation = np.bincount(pop.district, pop.cooperation, n) / residents
    trust_by_district = np.bincount(pop.district, trust, n) / residents
    return DistrictOutlook(cooperation, trust_by_district, (1.0 - trust_by_district) + d.crisis)


def activate(params: ModelParams, population: Population, forces: Forces, layout: Layout,
             neighbourhoods: Neighbourhoods, actives: Actives, rng: np.random.Generator,
             order: np.ndarray | None = None,
             arrest: Callable[[np.ndarray, Actives], None] | None = None) -> np.ndarray:
    """Epstein's rule A for civilians not serving a jail term; jail terms count down.

    Civilians decide in `activation.batches` random batches, each seeing the actives of the
    batches before it: 1 is a synchronous update, many approach Mesa's random sequential
    activation (where early activations embolden later deciders). With `order` (the units in
    this step's random order, `activation.order: interleaved`), each unit's arrest
    (`arrest(rows, actives)`) falls in a random gap before, between or after the batches, and
    a jailed civilian's term counts down when her batch comes. Returns the grievance.
    """
    a = params.activation
    pop = population
    g = np.asarray(mech.grievance(pop.hardship, pop.legitimacy, pop.anger,
                                  params.anger.weight))
    actives.refresh(pop)
    if order is None or arrest is None:
        serving = pop.jail_left > 0  # only the jailed have a term left
        pop.jail_left[serving] -= 1
        deciding = np.flatnonzero(~serving)
        rng.shuffle(deciding)
        rows, batches = _sorted_batches(deciding, a.batches, pop.size)
    else:
        rows, batches = _sorted_batches(rng.permutation(pop.size), a.batches, pop.size)
    # What decisions read, gathered once in batch order: a batch is a slice of these.
    units = neighbourhoods.units_in_vision.repeated_counts_at(forces.x, forces.y, pop.x,
                                                              pop.y)[rows]
    homes, grievance, risk = actives.homes[rows], g[rows], pop.risk_aversion[rows]
    p_arrest = _arrest_probabilities(int(units.max(initial=0)), actives.most_seen,
                                     a.arrest_constant, a.rounding)

    def decide(batch: slice) -> None:
        actives.decide(rows[batch], homes[batch], units[batch], grievance[batch], risk[batch],
                       p_arrest, a.threshold, pop)

    if order is None or arrest is None:
        for batch in batches:
            decide(batch)  # nobody deciding has a term left: served above
        return g
    # Each arrest falls in a uniform random gap, as a cop's place among Mesa's citizens.
    gaps = rng.integers(0, len(batches) + 1, order.size)
    groups = [order[gaps == k] for k in range(len(batches) + 1)]
    for batch, group in zip(batches, groups[:-1], strict=True):
        arrest(group, actives)
        decide(batch)
    arrest(groups[-1], actives)
    return g


@functools.lru_cache(maxsize=8)
def _arrest_probabilities(units: int, actives: int, k: float, rounding: mech.Rounding
                          ) -> np.ndarray:
    """Epstein's estimated arrest probability as a read-only table [units, actives].

    For 0..`units` units and 0..`actives` actives in vision (the civilian herself not
    counted), each computed by `mechanisms.arrest_probability` as for one civilian.
    """
    table = np.asarray(mech.arrest_probability(np.arange(units + 1)[:, None],
                                               np.arange(1, actives + 2)[None, :], k, rounding))
    table.flags.writeable = False
    return table


def _sorted_batches(shuffled: np.ndarray, batches: int, size: int
                    ) -> tuple[np.ndarray, list[slice]]:
    """`shuffled` cut into `batches` runs as `np.array_split` cuts it, each run sorted.

    Returns the rows of all runs one after another and each run's slice of them. Who is in
    which batch is the random part; sorted, a batch's rows are read from memory in order (the
    civilians of a batch decide together, so their order within it is immaterial).
    """
    count = min(batches, max(shuffled.size, 1))
    each, extra = divmod(shuffled.size, count)  # np.array_split's sizes: the first get one more
    sizes = [each + (k < extra) for k in range(count)]
    label = np.full(size, count, dtype=np.min_scalar_type(count))  # those left out sort last
    label[shuffled] = np.repeat(np.arange(count, dtype=label.dtype), sizes)
    rows = np.argsort(label, kind="stable")[:shuffled.size]  # a radix sort for small labels
    ends = np.cumsum(sizes).tolist()
    return rows, [slice(end - n, end) for end, n in zip(ends, sizes, strict=True)]


def ddr_transitions(params: ModelParams, population: Population, districts: Districts,
                    grievance: np.ndarray, rng: np.random.Generator) -> None:
    """Ex-combatants move along the DDR track or relapse; one uniform draw each.

    The transition probabilities are weekly, compounded over the step.
    """
    p = params.ddr
    pop = population
    ex = np.flatnonzero(pop.ddr != DDRStage.NONE.value)
    if ex.size == 0:
        return
    u = rng.random(ex.size)
    stage = pop.ddr[ex]
    program = districts.ddr_program[pop.district[ex]]
    weeks = params.time.weeks
    disarm = mech.per_step(mech.disarm_probability(p.disarm_rate, program, pop.trust[ex]), weeks)
    reintegrate = mech.per_step(mech.reintegration_probability(
        p.reintegration_rate, program, pop.hardship[ex]), weeks)
    relapse = mech.per_step(mech.relapse_probability(
        p.relapse_rate, grievance[ex], p.relapse_threshold, program), weeks)
    armed = stage == DDRStage.ARMED.value
    demob = stage == DDRStage.DEMOBILISED.value
    reint = stage == DDRStage.REINTEGRATED.value
    new = stage.copy()
    new[armed & (u < disarm)] = DDRStage.DEMOBILISED.value
    new[demob & (u < reintegrate)] = DDRStage.REINTEGRATED.value
    new[demob & (u >= reintegrate) & (u < reintegrate + relapse)] = DDRStage.ARMED.value
    new[reint & (u < relapse)] = DDRStage.ARMED.value
    pop.ddr[ex] = new


def update_expected_accountability(institutions: Institutions, districts: Districts,
                                   outlook: DistrictOutlook) -> None:
    """P(report) x P(sanction) now, population-weighted over districts."""
    inst = institutions
    report = np.asarray(mech.report_probability(outlook.cooperation, districts.monitoring))
    inst.expected_accountability = districts.population_mean(report) * mech.sanction_probability(
        inst.oversight, inst.judicial)


def close_step(params: ModelParams, population: Population, districts: Districts,
               institutions: Institutions, outlook: DistrictOutlook, ledger: Ledger,
               record: StepRecord) -> None:
    """Book the step: the accountability record, district violence, advocacy spent.

    District violence is the share active plus incidents per resident per week.
    """
    institutions.record(record.abuses, record.abuses_sanctioned)
    update_expected_accountability(institutions, districts, outlook)
    pop = population
    active = np.bincount(pop.district[pop.state == CivilianState.ACTIVE.value],
                         minlength=len(districts.civilians))
    incidents = districts.incidents / params.time.weeks
    districts.violence = (active + incidents) / np.maximum(districts.civilians, 1.0)
    institutions.advocacy = ledger.advocacy
