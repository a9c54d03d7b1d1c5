"""Property tests: any corruption of a valid file gives a located ScenarioError, never a crash."""

from __future__ import annotations

import string
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ssrsim.scenario import Scenario, ScenarioError, load_scenario

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

VALID = Scenario.model_validate({
    "space": {"district_grid": [1, 2]},
    "districts": [{"name": "north", "police": 10, "army": 2}, {"name": "south", "ngos": 1}],
    "events": [
        {"type": "coup", "step": 10, "district": "north"},
        {"type": "budget_cut", "date": "2004-06-01", "duration_days": 28},
        {"type": "election", "step": 30},
    ],
    "policies": {"surge": {"description": "more money", "set": {"budget.per_week": 20}}},
}).model_dump(mode="json")
"""A valid scenario with every field written out (dates as text)."""

# Shares that must sum to 1: changing one alone breaks a section-level check.
SHARES = {("budget", "allocation"), ("ngo",)}


def _bare(annotation: Any) -> Any:
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(
            annotation
        ):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def field_at(path: tuple, data: dict) -> FieldInfo | None:
    """The schema field a path in VALID leads to (None inside lists or free mappings)."""
    annotation, node, field = Scenario, data, None
    for key in path:
        annotation = _bare(annotation)
        if get_origin(annotation) in (Union, types.UnionType):  # events: pick by type
            annotation = next(m for m in get_args(annotation)
                              if node["type"] in get_args(m.model_fields["type"].annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields[key]
            annotation = field.annotation
        elif get_origin(annotation) in (list, tuple, dict):
            field, annotation = None, get_args(annotation)[-1 if isinstance(key, str) else 0]
        else:
            return None
        node = node[key]
    return field


def bounds(field: FieldInfo | None) -> dict[str, float]:
    found: dict[str, float] = {}
    for item in field.metadata if field is not None else []:
        for name in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, name.capitalize())):
                found[name] = getattr(item, name)
    return found


def leaves(data: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in leaves(value, (*path, key))]
    if isinstance(data, list):
        return [leaf for i, value in enumerate(data) for leaf in leaves(value, (*path, i))]
    return [(path, data)]


def mappings(data: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if isinstance(data, dict) else []
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(
        data, list) else []
    for key, value in children:
        found += mappings(value, (*path, key))
    return found


NUMERIC = [
    (path, field) for path, value in leaves(VALID)
    if isinstance(value, int | float) and not isinstance(value, bool)
    and path[0] != "policies" and bounds(field := field_at(path, VALID))
]
LITERALS = [
    path for path, _ in leaves(VALID)
    if (field := field_at(path, VALID)) is not None
    and get_origin(_bare(field.annotation)) is Literal
]
ALL_LEAVES = [path for path, _ in leaves(VALID)]
ALL_MAPPINGS = mappings(VALID)


def with_value(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = with_value(data[path[0]], path[1:], value) if path[1:] else value
    return copy


def is_int(field: FieldInfo) -> bool:
    return _bare(field.annotation) is int


@st.composite
def out_of_range(draw: st.DrawFn) -> tuple[tuple, Any]:
    path, field = draw(st.sampled_from(NUMERIC))
    limits = bounds(field)
    step = draw(st.integers(1, 10**6)) if is_int(field) else draw(st.floats(1e-6, 1e12))
    sides = [op for op in ("ge", "gt", "le", "lt") if op in limits]
    op = draw(st.sampled_from(sides))
    if op in ("gt", "lt") and draw(st.booleans()):
        return path, limits[op]  # an exclusive bound itself is out of range
    return path, limits[op] - step if op in ("ge", "gt") else limits[op] + step


JOINTLY_BOUNDED = {("population", "density"),  # must also give at least one civilian
                   ("time", "steps"), ("time", "step_days")}  # must end by 2262 (pandas)
BETA_SHAPES = ("mean", "concentration")  # their product must not underflow to 0 either


@st.composite
def in_range(draw: st.DrawFn) -> tuple[tuple, Any]:
    path, field = draw(st.sampled_from([
        (path, field) for path, field in NUMERIC
        if path[:-1] not in SHARES and path not in JOINTLY_BOUNDED
    ]))
    limits = bounds(field)
    low = limits.get("ge", limits.get("gt"))
    high = limits.get("le", limits.get("lt", low + 10**6))
    if is_int(field):
        return path, draw(st.integers(low + ("gt" in limits), high - ("lt" in limits)))
    if path[-1] in BETA_SHAPES and low == 0:  # Beta shapes mean x concentration stay > 0
        low, limits = 1e-300, {**limits, "ge": 1e-300}
    value = draw(st.floats(low, high, exclude_min="gt" in limits, exclude_max="lt" in limits))
    return path, value


WRONG_TYPES = st.sampled_from([[1, 2], {"x": 1}])
NOT_A_NUMBER = st.text(string.ascii_letters, min_size=1)  # "inf" is read, then refused


@st.composite
def corruption(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["range", "type", "number_type", "key", "literal"]))
    if kind == "range":
        path, value = draw(out_of_range())
    elif kind == "type":
        path, value = draw(st.sampled_from(ALL_LEAVES)), draw(WRONG_TYPES)
    elif kind == "number_type":
        path, value = draw(st.sampled_from(NUMERIC))[0], draw(NOT_A_NUMBER)
    elif kind == "literal":
        path = draw(st.sampled_from(LITERALS))
        value = draw(st.text(string.ascii_lowercase + "_", min_size=1).filter(
            lambda text: text not in get_args(_bare(field_at(path, VALID).annotation))))
    else:
        path = (*draw(st.sampled_from(ALL_MAPPINGS)), "zz_" + draw(st.text("abc", max_size=3)))
        value = 1
    return with_value(VALID, path, value)


def dump(tmp_path: Path, data: Any) -> Path:
    file = tmp_path / "scenario.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return file


def test_the_valid_base_loads(tmp_path):
    assert load_scenario(dump(tmp_path, VALID)).model_dump(mode="json") == VALID
    assert len(NUMERIC) > 100 and len(LITERALS) >= 5 and len(ALL_MAPPINGS) > 30


@PROPERTY
@given(data=corruption())
def test_any_corruption_gives_located_issues(tmp_path, data):
    file = dump(tmp_path, data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert caught.value.issues
    for issue in caught.value.issues:
        assert issue.file == str(file)
        assert isinstance(issue.line, int) and issue.line >= 1


@PROPERTY
@given(change=in_range())
def test_in_range_values_load(tmp_path, change):
    path, value = change
    scenario = load_scenario(dump(tmp_path, with_value(VALID, path, value)))
    loaded = scenario.model_dump(mode="json")
    for key in path:
        loaded = loaded[key]
    assert loaded == value


YAMLISH = st.text(alphabet=" :-[]{},\n\t#&*!|>'\"%@`abcdeyz019._<=", max_size=200)


@PROPERTY
@given(content=st.one_of(st.binary(max_size=300), YAMLISH.map(str.encode),
                         st.text(max_size=200).map(str.encode)))
def test_random_files_never_crash(tmp_path, content):
    file = tmp_path / "random.yaml"
    file.write_bytes(content)
    try:
        load_scenario(file)
    except ScenarioError as exc:
        assert exc.issues and all(issue.file for issue in exc.issues)
