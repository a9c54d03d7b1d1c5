"""Levers are derived from the schema; budget shares stay summing to 1."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssrsim.app import levers as lv
from ssrsim.model.model import SSRModel
from ssrsim.scenario import PathError, apply_changes, field_of, get_value, load_scenario
from ssrsim.scenario.schema import ACTIVITIES, Scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def test_every_lever_path_is_a_scenario_parameter():
    scenario = Scenario()
    for path in lv.LEVER_PATHS:
        info = field_of(path)
        assert info.description, path
        assert get_value(scenario, path) == info.get_default(call_default_factory=True)


def test_the_levers_the_issue_asks_for():
    expected = {"cmo.coordination", "ngo.coordination", "budget.per_week", "institutions.oversight",
                "institutions.political_resistance", "institutions.institutional_resistance",
                *(f"budget.allocation.{a}" for a in ACTIVITIES)}
    assert set(lv.LEVER_PATHS) == expected


def test_label_range_and_help_come_from_the_field():
    lever = lv.make_lever("cmo.coordination")
    info = field_of("cmo.coordination")
    assert lever.help == info.description
    assert (lever.minimum, lever.maximum) == (0.0, 1.0)  # ge=0, le=1 in the schema
    assert lever.default == info.default
    assert lever.label == "Coordination"
    assert lever.step == pytest.approx(0.01)
    assert lever.section == "cmo" and lever.section_help


def test_an_open_range_gets_an_upper_end_from_default_and_value():
    lever = lv.make_lever("budget.per_week")
    assert lever.minimum == 0.0  # ge=0
    assert lever.maximum >= lv.OPEN_RANGE_FACTOR * lever.default
    assert lever.unit == "resource units per week"
    big = apply_changes(Scenario(), {"budget.per_week": 300.0}, source="test")
    assert lv.make_lever("budget.per_week", big).maximum >= 300 * lv.OPEN_RANGE_FACTOR


@pytest.mark.parametrize("path", ["security.training_half", "population.risk_aversion.mean"])
def test_an_exclusive_bound_is_not_a_slider_position(path, monkeypatch):
    # security.training_half has gt=0; a Beta mean has gt=0 and lt=1: a lever made of one
    # used to reach the bound itself, a value the scenario then refused
    monkeypatch.setattr(lv, "LIVE_LEVERS", (*lv.LIVE_LEVERS, path))
    lever = lv.make_lever(path)
    assert lever.minimum == lever.step
    for wanted in (-1.0, 0.0, 1.0, 1e6):
        value = lever.clamp(wanted)
        assert get_value(apply_changes(Scenario(), {path: value}, source="test"), path) == value


def test_clamp_keeps_values_in_range():
    lever = lv.make_lever("institutions.oversight")
    assert lever.clamp(2.0) == 1.0
    assert lever.clamp(-1.0) == 0.0


def test_lever_values_of_a_scenario():
    scenario = load_scenario(BASELINE, policy="coordinated")
    values = lv.lever_values(scenario)
    assert values["cmo.coordination"] == pytest.approx(0.9)
    shares = [values[f"budget.allocation.{a}"] for a in ACTIVITIES]
    assert math.fsum(shares) == pytest.approx(1.0)


def test_renormalise_keeps_proportions():
    shares = {"engagement": 0.25, "services": 0.25, "training": 0.2, "oversight": 0.15,
              "ddr": 0.15}
    new = lv.renormalise(shares, "engagement", 0.5)
    assert new["engagement"] == 0.5
    assert math.fsum(new.values()) == pytest.approx(1.0)
    assert new["services"] / new["training"] == pytest.approx(0.25 / 0.2)
    assert list(new) == list(shares)


def test_renormalise_splits_evenly_when_the_others_are_zero():
    shares = {"engagement": 1.0, "services": 0.0, "training": 0.0, "oversight": 0.0, "ddr": 0.0}
    new = lv.renormalise(shares, "engagement", 0.6)
    assert new["services"] == pytest.approx(0.1)
    assert math.fsum(new.values()) == pytest.approx(1.0)


@given(st.lists(st.floats(0, 1), min_size=5, max_size=5).filter(lambda v: sum(v) > 1e-6),
       st.sampled_from(ACTIVITIES), st.floats(-0.5, 1.5))
def test_renormalised_shares_always_validate(raw, changed, value):
    total = sum(raw)
    shares = {a: v / total for a, v in zip(ACTIVITIES, raw, strict=True)}
    new = lv.renormalise(shares, changed, value)
    assert all(0.0 <= v <= 1.0 for v in new.values())
    assert abs(math.fsum(new.values()) - 1.0) < 1e-9
    changes = {f"budget.allocation.{a}": v for a, v in new.items()}
    scenario = apply_changes(Scenario(), changes, source="test")  # the schema accepts them
    assert scenario.budget.allocation.engagement == pytest.approx(new["engagement"])


def test_set_lever_moves_one_share_and_rescales_the_rest():
    values = lv.lever_values(Scenario())
    new = lv.set_lever(values, "budget.allocation.training", 0.6)
    assert new["budget.allocation.training"] == 0.6
    assert math.fsum(new[f"budget.allocation.{a}"] for a in ACTIVITIES) == pytest.approx(1.0)
    assert new["cmo.coordination"] == values["cmo.coordination"]
    other = lv.set_lever(values, "cmo.coordination", 0.8)
    assert other["cmo.coordination"] == 0.8
    assert all(other[f"budget.allocation.{a}"] == values[f"budget.allocation.{a}"]
               for a in ACTIVITIES)


def test_changes_apply_to_a_scenario():
    edits = {"cmo.coordination": 0.8, "budget.per_week": 12.5}
    scenario = apply_changes(Scenario(), lv.changes(edits), source="test")
    assert scenario.cmo.coordination == 0.8
    assert scenario.budget.per_week == 12.5


def test_unknown_paths_are_rejected():
    with pytest.raises(PathError):
        field_of("cmo.nope")
    with pytest.raises(PathError):
        field_of("cmo.coordination.deeper")


@given(st.lists(st.integers(0, 100), min_size=5, max_size=5).filter(lambda v: sum(v) > 0),
       st.sampled_from(ACTIVITIES), st.floats(0, 1))
def test_renormalise_on_a_grid_stays_on_the_grid_and_sums_to_one(raw, changed, value):
    total = sum(raw)
    shares = {a: v / total for a, v in zip(ACTIVITIES, raw, strict=True)}
    new = lv.renormalise(shares, changed, value, resolution=0.01)
    for v in new.values():
        assert abs(v * 100 - round(v * 100)) < 1e-9  # a multiple of 0.01
    assert abs(math.fsum(new.values()) - 1.0) < 1e-9
    assert new[changed] == pytest.approx(round(value * 100) / 100)
    apply_changes(Scenario(), {f"budget.allocation.{a}": v for a, v in new.items()},
                  source="test")


def test_renormalise_on_a_grid_keeps_proportions_roughly():
    shares = {"engagement": 0.25, "services": 0.25, "training": 0.2, "oversight": 0.15,
              "ddr": 0.15}
    new = lv.renormalise(shares, "engagement", 0.4, resolution=0.01)
    assert new == {"engagement": 0.4, "services": 0.2, "training": 0.16, "oversight": 0.12,
                   "ddr": 0.12}


def test_every_lever_is_live_but_institutional_resistance_which_says_why(small_scenario):
    reset_only = {lever.path: lever.reset_only for lever in lv.levers_for() if lever.reset_only}
    assert list(reset_only) == ["institutions.institutional_resistance"]
    assert reset_only["institutions.institutional_resistance"].startswith("Applies on Reset: ")
    assert "resistance to reform" in reset_only["institutions.institutional_resistance"]
    assert lv.make_lever("institutions.oversight").note == lv.LEVEL_NOTE
    live = {p: v for p, v in lv.lever_values(small_scenario).items() if p not in reset_only}
    assert all(lv.is_live(p) for p in live)
    model = SSRModel(small_scenario)
    model.set_levers(lv.changes(live))  # the model takes every live lever at once
    model.step()
    assert len(model.event_log) == len(live)
