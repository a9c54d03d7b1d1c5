"""Building a model's initial state from a scenario: homes, the population, the layout.

Draws come from the model's generator in a fixed order (homes, then each district's hardship
and ex-combatants, then risk aversion, then trust), so one seed fixes the initial state.
"""

from __future__ import annotations

import numpy as np

from ..scenario.schema import ModelParams
from .population import CivilianState, DDRStage, Population, draw_beta
from .space import Layout, NeighbourhoodSum, district_map, patrol_offsets, unit_vision_offsets


def home_cells(scenario: ModelParams, district_of_cell: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Sorted cell indices (x * height + y) of the civilians' homes.

    One uniform draw over the grid at `population.density`, or, if any district sets its
    own density, a draw per district at its density.
    """
    width, height = district_of_cell.shape
    if all(d.density is None for d in scenario.districts):
        size = round(scenario.population.density * width * height)
        cells = rng.choice(width * height, size=size, replace=False)
    else:
        district = district_of_cell.ravel()
        parts = []
        for i, d in enumerate(scenario.districts):
            own = np.flatnonzero(district == i)
            density = scenario.population.density if d.density is None else d.density
            parts.append(rng.choice(own, size=round(density * own.size), replace=False))
        cells = np.concatenate(parts)
    cells.sort()
    return cells


def population_and_layout(scenario: ModelParams, social: NeighbourhoodSum,
                          rng: np.random.Generator) -> tuple[Population, Layout]:
    """The initial civilians and where everything is (`social`: whose trust one hears)."""
    p = scenario
    shape = (p.space.width, p.space.height)
    district_of_cell = district_map(p.space.width, p.space.height, *p.space.district_grid)
    cells = home_cells(p, district_of_cell, rng)
    n = cells.size
    x, y = cells // shape[1], cells % shape[1]
    district = district_of_cell[x, y]
    base = np.empty(n)
    armed = np.zeros(n, dtype=bool)
    members = []
    for i, d in enumerate(p.districts):
        own = np.flatnonzero(district == i)
        members.append(own)
        base[own] = draw_beta(rng, d.hardship, own.size)
        k = round(d.ex_combatants * own.size)
        armed[rng.choice(own, size=k, replace=False)] = True
    civilian_at = np.full(shape, -1, dtype=np.int64)
    civilian_at[x, y] = np.arange(n)
    risk_aversion = draw_beta(rng, p.population.risk_aversion, n)
    trust = _initial_trust(p, n, rng)  # after risk aversion: the draw order fixes a seed's state
    population = Population(
        x=x, y=y, district=district, base_hardship=base, hardship=base.copy(),
        risk_aversion=risk_aversion,
        **trust, police_weight=p.trust.police_weight,
        anchor_police=trust["trust_police"].copy(), anchor_army=trust["trust_army"].copy(),
        anger=np.zeros(n),
        social_count=social.counts((civilian_at >= 0).astype(np.float32))[x, y],
        cooperation=np.zeros(n), legitimacy=np.zeros(n),
        state=np.full(n, CivilianState.QUIESCENT, dtype=np.int8),
        jail_left=np.zeros(n, dtype=np.int64),
        ddr=np.where(armed, DDRStage.ARMED, DDRStage.NONE).astype(np.int8),
        last_violence=Population.never_seen(n), last_abuse=Population.never_seen(n),
        last_unfair=Population.never_seen(n),
    )
    free = civilian_at < 0
    layout = Layout(
        shape=shape, torus=p.space.torus, district_of_cell=district_of_cell,
        civilian_at=civilian_at, district_members=members,
        free_cells=[np.argwhere(free & (district_of_cell == i)) for i in range(len(p.districts))],
        all_cells=[np.argwhere(district_of_cell == i) for i in range(len(p.districts))],
        unit_vision_offsets=unit_vision_offsets(p), patrol_offsets=patrol_offsets(p),
    )
    return population, layout


def _initial_trust(scenario: ModelParams, n: int, rng: np.random.Generator
                   ) -> dict[str, np.ndarray]:
    """Trust in police and army: equal at the start unless the army has its own draw."""
    p = scenario
    police = draw_beta(rng, p.population.initial_trust, n)
    army = (police.copy() if p.population.initial_army_trust is None
            else draw_beta(rng, p.population.initial_army_trust, n))
    return {"trust_police": police, "trust_army": army}

