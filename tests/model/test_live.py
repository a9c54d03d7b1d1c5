"""Live levers (`SSRModel.set_levers`): they act from the start of the next step, exactly."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ssrsim.model import SSRModel
from ssrsim.model.live import LIVE_LEVERS
from ssrsim.scenario import ScenarioError
from ssrsim.scenario.schema import ACTIVITIES, Election

K = 4
"""The step after which a lever moves in these tests; it acts from step K + 1."""

SHARES = {"engagement": 0.1, "services": 0.1, "training": 0.5, "oversight": 0.2, "ddr": 0.1}


def stepped(model: SSRModel, steps: int) -> SSRModel:
    for _ in range(steps):
        model.step()
    return model


def test_a_budget_change_acts_from_the_next_step_and_not_before(make_scenario):
    scenario = make_scenario({"budget": {"per_week": 0.0}, "time": {"steps": 10}})
    model = stepped(SSRModel(scenario), K)
    model.set_levers({"budget.per_week": 12.0})
    ts = stepped(model, 4).timeseries().set_index("step")
    assert ts.loc[:K, "budget"].tolist() == [0.0] * (K + 1)
    assert ts.loc[:K, "spent"].tolist() == [0.0] * (K + 1)
    assert ts.loc[K + 1:, "budget"].tolist() == [12.0] * 4
    assert (ts.loc[K + 1:, "spent"] > 0).all()
    assert model.params.budget.per_week == 12.0
    assert model.event_log == [(K + 1, "lever", "budget.per_week=12")]


def test_same_seed_runs_match_until_the_lever_acts(make_scenario):
    scenario = make_scenario({"time": {"steps": 10}})
    plain, moved = stepped(SSRModel(scenario), K), stepped(SSRModel(scenario), K)
    moved.set_levers({"cmo.coordination": 1.0, "budget.per_week": 25.0})
    a, b = stepped(plain, 3).timeseries(), stepped(moved, 3).timeseries()
    pd.testing.assert_frame_equal(a.iloc[:K + 1], b.iloc[:K + 1], check_exact=True)
    assert not a.iloc[K + 1:].equals(b.iloc[K + 1:])
    assert (b["budget"].iloc[K + 1:] == 25.0).all()


def test_budget_shares_set_the_allocation(make_scenario):
    model = stepped(SSRModel(make_scenario({"time": {"steps": 10}})), K)
    before = {a: model.institutions.allocation[i] for i, a in enumerate(ACTIVITIES)}
    model.set_levers({f"budget.allocation.{a}": v for a, v in SHARES.items()})
    ts = stepped(model, 2).timeseries().set_index("step")
    for activity, share in SHARES.items():
        assert ts.loc[K, f"alloc_{activity}"] == pytest.approx(before[activity])
        assert ts.loc[K + 1:, f"alloc_{activity}"].tolist() == pytest.approx([share] * 2)
    assert [kind for _, kind, _ in model.event_log] == ["lever"] * 5


def test_institution_levers_set_the_level_now(make_scenario):
    model = stepped(SSRModel(make_scenario()), K)
    model.set_levers({"institutions.political_resistance": 0.9})
    assert model.institutions.political_resistance == 0.4  # not before the next step
    model.step()
    assert model.timeseries()["political_resistance"].iloc[-1] == 0.9


@pytest.mark.parametrize(("first", "expected"), [("shock", 0.1), ("lever", 0.15)])
def test_levers_and_shocks_act_in_the_order_they_were_made(make_scenario, first, expected):
    model = stepped(SSRModel(make_scenario()), K)
    election = Election(type="election", step=K, political_resistance=0.05)
    actions = [lambda: model.inject_event(election),
               lambda: model.set_levers({"institutions.political_resistance": 0.1})]
    for action in actions if first == "shock" else actions[::-1]:
        action()
    model.step()
    assert model.institutions.political_resistance == pytest.approx(expected)


def test_changes_between_two_steps_count_once_with_their_last_value(make_scenario):
    model = stepped(SSRModel(make_scenario()), K)
    for value in (0.6, 0.7, 0.8):
        model.set_levers({"cmo.coordination": value})
    model.step()
    assert model.params.cmo.coordination == 0.8
    assert model.event_log == [(K + 1, "lever", "cmo.coordination=0.8")]


@pytest.mark.parametrize("path", ["space.width", "trust.social_radius",
                                  "community_policing.visits_per_year",
                                  "institutions.judicial"])
def test_a_parameter_read_at_construction_is_refused(small_scenario, path):
    model = SSRModel(small_scenario)
    with pytest.raises(ValueError, match=rf"^{path} cannot change in a running model: .*"
                                         r"applies only to a new model \(Reset"):
        model.set_levers({path: 1})
    assert path not in LIVE_LEVERS


def test_institutional_resistance_is_refused_with_its_reason(small_scenario):
    model = SSRModel(small_scenario)
    with pytest.raises(ValueError, match="draws its resistance to reform from it when the "
                                         "unit is created"):
        model.set_levers({"institutions.institutional_resistance": 0.9})


def test_bad_values_get_the_loaders_messages_and_change_nothing(small_scenario):
    model = SSRModel(small_scenario)
    before = model.params
    message = re.escape("cmo.coordination = 2: must be between 0 and 1")
    with pytest.raises(ScenarioError, match=message):
        model.set_levers({"cmo.coordination": 2})
    with pytest.raises(ScenarioError, match="shares must sum to 1"):
        model.set_levers({"budget.allocation.engagement": 0.9})
    model.step()
    assert model.params is before and model.event_log == []
