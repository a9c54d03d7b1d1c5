"""Scenario events: timing (start of their step; step 0 at construction) and effects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ssrsim.model import CMOUnit, DDRStage, SecurityForceUnit, SSRModel
from ssrsim.scenario.schema import Scenario, TroopDrawdown

NO_GAINS = {
    # Nothing raises trust: no programme, no NGO money, no reformed units. Trust then only
    # falls by multiplicative harms and is averaged socially, both linear in trust. Memory
    # (relaxing toward initial trust) is affine, not linear, so it is off.
    "budget": {"per_week": 0.0},
    "ngo": {"budget": 0.0},
    "security": {"initial_reformed": 0.0},
    "trust": {"memory_rate": 0.0},
}


def lockstep(a: SSRModel, b: SSRModel, steps: int):
    """Step two models together, yielding after each step."""
    for _ in range(steps):
        a.step()
        b.step()
        yield a.steps


def army_units(model: SSRModel, district: int | None = None) -> list[SecurityForceUnit]:
    return [u for u in model.agents_by_type.get(SecurityForceUnit, [])
            if u.kind == "army" and (district is None or u.district == district)]


# -- budget modifiers -----------------------------------------------------------------------


@pytest.mark.parametrize(("event_type", "factor"), [("budget_cut", 0.5), ("donor_surge", 2.0)])
@pytest.mark.parametrize("start", [0, 4])
def test_budget_modifier_lasts_exactly_its_duration(make_scenario, run, event_type, factor,
                                                    start):
    duration = 3
    scenario = make_scenario({
        "time": {"steps": 12}, "budget": {"per_week": 10.0},
        "events": [{"type": event_type, "step": start, "factor": factor,
                    "duration_days": 7 * duration}],
    })
    budget = run(scenario).timeseries().set_index("step")["budget"]
    during = list(range(start, start + duration))
    expected = [10.0 * factor if s in during else 10.0 for s in budget.index]
    assert budget.tolist() == pytest.approx(expected), budget.tolist()


def test_budget_cut_without_duration_lasts_for_good(make_scenario, run):
    scenario = make_scenario({
        "time": {"steps": 10}, "budget": {"per_week": 8.0},
        "events": [{"type": "budget_cut", "step": 3, "factor": 0.25}],
    })
    budget = run(scenario).timeseries().set_index("step")["budget"]
    assert budget.loc[:2].tolist() == pytest.approx([8.0] * 3)
    assert budget.loc[3:].tolist() == pytest.approx([2.0] * 8), budget.tolist()


def test_budget_cut_limits_spending(make_scenario, run):
    scenario = make_scenario({
        "time": {"steps": 10}, "budget": {"per_week": 10.0},
        "events": [{"type": "budget_cut", "step": 1, "factor": 0.0}],
    })
    ts = run(scenario).timeseries()
    assert (ts["spent"].iloc[2:] == 0).all()


# -- coup, drawdown, peace agreement ----------------------------------------------------------


def test_coup_lowers_civilian_control(make_scenario):
    base = {"time": {"steps": 10}}
    k = 5
    with_coup = SSRModel(make_scenario({**base, "events": [
        {"type": "coup", "step": k, "civilian_control": 0.5, "trust_shock": 0.0,
         "crisis": 0.0}]}))
    without = SSRModel(make_scenario(base))
    for step in lockstep(with_coup, without, 8):
        a, b = with_coup.institutions, without.institutions
        if step < k:
            assert a.civilian_control == b.civilian_control
        else:
            assert a.civilian_control < b.civilian_control
            assert a.legislative < b.legislative
            assert a.political_resistance > b.political_resistance
    # at the step: C halved, then one step of partial adjustment toward F
    ts_a = with_coup.timeseries().set_index("step")
    ts_b = without.timeseries().set_index("step")
    assert ts_a.loc[k, "civilian_control"] < 0.6 * ts_b.loc[k, "civilian_control"]


def test_troop_drawdown_removes_round_share_of_army_units(make_scenario):
    # 3 + 5 + 2 + 6 = 16 army units: round(0.35 * 16) = round(5.6) = 6 leave
    scenario = make_scenario({
        "time": {"steps": 6},
        "events": [{"type": "troop_drawdown", "step": 2, "army_share": 0.35,
                    "cmo_share": 0.0}],
    })
    model = SSRModel(scenario)
    police_before = len(model.agents_by_type[SecurityForceUnit]) - len(army_units(model))
    cmo_before = len(model.agents_by_type[CMOUnit])
    assert len(army_units(model)) == 16
    model.step()
    assert len(army_units(model)) == 16
    model.step()
    assert len(army_units(model)) == 16 - 6
    police_after = len(model.agents_by_type[SecurityForceUnit]) - len(army_units(model))
    assert police_after == police_before
    assert len(model.agents_by_type[CMOUnit]) == cmo_before
    ts = model.timeseries().set_index("step")
    assert ts.loc[1, "security_units"] - ts.loc[2, "security_units"] == 6
    # removed units are gone from the arrays and the model's agents alike
    views = model.agents_by_type[SecurityForceUnit]
    assert sorted(u.uid for u in views) == model.forces.uid.tolist()
    assert sum(u.kind == "army" for u in views) == 16 - 6


def test_cmo_drawdown_remaining_units_spend_the_cmo_pot_from_its_step(make_scenario, run):
    # Throughput is ample, so the CMO pot (engagement + services + training shares of the
    # budget) is what CMO units spend; after half of them leave, the others spend it all.
    k = 3
    scenario = make_scenario({
        "time": {"steps": 6}, "budget": {"per_week": 10.0}, "cmo": {"throughput": 50.0},
        "events": [{"type": "troop_drawdown", "step": k, "army_share": 0.0,
                    "cmo_share": 0.5}],
    })
    ts = run(scenario).timeseries().set_index("step")
    alloc = scenario.budget.allocation
    pot = 10.0 * (alloc.engagement + alloc.services + alloc.training)
    cmo = ts[["spent_engagement", "spent_services", "spent_training", "spent_crisis"]].sum(
        axis=1)
    assert ts.loc[k - 1, "cmo_units"] == 4 and ts.loc[k, "cmo_units"] == 2
    np.testing.assert_allclose(cmo.loc[1:].to_numpy(), pot, err_msg=str(cmo.tolist()))


@pytest.mark.parametrize(("army", "share", "removed"), [(7, 0.5, 4), (5, 0.5, 2), (4, 1.0, 4),
                                                        (6, 0.0, 0)])
def test_troop_drawdown_in_one_district(make_scenario, army, share, removed):
    # round() is half to even: round(3.5) = 4, round(2.5) = 2
    scenario = make_scenario({
        "districts": [
            {"name": "north", "army": army, "police": 2, "cmo_units": 2},
            {"name": "east", "army": 3, "police": 1, "cmo_units": 2},
            {"name": "south"}, {"name": "west"},
        ],
        "cmo": {"relocation_rate": 0.0},
        "events": [{"type": "troop_drawdown", "step": 0, "district": "north",
                    "army_share": share, "cmo_share": 0.5}],
    })
    model = SSRModel(scenario)
    assert len(army_units(model, 0)) == army - removed
    assert len(army_units(model, 1)) == 3
    cmo = model.agents_by_type[CMOUnit]
    assert sum(u.district == 0 for u in cmo) == 1
    assert sum(u.district == 1 for u in cmo) == 2


def police_drawdown(make_scenario, seed: int) -> set[int]:
    """Half the police of north leave at step 1; checks the counts, returns who left."""
    # north: 6 police, round(0.5 * 6) = 3 leave, chosen at random; east keeps its 4 police
    scenario = make_scenario({
        "seed": seed,
        "districts": [
            {"name": "north", "police": 6, "army": 2, "cmo_units": 2},
            {"name": "east", "police": 4, "army": 1},
            {"name": "south"}, {"name": "west"},
        ],
        "events": [{"type": "troop_drawdown", "step": 1, "district": "north",
                    "police_share": 0.5, "army_share": 0.0, "cmo_share": 0.0}],
    })
    model = SSRModel(scenario)

    def police(district: int) -> set[int]:
        return {u.unique_id for u in model.agents_by_type[SecurityForceUnit]
                if u.kind == "police" and u.district == district}

    before = police(0)
    model.step()
    assert len(police(0)) == 3 and police(0) < before
    assert len(police(1)) == 4
    assert len(army_units(model)) == 3
    assert len(model.agents_by_type[CMOUnit]) == 2
    return before - police(0)


def test_police_drawdown_removes_a_random_share_of_police_only_in_its_district(make_scenario):
    removed = [police_drawdown(make_scenario, seed) for seed in range(6)]
    assert all(len(r) == 3 for r in removed)
    assert len({frozenset(r) for r in removed}) > 1  # at random, not always the same units


def test_police_drawdown_in_an_epstein_run_raises_rebellion():
    # Epstein (2002): removing cops tips society into rebellion.
    from ssrsim import load_scenario
    base = load_scenario("scenarios/epstein.yaml",
                         overrides=["time.steps=60", "activation.max_jail_days=35"])
    cut = base.model_copy(update={"events": [TroopDrawdown(
        type="troop_drawdown", step=10, police_share=0.75, army_share=0.0, cmo_share=0.0)]})
    a, b = SSRModel(base, rng=3), SSRModel(cut, rng=3)
    for _ in lockstep(a, b, 60):
        pass
    ts_a, ts_b = a.timeseries(), b.timeseries()
    assert ts_b["security_units"].iloc[-1] == 16
    assert ts_b["active"].iloc[20:].mean() > 2 * ts_a["active"].iloc[20:].mean() + 10


def test_troop_deployment_adds_units_per_district_from_its_step(make_scenario):
    scenario = make_scenario({"events": [
        {"type": "troop_deployment", "step": 2, "district": "east", "police": 2, "army": 3,
         "cmo_units": 1, "reformed": 1.0},
        {"type": "troop_deployment", "step": 3, "army": 1}]})
    model = SSRModel(scenario)
    before = {u.unique_id for u in model.agents_by_type[SecurityForceUnit]}
    cmo_before = len(model.agents_by_type[CMOUnit])
    model.step()
    assert len(model.agents_by_type[SecurityForceUnit]) == len(before)
    model.step()
    new = [u for u in model.agents_by_type[SecurityForceUnit] if u.unique_id not in before]
    assert sorted(u.kind for u in new) == ["army"] * 3 + ["police"] * 2
    assert {u.district for u in new} == {1}  # east
    assert all(model.layout.district_of_cell[u.xy] == 1 for u in new)
    assert len(model.agents_by_type[CMOUnit]) == cmo_before + 1
    model.step()  # one more army unit in each of the four districts
    assert len(model.agents_by_type[SecurityForceUnit]) == len(before) + 5 + 4


def test_crisis_event_adds_crisis_and_shakes_trust(make_scenario):
    event = {"type": "crisis", "step": 0, "district": "south", "crisis": 0.4,
             "trust_shock": -0.25}
    before = SSRModel(make_scenario())
    after = SSRModel(make_scenario({"events": [event]}))
    np.testing.assert_allclose(after.districts.crisis, [0, 0, 0.4, 0])
    south = after.population.district == 2
    np.testing.assert_allclose(after.population.trust_police[south],
                               before.population.trust_police[south] * 0.75)
    np.testing.assert_allclose(after.population.trust_police[~south],
                               before.population.trust_police[~south])


def test_insurgency_change_is_added_and_clipped(make_scenario):
    events = [{"type": "insurgency_change", "step": 0, "change": 0.5},
              {"type": "insurgency_change", "step": 0, "district": "north", "change": -0.9}]
    model = SSRModel(make_scenario({"events": events}))
    # north 0.3, east 0.6, south 0, west 0.5 in the test layout
    np.testing.assert_allclose(model.districts.insurgency, [0.0, 1.0, 0.5, 1.0])


def test_allocation_change_replaces_the_shares_at_its_step(make_scenario, run):
    shares = {"engagement": 0.0, "services": 0.0, "training": 1.0, "oversight": 0.0,
              "ddr": 0.0}
    scenario = make_scenario({"time": {"steps": 4}, "events": [
        {"type": "allocation_change", "step": 2, "allocation": shares}]})
    ts = run(scenario).timeseries().set_index("step")
    assert ts.loc[1, "alloc_training"] == scenario.budget.allocation.training
    assert ts.loc[2, "alloc_training"] == 1.0 and ts.loc[2, "alloc_engagement"] == 0.0
    assert ts.loc[2, "spent_engagement"] == 0.0 and ts.loc[2, "spent_training"] > 0


def test_allocation_change_must_sum_to_one_and_be_national():
    with pytest.raises(ValueError, match="sum to 1"):
        Scenario.model_validate({"events": [{"type": "allocation_change", "step": 1,
                                             "allocation": {"training": 0.9}}]})
    with pytest.raises(ValueError, match="national"):
        Scenario.model_validate({"districts": [{"name": "a"}], "events": [
            {"type": "allocation_change", "step": 1, "district": "a"}]})


def test_peace_agreement_demobilises_armed_ex_combatants(make_scenario):
    changes = {"time": {"steps": 6}, "ddr": {"relapse_rate": 0.0}}
    k = 3
    with_peace = SSRModel(make_scenario({**changes, "events": [
        {"type": "peace_agreement", "step": k, "demobilise_share": 1.0,
         "insurgency_reduction": 0.5}]}))
    without = SSRModel(make_scenario(changes))
    insurgency = without.districts.insurgency.copy()
    for step in lockstep(with_peace, without, 5):
        pop = with_peace.population
        if step < k:
            assert pop.count_ddr(DDRStage.ARMED) > 0
        else:
            assert pop.count_ddr(DDRStage.ARMED) == 0
            np.testing.assert_allclose(with_peace.districts.insurgency, insurgency * 0.5)
    ts = with_peace.timeseries().set_index("step")
    assert ts.loc[k - 1, "ddr_armed"] > 0
    assert ts.loc[k, "ddr_armed"] == 0
    assert ts.loc[k, "ddr_demobilised"] + ts.loc[k, "ddr_reintegrated"] == (
        ts.loc[k - 1, "ddr_armed"] + ts.loc[k - 1, "ddr_demobilised"]
        + ts.loc[k - 1, "ddr_reintegrated"])


def test_peace_agreement_partial_share(make_scenario):
    scenario = make_scenario({"events": [{"type": "peace_agreement", "step": 0,
                                          "demobilise_share": 0.5}]})
    model = SSRModel(scenario)
    armed = model.population.count_ddr(DDRStage.ARMED)
    demob = model.population.count_ddr(DDRStage.DEMOBILISED)
    total = armed + demob
    assert total > 20
    assert 0 < demob < total


# -- trust shocks -----------------------------------------------------------------------------


def test_abuse_scandal_at_step_zero_halves_trust_at_construction(make_scenario):
    scandal = {"type": "abuse_scandal", "step": 0, "trust_shock": -0.5, "oversight": 0.0,
               "crisis": 0.0}
    with_event = SSRModel(make_scenario({"events": [scandal]}))
    without = SSRModel(make_scenario())
    np.testing.assert_allclose(with_event.population.trust, 0.5 * without.population.trust)
    a = with_event.timeseries()["trust"].iloc[0]
    b = without.timeseries()["trust"].iloc[0]
    assert a == pytest.approx(0.5 * b)


def test_abuse_scandal_halves_trust_at_its_step(make_scenario):
    k = 4
    scandal = {"type": "abuse_scandal", "step": k, "trust_shock": -0.5, "oversight": 0.0,
               "crisis": 0.0}
    with_event = SSRModel(make_scenario({**NO_GAINS, "events": [scandal]}))
    without = SSRModel(make_scenario(NO_GAINS))
    for step in lockstep(with_event, without, k):
        if step < k:
            np.testing.assert_array_equal(with_event.population.trust,
                                          without.population.trust)
    # Nothing before the civilian phase differs, and with no gains the phase is linear in
    # trust, so the halving applied at the start of step k survives to the end of the step.
    np.testing.assert_allclose(with_event.population.trust, 0.5 * without.population.trust,
                               rtol=1e-5, atol=1e-7)
    a = with_event.timeseries().set_index("step")["trust"]
    b = without.timeseries().set_index("step")["trust"]
    assert a.loc[k - 1] == b.loc[k - 1]
    assert a.loc[k] == pytest.approx(0.5 * b.loc[k], rel=1e-5)


def test_district_trust_shock_hits_only_that_district(make_scenario):
    scandal = {"type": "abuse_scandal", "step": 0, "district": "east", "trust_shock": -0.4,
               "crisis": 0.0}
    with_event = SSRModel(make_scenario({"events": [scandal]}))
    without = SSRModel(make_scenario())
    east = with_event.population.district == 1
    np.testing.assert_allclose(with_event.population.trust[east],
                               0.6 * without.population.trust[east])
    np.testing.assert_array_equal(with_event.population.trust[~east],
                                  without.population.trust[~east])


@pytest.mark.parametrize(("force", "police", "army"), [
    ("police", 0.6, 0.8), ("army", 0.8, 0.6), ("both", 0.6, 0.6)])
def test_abuse_scandal_hits_its_force_and_the_other_by_the_spillover(make_scenario, force,
                                                                       police, army):
    scandal = {"type": "abuse_scandal", "step": 0, "force": force, "trust_shock": -0.4,
               "crisis": 0.0}
    before = SSRModel(make_scenario()).population
    after = SSRModel(make_scenario({"events": [scandal], "trust": {"spillover": 0.5}}))
    np.testing.assert_allclose(after.population.trust_police, before.trust_police * police)
    np.testing.assert_allclose(after.population.trust_army, before.trust_army * army)


def test_positive_trust_shock_recovers_distrust(make_scenario):
    election = {"type": "election", "step": 0, "trust_shock": 0.5, "crisis": 0.0}
    with_event = SSRModel(make_scenario({"events": [election]}))
    without = SSRModel(make_scenario())
    t = without.population.trust
    np.testing.assert_allclose(with_event.population.trust, t + 0.5 * (1 - t))


def test_crisis_is_added_and_capped(make_scenario):
    events = [{"type": "election", "step": 0, "crisis": 0.7, "district": "south"},
              {"type": "abuse_scandal", "step": 0, "crisis": 0.6, "district": "south",
               "trust_shock": 0.0}]
    model = SSRModel(make_scenario({"events": events}))
    np.testing.assert_allclose(model.districts.crisis, [0.0, 0.0, 1.0, 0.0])


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("date", "step"), [
    (dt.date(2004, 1, 5), 0), (dt.date(2004, 1, 11), 0), (dt.date(2004, 1, 12), 1),
    (dt.date(2004, 2, 2), 4), (dt.date(2004, 2, 8), 4), (dt.date(2004, 2, 9), 5),
    (dt.date(2003, 12, 1), 0),
])
def test_event_date_maps_to_the_step_containing_it(make_scenario, date, step):
    scenario = make_scenario({
        "time": {"start_date": "2004-01-05", "step_days": 7, "steps": 8},
        "events": [{"type": "coup", "date": date.isoformat(), "label": "by date"}],
    })
    assert scenario.event_step(scenario.events[0]) == step
    model = SSRModel(scenario)
    for _ in range(scenario.time.steps):
        model.step()
    assert model.event_log == [(step, "coup", "by date")]


def test_event_by_date_equals_event_by_step(make_scenario, run):
    by_date = make_scenario({"time": {"steps": 8, "step_days": 7, "start_date": "2004-01-05"},
                             "events": [{"type": "coup", "date": "2004-01-28"}]})
    by_step = make_scenario({"time": {"steps": 8, "step_days": 7, "start_date": "2004-01-05"},
                             "events": [{"type": "coup", "step": 3}]})
    a = run(by_date).timeseries()
    b = run(by_step).timeseries()
    np.testing.assert_array_equal(a["civilian_control"], b["civilian_control"])
    np.testing.assert_array_equal(a["trust"], b["trust"])


def test_events_apply_in_step_order_and_once(make_scenario, run):
    scenario = make_scenario({
        "time": {"steps": 8},
        "events": [{"type": "election", "step": 5, "label": "b"},
                   {"type": "election", "step": 2, "label": "a"},
                   {"type": "coup", "step": 20, "label": "never"}],
    })
    model = run(scenario)
    assert model.event_log == [(2, "election", "a"), (5, "election", "b")]


def test_inject_event_applies_at_start_of_next_step(make_scenario):
    model = SSRModel(make_scenario())
    model.step()
    model.step()
    before = model.population.trust.copy()
    event = Scenario.model_validate({"events": [{"type": "abuse_scandal", "step": 0,
                                                 "trust_shock": -0.25}]}).events[0]
    model.inject_event(event)
    np.testing.assert_array_equal(model.population.trust, before)  # nothing yet
    model.step()
    assert model.event_log[-1][:2] == (3, "abuse_scandal")
    assert model.population.trust.mean() < 0.8 * before.mean()


def test_injected_budget_cut_lasts_exactly_its_duration(make_scenario):
    model = SSRModel(make_scenario())
    model.step()
    cut = Scenario.model_validate({"events": [{"type": "budget_cut", "step": 0,
                                               "factor": 0.5, "duration_days": 21}]}).events[0]
    model.inject_event(cut)
    for _ in range(5):
        model.step()
    budgets = model.timeseries()["budget"].to_numpy()
    full = budgets[0]
    np.testing.assert_allclose(budgets[2:5], 0.5 * full)
    np.testing.assert_allclose(budgets[[1, 5]], full)



def legitimacy_run(event: str, seed: int, steps: int = 160) -> np.ndarray:
    from ssrsim import load_scenario

    scenario = load_scenario("scenarios/epstein.yaml", overrides=[
        "legitimacy.fixed_value=0.9", f"time.steps={steps}", f"events=[{event}]"])
    model = SSRModel(scenario, rng=seed)
    for _ in range(steps):
        model.step()
    return model.timeseries()[["active", "legitimacy"]].to_numpy()


def test_legitimacy_change_at_once_and_spread_out():
    sudden = legitimacy_run("{type: legitimacy_change, step: 10, change: -0.2}", 0, 30)
    spread = legitimacy_run("{type: legitimacy_change, step: 10, change: -0.2, duration_days: 28}",
                            0, 30)
    np.testing.assert_allclose(sudden[9:11, 1], [0.9, 0.7])
    np.testing.assert_allclose(spread[9:15, 1], [0.9, 0.85, 0.8, 0.75, 0.7, 0.7])


def test_legitimacy_change_is_national():
    with pytest.raises(ValueError, match="national"):
        Scenario.model_validate({"districts": [{"name": "a"}], "events": [
            {"type": "legitimacy_change", "step": 1, "district": "a"}]})


@pytest.mark.slow  # paired runs of an Epstein-sized grid
def test_sudden_legitimacy_fall_bursts_more_than_the_same_fall_spread_out():
    """Epstein (2002): a sudden fall in legitimacy gives a burst of actives; spread out, less."""
    sudden = [legitimacy_run("{type: legitimacy_change, step: 77, change: -0.2}", s)[77:, 0]
              for s in range(3)]
    spread = [legitimacy_run(
        "{type: legitimacy_change, step: 77, change: -0.2, duration_days: 420}", s)[77:, 0]
        for s in range(3)]
    calm = [legitimacy_run("{type: budget_cut, step: 5}", s)[77:, 0] for s in range(3)]
    assert all(run.max() <= 50 for run in calm)  # no outburst without the fall
    assert all(run.max() > 300 for run in sudden)
    assert np.mean([r.max() for r in sudden]) > 1.5 * np.mean([r.max() for r in spread])


# -- community policing -----------------------------------------------------------------------

WEEKLY = {"type": "community_policing", "step": 2, "visits_per_year": 52.0, "duration_days": 70}
"""About one visit per district per week (Poisson mean 1 per 7-day step), steps 2 to 11."""


def visit_history(model: SSRModel, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Visits and knowledge per district after each step."""
    visits, knowledge = [], []
    for _ in range(steps):
        model.step()
        visits.append(model.districts.visits.copy())
        knowledge.append(model.districts.knowledge.copy())
    return np.array(visits), np.array(knowledge)


def test_community_policing_visits_only_where_police_are_and_while_it_lasts(make_scenario):
    districts = [dict(d, police=0) if d["name"] == "west" else d
                 for d in make_scenario().model_dump()["districts"]]
    scenario = make_scenario({"events": [WEEKLY], "districts": districts})
    visits, _ = visit_history(SSRModel(scenario), 16)
    # step k's row is the k+1-th step; the programme runs during steps 2..11
    assert visits[:1].sum() == 0 and visits[11:].sum() == 0
    assert visits[:, 3].sum() == 0  # west has no police to visit
    assert (visits[1:11, :3].sum(axis=0) >= 3).all()  # about 10 expected in each other district


def test_knowledge_follows_its_stock_equation(make_scenario):
    scenario = make_scenario({"events": [WEEKLY]})
    cp = scenario.community_policing
    visits, knowledge = visit_history(SSRModel(scenario), 16)
    before = np.vstack([np.zeros(4), knowledge[:-1]])
    expected = (before * (1 - cp.knowledge_decay)
                + (1 - (1 - cp.knowledge_gain) ** visits) * (1 - before))
    np.testing.assert_allclose(knowledge, expected)
    assert knowledge[11].min() > 0.5  # ten weekly visits at gain 0.3
    assert (np.diff(knowledge[11:], axis=0) < 0).all()  # and it fades after the programme


def test_knowledge_raises_cooperation_by_its_weight(make_scenario):
    scenario = make_scenario({"events": [WEEKLY]})
    model = SSRModel(scenario)
    visit_history(model, 8)
    pop, d, c = model.population, model.districts, scenario.cooperation
    expected = np.clip(c.base + c.trust_weight * pop.trust + c.engagement_weight
                       * d.engagement[pop.district] + scenario.community_policing
                       .cooperation_weight * d.knowledge[pop.district], 0, 1)
    assert d.knowledge.max() > 0.3
    np.testing.assert_allclose(pop.cooperation, expected)


def test_visits_raise_trust_only_through_trust_gain(make_scenario, run):
    """Blair et al. (2019): no direct trust effect by default; `trust_gain` adds one."""
    events = {"events": [dict(WEEKLY, step=0)]}
    start = run(make_scenario(NO_GAINS | events), 0).population.trust.mean()
    flat = run(make_scenario(NO_GAINS | events), 10)
    gaining = run(make_scenario(NO_GAINS | events
                                | {"community_policing": {"trust_gain": 0.2}}), 10)
    assert flat.districts.knowledge.min() > 0.5  # the visits happened
    assert flat.population.trust.mean() <= start + 1e-3  # nothing else raises trust here
    assert gaining.population.trust.mean() > flat.population.trust.mean() + 0.1


def test_standing_visit_rate_and_programme_runs_are_reproducible(make_scenario, run):
    scenario = make_scenario({"community_policing": {"visits_per_year": 26.0}})
    a, b = run(scenario), run(scenario)
    assert a.timeseries()["policing_visits"].sum() > 0
    assert a.timeseries().equals(b.timeseries())

