"""The Mesa agents: CMO units and NGOs, and the views of security units and civilians.

CMO units and NGOs are few: ordinary Mesa agents, each on a cell of the grid, that step through
AgentSet operations and see the model only as a `World`, spending into this step's ledger.
Security units and civilians are many, so their state is arrays (`Forces`, `Population`)
acted on by whole-array phases; each is still a Mesa agent, a view onto one row, so
inspection, the browser app and agent-level reporters work as with any Mesa model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast, overload

import mesa
import numpy as np

from . import mechanisms as mech
from .forces import Forces, ReformState
from .population import FORCES, CivilianState, DDRStage, Population
from .world import World

Kind = Literal["police", "army"]


class Unit(mesa.Agent):
    """Base of the CMO units and NGOs: agents that belong to a district and stand on a cell."""

    def __init__(self, model: mesa.Model, district: int) -> None:
        super().__init__(model)
        self.world = cast(World, model)  # the model, as a unit may see it
        self.district = district
        self.xy = self.world.random_cell(district)  # grid coordinate (x, y)

    def relocate(self, district: int) -> None:
        """Move to a random cell of another district."""
        if district != self.district:
            self.district = district
            self.xy = self.world.random_cell(district)


class SecurityForceUnit(mesa.Agent):
    """A police or army unit: a Mesa agent whose state is one row of the `Forces` arrays.

    The security phase (`security.py`) acts on the arrays; this view lets Mesa's tools, the
    browser app and tests read (and set) one unit's state.
    """

    def __init__(self, model: mesa.Model, forces: Forces, uid: int) -> None:
        super().__init__(model)
        self._forces = forces
        self.uid = uid

    @property
    def _row(self) -> int:
        return self._forces.row_of(self.uid)

    @property
    def kind(self) -> Kind:
        """The force: police or army."""
        return cast(Kind, FORCES[self._forces.kind[self._row]])

    @property
    def district(self) -> int:
        """Index of the unit's district."""
        return int(self._forces.district[self._row])

    @property
    def xy(self) -> tuple[int, int]:
        """Grid coordinate of the unit's cell."""
        row = self._row
        return int(self._forces.x[row]), int(self._forces.y[row])

    @property
    def resistance(self) -> float:
        """Resistance to reform, in [0, 1]."""
        return float(self._forces.resistance[self._row])

    @property
    def reform(self) -> ReformState:
        """Reform state."""
        return ReformState(int(self._forces.reform[self._row]))

    @reform.setter
    def reform(self, state: ReformState) -> None:
        self._forces.reform[self._row] = state

    @property
    def training_left(self) -> int:
        """Steps of training still to do."""
        return int(self._forces.training_left[self._row])

    @property
    def capacity(self) -> float:
        """Probability of making an arrest when actives are in vision."""
        return float(self._forces.capacity(cast(World, self.model).params)[self._row])


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


class CivilianViews(Sequence[Civilian]):
    """Every civilian as a Mesa `Civilian` agent, made when first asked for.

    A view, once made, is registered with the model like any agent. A million made up front
    would cost seconds and hundreds of MB.
    """

    def __init__(self, model: mesa.Model, rows: Population, district_names: list[str]) -> None:
        self._model = model
        self._rows = rows
        self._district_names = district_names
        self._made: dict[int, Civilian] = {}

    def __len__(self) -> int:
        return self._rows.size

    @overload
    def __getitem__(self, index: int) -> Civilian: ...

    @overload
    def __getitem__(self, index: slice) -> list[Civilian]: ...

    def __getitem__(self, index: int | slice) -> Civilian | list[Civilian]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]  # negative indices and the IndexError of a list
        view = self._made.get(i)
        if view is None:
            view = self._made[i] = Civilian(self._model, self._rows, i, self._district_names)
        return view
