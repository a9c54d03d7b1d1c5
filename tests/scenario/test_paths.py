"""Parameter paths: reading, fields, bounds, the numeric leaves and the allocation vector."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, get_args

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from ssrsim.scenario import (
    ACTIVITY_INDEX,
    Bounds,
    PathError,
    Scenario,
    ScenarioError,
    allocation_vector,
    apply_changes,
    bounds_of,
    field_of,
    get_value,
    load_scenario,
    number_type,
    numeric_paths,
    schema,
    split_path,
)

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def _every_event() -> list[dict[str, Any]]:
    """One event of every type, at its defaults."""
    members = get_args(get_args(schema.Event)[0])
    return [{"type": get_args(cls.model_fields["type"].annotation)[0], "step": 1}
            for cls in members]


RICH = apply_changes(load_scenario(BASELINE), {"events": _every_event()}, source="test")
"""The baseline's four districts with one event of every type: every kind of numeric leaf."""

LEAVES = numeric_paths(RICH)
FIELDS = {path: field_of(path, RICH) for path in LEAVES}


def _accepts(field: FieldInfo, value: float) -> bool:
    """Whether pydantic accepts `value` for a field on its own (its type and constraints)."""
    try:
        TypeAdapter(Annotated[field.annotation, *field.metadata]).validate_python(value)
    except ValidationError:
        return False
    return True


# --- get_value and field_of -----------------------------------------------------------------

def test_get_value_follows_sections_lists_and_mappings():
    base = load_scenario(BASELINE, overrides=["districts.border.army=33"])
    assert get_value(base, "cmo.coordination") == base.cmo.coordination
    assert get_value(base, "budget.allocation") is base.budget.allocation
    assert get_value(base, "districts.border.army") == 33
    assert get_value(base, "districts.3.army") == 33
    assert get_value(base, "space.district_grid.1") == base.space.district_grid[1]
    assert get_value(base, "policies.coordinated.set") == base.policies["coordinated"].set
    assert get_value(base.model_dump(), "districts.border.army") == 33  # plain data too


@pytest.mark.parametrize(("path", "message"), [
    ("trust.engagment_gain", "unknown key 'engagment_gain' in 'trust'; did you mean "
                             "'trust.engagement_gain'?"),
    ("nope", "unknown key 'nope'; allowed: seed, time, space"),
    ("districts.nowhere.police", "'districts' has no item named 'nowhere'; names are: capital"),
    ("districts.delt.police", "'districts' has no item named 'delt'; did you mean 'delta'?"),
    ("districts.9.police", "index 9 is out of range: 'districts' has 4 items"),
    ("cmo.coordination.deeper", "'cmo.coordination' is a single value; it has no key 'deeper'"),
    ("space.district_grid.x", "'space.district_grid' is a list: use an item index (0 to 1)"),
    ("population.initial_army_trust.mean", "'population.initial_army_trust' is not set"),
    ("cmo..coordination", "is not a parameter path like budget.allocation.training"),
])
def test_a_bad_path_says_what_is_wrong(path, message):
    with pytest.raises(PathError) as info:
        get_value(load_scenario(BASELINE), path)
    assert message in str(info.value)


@pytest.mark.parametrize("path", [
    "trust.engagment_gain", "districts.nowhere.police", "districts.9.police",
    "cmo.coordination.deeper",
])
def test_reading_and_setting_report_a_bad_path_alike(path):
    base = load_scenario(BASELINE)
    with pytest.raises(PathError) as read:
        get_value(base, path)
    with pytest.raises(ScenarioError) as written:
        apply_changes(base, {path: 1}, source="test")
    assert written.value.issues[0].message == str(read.value)


def test_split_path():
    assert split_path("districts.north.police") == ["districts", "north", "police"]
    with pytest.raises(PathError):
        split_path("budget.")


def test_field_of_gives_the_schema_field():
    assert field_of("cmo.coordination") is schema.CMO.model_fields["coordination"]
    assert field_of("budget.allocation").annotation is schema.Allocation
    assert field_of("districts.0.police") is schema.District.model_fields["police"]
    # an event's fields are those of its own type
    coup = next(i for i, e in enumerate(RICH.events) if e.type == "coup")
    assert field_of(f"events.{coup}.trust_shock", RICH) is schema.Coup.model_fields["trust_shock"]


def test_field_of_refuses_what_is_not_a_field():
    with pytest.raises(PathError, match="names an item of 'districts', not a parameter"):
        field_of("districts.0")
    with pytest.raises(PathError, match=r"did you mean 'cmo\.coordination'"):
        field_of("cmo.coordinaton")


def test_number_type():
    assert number_type(field_of("time.steps")) is int
    assert number_type(field_of("cmo.coordination")) is float
    assert number_type(field_of("districts.0.density")) is float  # float | None
    assert number_type(field_of("space.torus")) is None  # a bool is not a number here
    assert number_type(field_of("activation.rounding")) is None


# --- numeric leaves -------------------------------------------------------------------------

def test_numeric_paths_name_every_numeric_parameter_once():
    assert len(LEAVES) == len(set(LEAVES))
    assert {"seed", "cmo.coordination", "districts.border.police", "budget.per_week",
            *(f"budget.allocation.{a}" for a in schema.ACTIVITIES)} <= set(LEAVES)
    assert not any(p.startswith(("sweep.", "policies.")) for p in numeric_paths(load_scenario(
        BASELINE, overrides=["sweep={parameters: {cmo.coordination: {min: 0, max: 1}}}"])))
    assert "space.torus" not in LEAVES and "districts.capital.name" not in LEAVES
    assert "districts.all.police" in numeric_paths()  # the default scenario's one district


@pytest.mark.parametrize("path", LEAVES)
def test_every_numeric_leaf_holds_a_number_in_its_bounds(path):
    value = get_value(RICH, path)
    assert number_type(FIELDS[path]) is not None
    if value is not None:  # an optional parameter left unset (districts' density)
        assert bounds_of(FIELDS[path]).contains(value)


@pytest.mark.parametrize("path", LEAVES)
def test_every_numeric_leaf_can_be_set_to_its_own_value(path):
    assert apply_changes(RICH, {path: get_value(RICH, path)}, source="test") == RICH


@pytest.mark.parametrize("path", [p for p in LEAVES if bounds_of(FIELDS[p]) != Bounds(
    -math.inf, math.inf, False, False)])
def test_bounds_agree_with_the_schema_at_each_end(path):
    field, bounds = FIELDS[path], bounds_of(FIELDS[path])
    whole = number_type(field) is int
    for end, inclusive, inward in ((bounds.low, bounds.low_inclusive, math.inf),
                                   (bounds.high, bounds.high_inclusive, -math.inf)):
        if not math.isfinite(end):
            continue
        assert bounds.contains(end) is inclusive is _accepts(field, end), path
        one = 1 if inward > 0 else -1
        outside = end - one if whole else math.nextafter(end, -inward)
        inside = end + one if whole else math.nextafter(end, inward)
        assert not bounds.contains(outside) and not _accepts(field, outside)
        assert bounds.contains(inside) and _accepts(field, inside)


@given(st.sampled_from([p for p in LEAVES if number_type(FIELDS[p]) is float]),
       st.floats(-3, 3) | st.sampled_from([0.0, 1.0, -1.0, 0.95, 1000.0]))
def test_contains_agrees_with_pydantic(path, value):
    assert bounds_of(FIELDS[path]).contains(value) == _accepts(FIELDS[path], value)


# --- Bounds ---------------------------------------------------------------------------------

def test_an_exclusive_bound_is_excluded():
    mean = bounds_of(field_of("population.risk_aversion.mean"))  # gt=0, lt=1
    assert mean == Bounds(0.0, 1.0, False, False)
    assert not mean.contains(0.0) and not mean.contains(1.0)
    assert mean.contains(math.nextafter(0.0, 1.0)) and mean.contains(0.5)
    density = bounds_of(field_of("population.density"))  # gt=0, le=0.95
    assert not density.contains(0.0) and density.contains(0.95)


def test_a_missing_end_is_infinite_and_exclusive():
    per_step = bounds_of(field_of("budget.per_week"))  # ge=0 only
    assert per_step == Bounds(0.0, math.inf, True, False)
    assert per_step.contains(1e300) and not per_step.finite
    assert bounds_of(field_of("name")) == Bounds(-math.inf, math.inf, False, False)


def test_bounds_of_reads_constraints_on_the_type_too():
    # TroopDrawdown.army_share is typed `Share = Annotated[float, Field(ge=0, le=1)]`
    assert bounds_of(schema.TroopDrawdown.model_fields["army_share"]) == Bounds(0, 1, True, True)


def test_closed_moves_only_exclusive_finite_ends():
    assert Bounds(0.0, 1.0, False, False).closed(0.01) == Bounds(0.01, 0.99, True, True)
    assert Bounds(0.0, 1.0, True, True).closed(0.5) == Bounds(0.0, 1.0, True, True)
    assert Bounds(0.0, math.inf, False, False).closed(1.0) == Bounds(1.0, math.inf, True, False)


# --- the allocation vector ------------------------------------------------------------------

def test_allocation_vector_is_in_activities_order():
    shares = dict(zip(schema.ACTIVITIES, (0.1, 0.2, 0.3, 0.25, 0.15), strict=True))
    vector = allocation_vector(schema.Allocation(**shares))
    assert vector.dtype == np.float64 and vector.shape == (len(schema.ACTIVITIES),)
    for name, share in shares.items():
        assert vector[ACTIVITY_INDEX[name]] == share
    assert list(ACTIVITY_INDEX) == list(schema.ACTIVITIES)
    assert allocation_vector(Scenario().budget.allocation).sum() == pytest.approx(1.0)
