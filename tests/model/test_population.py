"""Civilian population: drawing, placement, the Population arrays and counts."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model import NGO, CivilianState, CMOUnit, DDRStage, SecurityForceUnit, SSRModel
from ssrsim.model.population import Population, draw_beta
from ssrsim.model.space import district_map, neighbourhood_offsets
from ssrsim.scenario.schema import BetaDist


@pytest.mark.parametrize(("mean", "conc"), [(0.5, 2.0), (0.2, 10.0), (0.8, 4.0)])
def test_draw_beta_has_the_given_mean_and_concentration(mean, conc):
    draws = draw_beta(np.random.default_rng(1), BetaDist(mean=mean, concentration=conc),
                      200_000)
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    assert draws.mean() == pytest.approx(mean, abs=0.005)
    # Var of Beta(mean, concentration c) = mean (1 - mean) / (c + 1)
    assert draws.var() == pytest.approx(mean * (1 - mean) / (conc + 1), rel=0.03)


def test_draw_beta_default_is_uniform():
    draws = draw_beta(np.random.default_rng(2), BetaDist(), 200_000)
    hist, _ = np.histogram(draws, bins=10, range=(0, 1))
    np.testing.assert_allclose(hist / len(draws), 0.1, atol=0.005)


def test_population_counts():
    n = 6
    pop = Population(
        x=np.arange(n), y=np.zeros(n, int), district=np.zeros(n, int),
        base_hardship=np.zeros(n), hardship=np.zeros(n), risk_aversion=np.zeros(n),
        trust_police=np.zeros(n), trust_army=np.ones(n), police_weight=0.25,
        anchor_police=np.zeros(n), anchor_army=np.ones(n), anger=np.zeros(n),
        social_count=np.zeros(n, int),
        cooperation=np.zeros(n), legitimacy=np.zeros(n),
        state=np.array([0, 1, 1, 2, 0, 0], dtype=np.int8), jail_left=np.zeros(n, int),
        ddr=np.array([0, 1, 2, 3, 3, 0], dtype=np.int8),
        last_violence=Population.never_seen(n), last_abuse=Population.never_seen(n),
        last_unfair=Population.never_seen(n),
    )
    assert pop.size == 6
    assert pop.count(CivilianState.QUIESCENT) == 3
    assert pop.count(CivilianState.ACTIVE) == 2
    assert pop.count(CivilianState.JAILED) == 1
    assert pop.count_ddr(DDRStage.NONE) == 2
    assert pop.count_ddr(DDRStage.REINTEGRATED) == 2
    np.testing.assert_allclose(pop.trust, 0.75)  # 0.25 * 0 + 0.75 * 1
    assert pop.trust_in("army") is pop.trust_army
    assert pop.anchor_of("army") is pop.anchor_army


@pytest.mark.parametrize("torus", [False, True])
def test_civilians_live_on_distinct_cells_of_their_district(make_scenario, torus):
    scenario = make_scenario({"space": {"width": 23, "height": 17, "torus": torus},
                              "population": {"density": 0.6}})
    model = SSRModel(scenario)
    pop = model.population
    assert pop.size == round(0.6 * 23 * 17)
    cells = set(zip(pop.x.tolist(), pop.y.tolist(), strict=True))
    assert len(cells) == pop.size
    assert pop.x.min() >= 0 and pop.x.max() < 23 and pop.y.min() >= 0 and pop.y.max() < 17
    np.testing.assert_array_equal(pop.district, district_map(23, 17, 2, 2)[pop.x, pop.y])
    assert (model.layout.civilian_at >= 0).sum() == pop.size
    np.testing.assert_array_equal(model.layout.civilian_at[pop.x, pop.y], np.arange(pop.size))
    np.testing.assert_array_equal(model.districts.civilians,
                                  np.bincount(pop.district, minlength=4))
    for i, members in enumerate(model.layout.district_members):
        np.testing.assert_array_equal(members, np.flatnonzero(pop.district == i))


def test_district_densities_give_unequal_populations(make_scenario):
    names = ["north", "east", "south", "west"]
    densities = {"north": 0.9, "east": None, "south": 0.1, "west": 0.0001}
    districts = [dict(d, density=densities[d["name"]]) if densities[d["name"]] else d
                 for d in make_scenario().model_dump(exclude_none=True)["districts"]]
    scenario = make_scenario({"space": {"width": 23, "height": 17},
                              "population": {"density": 0.5}, "districts": districts})
    model = SSRModel(scenario)
    pop = model.population
    cells = np.bincount(district_map(23, 17, 2, 2).ravel(), minlength=4)
    expected = [round(0.9 * cells[0]), round(0.5 * cells[1]), round(0.1 * cells[2]), 0]
    np.testing.assert_array_equal(model.districts.civilians, expected)
    assert len(set(zip(pop.x.tolist(), pop.y.tolist(), strict=True))) == pop.size
    np.testing.assert_array_equal(pop.district, district_map(23, 17, 2, 2)[pop.x, pop.y])
    np.testing.assert_array_equal(model.layout.civilian_at[pop.x, pop.y], np.arange(pop.size))
    assert names == model.district_names
    for _ in range(3):  # an empty district runs
        model.step()
    assert np.isnan(model.timeseries()["trust_west"]).all()


@pytest.mark.parametrize("torus", [False, True])
def test_social_neighbour_count_matches_brute_force(make_scenario, torus):
    scenario = make_scenario({"space": {"width": 15, "height": 12, "torus": torus},
                              "trust": {"social_radius": 2}})
    model = SSRModel(scenario)
    pop = model.population
    offsets = neighbourhood_offsets(2, "moore", include_center=False)
    occupied = model.layout.civilian_at >= 0
    for i in range(0, pop.size, 7):
        cells = set()
        for dx, dy in offsets:
            cx, cy = pop.x[i] + dx, pop.y[i] + dy
            if torus:
                cells.add((cx % 15, cy % 12))
            elif 0 <= cx < 15 and 0 <= cy < 12:
                cells.add((cx, cy))
        cells.discard((pop.x[i], pop.y[i]))
        assert model.population.social_count[i] == sum(occupied[c] for c in cells)


def test_district_distributions_are_used(make_scenario):
    scenario = make_scenario({
        "space": {"width": 40, "height": 40},
        "districts": [
            {"name": "poor", "hardship": {"mean": 0.9, "concentration": 50}},
            {"name": "rich", "hardship": {"mean": 0.1, "concentration": 50}},
            {"name": "mid", "hardship": {"mean": 0.5, "concentration": 50}},
            {"name": "war", "ex_combatants": 0.5},
        ],
        "population": {"initial_trust": {"mean": 0.3, "concentration": 30}},
    })
    model = SSRModel(scenario)
    pop = model.population
    for i, mean in enumerate((0.9, 0.1, 0.5)):
        assert pop.base_hardship[pop.district == i].mean() == pytest.approx(mean, abs=0.03)
    assert pop.trust.mean() == pytest.approx(0.3, abs=0.02)
    war = pop.district == 3
    assert np.count_nonzero(pop.ddr[war] == DDRStage.ARMED) == round(0.5 * war.sum())
    assert np.all(pop.ddr[~war] == DDRStage.NONE)


def test_initial_state_is_quiescent_or_decided(make_scenario):
    model = SSRModel(make_scenario({"time": {"spin_up_days": 0}}))
    pop = model.population
    assert pop.count(CivilianState.JAILED) == 0
    assert np.all(pop.jail_left == 0)
    np.testing.assert_array_equal(pop.hardship, pop.base_hardship)  # no services, no crisis


def test_units_start_on_cells_without_civilians(make_scenario):
    model = SSRModel(make_scenario({"time": {"spin_up_days": 0}}))  # before any patrol
    units = [*model.agents_by_type[SecurityForceUnit], *model.agents_by_type[CMOUnit],
             *model.agents_by_type[NGO]]
    assert len(units) > 10
    for agent in units:
        x, y = agent.xy
        assert model.layout.civilian_at[x, y] < 0
        assert model.layout.district_of_cell[x, y] == agent.district
