"""SSRModel: wires the scenario's parts together and owns the step schedule.

One step (docs/model.md, "Process overview and scheduling"):

1. events due at this step are applied, then injected shocks and live lever changes
   (`inject_event`, `set_levers`) in the order they were made;
2. the budget ledger opens; oversight and DDR money is spent; institutions update;
3. CMO units and NGOs act in random order (re-plan, spend in their district);
4. district programme levels follow from this step's spending, and community-policing visits
   build residents' knowledge of the police;
5. security units act in random order (reform, patrol, arrest, abuse, fair or unfair contact);
6. insurgent incidents happen;
7. the civilian phase runs for all civilians at once (trust, legitimacy, activation, jail,
   DDR);
8. every `evaluation_interval` steps, adaptive management re-weights the allocation;
9. measures are recorded.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalVonNeumannGrid
from scipy.stats import poisson

from ..scenario.schema import Scenario
from . import mechanisms as mech
from .agents import NGO, CMOUnit, ReformState, SecurityForceUnit
from .events import apply_event
from .institutions import (
    DDR,
    ENGAGEMENT,
    OVERSIGHT,
    SERVICES,
    TRAINING,
    Districts,
    Institutions,
    Ledger,
)
from .levers import LeverChange, apply_levers, queue_levers
from .measures import measures_for, reform_share, service_coverage
from .population import FORCES, Civilian, CivilianState, DDRStage, Population, draw_beta
from .space import NeighbourhoodSum, cells_within, district_map, neighbourhood_offsets

TALLIES = ("arrests", "abuses", "abuses_reported", "abuses_sanctioned", "incidents")

class SSRModel(mesa.Model):
    """Civil-military operations in security sector reform, built from a `Scenario`.

    Args:
        scenario: the validated scenario (see `ssrsim.load_scenario`).
        rng: seed for all randomness; defaults to the scenario's `seed`.

    """

    def __init__(self, scenario: Scenario, *, rng: int | None = None) -> None:
        seed = scenario.seed if rng is None else rng
        super().__init__(rng=seed)
        self.params = scenario
        self.seed = seed
        self.district_names = [d.name for d in scenario.districts]
        # Visits draw from their own stream (of the same seed), so a run with a programme
        # and one without share every other random number: paired comparisons stay tight.
        self._visit_rng = np.random.default_rng([seed, 1])
        self._build_space()
        self._build_population()
        self.institutions = Institutions.from_scenario(scenario)
        self.districts = Districts.from_scenario(
            scenario, np.bincount(self.population.district, minlength=len(self.district_names)))
        self._build_units()
        self.event_log: list[tuple[int, str, str]] = []
        self._advocacy_last = 0.0
        self._events = sorted(scenario.events, key=scenario.event_step)
        self._injected: list = []
        self._adaptive_baseline = self._activity_kpis()
        self._adaptive_spend = np.zeros(len(self.institutions.allocation))
        self._apply_due_events()
        self._start_step()
        self._update_civilian_outlook()
        self._update_expected_accountability()
        self.datacollector = mesa.DataCollector(
            model_reporters={m.name: m.compute for m in measures_for(self)})
        self.datacollector.collect(self)

    # -- construction -------------------------------------------------------------------

    def _build_space(self) -> None:
        space = self.params.space
        self.shape = (space.width, space.height)
        self.torus = space.torus
        self.grid = OrthogonalVonNeumannGrid(self.shape, torus=self.torus, random=self.random)
        self.district_of_cell = district_map(space.width, space.height, *space.district_grid)
        trust = self.params.trust
        vision = self.params.activation.vision

        def nsum(radius: int, metric: str = "von_neumann", center: bool = True):
            return NeighbourhoodSum(self.shape, radius, metric, center, self.torus)

        self._actives_in_vision = nsum(vision, center=False)
        self._units_in_vision = nsum(vision)
        self._witnessed = nsum(trust.witness_radius)
        self._contacted = nsum(trust.contact_radius)
        self._social = nsum(trust.social_radius, "moore", center=False)
        offsets = neighbourhood_offsets(self.params.security.vision, "von_neumann", True)
        if self.torus:  # a vision wider than the torus must not see a cell twice
            offsets = np.unique(offsets % np.array(self.shape), axis=0)
        self.unit_vision_offsets = offsets

    def _build_population(self) -> None:
        p = self.params
        height = self.shape[1]
        cells = self._home_cells()
        n = cells.size
        x, y = cells // height, cells % height
        district = self.district_of_cell[x, y]
        base = np.empty(n)
        armed = np.zeros(n, dtype=bool)
        self.district_members = []
        for i, d in enumerate(p.districts):
            members = np.flatnonzero(district == i)
            self.district_members.append(members)
            base[members] = draw_beta(self.rng, d.hardship, members.size)
            k = round(d.ex_combatants * members.size)
            armed[self.rng.choice(members, size=k, replace=False)] = True
        self.civilian_at = np.full(self.shape, -1, dtype=np.int64)
        self.civilian_at[x, y] = np.arange(n)
        occupied = (self.civilian_at >= 0).astype(np.float32)
        self._social_count = self._social.counts(occupied)[x, y]
        self.population = Population(
            x=x, y=y, district=district, base_hardship=base, hardship=base.copy(),
            risk_aversion=draw_beta(self.rng, p.population.risk_aversion, n),
            **self._initial_trust(n),
            cooperation=np.zeros(n), legitimacy=np.zeros(n),
            state=np.full(n, CivilianState.QUIESCENT, dtype=np.int8),
            jail_left=np.zeros(n, dtype=np.int64),
            ddr=np.where(armed, DDRStage.ARMED, DDRStage.NONE).astype(np.int8),
        )
        for i in range(n):
            Civilian(self, i)

    def _home_cells(self) -> np.ndarray:
        """Sorted cell indices (x * height + y) of the civilians' homes.

        One uniform draw over the grid at `population.density`, or, if any district sets its
        own density, a draw per district at its density.
        """
        p = self.params
        width, height = self.shape
        if all(d.density is None for d in p.districts):
            size = round(p.population.density * width * height)
            cells = self.rng.choice(width * height, size=size, replace=False)
        else:
            district = self.district_of_cell.ravel()
            parts = []
            for i, d in enumerate(p.districts):
                own = np.flatnonzero(district == i)
                density = p.population.density if d.density is None else d.density
                parts.append(self.rng.choice(own, size=round(density * own.size), replace=False))
            cells = np.concatenate(parts)
        cells.sort()
        return cells

    def _initial_trust(self, n: int) -> dict[str, object]:
        """Trust in police and army: equal at the start unless the army has its own draw."""
        p = self.params
        police = draw_beta(self.rng, p.population.initial_trust, n)
        army = (police.copy() if p.population.initial_army_trust is None
                else draw_beta(self.rng, p.population.initial_army_trust, n))
        return {"trust_police": police, "trust_army": army,
                "police_weight": p.trust.police_weight}

    def _build_units(self) -> None:
        p = self.params
        free = self.civilian_at < 0
        self._free_cells = [np.argwhere(free & (self.district_of_cell == i))
                            for i in range(len(p.districts))]
        self._all_cells = [np.argwhere(self.district_of_cell == i)
                           for i in range(len(p.districts))]
        for i, d in enumerate(p.districts):
            self.add_units(i, {"police": d.police, "army": d.army, "cmo": d.cmo_units},
                           p.security.initial_reformed)
            for _ in range(d.ngos):
                NGO(self, i)

    def add_units(self, district: int, counts: dict[str, int], reformed_share: float) -> None:
        """Create police, army and CMO units in a district (at the start or by deployment).

        Security units draw their resistance to reform from Beta around the institutional
        resistance, and are reformed with probability `reformed_share`.
        """
        mean = min(max(self.institutions.institutional_resistance, 1e-6), 1 - 1e-6)
        conc = self.params.security.resistance_concentration
        for kind in ("police", "army"):
            count = counts[kind]
            resistance = self.rng.beta(mean * conc, (1 - mean) * conc, count)
            reformed = self.rng.random(count) < reformed_share
            for r, ref in zip(resistance, reformed, strict=True):
                SecurityForceUnit(self, district, kind, float(r), bool(ref))
        for _ in range(counts["cmo"]):
            CMOUnit(self, district)

    def random_cell(self, district: int):
        """A random cell of a district, one with no civilian home when there is one."""
        cells = self._free_cells[district]
        if len(cells) == 0:
            cells = self._all_cells[district]
        x, y = cells[self.random.randrange(len(cells))]
        return self.grid[(int(x), int(y))]

    # -- queries used by agents -----------------------------------------------------------

    def of_type(self, cls: type[mesa.Agent]) -> mesa.agent.AgentSet:
        """The agents of one class (an empty AgentSet when there are none)."""
        agents = self.agents_by_type.get(cls)
        return agents if agents is not None else mesa.agent.AgentSet([], random=self.random)

    def civilians_near(self, x: int, y: int, offsets: np.ndarray) -> np.ndarray:
        """Indices of civilians living at the given offsets from (x, y)."""
        xs, ys = cells_within(x, y, offsets, self.shape, self.torus)
        civ = self.civilian_at[xs, ys]
        return civ[civ >= 0]

    def choose_district(self, rng: random.Random, *, coordinated: bool) -> int:
        """Where a CMO unit or NGO goes when it re-plans.

        Coordinated: the district with the highest need per organisation already there
        (joint planning avoids duplicated effort). Otherwise a random district.
        """
        if not coordinated:
            return rng.randrange(len(self.district_names))
        presence = np.zeros(len(self.district_names))
        for cls in (CMOUnit, NGO):
            for unit in self.of_type(cls):
                presence[unit.district] += 1
        return int(np.argmax(self._need / (1.0 + presence)))

    def record_abuse(self, force: str, district: int, x: int, y: int) -> None:
        """An abuse by a unit of `force` at (x, y): witnessed around it, maybe sanctioned."""
        self._abuse_grid[force][x, y] += 1
        self.tally["abuses"] += 1
        p_report = mech.report_probability(self._cooperation_by_district[district],
                                           self.districts.monitoring[district])
        if self.random.random() < p_report:
            self.tally["abuses_reported"] += 1
            inst = self.institutions
            if self.random.random() < mech.sanction_probability(inst.oversight, inst.judicial):
                self.tally["abuses_sanctioned"] += 1

    def record_contact(self, force: str, x: int, y: int, *, fair: bool) -> None:
        """A unit's patrol at (x, y): a contact with `force` for those around it.

        Fair if the unit is reformed; unfair (everyday extortion, harassment) if unreformed.
        """
        (self._fair_grid if fair else self._unfair_grid)[force][x, y] += 1

    def inject_event(self, event) -> None:
        """Schedule an event for the start of the next step (the browser app's shocks).

        It then acts exactly as a scenario event of that step would, whatever its own `step`.
        """
        self._injected.append(event)

    def set_levers(self, changes: Mapping[str, Any]) -> None:
        """Change policy levers (`levers.LIVE_LEVERS`) from the start of the next step.

        The browser app's live levers. The values are validated now; at the start of the next
        step, after its scheduled events and in order with injected shocks, they act as
        `levers.apply_levers` describes. A run matches one without the change up to the step
        before it acts.

        Raises:
            ValueError: for a parameter that is not live (it applies only when a model is
                built).
            ScenarioError: for a value the schema refuses.

        """
        queue_levers(self._injected, self.params, changes)

    # -- the step ---------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the model by one step (see the module docstring for the phases)."""
        self._apply_due_events()
        self.institutions.advance_legitimacy()
        self._start_step()
        self._spend_national()
        self.of_type(CMOUnit).shuffle_do("step")
        self.of_type(NGO).shuffle_do("step")
        self._update_districts()
        self.of_type(SecurityForceUnit).shuffle_do("step")
        self._insurgent_incidents()
        self._civilian_phase()
        self._close_step()
        self.datacollector.collect(self)

    def _start_step(self) -> None:
        p = self.params
        self.tally = Counter({k: 0 for k in TALLIES})
        self._abuse_grid = {f: np.zeros(self.shape, dtype=np.float32) for f in FORCES}
        self._fair_grid = {f: np.zeros(self.shape, dtype=np.float32) for f in FORCES}
        self._unfair_grid = {f: np.zeros(self.shape, dtype=np.float32) for f in FORCES}
        self._incident_grid = np.zeros(self.shape, dtype=np.float32)
        shares = (p.ngo.monitoring, p.ngo.services, p.ngo.advocacy)
        self.ledger = Ledger(
            available=self.institutions.budget(p.budget.per_step, self.steps),
            allocation=self.institutions.allocation, districts=self.districts,
            coordination_factor=1.0 - p.cmo.coordination_penalty * (1.0 - p.cmo.coordination),
            crisis_share=p.cmo.crisis_share, ngo_budget=p.ngo.budget, ngo_shares=shares,
        )
        n_cmo = len(self.of_type(CMOUnit))
        cmo_pot = sum(self.ledger.pot(a) for a in (ENGAGEMENT, SERVICES, TRAINING))
        self.cmo_budget_per_unit = min(p.cmo.throughput, cmo_pot / n_cmo) if n_cmo else 0.0

    def _apply_due_events(self) -> None:
        while self._events and self.params.event_step(self._events[0]) <= self.steps:
            apply_event(self, self._events.pop(0))
        while self._injected:
            item = self._injected.pop(0)
            if isinstance(item, LeverChange):
                apply_levers(self, item)
            else:
                apply_event(self, item)

    def _spend_national(self) -> None:
        """Oversight money to institutions, DDR money to districts; institutions update."""
        hs = self.params.budget.half_saturation
        pop = self.population
        in_ddr = (pop.ddr == DDRStage.ARMED) | (pop.ddr == DDRStage.DEMOBILISED)
        self._ex_in_ddr = np.bincount(pop.district[in_ddr], minlength=len(self.district_names))
        self.ledger.spend_ddr(self._ex_in_ddr)
        oversight = self.ledger.spend_oversight()
        advocacy_level = mech.saturation(self._advocacy_last, hs.oversight)
        drive = min(1.0, mech.saturation(oversight, hs.oversight)
                    + self.params.institutions.advocacy_weight * advocacy_level)
        self.institutions.update(self.params, drive)

    def _update_districts(self) -> None:
        """District levels from this step's effective spending."""
        p = self.params
        hs = p.budget.half_saturation
        d, eff = self.districts, self.ledger.effective
        d.engagement = mech.saturation(d.per_1000(eff["engagement"]), hs.engagement)
        d.new_services = mech.saturation(d.per_1000(eff["services"]), hs.services)
        d.service_level = mech.stock_step(d.service_level, d.new_services,
                                          p.services.build_rate, p.services.decay)
        d.crisis = mech.crisis_step(d.crisis, mech.saturation(d.per_1000(eff["crisis"]),
                                                              hs.crisis),
                                    p.crisis.decay, p.crisis.response_rate)
        d.monitoring = mech.saturation(eff["monitoring"], hs.monitoring)
        untrained = np.zeros(len(self.district_names))
        police = np.zeros(len(self.district_names))
        for unit in self.of_type(SecurityForceUnit):
            untrained[unit.district] += unit.reform == ReformState.UNREFORMED
            police[unit.district] += unit.kind == "police"
        d.training_per_unit = eff["training"] / np.maximum(untrained, 1.0)
        self._community_policing(police > 0)
        ddr_intensity = eff["ddr"] * 1000.0 / np.maximum(self._ex_in_ddr, 1.0)
        d.ddr_program = mech.stock_step(d.ddr_program, mech.saturation(ddr_intensity, hs.ddr),
                                        p.ddr.program_build, p.ddr.program_decay)

    def _community_policing(self, has_police: np.ndarray) -> None:
        """Community-policing visits (Poisson, where there are police) and the knowledge built."""
        p = self.params
        d = self.districts
        rates = d.visit_rates(self.steps) * has_police
        d.visits = self._visit_rng.poisson(rates * p.time.step_days / 365.0)
        cp = p.community_policing
        d.knowledge = mech.stock_step(d.knowledge, mech.repeated_gain(cp.knowledge_gain, d.visits),
                                      1.0, cp.knowledge_decay)

    def _insurgent_incidents(self) -> None:
        """Poisson incidents per district, each at the home of a random resident."""
        p = self.params.insurgency
        d = self.districts
        pop = self.population
        n = len(self.district_names)
        armed = np.bincount(pop.district[pop.ddr == DDRStage.ARMED], minlength=n)
        capacity = np.zeros(n)
        for unit in self.of_type(SecurityForceUnit):
            capacity[unit.district] += unit.capacity
        supp = mech.suppression(d.per_1000(capacity), self._cooperation_by_district,
                                p.max_suppression, p.suppression_half)
        rate = mech.incident_rate(d.civilians, d.insurgency,
                                  armed / np.maximum(d.civilians, 1.0),
                                  p.base_rate, p.armed_weight, supp)
        # A generator of this step's own (same seed): counts by inversion of one uniform per
        # district, then places. Runs that differ only in the rates draw the same numbers.
        draws = np.random.default_rng([self.seed, 2, self.steps])
        d.incidents = np.maximum(poisson.ppf(draws.random(n), rate), 0).astype(np.int64)
        for i, count in enumerate(d.incidents):
            members = self.district_members[i]
            if count and members.size:
                who = members[draws.integers(0, members.size, count)]
                np.add.at(self._incident_grid, (pop.x[who], pop.y[who]), 1)
        self.tally["incidents"] = int(d.incidents.sum())

    def _civilian_phase(self) -> None:
        """Trust, outlook and activation of every civilian at once, then DDR transitions."""
        pop = self.population
        free = pop.state != CivilianState.JAILED
        x, y = pop.x, pop.y

        def seen(neighbourhood: NeighbourhoodSum, grid: np.ndarray) -> np.ndarray:
            """Events on `grid` around each free civilian's home (0 for the jailed)."""
            if not grid.any():
                return np.zeros(pop.size, dtype=np.int32)
            return np.where(free, neighbourhood.counts(grid)[x, y], 0)

        abuses = {f: seen(self._witnessed, self._abuse_grid[f]) for f in FORCES}
        fair = {f: seen(self._contacted, self._fair_grid[f]) for f in FORCES}
        unfair = {f: seen(self._contacted, self._unfair_grid[f])
                  if self.params.trust.unfair_contact_loss > 0 else 0 for f in FORCES}
        incidents = seen(self._witnessed, self._incident_grid)
        social = self.params.trust.social_weight
        for force, other in zip(FORCES, FORCES[::-1], strict=True):
            old = pop.trust_in(force)
            trust = np.where(free, self._updated_trust(
                force, abuses[force], abuses[other], incidents, fair[force], unfair[force]), old)
            if social > 0:  # jailed neighbours count with their unchanged trust
                grid = np.zeros(self.shape, dtype=np.float32)
                grid[x, y] = trust
                trust = np.where(free, mech.social_influence(
                    trust, self._social(grid)[x, y], self._social_count, social), old)
            old[:] = np.clip(trust, 0.0, 1.0)
        self._update_civilian_outlook()
        self._activate()
        self._ddr_transitions()

    def _updated_trust(self, force: str, own_abuses: np.ndarray, other_abuses: np.ndarray,
                       incidents: np.ndarray, fair: np.ndarray, unfair: np.ndarray | int,
                       ) -> np.ndarray:
        """Trust in one force after this step's harm and gains."""
        p = self.params
        t = p.trust
        pop = self.population
        d = self.districts
        trust = mech.trust_after_harm(pop.trust_in(force), own_abuses, other_abuses, incidents,
                                      t.abuse_loss, t.spillover, t.incident_loss, unfair,
                                      t.unfair_contact_loss)
        # Gains: fair contact with the force's reformed units and new services for both;
        # engagement (CMO units are military) for the army; visits for the police.
        keep = (1.0 - mech.repeated_gain(t.fair_contact_gain, fair)) * (
            1.0 - t.service_gain * d.new_services[pop.district])
        if force == "army":
            keep = keep * (1.0 - t.engagement_gain * d.engagement[pop.district])
        else:
            keep = keep * (1.0 - p.community_policing.trust_gain) ** d.visits[pop.district]
        return mech.trust_after_gain(trust, 1.0 - keep)

    def _update_civilian_outlook(self) -> None:
        """Hardship, cooperation and legitimacy from current trust and district state."""
        p = self.params
        pop = self.population
        d = self.districts
        trust = pop.trust  # combined once: it is derived from the two forces' arrays
        pop.hardship = mech.hardship(pop.base_hardship, d.service_level[pop.district],
                                     p.services.hardship_relief, d.crisis[pop.district],
                                     p.crisis.hardship)
        c = p.cooperation
        pop.cooperation = mech.cooperation(
            trust, d.engagement[pop.district], d.knowledge[pop.district], c.base,
            c.trust_weight, c.engagement_weight, p.community_policing.cooperation_weight)
        if p.legitimacy.mode == "fixed":
            base = np.full(pop.size, p.legitimacy.fixed_value)
        else:
            base = mech.legitimacy(trust, self.institutions.governance(),
                                   p.legitimacy.floor, p.legitimacy.trust_weight)
        pop.legitimacy = np.clip(base + self.institutions.legitimacy_shift, 0.0, 1.0)
        n = len(self.district_names)
        self._cooperation_by_district = (np.bincount(pop.district, pop.cooperation, n)
                                         / np.maximum(d.civilians, 1.0))
        self._trust_by_district = (np.bincount(pop.district, trust, n)
                                   / np.maximum(d.civilians, 1.0))
        self._need = (1.0 - self._trust_by_district) + d.crisis

    def _activate(self) -> None:
        """Epstein's rule A for civilians not serving a jail term; jail terms count down.

        Civilians decide in `activation.batches` random batches, each seeing the actives of
        the batches before it: 1 is a synchronous update, many approach Mesa's random
        sequential activation (where early activations embolden later deciders).
        """
        a = self.params.activation
        pop = self.population
        x, y = pop.x, pop.y
        unit_grid = np.zeros(self.shape, dtype=np.float32)
        for unit in self.of_type(SecurityForceUnit):
            unit_grid[unit.xy] += 1
        units = self._units_in_vision.counts(unit_grid)[x, y]
        g = mech.grievance(pop.hardship, pop.legitimacy)
        serving = (pop.state == CivilianState.JAILED) & (pop.jail_left > 0)
        pop.jail_left[serving] -= 1
        deciding = np.flatnonzero(~serving)
        self.rng.shuffle(deciding)
        active_grid = np.zeros(self.shape, dtype=np.float32)
        active_grid[x, y] = pop.state == CivilianState.ACTIVE
        for batch in np.array_split(deciding, min(a.batches, max(deciding.size, 1))):
            bx, by = x[batch], y[batch]
            actives = 1 + self._actives_in_vision.counts(active_grid)[bx, by]
            p_arrest = mech.arrest_probability(units[batch], actives, a.arrest_constant,
                                               a.rounding)
            active = mech.is_active(g[batch], pop.risk_aversion[batch], p_arrest, a.threshold)
            pop.state[batch] = np.where(active, CivilianState.ACTIVE, CivilianState.QUIESCENT)
            active_grid[bx, by] = active
        self._grievance = g

    def _ddr_transitions(self) -> None:
        """Ex-combatants move along the DDR track or relapse; one uniform draw each."""
        p = self.params.ddr
        pop = self.population
        ex = np.flatnonzero(pop.ddr != DDRStage.NONE)
        if ex.size == 0:
            return
        u = self.rng.random(ex.size)
        stage = pop.ddr[ex]
        program = self.districts.ddr_program[pop.district[ex]]
        disarm = mech.disarm_probability(p.disarm_rate, program, pop.trust[ex])
        reintegrate = mech.reintegration_probability(p.reintegration_rate, program,
                                                     pop.hardship[ex])
        relapse = mech.relapse_probability(p.relapse_rate, self._grievance[ex],
                                           p.relapse_threshold, program)
        armed = stage == DDRStage.ARMED
        demob = stage == DDRStage.DEMOBILISED
        reint = stage == DDRStage.REINTEGRATED
        new = stage.copy()
        new[armed & (u < disarm)] = DDRStage.DEMOBILISED
        new[demob & (u < reintegrate)] = DDRStage.REINTEGRATED
        new[demob & (u >= reintegrate) & (u < reintegrate + relapse)] = DDRStage.ARMED
        new[reint & (u < relapse)] = DDRStage.ARMED
        pop.ddr[ex] = new

    def _close_step(self) -> None:
        """Book the step: accountability record, violence, advocacy, adaptive management."""
        inst = self.institutions
        d = self.districts
        pop = self.population
        inst.record(self.tally["abuses"], self.tally["abuses_sanctioned"])
        self._update_expected_accountability()
        n = len(self.district_names)
        active = np.bincount(pop.district[pop.state == CivilianState.ACTIVE], minlength=n)
        d.violence = (active + d.incidents) / np.maximum(d.civilians, 1.0)
        self._advocacy_last = self.ledger.advocacy
        self._adaptive_spend += self.ledger.spent
        adaptive = self.params.adaptive
        if adaptive.enabled and self.steps % adaptive.evaluation_interval == 0:
            self._reallocate()

    def _update_expected_accountability(self) -> None:
        """P(report) x P(sanction) now, population-weighted over districts."""
        inst = self.institutions
        d = self.districts
        report = mech.report_probability(self._cooperation_by_district, d.monitoring)
        inst.expected_accountability = float(
            np.average(report, weights=np.maximum(d.civilians, 1e-12))
            * mech.sanction_probability(inst.oversight, inst.judicial))

    def _activity_kpis(self) -> np.ndarray:
        """Each activity's own indicator, in allocation order, for adaptive management."""
        pop = self.population
        ex = np.count_nonzero(pop.ddr != DDRStage.NONE)
        not_armed = (1.0 - pop.count_ddr(DDRStage.ARMED) / ex) if ex else 0.0
        kpis = np.zeros(5)
        kpis[[ENGAGEMENT, SERVICES, TRAINING, OVERSIGHT, DDR]] = (
            pop.trust.mean(), service_coverage(self), reform_share(self, ReformState.REFORMED),
            self.institutions.governance(), not_armed)
        return kpis

    def _reallocate(self) -> None:
        """Regular evaluation: shift the allocation toward measured effect per unit spent."""
        kpis = self._activity_kpis()
        spend = self._adaptive_spend
        effect = np.where(spend > 0, (kpis - self._adaptive_baseline) / np.maximum(spend, 1e-12),
                          0.0)
        a = self.params.adaptive
        self.institutions.allocation = mech.reallocate(
            self.institutions.allocation, effect, a.learning_rate, a.min_share)
        self._adaptive_baseline = kpis
        self._adaptive_spend = np.zeros_like(spend)

    # -- results ------------------------------------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """The recorded measures as a tidy table: one row per step, with step and date."""
        table = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        steps = np.arange(len(table))
        dates = [self.params.step_date(int(s)).isoformat() for s in steps]
        table.insert(0, "date", dates)
        table.insert(0, "step", steps)
        return table

