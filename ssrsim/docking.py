"""Docking with Mesa's Epstein civil-violence example, the reference implementation.

Both models run the same seed with movement off. Mesa's example fills each cell with a citizen
or a cop at random, so its counts vary from seed to seed; ssrsim gets, per seed, exactly the
counts of Mesa's run (jailing falls steeply with the number of cops). Used by the docking test
(tests/test_docking.py) and the validation figures (docs/validation/make_figures.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import SSRModel
from .scenario import Scenario, apply_changes

if TYPE_CHECKING:
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence


def mesa_example(scenario: Scenario, seed: int, grid: str) -> EpsteinCivilViolence:
    """Mesa's example at a one-district scenario's parameters on `grid`.

    `grid` is Mesa's grid type, "Von Neumann" or "Moore"; its visions are whole cells.
    """
    from mesa.examples.advanced.epstein_civil_violence.model import (
        EpsteinCivilViolence,
        EpsteinScenario,
    )

    width, height = scenario.space.width, scenario.space.height
    params = EpsteinScenario(
        rng=seed,
        citizen_density=scenario.population.density,
        cop_density=scenario.districts[0].police / (width * height),
        citizen_vision=int(scenario.activation.vision),
        cop_vision=int(scenario.security.vision),
        legitimacy=scenario.legitimacy.fixed_value,
        max_jail_term=scenario.time.steps_for(scenario.activation.max_jail_days),
        active_threshold=scenario.activation.threshold,
        arrest_prob_constant=scenario.activation.arrest_constant,
        movement=False,
        grid_type=grid,
    )
    return EpsteinCivilViolence(width=width, height=height, scenario=params)


def docked_pair(scenario: Scenario, seed: int, grid: str, steps: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Both models on one seed: (actives, jailed) for steps 0..steps, ours first.

    ssrsim is given the numbers of cops and citizens of Mesa's run on that seed.
    """
    from mesa.examples.advanced.epstein_civil_violence.agents import Citizen, Cop

    mesa = mesa_example(scenario, seed, grid)
    cops, citizens = len(mesa.agents_by_type[Cop]), len(mesa.agents_by_type[Citizen])
    for _ in range(steps):
        mesa.step()
    theirs = mesa.datacollector.get_model_vars_dataframe()[["active", "arrested"]]
    cells = scenario.space.width * scenario.space.height
    matched = apply_changes(scenario, {"districts.all.police": cops,
                                       "population.density": citizens / cells},
                            source="docking")
    model = SSRModel(matched, rng=seed)
    for _ in range(steps):
        model.step()
    ours = model.timeseries()[["active", "jailed"]].to_numpy()
    return ours[:steps + 1], theirs.to_numpy()[:steps + 1]
