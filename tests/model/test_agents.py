"""Security force units, CMO units and NGOs."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model import (
    NGO,
    CivilianState,
    CMOUnit,
    ReformState,
    SecurityForceUnit,
    SSRModel,
)
from ssrsim.scenario.schema import ACTIVITIES


def units(model: SSRModel) -> list[SecurityForceUnit]:
    return list(model.agents_by_type.get(SecurityForceUnit, []))


# -- placement and patrol -----------------------------------------------------------------


@pytest.mark.parametrize("torus", [False, True])
def test_units_stay_in_their_district_and_move_within_patrol_radius(make_scenario, torus):
    scenario = make_scenario({"space": {"torus": torus}, "security": {"patrol_radius": 3}})
    model = SSRModel(scenario)
    w, h = model.layout.shape
    moved = False
    for _ in range(10):
        before = {u: u.xy for u in units(model)}
        model.step()
        for u in units(model):
            x, y = u.xy
            assert model.layout.district_of_cell[x, y] == u.district
            bx, by = before[u]
            dx, dy = abs(x - bx), abs(y - by)
            if torus:
                dx, dy = min(dx, w - dx), min(dy, h - dy)
            assert dx + dy <= 3
            moved |= (dx + dy) > 0
    assert moved
    for agent in (*model.agents_by_type[CMOUnit], *model.agents_by_type[NGO]):
        assert model.layout.district_of_cell[agent.xy] == agent.district


def test_units_stay_put_without_patrol(make_scenario):
    model = SSRModel(make_scenario({"security": {"patrol_radius": 0}}))
    start = {u: u.xy for u in units(model)}
    for _ in range(5):
        model.step()
    assert {u: u.xy for u in units(model)} == start


def test_capacity_depends_on_kind_and_reform(make_scenario):
    model = SSRModel(make_scenario({
        "security": {"capacity": {"police": 0.3, "army": 0.4},
                     "reformed_capacity": {"police": 0.7, "army": 0.8}}}))
    expected = {("police", ReformState.UNREFORMED): 0.3, ("army", ReformState.UNREFORMED): 0.4,
                ("police", ReformState.TRAINING): 0.3, ("army", ReformState.TRAINING): 0.4,
                ("police", ReformState.REFORMED): 0.7, ("army", ReformState.REFORMED): 0.8}
    for u in units(model)[:6]:
        for state in ReformState:
            u.reform = state
            assert u.capacity == expected[(u.kind, state)]


def test_unit_resistance_follows_institutional_resistance(make_scenario):
    model = SSRModel(make_scenario({
        "districts": [{"name": "a", "police": 400}, {"name": "b"}, {"name": "c"},
                      {"name": "d"}],
        "institutions": {"institutional_resistance": 0.3},
        "security": {"resistance_concentration": 20}}))
    r = np.array([u.resistance for u in units(model)])
    assert len(r) == 400
    assert r.min() >= 0 and r.max() <= 1
    assert r.mean() == pytest.approx(0.3, abs=0.02)


# -- arrest ---------------------------------------------------------------------------------


def test_no_arrest_with_zero_capacity(make_scenario, run):
    scenario = make_scenario({
        "legitimacy": {"mode": "fixed", "fixed_value": 0.0},
        "security": {"capacity": {"police": 0.0, "army": 0.0},
                     "reformed_capacity": {"police": 0.0, "army": 0.0}},
        "time": {"steps": 8}})
    ts = run(scenario).timeseries()
    assert ts["active"].sum() > 0
    assert (ts["arrests"] == 0).all()
    assert (ts["jailed"] == 0).all()


def test_arrests_jail_civilians_with_bounded_terms(make_scenario):
    model = SSRModel(make_scenario({
        "legitimacy": {"mode": "fixed", "fixed_value": 0.0},
        "population": {"risk_aversion": {"mean": 0.1, "concentration": 10}},
        "security": {"capacity": {"police": 1.0, "army": 1.0}},
        "activation": {"max_jail_days": 28}}))
    total = 0
    for _ in range(8):
        model.step()
        total += model.record.arrests
        jailed = model.population.state == CivilianState.JAILED
        assert np.all(model.population.jail_left[jailed] <= 4)
    assert total > 0
    assert model.timeseries()["jailed"].max() > 0


def test_zero_jail_term_releases_at_once(make_scenario, run):
    scenario = make_scenario({
        "legitimacy": {"mode": "fixed", "fixed_value": 0.0},
        "security": {"capacity": {"police": 1.0, "army": 1.0}},
        "activation": {"max_jail_days": 0}, "time": {"steps": 6}})
    ts = run(scenario).timeseries()
    assert ts["arrests"].sum() > 0
    assert (ts["jailed"] == 0).all()


# -- abuse ----------------------------------------------------------------------------------


def test_every_unit_abuses_at_rate_one_without_deterrence(make_scenario, run):
    scenario = make_scenario({
        "budget": {"per_week": 0.0},
        "security": {"abuse_rate": {"police": 1.0, "army": 1.0},
                     "oversight_deterrence": 0.0, "sanction_deterrence": 0.0},
        "time": {"steps": 5}})
    ts = run(scenario).timeseries()
    assert (ts["abuses"].iloc[1:] == ts["security_units"].iloc[1:]).all()
    assert (ts["abuses_reported"] <= ts["abuses"]).all()
    assert (ts["abuses_sanctioned"] <= ts["abuses_reported"]).all()


def test_reformed_units_abuse_less(make_scenario, run):
    common = {"security": {"abuse_rate": {"police": 0.5, "army": 0.5},
                           "reformed_abuse_reduction": 1.0, "backsliding_rate": 0.0},
              "time": {"steps": 10}}
    reformed = make_scenario({**common, "security": {**common["security"],
                                                     "initial_reformed": 1.0}})
    assert (run(reformed).timeseries()["abuses"] == 0).all()
    assert run(make_scenario(common)).timeseries()["abuses"].sum() > 0


# -- reform ----------------------------------------------------------------------------------


def test_no_backsliding_at_full_oversight(make_scenario, run):
    scenario = make_scenario({"security": {"initial_reformed": 1.0, "backsliding_rate": 1.0},
                              "institutions": {"oversight": 1.0, "decay": 0.0},
                              "time": {"steps": 6}})
    ts = run(scenario).timeseries()
    assert (ts["reform_uptake"] == 1.0).all()


# -- CMO units and NGOs ----------------------------------------------------------------------


@pytest.mark.parametrize(("per_week", "throughput"), [(100.0, 1.5), (4.0, 50.0)])
def test_cmo_units_spend_their_share_of_the_cmo_pot(make_scenario, run, per_week, throughput):
    scenario = make_scenario({"budget": {"per_week": per_week}, "cmo": {"throughput": throughput},
                              "time": {"steps": 4}})
    ts = run(scenario).timeseries().iloc[1:]
    alloc = scenario.budget.allocation
    pot = per_week * (alloc.engagement + alloc.services + alloc.training)
    n_cmo = 4
    expected = n_cmo * min(throughput, pot / n_cmo)
    cmo_spent = ts[["spent_engagement", "spent_services", "spent_training", "spent_crisis"]]
    np.testing.assert_allclose(cmo_spent.sum(axis=1), expected)
    np.testing.assert_allclose(ts["spent_oversight"], per_week * alloc.oversight)
    # CMO money is split in allocation proportions
    np.testing.assert_allclose(ts["spent_engagement"] / ts["spent_training"],
                               alloc.engagement / alloc.training)


def test_cmo_units_stay_without_relocation(make_scenario):
    model = SSRModel(make_scenario({"cmo": {"relocation_rate": 0.0}}))
    start = {u: u.district for u in model.agents_by_type[CMOUnit]}
    for _ in range(5):
        model.step()
    assert {u: u.district for u in model.agents_by_type[CMOUnit]} == start


def test_ngo_leaves_a_violent_district_for_the_calmest(make_scenario):
    model = SSRModel(make_scenario({"ngo": {"violence_threshold": 0.1}}))
    ngo = next(n for n in model.agents_by_type[NGO] if n.district == 0)
    model.districts.violence = np.array([0.5, 0.3, 0.0, 0.2])
    spent = model.ledger.ngo_spent
    ngo.step()
    assert ngo.district == 2
    assert model.layout.district_of_cell[ngo.xy] == 2
    assert model.ledger.ngo_spent == spent + model.params.ngo.budget


def test_budget_allocation_columns_follow_the_scenario(small_scenario, run):
    ts = run(small_scenario, 2).timeseries()
    for activity in ACTIVITIES:
        assert (ts[f"alloc_{activity}"] == getattr(small_scenario.budget.allocation,
                                                   activity)).all()


def test_ngos_plan_with_their_own_rate_and_coordination(make_scenario):
    """NGOs no longer borrow the CMO units' re-planning rate and coordination."""
    def ngo_moves(ngo: dict, cmo: dict) -> int:
        model = SSRModel(make_scenario({"ngo": ngo, "cmo": cmo, "time": {"steps": 30}}))
        ngos = list(model.of_type(NGO))
        before = [n.district for n in ngos]
        moves = 0
        for _ in range(30):
            model.step()
            moves += sum(n.district != d for n, d in zip(ngos, before, strict=True))
            before = [n.district for n in ngos]
        return moves

    still = {"relocation_rate": 0.0, "violence_threshold": 1.0}
    assert ngo_moves(still, {"relocation_rate": 1.0}) == 0
    assert ngo_moves({"relocation_rate": 1.0, "violence_threshold": 1.0},
                     {"relocation_rate": 0.0}) > 0
