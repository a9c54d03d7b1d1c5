"""SSRModel as a whole: invariants over random small scenarios, reproducibility, behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssrsim.model import Civilian, CivilianState, DDRStage, SSRModel
from ssrsim.model.record import TALLIES
from ssrsim.scenario.schema import ACTIVITIES, ModelParams, Scenario

TOL = 1e-9

# -- random small scenarios -----------------------------------------------------------------

LAYOUTS = [(1, 1), (1, 2), (2, 1), (2, 2)]


@st.composite
def scenarios(draw) -> Scenario:
    """A random small scenario: every mechanism may be on, sizes stay small."""
    rows, cols = draw(st.sampled_from(LAYOUTS))
    share = st.floats(0.0, 1.0)
    districts = [
        {
            "name": f"d{i}",
            "hardship": {"mean": draw(st.floats(0.1, 0.9)),
                         "concentration": draw(st.floats(0.5, 20.0))},
            "insurgency": draw(share),
            "access": draw(share),
            "ex_combatants": draw(st.floats(0.0, 0.5)),
            "police": draw(st.integers(0, 6)),
            "army": draw(st.integers(0, 6)),
            "cmo_units": draw(st.integers(0, 2)),
            "ngos": draw(st.integers(0, 2)),
        }
        for i in range(rows * cols)
    ]
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5))) + 1e-3
    alloc = raw / raw.sum()
    alloc[-1] = 1.0 - alloc[:-1].sum()
    data = {
        "seed": draw(st.integers(0, 2**32 - 1)),
        "time": {"steps": 8},
        "space": {"width": draw(st.integers(12, 28)), "height": draw(st.integers(12, 28)),
                  "torus": draw(st.booleans()), "district_grid": [rows, cols]},
        "districts": districts,
        "population": {"density": draw(st.floats(0.2, 0.9)),
                       "initial_trust": {"mean": draw(st.floats(0.05, 0.95)),
                                         "concentration": draw(st.floats(0.5, 20.0))}},
        "activation": {"vision": draw(st.integers(1, 8)),
                       "batches": draw(st.integers(1, 10)),
                       "rounding": draw(st.sampled_from(["floor", "round", "none"])),
                       "max_jail_days": 7 * draw(st.integers(0, 10))},
        "legitimacy": {"mode": draw(st.sampled_from(["dynamic", "fixed"])),
                       "fixed_value": draw(share), "floor": draw(share)},
        "trust": {"abuse_loss": draw(share), "incident_loss": draw(share),
                  "fair_contact_gain": draw(share), "engagement_gain": draw(share),
                  "service_gain": draw(share), "social_weight": draw(share)},
        "security": {"abuse_rate": {"police": draw(share), "army": draw(share)},
                     "initial_reformed": draw(share),
                     "training_days": 7 * draw(st.integers(1, 5)),
                     "patrol_radius": draw(st.integers(0, 3)),
                     "backsliding_rate": draw(share)},
        "cmo": {"coordination": draw(share), "throughput": draw(st.floats(0.1, 20.0)),
                "relocation_rate": draw(share), "crisis_share": draw(share)},
        "ngo": {"budget": draw(st.floats(0.0, 5.0))},
        "budget": {"per_week": draw(st.floats(0.0, 50.0)),
                   "allocation": dict(zip(ACTIVITIES, alloc.tolist(), strict=True))},
        "insurgency": {"base_rate": draw(st.floats(0.0, 50.0))},
        "ddr": {"disarm_rate": draw(share), "reintegration_rate": draw(share),
                "relapse_rate": draw(share)},
        "adaptive": {"enabled": draw(st.booleans()), "evaluation_days": 21},
        "events": draw(st.lists(st.sampled_from([
            {"type": "budget_cut", "step": 2, "factor": 0.3, "duration_days": 14},
            {"type": "donor_surge", "step": 3, "factor": 2.0},
            {"type": "coup", "step": 4},
            {"type": "abuse_scandal", "step": 1, "trust_shock": -0.6},
            {"type": "election", "step": 5, "trust_shock": 0.3, "crisis": 0.5},
            {"type": "peace_agreement", "step": 2, "demobilise_share": 0.7},
            {"type": "troop_drawdown", "step": 3},
        ]), max_size=3)),
    }
    return Scenario.model_validate(data)


def check_invariants(model: SSRModel, n: int, ex_combatants: int) -> None:
    """Per-civilian invariants that must hold after construction and after every step."""
    pop = model.population
    assert pop.size == n
    assert len(model.civilians) == n
    for name in ("x", "y", "district", "base_hardship", "hardship", "risk_aversion", "trust",
                 "cooperation", "legitimacy", "state", "jail_left", "ddr"):
        assert len(getattr(pop, name)) == n, name
    counts = [pop.count(s) for s in CivilianState]
    assert sum(counts) == n
    assert np.isin(pop.state, [int(s) for s in CivilianState]).all()
    for name in ("trust", "trust_police", "trust_army", "cooperation", "legitimacy", "hardship"):
        values = getattr(pop, name)
        assert np.all(np.isfinite(values)), name
        assert values.min() >= 0.0 and values.max() <= 1.0, (name, values.min(), values.max())
    assert pop.jail_left.min(initial=0) >= 0
    assert np.all(pop.jail_left[pop.state != CivilianState.JAILED] == 0)
    assert sum(pop.count_ddr(s) for s in (DDRStage.ARMED, DDRStage.DEMOBILISED,
                                          DDRStage.REINTEGRATED)) == ex_combatants
    assert np.count_nonzero(pop.ddr != DDRStage.NONE) == ex_combatants


def check_table(model: SSRModel, n: int, ex_combatants: int) -> None:
    """Invariants on the recorded measures, every row."""
    ts = model.timeseries()
    assert len(ts) == model.steps + 1
    assert (ts["quiescent"] + ts["active"] + ts["jailed"] == n).all()
    assert (ts["ddr_armed"] + ts["ddr_demobilised"] + ts["ddr_reintegrated"]
            == ex_combatants).all()
    assert (ts["spent"] <= ts["budget"] * (1 + TOL) + TOL).all(), ts[["budget", "spent"]]
    spent_cols = [f"spent_{a}" for a in ACTIVITIES] + ["spent_crisis", "ngo_spent"]
    assert (ts[spent_cols] >= 0).all().all()
    np.testing.assert_allclose(ts[spent_cols[:-1]].sum(axis=1), ts["spent"], rtol=1e-9,
                               atol=1e-9)
    for col in ("trust", "police_trust", "army_trust", "cooperation", "legitimacy", "hardship",
                "stability", "conduct", "unfair_contact_share", "perceived_safety",
                "experienced_corruption",
                "reform_uptake", "in_training", "accountability", "oversight", "judicial",
                "legislative", "civilian_control", "service_coverage", "active_share"):
        assert ts[col].between(0.0, 1.0).all(), col
    alloc = ts[[f"alloc_{a}" for a in ACTIVITIES]]
    np.testing.assert_allclose(alloc.sum(axis=1), 1.0, atol=1e-9)
    assert (ts[list(TALLIES)] >= 0).all().all()
    # the recall window includes this step; conduct counts extortion and witnessed abuse
    assert (ts["experienced_corruption"] >= ts["unfair_contact_share"]).all()
    assert (1.0 - ts["conduct"] >= ts["unfair_contact_share"] - TOL).all()
    np.testing.assert_allclose(ts["abuses_per_1000"], ts["abuses"] * 1000.0 / n, rtol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_invariants_hold_every_step(scenario):
    model = SSRModel(scenario)
    n = model.population.size
    ex = int(np.count_nonzero(model.population.ddr != DDRStage.NONE))
    check_invariants(model, n, ex)
    for _ in range(scenario.time.steps):
        model.step()
        check_invariants(model, n, ex)
    check_table(model, n, ex)


def test_population_size_and_ex_combatants_follow_the_scenario(small_scenario):
    model = SSRModel(small_scenario)
    w, h = small_scenario.space.width, small_scenario.space.height
    assert model.population.size == round(small_scenario.population.density * w * h)
    for i, d in enumerate(small_scenario.districts):
        members = model.population.district == i
        armed = np.count_nonzero(members & (model.population.ddr == DDRStage.ARMED))
        assert armed == round(d.ex_combatants * members.sum())


def test_civilian_agents_are_views_of_population_rows(small_scenario):
    model = SSRModel(small_scenario)
    pop = model.population
    assert Civilian not in model.agents_by_type  # none made before they are asked for
    civilians = list(model.civilians)
    assert [c.index for c in civilians] == list(range(pop.size))
    assert model.civilians[-1] is civilians[-1] and model.civilians[:2] == civilians[:2]
    with pytest.raises(IndexError):
        model.civilians[pop.size]
    assert len(model.agents_by_type[Civilian]) == pop.size  # registered once made
    for _ in range(3):
        model.step()
    rng = np.random.default_rng(0)
    for civ in rng.choice(np.array(civilians, dtype=object), size=25, replace=False):
        i = civ.index
        assert civ.trust == pytest.approx(model.population.trust[i])
        assert civ.state == CivilianState(model.population.state[i])
        assert civ.position == (int(model.population.x[i]), int(model.population.y[i]))
        assert civ.hardship == pytest.approx(model.population.hardship[i])
        assert civ.district == model.district_names[model.population.district[i]]
        assert model.layout.civilian_at[civ.position] == i
    # a view follows later writes to the arrays; its trust combines police and army
    civ = civilians[0]
    model.population.trust_police[civ.index] = 0.2
    model.population.trust_army[civ.index] = 0.6
    w = small_scenario.trust.police_weight
    assert (civ.trust_police, civ.trust_army) == (pytest.approx(0.2), pytest.approx(0.6))
    assert civ.trust == pytest.approx(w * 0.2 + (1 - w) * 0.6)


# -- reproducibility ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_incident_counts_rise_with_the_rate_on_the_same_seed(make_scenario, seed):
    """Counts are drawn by inversion from a stream of their own: common random numbers."""
    def first_step_incidents(base_rate: float) -> np.ndarray:
        model = SSRModel(make_scenario({"insurgency": {"base_rate": base_rate}}), rng=seed)
        model.step()
        return model.districts.incidents.copy()

    low, high = first_step_incidents(5.0), first_step_incidents(15.0)
    assert (high >= low).all() and high.sum() > low.sum()


def test_same_seed_gives_identical_timeseries(make_scenario, run):
    scenario = make_scenario({"time": {"steps": 15}, "adaptive": {"enabled": True,
                                                                  "evaluation_days": 28},
                              "events": [{"type": "peace_agreement", "step": 5},
                                         {"type": "troop_drawdown", "step": 7}]})
    a = run(scenario).timeseries()
    b = run(scenario).timeseries()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_rng_argument_overrides_the_scenario_seed(make_scenario, run):
    scenario = make_scenario({"seed": 5, "time": {"steps": 6}})
    other = make_scenario({"seed": 99, "time": {"steps": 6}})
    pd.testing.assert_frame_equal(run(scenario).timeseries(),
                                  run(other, rng=5).timeseries(), check_exact=True)


def test_different_seeds_give_different_timeseries(make_scenario, run):
    tables = [run(make_scenario({"seed": s, "time": {"steps": 10}})).timeseries()
              for s in (1, 2)]
    assert not tables[0].equals(tables[1])
    assert not np.allclose(tables[0]["trust"], tables[1]["trust"])


# -- behaviour ------------------------------------------------------------------------------


def mean_over_seeds(make_scenario, run, changes, column, seeds=(1, 2, 3), steps=20):
    values = []
    for seed in seeds:
        scenario = make_scenario({**changes, "seed": seed, "time": {"steps": steps}})
        values.append(run(scenario).timeseries()[column].iloc[1:].mean())
    return float(np.mean(values))


def test_high_legitimacy_means_less_activity_than_low(make_scenario, run):
    high = mean_over_seeds(make_scenario, run,
                           {"legitimacy": {"mode": "fixed", "fixed_value": 0.95}},
                           "active_share")
    low = mean_over_seeds(make_scenario, run,
                          {"legitimacy": {"mode": "fixed", "fixed_value": 0.6}},
                          "active_share")
    assert low > high
    assert low > 0.0


def test_zero_budget_means_no_reform(make_scenario, run):
    scenario = make_scenario({"budget": {"per_week": 0.0}, "time": {"steps": 25},
                              "security": {"training_days": 14, "training_half": 0.05}})
    ts = run(scenario).timeseries()
    assert (ts["reform_uptake"] == 0).all()
    assert (ts["in_training"] == 0).all()
    assert (ts["spent"] == 0).all()


def test_funded_training_raises_reform_uptake(make_scenario, run):
    changes = {
        "budget": {"per_week": 40.0,
                   "allocation": {"engagement": 0.1, "services": 0.1, "training": 0.6,
                                  "oversight": 0.1, "ddr": 0.1}},
        "security": {"training_days": 14, "training_half": 0.2, "backsliding_rate": 0.0},
        "cmo": {"throughput": 20.0},
    }
    uptake = [run(make_scenario({**changes, "seed": s, "time": {"steps": 25}}))
              .timeseries()["reform_uptake"] for s in (1, 2, 3)]
    assert all(u.iloc[0] == 0 for u in uptake)
    assert np.mean([u.iloc[-1] for u in uptake]) > 0.2


def test_zero_abuse_rate_means_no_abuses(make_scenario, run):
    scenario = make_scenario({"security": {"abuse_rate": {"police": 0.0, "army": 0.0}},
                              "time": {"steps": 25}})
    ts = run(scenario).timeseries()
    assert (ts["abuses"] == 0).all()
    assert (ts["abuses_reported"] == 0).all()
    assert (ts["abuses_sanctioned"] == 0).all()


def test_abuses_occur_with_positive_abuse_rate(make_scenario, run):
    scenario = make_scenario({"security": {"abuse_rate": {"police": 0.5, "army": 0.5}},
                              "time": {"steps": 10}})
    assert run(scenario).timeseries()["abuses"].sum() > 0


# -- trust in police and army ------------------------------------------------------------------

NEW_TRUST_OFF = {"unfair_contact_loss": 0.0, "hearsay": 0.0, "memory_rate": 0.0,
                 "expectation_loss": 0.0}
"""The trust mechanisms of "trust both ways" that tests of one other mechanism switch off."""

POLICE_ABUSE_ONLY = {
    # Only police abuse; nothing else moves trust: no programme, no NGO money, no reformed
    # units, no incidents, no social averaging.
    "security": {"abuse_rate": {"police": 0.5, "army": 0.0}, "initial_reformed": 0.0},
    "budget": {"per_week": 0.0}, "ngo": {"budget": 0.0},
    "trust": {"social_weight": 0.0, "incident_loss": 0.0, **NEW_TRUST_OFF},
    "time": {"steps": 10},
}


@pytest.mark.parametrize("spillover", [0.0, 0.5, 1.0])
def test_police_abuses_hit_trust_in_the_army_by_the_spillover_share(make_scenario, run,
                                                                     spillover):
    scenario = make_scenario(POLICE_ABUSE_ONLY | {"trust": {
        **POLICE_ABUSE_ONLY["trust"], "spillover": spillover}})
    start = run(scenario, 0).population
    model = run(scenario)
    pop = model.population
    assert model.timeseries()["abuses"].sum() > 0
    police_kept = pop.trust_police / start.trust_police
    army_kept = pop.trust_army / start.trust_army
    assert police_kept.min() < 0.95  # someone saw a police abuse
    # per civilian: kept trust is (1 - a)^W for the police and (1 - s a)^W for the army
    a = scenario.trust.abuse_loss
    witnessed = np.log(police_kept) / np.log(1 - a)
    np.testing.assert_allclose(army_kept, (1 - spillover * a) ** witnessed, rtol=1e-9)


def test_engagement_builds_trust_in_the_army_and_services_in_both(make_scenario, run):
    allocation = {"engagement": 0.5, "services": 0.5, "training": 0.0, "oversight": 0.0,
                  "ddr": 0.0}
    quiet = {"security": {"abuse_rate": {"police": 0.0, "army": 0.0}, "initial_reformed": 0.0},
             "trust": {"social_weight": 0.0, "incident_loss": 0.0, **NEW_TRUST_OFF},
             "ngo": {"budget": 0.0},
             "budget": {"per_week": 20.0, "allocation": allocation}, "time": {"steps": 20}}
    start = run(make_scenario(quiet), 0).population
    both = run(make_scenario(quiet)).population
    no_services = run(make_scenario(quiet | {"trust": {**quiet["trust"],
                                                       "service_gain": 0.0}})).population
    assert (no_services.trust_police == start.trust_police).all()  # engagement: army only
    assert no_services.trust_army.mean() > start.trust_army.mean() + 0.01
    assert both.trust_police.mean() > start.trust_police.mean() + 0.005  # services: both
    assert both.trust_army.mean() > no_services.trust_army.mean()


def test_unfair_contact_with_unreformed_units_erodes_trust_and_reform_stops_it(make_scenario,
                                                                                  run):
    quiet = POLICE_ABUSE_ONLY | {
        "security": {"abuse_rate": {"police": 0.0, "army": 0.0}, "initial_reformed": 0.0},
        "trust": {**POLICE_ABUSE_ONLY["trust"], "unfair_contact_loss": 0.05,
                  "fair_contact_gain": 0.0}}
    start = run(make_scenario(quiet), 0).population
    unreformed = run(make_scenario(quiet)).population
    reformed = run(make_scenario(quiet | {"security": {
        **quiet["security"], "initial_reformed": 1.0, "backsliding_rate": 0.0}})).population
    for force in ("police", "army"):
        kept = unreformed.trust_in(force) / start.trust_in(force)
        contacts = np.log(kept) / np.log(0.95)
        np.testing.assert_allclose(contacts, np.rint(contacts), atol=1e-6)  # whole contacts
        assert contacts.max() >= 2
        np.testing.assert_array_equal(reformed.trust_in(force), start.trust_in(force))
    off = run(make_scenario(quiet | {"trust": {**quiet["trust"], "unfair_contact_loss": 0.0}}))
    np.testing.assert_array_equal(off.population.trust_police, start.trust_police)


def test_initial_army_trust_is_the_police_draw_unless_given(make_scenario):
    same = SSRModel(make_scenario()).population
    assert (same.trust_army == same.trust_police).all()
    own = SSRModel(make_scenario({"population": {
        "initial_army_trust": {"mean": 0.8, "concentration": 20.0}}})).population
    assert own.trust_army.mean() == pytest.approx(0.8, abs=0.02)
    assert own.trust_police.mean() == pytest.approx(0.4, abs=0.03)


def test_fixed_legitimacy_is_held(make_scenario, run):
    scenario = make_scenario({"legitimacy": {"mode": "fixed", "fixed_value": 0.83},
                              "time": {"steps": 5}})
    ts = run(scenario).timeseries()
    np.testing.assert_allclose(ts["legitimacy"], 0.83)


# -- edge cases -----------------------------------------------------------------------------


def test_a_valid_scenario_with_no_civilians_is_rejected_or_runs():
    # 3x3 cells at density 0.05 gives round(0.45) = 0 civilians.
    data = {"space": {"width": 3, "height": 3}, "population": {"density": 0.05},
            "time": {"steps": 2}}
    try:
        scenario = Scenario.model_validate(data)
    except pydantic.ValidationError:
        return
    model = SSRModel(scenario)
    model.step()
    ts = model.timeseries()
    assert len(ts) == 2


@pytest.mark.parametrize("path", ["scenarios/epstein.yaml", "scenarios/baseline.yaml"])
def test_shipped_scenarios_build_and_step(path):
    from pathlib import Path

    from ssrsim.scenario import load_scenario

    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / path)
    model = SSRModel(scenario)
    for _ in range(2):
        model.step()
    n = model.population.size
    ex = int(np.count_nonzero(model.population.ddr != DDRStage.NONE))
    check_invariants(model, n, ex)
    check_table(model, n, ex)


def test_the_model_keeps_the_parameters_not_the_experiment(small_scenario):
    scenario = small_scenario.model_copy(update={"name": "other", "description": "x"})
    model = SSRModel(scenario)
    assert type(model.params) is ModelParams
    assert not hasattr(model.params, "policies") and not hasattr(model.params, "name")
    assert model.params == scenario.params == small_scenario.params
    assert model.params.model_dump() == {k: v for k, v in scenario.model_dump().items()
                                         if k in ModelParams.model_fields}


def test_the_spin_up_settles_rebellion_and_changes_nothing_else():
    from pathlib import Path

    from ssrsim.scenario import apply_changes, load_scenario

    base = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml")
    cold = SSRModel(apply_changes(base, {"time.spin_up_days": 0}, source="test"))
    warm = SSRModel(base)
    assert warm.steps == 0 and base.time.spin_up_days > 0
    # the scenario's initial values are kept: trust, institutions, district stocks
    np.testing.assert_array_equal(warm.population.trust_police, cold.population.trust_police)
    assert warm.institutions.oversight == cold.institutions.oversight
    np.testing.assert_array_equal(warm.districts.service_level, cold.districts.service_level)
    # but the jail holds people and actives are there from step 0
    assert cold.population.count(CivilianState.JAILED) == 0
    assert warm.population.count(CivilianState.JAILED) > 0.05 * warm.population.size
    # so there is no opening outburst: the active share barely moves in the first steps
    shares = {}
    for name, model in (("cold", cold), ("warm", warm)):
        for _ in range(5):
            model.step()
        shares[name] = model.timeseries()["active_share"].to_numpy()
    assert shares["cold"][0] == 0 and shares["cold"][1:].max() > 0.15
    assert np.ptp(shares["warm"]) < 0.03
