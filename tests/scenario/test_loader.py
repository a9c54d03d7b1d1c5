"""The scenario loader: files, extends, policies, overrides and the content of its errors."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from ssrsim.scenario import (
    Issue,
    Scenario,
    ScenarioError,
    apply_changes,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path | str, **kwargs) -> list[Issue]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, **kwargs)
    assert caught.value.issues, "a ScenarioError must list at least one issue"
    return caught.value.issues


def only(issues: list[Issue], path: str) -> Issue:
    found = [issue for issue in issues if issue.path == path]
    assert len(found) == 1, f"expected one issue at {path}, got {issues}"
    return found[0]


TWO_DISTRICTS = """\
    space:
      district_grid: [1, 2]
    districts:
      - name: north
        police: 10
      - name: south
        insurgency: 0.3
"""


# --- valid files -------------------------------------------------------------------------


def test_minimal_file_has_the_schema_defaults(tmp_path):
    path = write(tmp_path, "min.yaml", "name: scenario\n")
    assert load_scenario(path) == Scenario()


def test_values_and_dates_are_read(tmp_path):
    path = write(tmp_path, "s.yaml", TWO_DISTRICTS + """\
    time: {start_date: 2005-02-07, steps: 10}
    events:
      - {type: coup, date: 2005-03-01, district: north}
    """)
    scenario = load_scenario(path)
    assert scenario.districts[1].insurgency == 0.3
    assert scenario.time.start_date.isoformat() == "2005-02-07"
    assert scenario.events[0].date.isoformat() == "2005-03-01"
    assert scenario.event_step(scenario.events[0]) == 3


def test_yaml_merge_keys_and_anchors_are_supported(tmp_path):
    path = write(tmp_path, "s.yaml", """\
    security:
      capacity: &both {police: 0.5, army: 0.5}
      reformed_capacity:
        <<: *both
        army: 0.7
    """)
    scenario = load_scenario(path)
    assert scenario.security.reformed_capacity.police == 0.5
    assert scenario.security.reformed_capacity.army == 0.7


# --- extends -----------------------------------------------------------------------------


def test_child_overrides_parent_and_merges_mappings(tmp_path):
    extra = "    budget: {per_week: 12}\n    time: {steps: 50}\n"
    write(tmp_path, "base.yaml", TWO_DISTRICTS + extra)
    (tmp_path / "sub").mkdir()
    child = write(tmp_path, "sub/child.yaml", """\
    extends: ../base.yaml
    time: {step_days: 14}
    """)
    scenario = load_scenario(child)
    assert scenario.time.steps == 50 and scenario.time.step_days == 14
    assert scenario.budget.per_week == 12
    assert [d.name for d in scenario.districts] == ["north", "south"]


def test_lists_are_replaced_not_merged(tmp_path):
    write(tmp_path, "base.yaml", TWO_DISTRICTS)
    child = write(tmp_path, "child.yaml", """\
    extends: base.yaml
    space: {district_grid: [1, 1]}
    districts: [{name: all}]
    """)
    assert [d.name for d in load_scenario(child).districts] == ["all"]


def test_errors_point_into_the_file_that_defined_the_value(tmp_path):
    write(tmp_path, "base.yaml", """\
    name: base
    time:
      steps: 0
    """)
    child = write(tmp_path, "child.yaml", """\
    extends: base.yaml

    budget:
      per_week: -1
    """)
    issues = problems(child)
    assert (only(issues, "time.steps").file, only(issues, "time.steps").line) == (
        str(tmp_path / "base.yaml"), 3)
    assert (only(issues, "budget.per_week").file, only(issues, "budget.per_week").line) == (
        str(tmp_path / "child.yaml"), 4)


def test_extends_chain_and_cycle(tmp_path):
    write(tmp_path, "a.yaml", "extends: c.yaml\nseed: 1\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nseed: 2\n")
    c = write(tmp_path, "c.yaml", "name: c\nextends: b.yaml\n")
    (issue,) = problems(c)
    assert "loops" in issue.message
    assert all(name in issue.message for name in ("a.yaml", "b.yaml", "c.yaml"))
    write(tmp_path, "a.yaml", "seed: 1\n")
    assert load_scenario(c).seed == 2


def test_missing_parent_points_at_extends_line(tmp_path):
    child = write(tmp_path, "child.yaml", "name: x\nextends: nowhere.yaml\n")
    (issue,) = problems(child)
    assert (issue.file, issue.line, issue.path) == (str(child), 2, "extends")
    assert "nowhere.yaml" in issue.message


# --- policies ----------------------------------------------------------------------------

POLICIES = TWO_DISTRICTS + """\
    policies:
      austerity:
        description: half the budget
        set:
          budget.per_week: 5
          districts.south.police: 4
          districts.0.army: 7
      surge:
        set:
          budget.per_week: 20
"""


def test_policy_changes_are_applied_by_name_and_index(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES)
    plain = load_scenario(path)
    chosen = load_scenario(path, policy="austerity")
    assert plain.budget.per_week == 10.0
    assert chosen.budget.per_week == 5
    assert chosen.districts[1].police == 4 and chosen.districts[0].army == 7


def test_unknown_policy_lists_the_available_ones(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES)
    (issue,) = problems(path, policy="austerty")
    assert issue.file == "--policy"
    assert "did you mean 'austerity'?" in issue.message
    assert "austerity, surge" in issue.message


def test_bad_path_in_unselected_policy_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES + """\
      typo:
        set:
          budget.alocation.training: 0.3
          districts.nort.police: 3
    """)
    issues = problems(path)
    first = only(issues, "budget.alocation.training")
    assert (first.file, first.line) == (str(path), 20)
    assert "in policy 'typo'" in first.message
    assert "did you mean 'budget.allocation'?" in first.message
    second = only(issues, "districts.nort.police")
    assert second.line == 21 and "did you mean 'north'?" in second.message


def test_invalid_value_in_policy_points_at_the_policy(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES + """\
      broken:
        set:
          budget.allocation.training: 0.5
          districts.north.police: -2
    """)
    issues = problems(path)
    shares = only(issues, "budget.allocation")
    assert shares.line == 20 and "shares must sum to 1" in shares.message
    police = only(issues, "districts[0].police")
    assert police.line == 21 and police.value == -2
    assert "must be between 0 and 100000" in police.message


# --- overrides ---------------------------------------------------------------------------


def test_override_values_are_parsed_as_yaml_and_win_over_policy(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES)
    scenario = load_scenario(path, policy="austerity", overrides=[
        "budget.per_week=7.5", "time.steps=3", "space.torus=true", "districts.north.police=30",
        "districts.1.army=2", "population.initial_trust.mean=0.3", "time.start_date=2010-02-01",
    ])
    assert scenario.budget.per_week == 7.5 and scenario.time.steps == 3
    assert scenario.space.torus is True
    assert scenario.districts[0].police == 30 and scenario.districts[1].army == 2
    # the other defaults of a section the file leaves out are kept
    assert scenario.population.initial_trust.concentration == 4.0
    assert scenario.time.start_date.isoformat() == "2010-02-01"


@pytest.mark.parametrize("overrides", [
    ["policies.frugal={set: {budget.per_week: 2, districts.south.police: 1}}"],
    ["policies={frugal: {set: {budget.per_week: 2, districts.south.police: 1}}}"],
])
def test_policy_defined_by_an_override_can_be_chosen(tmp_path, overrides):
    path = write(tmp_path, "p.yaml", POLICIES)
    scenario = load_scenario(path, policy="frugal", overrides=overrides)
    assert scenario.budget.per_week == 2 and scenario.districts[1].police == 1
    assert "frugal" in scenario.policies
    assert load_scenario(path, overrides=overrides).budget.per_week == 10.0  # not chosen


def test_override_of_a_policy_changes_what_choosing_it_does(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES)
    scenario = load_scenario(path, policy="surge",
                             overrides=["policies.surge.set={budget.per_week: 30}"])
    assert scenario.budget.per_week == 30
    assert scenario.policies["surge"].set == {"budget.per_week": 30}


@pytest.mark.parametrize("overrides", [
    ["budget.per_week=3", "policies.frugal.set={budget.per_week: 2}"],
    ["policies.frugal.set={budget.per_week: 2}", "budget.per_week=3"],
])
def test_ordinary_override_wins_over_a_policy_defined_by_an_override(tmp_path, overrides):
    path = write(tmp_path, "p.yaml", POLICIES)
    assert load_scenario(path, policy="frugal", overrides=overrides).budget.per_week == 3


def test_unknown_policy_names_the_ones_overrides_define(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES)
    (issue,) = problems(path, policy="frugl",
                        overrides=["policies.frugal.set={budget.per_week: 2}"])
    assert (issue.file, issue.line) == ("--policy", None)
    assert "did you mean 'frugal'?" in issue.message
    assert "austerity, surge, frugal" in issue.message


def test_bad_policy_from_an_override_is_reported_at_set_even_unchosen(tmp_path):
    path = write(tmp_path, "p.yaml", POLICIES)
    (issue,) = problems(path, overrides=["policies.frugal.set={budget.per_wek: 2}"])
    assert (issue.file, issue.line, issue.path) == ("--set", None, "budget.per_wek")
    assert issue.message.startswith("in policy 'frugal': ")
    assert "did you mean 'budget.per_week'?" in issue.message
    (issue,) = problems(path, overrides=["policies.frugal.sett={budget.per_week: 2}"])
    assert (issue.file, issue.path) == ("--set", "policies.frugal.sett")
    assert "did you mean 'policies.frugal.set'?" in issue.message


def test_a_batch_run_equals_a_load_with_its_design_values_as_overrides(tmp_path):
    """A batch applies design values over its policy's scenario; `ssrsim run --set` must match."""
    path = write(tmp_path, "p.yaml", POLICIES)
    batch = ["policies.frugal.set={budget.per_week: 2, cmo.coordination: 0.2}", "time.steps=4"]
    point = {"cmo.coordination": 0.7, "seed": 11}
    in_batch = apply_changes(load_scenario(path, policy="frugal", overrides=batch), point,
                             source="run")
    alone = load_scenario(path, policy="frugal",
                          overrides=[*batch, "cmo.coordination=0.7", "seed=11"])
    assert alone == in_batch
    assert (alone.cmo.coordination, alone.budget.per_week, alone.seed) == (0.7, 2, 11)


SECTIONS = TWO_DISTRICTS + """\
    budget:
      per_week: 12
      allocation: {engagement: 0.4, services: 0.2, training: 0.2, oversight: 0.1, ddr: 0.1}
    events:
      - {type: budget_cut, step: 3, factor: 0.5}
"""


@pytest.mark.parametrize("override", [
    "budget={per_week: 20}",
    "policies.rich.set.budget.per_week=20",  # a nested policy path: set {budget: {per_week}}
])
def test_a_mapping_set_on_a_section_merges_into_it(tmp_path, override):
    path = write(tmp_path, "p.yaml", SECTIONS)
    policy = "rich" if override.startswith("policies") else None
    scenario = load_scenario(path, policy=policy, overrides=[override])
    assert scenario.budget.per_week == 20
    assert scenario.budget.allocation.engagement == 0.4  # the file's, not the default 0.25


def test_a_list_or_an_event_set_by_override_replaces_it(tmp_path):
    path = write(tmp_path, "p.yaml", SECTIONS)
    event = load_scenario(path, overrides=["events.0={type: election, step: 4}"]).events[0]
    assert event.type == "election" and not hasattr(event, "factor")
    grid = load_scenario(path, overrides=["districts=[{name: a}]", "space.district_grid=[1, 1]"])
    assert [d.name for d in grid.districts] == ["a"]


def test_override_list_value(tmp_path):
    path = write(tmp_path, "p.yaml", TWO_DISTRICTS)
    overrides = ["space.district_grid=[2, 1]"]
    assert load_scenario(path, overrides=overrides).space.district_grid == (2, 1)


def test_override_bad_path_suggests(tmp_path):
    path = write(tmp_path, "p.yaml", TWO_DISTRICTS)
    (issue,) = problems(path, overrides=["budget.per_wek=3"])
    assert (issue.file, issue.line) == ("--set", None)
    assert "did you mean 'budget.per_week'?" in issue.message


def test_override_bad_value_names_set_source(tmp_path):
    path = write(tmp_path, "p.yaml", TWO_DISTRICTS)
    (issue,) = problems(path, overrides=["districts.north.police=-1"])
    assert str(issue) == "--set: districts[0].police = -1: must be between 0 and 100000"


def test_malformed_overrides(tmp_path):
    path = write(tmp_path, "p.yaml", TWO_DISTRICTS)
    issues = problems(path, overrides=["seed", "seed=[1,"])
    assert len(issues) == 2 and all(issue.file == "--set" for issue in issues)
    assert "path=value" in issues[0].message and "YAML" in issues[1].message


# --- error content -----------------------------------------------------------------------

LINES = """\
name: lines
time:
  steps: 0
space:
  district_grid: [1, 2]
districts:
  - name: north
    police: -3
  - name: south
    hardship:
      mean: 1.5
activation:
  rounding: ceil
  max_jail_days: abc
bugdet: 3
events:
  - type: cop
    step: 3
"""


@pytest.mark.parametrize(("path", "line", "value", "text"), [
    ("time.steps", 3, 0, "must be between 1 and 100000"),
    ("districts[0].police", 8, -3, "must be between 0 and 100000"),
    ("districts[1].hardship.mean", 11, 1.5, "must be > 0 and < 1"),
    ("activation.rounding", 13, "ceil", "allowed: floor, round, none"),
    ("activation.max_jail_days", 14, "abc", "expected a whole number, got 'abc'"),
    ("bugdet", 15, 3, "unknown key 'bugdet'; did you mean 'budget'?"),
    ("events[0].type", 17, "cop", "did you mean 'coup'? (allowed types: budget_cut, donor_surge"),
])
def test_each_problem_has_file_line_path_value_and_rule(tmp_path, path, line, value, text):
    file = write(tmp_path, "lines.yaml", LINES)
    issue = only(problems(file), path)
    assert (issue.file, issue.line, issue.value) == (str(file), line, value)
    assert text in issue.message
    assert str(issue).startswith(f"{file}:{line}: {path} = ")


def test_error_lists_all_problems_under_a_header(tmp_path):
    file = write(tmp_path, "lines.yaml", LINES)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"invalid scenario {file} (7 problems):"
    assert len(lines) == 8


def test_issue_format():
    issue = Issue("scenarios/x.yaml", 12, "budget.allocation.training", 1.4,
                  "must be between 0 and 1")
    assert str(issue) == (
        "scenarios/x.yaml:12: budget.allocation.training = 1.4: must be between 0 and 1")


def test_vision_shape_and_radius_problems_name_line_and_allowed_values(tmp_path):
    file = write(tmp_path, "v.yaml", """\
    activation:
      vision: 0.5
      neighbourhood: hexagonal
    security:
      neighbourhood: circle
      vision: 1.7
    """)
    issues = problems(file)
    assert len(issues) == 3
    shape = only(issues, "activation.neighbourhood")
    assert shape.line == 3 and "allowed: von_neumann, moore, euclidean" in shape.message
    assert only(issues, "security.neighbourhood").line == 5
    radius = only(issues, "activation.vision")
    assert radius.line == 2 and "must be between 1 and 50" in radius.message


def test_missing_key_and_section_checks_point_at_the_mapping(tmp_path):
    file = write(tmp_path, "m.yaml", """\
    space:
      district_grid: [1, 2]
    districts:
      - name: north
      - police: 3
    budget:
      allocation:
        training: 0.9
    """)
    issues = problems(file)
    missing = only(issues, "districts[1].name")
    assert missing.line == 5 and "missing required key 'name'" in missing.message
    shares = only(issues, "budget.allocation")
    assert shares.line == 7 and "shares must sum to 1, got 1.7" in shares.message


def test_district_grid_check_points_at_the_grid(tmp_path):
    file = write(tmp_path, "g.yaml", "name: g\nspace:\n  district_grid: [2, 2]\n")
    (issue,) = problems(file)
    assert (issue.path, issue.line) == ("space.district_grid", 3)
    assert "needs 4 districts, got 1" in issue.message


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a: 1\nb: [1,\n", 3, "YAML syntax error at column"),
    ("a: 1\n  b: 2\n", 2, "mapping values are not allowed"),
    ("- 1\n- 2\n", 1, "top level must be a mapping"),
    ("time:\n  steps: 3\n  steps: 4\n", 3, "duplicate key 'steps' (first on line 2)"),
    ("time:\n  start_date: 2004-13-45\n", 2, "month must be in 1..12"),
    ("seed: !!python/object:os.system {}\n", 1, "unsupported YAML tag"),
    ("budget:\n  per_week: .inf\n", 2, "must be a finite number"),
])
def test_malformed_files(tmp_path, text, line, words):
    file = write(tmp_path, "bad.yaml", text)
    (issue,) = problems(file)
    assert (issue.file, issue.line) == (str(file), line)
    assert words in issue.message


@pytest.mark.parametrize("content", [b"", b"# only a comment\n", b"\xff\xfe\x00bad"])
def test_empty_or_binary_file(tmp_path, content):
    file = tmp_path / "x.yaml"
    file.write_bytes(content)
    assert problems(file)[0].file == str(file)


def test_missing_file(tmp_path):
    (issue,) = problems(tmp_path / "absent.yaml")
    assert "cannot read" in issue.message


# --- dict input, changes, hashing --------------------------------------------------------


def test_scenario_from_dict_reports_without_lines():
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict({"time": {"steps": "x"}}, source="app")
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.path) == ("app", None, "time.steps")
    assert scenario_from_dict({}) == Scenario()


def test_apply_changes_and_hash():
    base = scenario_from_dict({"budget": {"per_week": 3}})
    changed = apply_changes(base, {"budget.per_week": 4, "districts.all.police": 2}, source="ui")
    assert (changed.budget.per_week, changed.districts[0].police) == (4, 2)
    assert base.budget.per_week == 3
    assert scenario_hash(base) != scenario_hash(changed)
    assert scenario_hash(apply_changes(changed, {"budget.per_week": 3, "districts.0.police": 0},
                                       source="ui")) == scenario_hash(base)
    assert len(scenario_hash(base)) == 64
    with pytest.raises(ScenarioError) as caught:
        apply_changes(base, {"budget.per_week": -1}, source="ui")
    assert str(caught.value.issues[0]) == "ui: budget.per_week = -1: must be >= 0"


def test_scenario_error_survives_pickling(tmp_path):
    file = write(tmp_path, "lines.yaml", LINES)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.issues == caught.value.issues and str(copy) == str(caught.value)


# -- reading a file once for many policies ---------------------------------------------------

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_an_experiment_gives_every_policy_as_load_scenario_would(scenario_reads):
    from ssrsim.scenario import loader

    path = SCENARIOS / "baseline.yaml"
    overrides = ["budget.per_week=11", "policies.coordinated.set={cmo.coordination: 0.7}"]
    reads = scenario_reads
    experiment = loader.load_experiment(path, overrides=overrides)
    names = experiment.policy_names
    assert "coordinated" in names and len(names) >= 3
    scenarios = {name: experiment.scenario(name) for name in [None, *names]}
    assert len(reads) == 1, "one read of the file for all policies"
    for name, scenario in scenarios.items():
        assert scenario == loader.load_scenario(path, policy=name, overrides=overrides), name
        assert scenario.budget.per_week == 11  # overrides win over every policy
    assert scenarios["coordinated"].cmo.coordination == 0.7
    assert experiment.base is scenarios[None]


def test_an_experiment_refuses_an_unknown_policy_with_the_known_ones():
    from ssrsim.scenario import load_experiment

    experiment = load_experiment(SCENARIOS / "baseline.yaml")
    with pytest.raises(ScenarioError, match="unknown policy 'coordinatd'; did you mean "
                                            "'coordinated'"):
        experiment.scenario("coordinatd")
