"""The Mesa agents: security force units, CMO units and NGOs, and the civilian view.

Units are ordinary Mesa `CellAgent`s on the model's grid and step through AgentSet
operations. They see the model only as a `World`: what they do to civilians they write into
this step's `StepRecord` (arrests, abuses, contacts) or ledger (spending); the civilian phase
reads those. Each civilian is a Mesa agent too, a view onto one row of the `Population`
arrays, so inspection, the browser app and agent-level reporters work as with any Mesa model.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, cast

import mesa
import numpy as np
from mesa.discrete_space import CellAgent

from . import mechanisms as mech
from .population import CivilianState, DDRStage, Population
from .world import World

Kind = Literal["police", "army"]


class ReformState(IntEnum):
    """A security unit's reform state."""

    UNREFORMED = 0
    TRAINING = 1
    REFORMED = 2


class Unit(CellAgent):
    """Base of the agents that live on the grid and belong to a district."""

    def __init__(self, model: mesa.Model, district: int) -> None:
        super().__init__(model)
        self.world = cast(World, model)  # the model, as a unit may see it
        self.district = district
        self.move_to(self.world.random_cell(district))

    @property
    def xy(self) -> tuple[int, int]:
        """Grid coordinate of the unit's cell."""
        x, y = self.cell.coordinate
        return x, y

    def relocate(self, district: int) -> None:
        """Move to a random cell of another district."""
        if district != self.district:
            self.district = district
            self.move_to(self.world.random_cell(district))


class SecurityForceUnit(Unit):
    """A police or army unit: patrols, arrests (Epstein's cop rule), may abuse, may reform."""

    def __init__(self, model: mesa.Model, district: int, kind: Kind, resistance: float,
                 reformed: bool) -> None:
        super().__init__(model, district)
        self.kind: Kind = kind
        self.resistance = resistance
        self.reform = ReformState.REFORMED if reformed else ReformState.UNREFORMED
        self.training_left = 0

    @property
    def capacity(self) -> float:
        """Probability of making an arrest when actives are in vision."""
        sec = self.world.params.security
        table = sec.reformed_capacity if self.reform == ReformState.REFORMED else sec.capacity
        return float(getattr(table, self.kind))

    def step(self) -> None:
        """Reform progress, patrol, arrest, possible abuse, and a contact where it stands.

        The contact is fair if the unit is reformed and unfair if unreformed; a unit in
        training makes neither (assumption: under its trainers' supervision).
        """
        self.progress_reform()
        self.patrol()
        if self.world.params.activation.order == "units_first":
            self.arrest()  # interleaved: the civilian phase calls it between its batches
        self.maybe_abuse()
        if self.reform != ReformState.TRAINING:
            self.world.record.add_contact(self.kind, *self.xy,
                                          fair=self.reform == ReformState.REFORMED)

    def settle(self) -> None:
        """Before step 0 (spin-up): patrol and arrest only; nothing else changes yet."""
        self.patrol()
        self.arrest()

    def progress_reform(self) -> None:
        """Enter training (funded intake), finish it, or back-slide."""
        world = self.world
        sec = world.params.security
        if self.reform == ReformState.UNREFORMED:
            p = mech.per_step(mech.training_intake(
                world.districts.training_per_unit[self.district], sec.training_half,
                self.resistance), world.params.time.weeks)
            if self.random.random() < p:
                self.reform = ReformState.TRAINING
                self.training_left = world.params.time.window_steps(sec.training_days)
        elif self.reform == ReformState.TRAINING:
            self.training_left -= 1
            if self.training_left <= 0:
                self.reform = ReformState.REFORMED
        else:
            inst = world.institutions
            p = mech.per_step(mech.backsliding_probability(
                sec.backsliding_rate, inst.political_resistance, inst.oversight),
                world.params.time.weeks)
            if self.random.random() < p:
                self.reform = ReformState.UNREFORMED

    def patrol(self) -> None:
        """Move to a random cell within the patrol radius, staying in the district."""
        radius = self.world.params.security.patrol_radius
        if radius == 0:
            return
        district_of = self.world.layout.district_of_cell
        options = [c for c in self.cell.get_neighborhood(radius=radius, include_center=True)
                   if district_of[c.coordinate] == self.district]
        self.move_to(self.random.choice(options))

    def arrest(self) -> None:
        """Epstein's rule C: arrest one random active civilian in vision, jail term U{0..J}."""
        world = self.world
        layout = world.layout
        civ = layout.civilians_near(*self.xy, layout.unit_vision_offsets)
        pop = world.population
        actives = civ[pop.state[civ] == CivilianState.ACTIVE]
        time = world.params.time
        if actives.size == 0 or self.random.random() >= mech.per_step(self.capacity, time.weeks):
            return
        target = actives[self.random.randrange(actives.size)]
        pop.state[target] = CivilianState.JAILED
        jail = time.steps_for(world.params.activation.max_jail_days)
        pop.jail_left[target] = self.random.randint(0, jail)
        world.record.arrests += 1

    def maybe_abuse(self) -> None:
        """Commit an abuse with the probability set by reform state and deterrence.

        A witness (with the district's mean cooperation, as of the last civilian phase) or
        NGO monitors may report it; a reported abuse may be sanctioned.
        """
        world = self.world
        sec = world.params.security
        reduction = {ReformState.UNREFORMED: 0.0,
                     ReformState.TRAINING: sec.training_abuse_reduction,
                     ReformState.REFORMED: sec.reformed_abuse_reduction}[self.reform]
        inst = world.institutions
        p = mech.per_step(mech.abuse_probability(
            getattr(sec.abuse_rate, self.kind), reduction, inst.oversight, inst.sanction_rate(),
            sec.oversight_deterrence, sec.sanction_deterrence), world.params.time.weeks)
        if not (p > 0 and self.random.random() < p):
            return
        record = world.record
        record.add_abuse(self.kind, *self.xy)
        p_report = mech.report_probability(world.outlook.cooperation[self.district],
                                           world.districts.monitoring[self.district])
        if self.random.random() < p_report:
            record.abuses_reported += 1
            if self.random.random() < mech.sanction_probability(inst.oversight, inst.judicial):
                record.abuses_sanctioned += 1


class CMOUnit(Unit):
    """A military civil-military operations unit spending the programme budget in its district.

    Spending goes to community engagement, essential services and training of security units,
    in the allocation's proportions, with a share diverted to crisis response where a crisis
    is under way. Effectiveness scales with access and civil-military coordination.
    """

    def step(self) -> None:
        """Possibly re-plan the district, then spend this step's budget there."""
        world = self.world
        cmo = world.params.cmo
        if self.random.random() < _per_step(cmo.relocation_rate, world):
            coordinated = self.random.random() < cmo.coordination
            self.relocate(world.choose_district(self.random, coordinated=coordinated))
        world.ledger.spend_cmo(self.district, world.ledger.cmo_budget_per_unit)


class NGO(Unit):
    """A civil-society organisation: monitors abuses, delivers services, advocates reform.

    It leaves districts where violence is high; with coordination it plans jointly with CMO
    units and goes where need is highest and effort thinnest.
    """

    def step(self) -> None:
        """Leave if violence is too high, possibly re-plan, then spend its own budget."""
        world = self.world
        violence = world.districts.violence
        if violence[self.district] > world.params.ngo.violence_threshold:
            self.relocate(int(np.argmin(violence)))
        elif self.random.random() < _per_step(world.params.ngo.relocation_rate, world):
            coordinated = self.random.random() < world.params.ngo.coordination
            self.relocate(world.choose_district(self.random, coordinated=coordinated))
        world.ledger.spend_ngo(self.district)


def _per_step(weekly: float, world: World) -> float:
    """A weekly probability as the probability over this model's step."""
    return float(mech.per_step(weekly, world.params.time.weeks))


class Civilian(mesa.Agent):
    """A civilian: a Mesa agent whose state is row `index` of the population arrays."""

    def __init__(self, model: mesa.Model, rows: Population, index: int,
                 district_names: list[str]) -> None:
        super().__init__(model)
        self._rows = rows
        self.index = index
        self._district_names = district_names

    @property
    def position(self) -> tuple[int, int]:
        """Home cell (x, y)."""
        return int(self._rows.x[self.index]), int(self._rows.y[self.index])

    @property
    def district(self) -> str:
        """Name of the home district."""
        return self._district_names[self._rows.district[self.index]]

    @property
    def trust(self) -> float:
        """Trust in the security forces (police and army combined), in [0, 1]."""
        rows = self._rows
        return float(mech.combined_trust(rows.trust_police[self.index],
                                         rows.trust_army[self.index], rows.police_weight))

    @property
    def trust_police(self) -> float:
        """Trust in the police, in [0, 1]."""
        return float(self._rows.trust_police[self.index])

    @property
    def trust_army(self) -> float:
        """Trust in the army, in [0, 1]."""
        return float(self._rows.trust_army[self.index])

    @property
    def hardship(self) -> float:
        """Current hardship H, in [0, 1]."""
        return float(self._rows.hardship[self.index])

    @property
    def risk_aversion(self) -> float:
        """Risk aversion R, in [0, 1]."""
        return float(self._rows.risk_aversion[self.index])

    @property
    def cooperation(self) -> float:
        """Willingness to report to the security forces, in [0, 1]."""
        return float(self._rows.cooperation[self.index])

    @property
    def state(self) -> CivilianState:
        """Quiescent, active or jailed."""
        return CivilianState(self._rows.state[self.index])

    @property
    def ddr_stage(self) -> DDRStage:
        """DDR stage (NONE unless an ex-combatant)."""
        return DDRStage(self._rows.ddr[self.index])
