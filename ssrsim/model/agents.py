"""The few, individually acting agents: security force units, CMO units and NGOs.

They are ordinary Mesa `CellAgent`s on the model's grid and step through AgentSet
operations. What they do to civilians they write into the model's per-step event arrays
(arrests, abuses, fair contacts) or district spending arrays; the civilian phase reads those.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Literal

import numpy as np
from mesa.discrete_space import CellAgent

from . import mechanisms as mech
from .population import CivilianState

if TYPE_CHECKING:
    from .model import SSRModel

Kind = Literal["police", "army"]


class ReformState(IntEnum):
    """A security unit's reform state."""

    UNREFORMED = 0
    TRAINING = 1
    REFORMED = 2


class Unit(CellAgent):
    """Base of the agents that live on the grid and belong to a district."""

    model: SSRModel

    def __init__(self, model: SSRModel, district: int) -> None:
        super().__init__(model)
        self.district = district
        self.move_to(model.random_cell(district))

    @property
    def xy(self) -> tuple[int, int]:
        """Grid coordinate of the unit's cell."""
        x, y = self.cell.coordinate
        return x, y

    def relocate(self, district: int) -> None:
        """Move to a random cell of another district."""
        if district != self.district:
            self.district = district
            self.move_to(self.model.random_cell(district))


class SecurityForceUnit(Unit):
    """A police or army unit: patrols, arrests (Epstein's cop rule), may abuse, may reform."""

    def __init__(self, model: SSRModel, district: int, kind: Kind, resistance: float,
                 reformed: bool) -> None:
        super().__init__(model, district)
        self.kind: Kind = kind
        self.resistance = resistance
        self.reform = ReformState.REFORMED if reformed else ReformState.UNREFORMED
        self.training_left = 0

    @property
    def capacity(self) -> float:
        """Probability of making an arrest when actives are in vision."""
        sec = self.model.params.security
        table = sec.reformed_capacity if self.reform == ReformState.REFORMED else sec.capacity
        return getattr(table, self.kind)

    def step(self) -> None:
        """Reform progress, patrol, arrest, possible abuse, and a contact where it stands.

        The contact is fair if the unit is reformed and unfair if unreformed; a unit in
        training makes neither (assumption: under its trainers' supervision).
        """
        self.progress_reform()
        self.patrol()
        self.arrest()
        self.maybe_abuse()
        if self.reform == ReformState.REFORMED:
            self.model.record_contact(self.kind, *self.xy, fair=True)
        elif self.reform == ReformState.UNREFORMED:
            self.model.record_contact(self.kind, *self.xy, fair=False)

    def progress_reform(self) -> None:
        """Enter training (funded intake), finish it, or back-slide."""
        model = self.model
        sec = model.params.security
        if self.reform == ReformState.UNREFORMED:
            p = mech.training_intake(model.districts.training_per_unit[self.district],
                                     sec.training_half, self.resistance)
            if self.random.random() < p:
                self.reform = ReformState.TRAINING
                self.training_left = sec.training_duration
        elif self.reform == ReformState.TRAINING:
            self.training_left -= 1
            if self.training_left <= 0:
                self.reform = ReformState.REFORMED
        else:
            inst = model.institutions
            p = mech.backsliding_probability(sec.backsliding_rate, inst.political_resistance,
                                             inst.oversight)
            if self.random.random() < p:
                self.reform = ReformState.UNREFORMED

    def patrol(self) -> None:
        """Move to a random cell within the patrol radius, staying in the district."""
        radius = self.model.params.security.patrol_radius
        if radius == 0:
            return
        district_of = self.model.district_of_cell
        options = [c for c in self.cell.get_neighborhood(radius=radius, include_center=True)
                   if district_of[c.coordinate] == self.district]
        self.move_to(self.random.choice(options))

    def arrest(self) -> None:
        """Epstein's rule C: arrest one random active civilian in vision, jail term U{0..J}."""
        model = self.model
        civ = model.civilians_near(*self.xy, model.unit_vision_offsets)
        pop = model.population
        actives = civ[pop.state[civ] == CivilianState.ACTIVE]
        if actives.size == 0 or self.random.random() >= self.capacity:
            return
        target = actives[self.random.randrange(actives.size)]
        pop.state[target] = CivilianState.JAILED
        pop.jail_left[target] = self.random.randint(0, model.params.activation.max_jail_term)
        model.tally["arrests"] += 1

    def maybe_abuse(self) -> None:
        """Commit an abuse with the probability set by reform state and deterrence."""
        model = self.model
        sec = model.params.security
        reduction = {ReformState.UNREFORMED: 0.0,
                     ReformState.TRAINING: sec.training_abuse_reduction,
                     ReformState.REFORMED: sec.reformed_abuse_reduction}[self.reform]
        inst = model.institutions
        p = mech.abuse_probability(getattr(sec.abuse_rate, self.kind), reduction,
                                   inst.oversight, inst.sanction_rate(),
                                   sec.oversight_deterrence, sec.sanction_deterrence)
        if p > 0 and self.random.random() < p:
            model.record_abuse(self.kind, self.district, *self.xy)


class CMOUnit(Unit):
    """A military civil-military operations unit spending the programme budget in its district.

    Spending goes to community engagement, essential services and training of security units,
    in the allocation's proportions, with a share diverted to crisis response where a crisis
    is under way. Effectiveness scales with access and civil-military coordination.
    """

    def step(self) -> None:
        """Possibly re-plan the district, then spend this step's budget there."""
        model = self.model
        if self.random.random() < model.params.cmo.relocation_rate:
            self.relocate(model.choose_district(self.random, coordinated=self._coordinated()))
        model.ledger.spend_cmo(self.district, model.cmo_budget_per_unit)

    def _coordinated(self) -> bool:
        return self.random.random() < self.model.params.cmo.coordination


class NGO(Unit):
    """A civil-society organisation: monitors abuses, delivers services, advocates reform.

    It leaves districts where violence is high; with coordination it plans jointly with CMO
    units and goes where need is highest and effort thinnest.
    """

    def step(self) -> None:
        """Leave if violence is too high, possibly re-plan, then spend its own budget."""
        model = self.model
        violence = model.districts.violence
        if violence[self.district] > model.params.ngo.violence_threshold:
            self.relocate(int(np.argmin(violence)))
        elif self.random.random() < model.params.cmo.relocation_rate:
            coordinated = self.random.random() < model.params.cmo.coordination
            self.relocate(model.choose_district(self.random, coordinated=coordinated))
        model.ledger.spend_ngo(self.district)

