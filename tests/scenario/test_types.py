"""Strict types and changes that would do nothing (issue #14).

A boolean or text where a number is meant, a number or text where a switch is meant, and a
change to `extends` or to something the command does not read are refused with the file,
line, path and value; an integer where a real is meant is still a number.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ssrsim.scenario import (
    Scenario,
    ScenarioError,
    apply_changes,
    check_overrides_used,
    load_scenario,
    scenario_from_dict,
)


def write(directory: Path, text: str) -> Path:
    path = directory / "s.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def only_issue(path: Path, overrides: tuple[str, ...] = ()):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides=overrides)
    assert len(caught.value.issues) == 1, caught.value.issues
    return caught.value.issues[0]


@pytest.mark.parametrize(("text", "path", "expected"), [
    ("cmo: {coordination: yes}", "cmo.coordination", "expected a number, got true (YAML reads"),
    ('budget: {per_week: "12"}', "budget.per_week", "expected a number, got '12'"),
    ('space: {width: "12"}', "space.width", "expected a whole number, got '12'"),
    ('adaptive: {enabled: "True"}', "adaptive.enabled", "expected true or false, got 'True'"),
    ("adaptive: {enabled: 1}", "adaptive.enabled", "expected true or false, got 1"),
    ('events: [{type: election, step: "3"}]', "events[0].step", "expected a whole number"),
    ("events: [{type: election, step: 3.0}]", "events[0].step", "expected a whole number"),
    ("time: {steps: true}", "time.steps", "expected a whole number, got true"),
    ("seed: true", "seed", "expected a whole number, got true"),
    ("space: {district_grid: [true, 1]}", "space.district_grid[0]", "expected a whole number"),
    ("sweep: {parameters: {budget.per_week: {min: no, max: 2}}}", "sweep.parameters",
     "expected a number"),
])
def test_a_wrong_type_is_refused_where_it_was_written(tmp_path, text, path, expected):
    issue = only_issue(write(tmp_path, f"name: x\n{text}\n"))
    assert (issue.line, issue.path.split("[")[0]) == (2, path.split("[")[0]), issue
    assert expected in issue.message


@pytest.mark.parametrize("override", ["budget.per_week=true", 'budget.per_week="12"',
                                      "time.steps=true", "adaptive.enabled=yes_please"])
def test_a_wrong_type_given_by_set_is_refused(tmp_path, override):
    issue = only_issue(write(tmp_path, "name: x\n"), (override,))
    assert issue.file == "--set" and issue.path == override.split("=")[0]


def test_integers_where_reals_are_meant_and_text_dates_still_load(tmp_path):
    scenario = load_scenario(write(tmp_path, """\
        budget: {per_week: 12}
        cmo: {coordination: 1}
        space: {district_grid: [1, 1]}
        events: [{type: election, date: 2004-03-01}]
        """))
    assert scenario.budget.per_week == 12.0 and isinstance(scenario.budget.per_week, float)
    assert scenario.cmo.coordination == 1.0
    as_json = scenario_from_dict({"time": {"start_date": "2005-02-03"},
                                  "events": [{"type": "coup", "date": "2005-03-01"}]})
    assert as_json.time.start_date == dt.date(2005, 2, 3)
    assert Scenario.model_validate(scenario.model_dump(mode="json")) == scenario


def test_numpy_numbers_are_numbers_in_changes():
    changed = apply_changes(Scenario(), {"space.width": np.int64(30),
                                         "budget.per_week": np.float64(3.5)}, source="test")
    assert (changed.space.width, changed.budget.per_week) == (30, 3.5)
    assert type(changed.space.width) is int


@pytest.mark.parametrize("override", ["extends=other.yaml", "extends=/etc/passwd",
                                      "extends.x=1"])
def test_setting_extends_is_refused(tmp_path, override):
    issue = only_issue(write(tmp_path, "name: x\n"), (override,))
    assert issue.file == "--set" and "extends cannot be changed" in issue.message


def test_a_policy_that_sets_extends_is_refused_at_its_line(tmp_path):
    issue = only_issue(write(tmp_path, "name: x\npolicies:\n  p: {set: {extends: a.yaml}}\n"))
    assert issue.line == 3 and "extends cannot be changed" in issue.message


@pytest.mark.parametrize(("overrides", "policies", "sweep", "words"), [
    (["sweep.method=lhs"], {None}, False, "does not read `sweep:`"),
    (["policies.other.set.budget.per_week=2"], {"chosen"}, False, "policy 'other' is not run"),
])
def test_changes_a_command_would_ignore_are_refused(overrides, policies, sweep, words):
    with pytest.raises(ScenarioError) as caught:
        check_overrides_used("s.yaml", overrides, policies=policies, sweep=sweep,
                             command="ssrsim run")
    assert words in str(caught.value) and "s.yaml" in str(caught.value)


def test_changes_a_command_reads_pass():
    check_overrides_used("s.yaml", ["sweep.method=lhs", "policies.a.set.seed=1",
                                    "budget.per_week=2"], policies={"a"}, sweep=True,
                         command="ssrsim batch")
    check_overrides_used("s.yaml", ["policies.b.set.seed=1"], policies=None, sweep=False,
                         command="ssrsim calibrate")
