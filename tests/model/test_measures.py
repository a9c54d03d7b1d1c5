"""Recorded measures: every declared measure is a column, and they agree with the state."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ssrsim.model import CivilianState, SSRModel, phases
from ssrsim.model.measures import HEADLINE, MEASURES, measure_info, measures_for
from ssrsim.model.record import RecentCounts, StepRecord
from ssrsim.scenario import apply_changes
from ssrsim.scenario.schema import ACTIVITIES, Scenario


def test_every_measure_is_a_column(small_scenario, run):
    model = run(small_scenario, 5)
    ts = model.timeseries()
    names = [m.name for m in measures_for(model.district_names)]
    assert len(set(names)) == len(names), "measure names must be unique"
    for name in names:
        assert name in ts.columns, name
    assert list(ts.columns[:2]) == ["step", "date"]
    assert set(ts.columns) == {"step", "date", *names}
    assert set(HEADLINE) <= set(names)
    for activity in ACTIVITIES:
        assert f"spent_{activity}" in names and f"alloc_{activity}" in names


def test_timeseries_has_one_row_per_step_with_dates(make_scenario, run):
    scenario = make_scenario({"time": {"steps": 4, "start_date": "2010-03-01",
                                       "step_days": 14}})
    ts = run(scenario).timeseries()
    assert ts["step"].tolist() == [0, 1, 2, 3, 4]
    assert ts["date"].tolist() == ["2010-03-01", "2010-03-15", "2010-03-29", "2010-04-12",
                                   "2010-04-26"]


def test_per_district_trust_columns_average_to_the_national_ones(small_scenario, run):
    model = run(small_scenario, 8)
    ts = model.timeseries()
    names = model.district_names
    assert len(names) == 4
    weights = np.bincount(model.population.district, minlength=len(names))
    assert weights.min() > 0
    for prefix, national in (("trust", "trust"), ("police_trust", "police_trust"),
                             ("army_trust", "army_trust")):
        cols = [f"{prefix}_{n}" for n in names]
        weighted = ts[cols].to_numpy() @ weights / weights.sum()
        np.testing.assert_allclose(weighted, ts[national].to_numpy(), rtol=1e-9)
    info = {i.name: i for i in measure_info(names)}
    assert info["police_trust_north"].better == "higher"
    assert info["police_trust_north"].label == "Trust in the police in north"


def test_every_column_is_described_for_the_results_format(small_scenario):
    names = [d.name for d in small_scenario.districts]
    info = measure_info(names)
    assert [i.name for i in info] == [m.name for m in measures_for(names)]
    assert [i.name for i in info if i.headline] == list(HEADLINE)
    assert all(i.label and i.description for i in info)
    assert {i.better for i in info} == {"higher", "lower", None}
    by_name = {i.name: i for i in info}
    assert by_name["trust"].label == "Trust in security forces"
    assert by_name["abuses"].better == "lower" and by_name["arrests"].better is None


def test_no_per_district_columns_with_one_district(make_scenario, run):
    scenario = make_scenario({"space": {"district_grid": [1, 1]},
                              "districts": [{"name": "only", "police": 3}]})
    model = run(scenario, 2)
    assert [m.name for m in measures_for(model.district_names)] == [m.name for m in MEASURES]
    assert "trust_only" not in model.timeseries().columns


def test_measures_agree_with_the_model_state(small_scenario, run):
    model = run(small_scenario, 6)
    last = model.timeseries().iloc[-1]
    pop = model.population
    assert last["trust"] == pytest.approx(pop.trust.mean())
    assert last["active"] == pop.count(CivilianState.ACTIVE)
    assert last["jailed"] == pop.count(CivilianState.JAILED)
    assert last["active_share"] == pytest.approx(pop.count(CivilianState.ACTIVE) / pop.size)
    assert last["oversight"] == model.institutions.oversight
    assert last["civilian_control"] == model.institutions.civilian_control
    assert last["budget"] == model.ledger.available
    assert last["spent"] == pytest.approx(model.ledger.total_spent)
    assert last["security_units"] == 4 + 3 + 3 + 5 + 5 + 2 + 2 + 6
    assert last["cmo_units"] == 4
    assert last["ngos"] == 2


def test_stability_measure_matches_its_equation(small_scenario, run):
    model = run(small_scenario, 6)
    ts = model.timeseries()
    n = model.population.size
    scale = small_scenario.measures.violence_scale
    expected = (1 - ts["active"] / n) * np.exp(-ts["incidents"] * 1000 / n / scale)
    np.testing.assert_allclose(ts["stability"], expected, rtol=1e-12)
    assert ts["abuses"].iloc[1:].sum() > 0  # abuses happened and are not in it


# -- conduct and survey-style measures, by hand on ten civilians ----------------------------

TINY = {"space": {"width": 5, "height": 4, "district_grid": [1, 1]},
        "population": {"density": 0.5},
        "districts": [{"name": "only"}],
        "trust": {"witness_radius": 0, "contact_radius": 0},  # each sees her own cell only
        "measures": {"violence_scale": 400.0, "recall_days": 21},  # window: 3 steps of 7 days
        "time": {"spin_up_days": 0}}  # nobody active or jailed but as the test places them
"""Ten civilians, no units and no insurgency: every event is placed by the test."""


def _values(model: SSRModel, record: StepRecord, step: int) -> dict[str, float]:
    """The measures of the step, computed from the model's state as at `step`."""
    seen = phases.what_civilians_saw(model.population, record, model.layout,
                                     model.neighbourhoods, model.actives)
    phases.update_experience(model.population, seen, step)
    recent = RecentCounts(1, 1.0)  # the weekly window of weekly steps: this step alone
    recent.add(record)
    world = SimpleNamespace(params=model.params, population=model.population, record=record,
                            recent=recent, steps=step)
    by_name = {m.name: m for m in MEASURES}
    return {name: by_name[name].compute(world) for name in (  # type: ignore[arg-type]
        "stability", "conduct", "abuses_per_1000", "unfair_contact_share", "perceived_safety",
        "experienced_corruption")}


def test_conduct_and_survey_measures_by_hand(make_scenario):
    model = SSRModel(make_scenario(TINY))
    pop = model.population
    assert pop.size == 10
    assert (pop.state == CivilianState.QUIESCENT).all()
    shape = model.layout.shape

    def home(i: int) -> tuple[int, int]:
        return int(pop.x[i]), int(pop.y[i])

    record = StepRecord.empty(shape)
    record.incident_grid[home(0)] += 1  # two incidents at 0's home, one at 1's
    record.incident_grid[home(0)] += 1
    record.incident_grid[home(1)] += 1
    record.incidents = 3
    pop.state[6] = CivilianState.ACTIVE  # a rebel: armed conflict at her own home
    record.add_abuse("police", *home(2))  # an abuse where 2 lives, who is also extorted
    record.add_contact("army", *home(2), fair=False)
    record.add_contact("army", *home(3), fair=False)
    record.add_contact("police", *home(4), fair=False)
    record.add_contact("police", *home(5), fair=False)
    pop.state[5] = CivilianState.JAILED  # sees nothing
    record.add_contact("police", *home(7), fair=True)  # a fair contact is not extortion
    got = _values(model, record, 1)
    assert got["stability"] == pytest.approx(0.9 * np.exp(-(3 * 1000 / 10) / 400))
    assert got["abuses_per_1000"] == pytest.approx(100.0)
    assert got["conduct"] == pytest.approx(0.7)  # 2, 3, 4 met abuse or extortion
    assert got["unfair_contact_share"] == pytest.approx(0.3)  # 2, 3, 4
    assert got["perceived_safety"] == pytest.approx(0.7)  # 0, 1, 6 saw armed violence
    assert got["experienced_corruption"] == pytest.approx(0.3)

    pop.state[6] = CivilianState.QUIESCENT
    pop.state[5] = CivilianState.QUIESCENT
    quiet = StepRecord.empty(shape)
    for step in (2, 3):  # still within the 3-step window of step 1
        got = _values(model, quiet, step)
        assert got["perceived_safety"] == pytest.approx(0.7)
        assert got["experienced_corruption"] == pytest.approx(0.3)
        assert got["unfair_contact_share"] == 0.0 and got["conduct"] == 1.0
        assert got["stability"] == 1.0
    extorted = StepRecord.empty(shape)
    extorted.add_contact("army", *home(8), fair=False)
    got = _values(model, extorted, 4)  # step 1 has left the window
    assert got["perceived_safety"] == 1.0
    assert got["experienced_corruption"] == pytest.approx(0.1)  # only 8, this step
    assert got["conduct"] == pytest.approx(0.9)


def test_survey_measures_start_from_nothing_seen(small_scenario):
    first = SSRModel(small_scenario).timeseries().iloc[0]
    assert first["perceived_safety"] == 1.0
    assert first["experienced_corruption"] == 0.0
    assert first["unfair_contact_share"] == 0.0 and first["conduct"] == 1.0


def test_stability_is_unaffected_by_abuses(make_scenario, run):
    """Two runs that differ only in the abuse rate have the same stability.

    Nothing else may differ: legitimacy is fixed and anger is off (trust lost and anger
    felt at abuses do not move activation), units cannot arrest or move, incidents are not
    suppressed (cooperation does not move them) and there is no DDR or budget. Actives and
    incidents still happen, and the old composite, which counted abuses as violence, tells
    the runs apart.
    """
    def scenario(abuse_rate: float) -> Scenario:
        return make_scenario({
            "legitimacy": {"mode": "fixed", "fixed_value": 0.3},
            "security": {"abuse_rate": {"police": abuse_rate, "army": abuse_rate},
                         "capacity": {"police": 0.0, "army": 0.0}, "patrol_radius": 0},
            "insurgency": {"max_suppression": 0.0}, "anger": {"weight": 0.0},
            "budget": {"per_week": 0.0}, "time": {"spin_up_days": 0},
            "space": {"district_grid": [1, 2]},
            "districts": [{"name": name, "police": 4, "army": 4, "insurgency": insurgency,
                           "hardship": {"mean": 0.7, "concentration": 4.0}}
                          for name, insurgency in (("a", 0.5), ("b", 0.2))]})

    calm, abusive = (run(scenario(rate), 10).timeseries() for rate in (0.0, 0.5))
    assert calm["abuses"].sum() == 0 and abusive["abuses"].sum() > 20
    assert abusive["trust"].iloc[-1] < calm["trust"].iloc[-1]
    assert calm["active"].iloc[1:].min() > 0 and calm["incidents"].sum() > 0
    np.testing.assert_array_equal(calm["active"], abusive["active"])
    np.testing.assert_array_equal(calm["incidents"], abusive["incidents"])
    np.testing.assert_array_equal(calm["stability"], abusive["stability"])
    assert (abusive["conduct"] < calm["conduct"]).iloc[1:].any()

    def old_stability(ts: pd.DataFrame) -> pd.Series:
        n = ts["quiescent"] + ts["active"] + ts["jailed"]
        violent = (ts["incidents"] + ts["abuses"]) * 1000 / n
        return (1 - ts["active_share"]) * np.exp(-violent / 2.0)

    assert not np.allclose(old_stability(calm), old_stability(abusive))


def test_reform_uptake_and_capacity_with_all_units_reformed(make_scenario, run):
    scenario = make_scenario({"security": {"initial_reformed": 1.0, "backsliding_rate": 0.0,
                                           "reformed_capacity": {"police": 0.7,
                                                                 "army": 0.9}}})
    model = SSRModel(scenario)
    first = model.timeseries().iloc[0]
    assert first["reform_uptake"] == 1.0
    assert first["in_training"] == 0.0
    police, army = 4 + 3 + 5 + 2, 3 + 5 + 2 + 6
    assert first["capacity"] == pytest.approx((0.7 * police + 0.9 * army) / (police + army))


def test_anger_is_the_mean_of_civilians_anger_and_needs_abuses(small_scenario, run):
    model = run(small_scenario, 8)
    ts = model.timeseries()
    assert ts["anger"].iloc[-1] == pytest.approx(float(model.population.anger.mean()))
    assert ts["anger"].iloc[0] == 0 and ts["abuses"].sum() > 0 and ts["anger"].max() > 0
    no_abuse = apply_changes(small_scenario, {"security.abuse_rate.police": 0.0,
                                              "security.abuse_rate.army": 0.0}, source="test")
    clean = run(no_abuse, 8).timeseries()
    assert clean["abuses"].sum() == 0 and clean["anger"].max() == 0
