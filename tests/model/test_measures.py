"""Recorded measures: every declared measure is a column, and they agree with the state."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model import CivilianState, SSRModel
from ssrsim.model.measures import HEADLINE, MEASURES, measure_info, measures_for
from ssrsim.scenario.schema import ACTIVITIES


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
    expected = (1 - ts["active"] / n) * np.exp(-(ts["incidents"] + ts["abuses"]) * 1000 / n
                                               / scale)
    np.testing.assert_allclose(ts["stability"], expected, rtol=1e-12)


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
