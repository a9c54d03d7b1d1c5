"""What agents, events, measures and live levers may ask of a running model.

`World` is a protocol: the model (`model.py`) satisfies it, and nothing else in `model/`
needs to know the model class. Its members are the plain state (population, districts,
institutions, this step's ledger and record, the residents' outlook), the scenario in force,
and the few operations that need the agent registry or the model's random streams.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
from mesa import Agent
from mesa.agentset import AgentSet

from ..scenario.schema import ModelParams
from .districts import DistrictOutlook, Districts
from .forces import Forces
from .institutions import Institutions
from .ledger import Ledger
from .population import Population
from .record import RecentCounts, StepRecord
from .space import Layout

if TYPE_CHECKING:
    from collections.abc import Mapping

A = TypeVar("A", bound=Agent)


class World(Protocol):
    """A running model, as its parts see it."""

    params: ModelParams  # the scenario in force (live levers may replace it)
    steps: int
    random: Random
    rng: np.random.Generator
    district_names: list[str]
    layout: Layout
    population: Population
    forces: Forces
    districts: Districts
    outlook: DistrictOutlook  # as of the latest civilian phase
    institutions: Institutions
    ledger: Ledger  # this step's
    record: StepRecord  # this step's
    recent: RecentCounts  # the counts of the last steps, for rates over a window
    event_log: list[tuple[int, str, str]]

    def of_type(self, cls: type[A]) -> AgentSet[A]:
        """The agents of one class (an empty set when there are none)."""
        ...

    def random_cell(self, district: int) -> tuple[int, int]:
        """A random cell of a district, one with no civilian home when there is one."""
        ...

    def choose_district(self, rng: Random, *, coordinated: bool) -> int:
        """Where a CMO unit or NGO goes when it re-plans."""
        ...

    def add_units(self, district: int, counts: Mapping[str, int], reformed_share: float
                  ) -> None:
        """Create police, army and CMO units in a district."""
        ...

    def withdraw_units(self, uids: np.ndarray) -> None:
        """Remove the security units with these uids."""
        ...
