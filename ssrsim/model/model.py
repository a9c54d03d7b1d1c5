"""SSRModel: builds the parts from the model's parameters and runs the step schedule.

One step (docs/model.md, "Process overview and scheduling"); what one phase hands the next
is visible in `SSRModel.step`:

1. events due at this step are applied, then injected shocks and live lever changes
   (`inject_event`, `set_levers`) in the order they were made; gradual legitimacy changes
   advance;
2. a fresh step record and budget ledger open; DDR and oversight money is spent;
   institutions update;
3. CMO units and NGOs act in random order (re-plan, spend in their district);
4. community-policing visits happen; district programme levels follow from this step's
   spending and visits;
5. security units act in random order (reform, patrol, arrest, abuse, fair or unfair contact;
   `security.act`);
6. insurgent incidents happen;
7. the civilian phase runs for all civilians at once: what each saw near home (counted once
   and handed to both) updates trust and her memory of violence, abuse and extortion for the
   survey-style measures; then outlook (hardship, cooperation, legitimacy), activation, DDR
   transitions;
8. the step is booked; every `adaptive.evaluation_days` adaptive management re-weights the
   allocation;
9. measures are recorded.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AgentSet

from ..scenario.schema import EventBase, ModelParams, model_params
from . import adaptive, phases, security
from .agents import NGO, CivilianViews, CMOUnit, SecurityForceUnit
from .build import population_and_layout
from .districts import DistrictOutlook, Districts
from .events import apply_event
from .forces import Forces
from .institutions import Institutions
from .ledger import Ledger
from .live import LeverChange, apply_levers, queue_levers
from .measures import measures_for
from .population import FORCES, Population
from .record import RecentCounts, StepRecord
from .space import Layout, Neighbourhoods
from .world import A

VISIT_STREAM = 1
"""Visits draw from their own stream, `[seed, 1]`: a run with a programme and one without
share every other random number, so paired comparisons stay tight."""
INCIDENT_STREAM = 2
"""Incidents draw from a stream of each step's own, `[seed, 2, step]`."""


class SSRModel(mesa.Model):
    """Civil-military operations in security sector reform, built from its parameters.

    Args:
        scenario: the validated parameters, or a whole scenario (see `ssrsim.load_scenario`)
            of which the model keeps only its parameters (`params`), not the experiment.
        rng: seed for all randomness; defaults to the parameters' `seed`.

    """

    population: Population
    forces: Forces
    actives: security.Actives  # who is active and what each cell sees of them, kept in step
    layout: Layout
    districts: Districts
    outlook: DistrictOutlook
    institutions: Institutions
    ledger: Ledger
    record: StepRecord
    recent: RecentCounts

    def __init__(self, scenario: ModelParams, *, rng: int | None = None) -> None:
        params = model_params(scenario)
        seed = params.seed if rng is None else rng
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        self.district_names = [d.name for d in params.districts]
        self._visit_rng = np.random.default_rng([seed, VISIT_STREAM])
        self.neighbourhoods = Neighbourhoods.from_scenario(params)
        self.forces = Forces.empty()
        self._unit_views: dict[int, SecurityForceUnit] = {}
        self.population, self.layout = population_and_layout(params, self.neighbourhoods.social,
                                                              self.rng)
        self.civilians = CivilianViews(self, self.population, self.district_names)
        self.institutions = Institutions.from_scenario(params)
        self.districts = Districts.from_scenario(params, np.bincount(
            self.population.district, minlength=len(self.district_names)))
        for i, d in enumerate(params.districts):
            self.add_units(i, {"police": d.police, "army": d.army, "cmo": d.cmo_units},
                           params.security.initial_reformed)
            for _ in range(d.ngos):
                NGO(self, i)
        self.event_log: list[tuple[int, str, str]] = []
        self._events = sorted(params.events, key=params.event_step)
        self._injected: list[EventBase | LeverChange] = []
        self.evaluation = adaptive.start(self._activity_kpis())
        window = params.time.window_steps(params.measures.window_days)
        self.recent = RecentCounts(window, params.time.weeks)
        self.actives = security.Actives(self.population, self.neighbourhoods, self.layout)
        self._spin_up(params.time.steps_for(params.time.spin_up_days))
        self._apply_due_events()
        self.record, self.ledger = self._open_step()
        self.outlook = phases.update_outlook(params, self.population, self.districts,
                                             self.institutions)
        phases.update_expected_accountability(self.institutions, self.districts, self.outlook)
        self.datacollector = mesa.DataCollector(
            model_reporters={m.name: m.compute for m in measures_for(self.district_names)})
        self.datacollector.collect(self)

    # -- what the parts may ask (the `World` protocol) ------------------------------------

    def of_type(self, cls: type[A]) -> AgentSet[A]:
        """The agents of one class (an empty AgentSet when there are none)."""
        agents = self.agents_by_type.get(cls)
        return agents if agents is not None else AgentSet([], random=self.random)

    def random_cell(self, district: int) -> tuple[int, int]:
        """A random cell of a district, one with no civilian home when there is one."""
        cells = self.layout.cells_for_units(district)
        x, y = cells[self.random.randrange(len(cells))]
        return int(x), int(y)

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
        return int(np.argmax(self.outlook.need / (1.0 + presence)))

    def add_units(self, district: int, counts: Mapping[str, int], reformed_share: float
                  ) -> None:
        """Create police, army and CMO units in a district (at the start or by deployment).

        Security units stand on random cells of the district with no civilian home (any cell
        if there is none), draw their resistance to reform from Beta around the institutional
        resistance, and are reformed with probability `reformed_share`.
        """
        mean = min(max(self.institutions.institutional_resistance, 1e-6), 1 - 1e-6)
        conc = self.params.security.resistance_concentration
        cells = self.layout.cells_for_units(district)
        for code, kind in enumerate(FORCES):
            count = counts[kind]
            resistance = self.rng.beta(mean * conc, (1 - mean) * conc, count)
            reformed = self.rng.random(count) < reformed_share
            x, y = cells[self.rng.integers(0, len(cells), count)].T
            for uid in self.forces.add(code, district, x, y, resistance, reformed).tolist():
                self._unit_views[uid] = SecurityForceUnit(self, self.forces, uid)
        for _ in range(counts["cmo"]):
            CMOUnit(self, district)

    def withdraw_units(self, uids: np.ndarray) -> None:
        """Remove the security units with these uids (their Mesa views leave the model)."""
        self.forces.remove(np.searchsorted(self.forces.uid, uids))
        for uid in uids.tolist():
            self._unit_views.pop(uid).remove()

    # -- what the browser app may do ------------------------------------------------------

    def inject_event(self, event: EventBase) -> None:
        """Schedule an event for the start of the next step (the browser app's shocks).

        It then acts exactly as a scenario event of that step would, whatever its own `step`.
        """
        self._injected.append(event)

    def set_levers(self, changes: Mapping[str, Any]) -> None:
        """Change policy levers (`live.LIVE_LEVERS`) from the start of the next step.

        The values are validated now; at the start of the next step, after its scheduled
        events and in order with injected shocks, they act as `live.apply_levers`
        describes. A run matches one without the change up to the step before it acts.

        Raises:
            ValueError: for a parameter that is not live (it applies only when a model is
                built).
            ScenarioError: for a value the schema refuses.

        """
        queue_levers(self._injected, self.params, changes)

    # -- the step ---------------------------------------------------------------------------

    def step(self) -> None:
        """Advance the model by one step (see the module docstring for the phases)."""
        p = self.params
        self._apply_due_events()
        self.institutions.advance_legitimacy()
        self.record, self.ledger = self._open_step()
        ex_in_ddr = phases.spend_national(p, self.population, self.institutions, self.ledger)
        self.of_type(CMOUnit).shuffle_do("step")
        self.of_type(NGO).shuffle_do("step")
        forces = self.forces
        visits = phases.policing_visits(p, self.districts, forces, self.steps, self._visit_rng)
        phases.update_districts(p, self.districts, self.ledger, forces, ex_in_ddr, visits)
        order = security.act(p, forces, self.population, self.layout, self.actives,
                             self.districts, self.institutions, self.outlook, self.rng,
                             self.record)
        phases.insurgent_incidents(p, self.districts, self.population, self.layout, forces,
                                   self.outlook, [self.seed, INCIDENT_STREAM, self.steps],
                                   self.record)
        seen = phases.what_civilians_saw(self.population, self.record, self.layout,
                                         self.neighbourhoods, self.actives)
        phases.update_trust(p, self.population, self.districts, seen, self.layout,
                            self.neighbourhoods)
        phases.update_anger(p, self.population, seen)
        phases.update_experience(self.population, seen, self.steps)
        self.outlook = phases.update_outlook(p, self.population, self.districts,
                                             self.institutions)
        arrest = partial(security.arrest, capacity=security.step_capacity(p, forces), params=p,
                         forces=forces, population=self.population, rng=self.rng,
                         record=self.record)
        grievance = phases.activate(p, self.population, forces, self.layout,
                                    self.neighbourhoods, self.actives, self.rng,
                                    order if p.activation.order == "interleaved" else None,
                                    arrest)
        phases.ddr_transitions(p, self.population, self.districts, grievance, self.rng)
        phases.close_step(p, self.population, self.districts, self.institutions, self.outlook,
                          self.ledger, self.record)
        self.recent.add(self.record)
        self._evaluate()
        self.datacollector.collect(self)

    def _spin_up(self, steps: int) -> None:
        """Let rebellion and arrests settle before step 0; their record is not kept.

        Units patrol and arrest; trust, institutions, districts, the programme and events
        wait, so step 0 holds the scenario's initial values with a jail population and
        actives that fit them.
        """
        if steps == 0:
            return
        self.record, self.ledger = self._open_step()
        self.outlook = phases.update_outlook(self.params, self.population, self.districts,
                                             self.institutions)
        for _ in range(steps):
            security.settle(self.params, self.forces, self.population, self.layout,
                            self.actives, self.rng, self.record)
            phases.activate(self.params, self.population, self.forces, self.layout,
                            self.neighbourhoods, self.actives, self.rng)

    def _open_step(self) -> tuple[StepRecord, Ledger]:
        return phases.open_step(self.params, self.institutions, self.districts, self.steps,
                                len(self.of_type(CMOUnit)), self.layout.shape)

    def _apply_due_events(self) -> None:
        while self._events and self.params.event_step(self._events[0]) <= self.steps:
            apply_event(self, self._events.pop(0))
        while self._injected:
            item = self._injected.pop(0)
            if isinstance(item, LeverChange):
                apply_levers(self, item)
            else:
                apply_event(self, item)

    def _activity_kpis(self) -> np.ndarray:
        return adaptive.activity_kpis(self.population, self.districts, self.institutions,
                                      self.forces)

    def _evaluate(self) -> None:
        """Adaptive management: book the spending; re-weight at each evaluation."""
        self.evaluation.spend += self.ledger.spent
        a = self.params.adaptive
        if a.enabled and self.steps % self.params.time.window_steps(a.evaluation_days) == 0:
            self.evaluation = adaptive.reallocate(self.params, self.institutions,
                                                  self.evaluation, self._activity_kpis())

    # -- results ------------------------------------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """The recorded measures as a tidy table: one row per step, with step and date."""
        table = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        steps = np.arange(len(table))
        dates = [self.params.step_date(int(s)).isoformat() for s in steps]
        table.insert(0, "date", dates)
        table.insert(0, "step", steps)
        return table
