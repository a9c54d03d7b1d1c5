"""Property-based fuzzing of the hardening classes of issue #14.

Whatever the input, the answer is a scenario that runs or a clear error, never a traceback,
a hang or a crash after validation said yes:

- bad `--set` strings (any path, any value of any type) and mutated shipped scenarios give a
  Scenario or a ScenarioError (the command exits 0 or 2);
- extreme but valid values, once past the work ceiling, run and write strict JSON with
  finite numbers;
- any scenario name gives a folder that stays inside `runs/`;
- any damage to a results folder is found and repaired by rerunning the batch, and the
  analysis never reads a folder whose summary and time series disagree.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssrsim.analysis import load_results
from ssrsim.batch import execute_batch, prepare_batch
from ssrsim.cli import default_run_folder, main
from ssrsim.results_format import ResultsError
from ssrsim.scenario import (
    Scenario,
    ScenarioError,
    apply_changes,
    bounds_of,
    field_of,
    load_scenario,
    number_type,
    numeric_paths,
    scenario_from_dict,
)
from ssrsim.single_run import run, strict_json
from ssrsim.workload import WorkloadError, check, estimate

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
TINY = ["space.width=10", "space.height=10", "time.steps=2", "time.spin_up_days=0"]
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

PATHS = [*numeric_paths(load_scenario(BASELINE)), "extends", "sweep.method", "name", "seed",
         "adaptive.enabled", "space.torus", "activation.rounding", "time.start_date",
         "policies.coordinated.set.budget.per_week", "events", "districts", "budget",
         "population.risk_aversion", "nowhere.at_all", "budget..per_week"]

EXTREMES = st.sampled_from([0, -1, 1, 2**63, 10**30, 1e308, -1e308, 5e-324, 1e-300,
                            ".nan", ".inf", "-.inf", "1e308", "9999-12-31", "0001-01-01"])
TOKENS = st.sampled_from(["yes", "no", "on", "True", '"12"', "'3'", "null", "~", "[]", "{}",
                          "[1, 2]", "{a: 1}", "!!timestamp garbage", "!!binary x", "&a 1",
                          "*nowhere", "../../x", "/dev/zero", "'\\0'", "3.0", "1e3"])
VALUES = st.one_of(EXTREMES.map(str), TOKENS, st.integers().map(str), st.floats().map(str),
                   st.text(max_size=20))


def only_scenario_errors(action) -> object | None:
    """Run `action`; a ScenarioError is a fine answer, anything else fails the test."""
    try:
        return action()
    except ScenarioError as err:
        assert err.issues and all(issue.message for issue in err.issues)
        return None


@FUZZ
@given(path=st.sampled_from(PATHS), value=VALUES)
def test_any_set_gives_a_scenario_or_a_clear_error(path, value):
    scenario = only_scenario_errors(
        lambda: load_scenario(BASELINE, overrides=[*TINY, f"{path}={value}"]))
    if scenario is not None:  # what validation accepts can be estimated and checked
        try:
            check(estimate(scenario), allow_large=False)
        except WorkloadError as err:
            assert "--allow-large" in str(err)


@FUZZ
@given(file=st.sampled_from(SHIPPED), data=st.data())
def test_a_mutated_shipped_scenario_is_valid_or_refused_with_exit_2(tmp_path, file, data):
    lines = file.read_text(encoding="utf-8").splitlines()
    values = [i for i, line in enumerate(lines) if re.match(r"^\s+\w+: [^\s#]", line)]
    for index in data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=3)):
        key = lines[index].split(":", 1)[0]
        lines[index] = f"{key}: {data.draw(st.one_of(TOKENS, EXTREMES.map(str)))}"
    mutated = tmp_path / "mutated.yaml"
    mutated.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(mutated)]) in (0, 2)


@st.composite
def extreme_value(draw: st.DrawFn) -> tuple[str, float | int]:
    """A numeric parameter at an end of its range (or near it), or anywhere inside."""
    path = draw(st.sampled_from(numeric_paths(load_scenario(BASELINE))))
    bounds = bounds_of(field_of(path, load_scenario(BASELINE)))
    whole = number_type(field_of(path, load_scenario(BASELINE))) is int
    low = bounds.low if math.isfinite(bounds.low) else -1e308
    high = bounds.high if math.isfinite(bounds.high) else 1e308
    if whole:
        low, high = int(max(low, -(2**63))), int(min(high, 2**63 - 1))
        return path, draw(st.sampled_from([low, low + 1, high - 1, high])
                          | st.integers(low, high))
    near = [low, high, math.nextafter(low, math.inf), math.nextafter(high, -math.inf),
            5e-324, 1e-300, 1e9, 1e300]
    return path, draw(st.sampled_from(near) | st.floats(low, high))


@pytest.mark.slow  # short runs
@FUZZ
@given(change=extreme_value())
def test_extreme_valid_values_run_and_write_strict_finite_json(change):
    base = load_scenario(BASELINE, overrides=TINY)
    scenario = only_scenario_errors(lambda: apply_changes(base, dict([change]), source="fuzz"))
    if scenario is None:
        return
    try:
        check(estimate(scenario), allow_large=False)
    except WorkloadError:
        return  # refused up front, with a message: fine
    result = run(scenario)
    _, non_finite = strict_json(result.summary)
    assert non_finite == [], (change, non_finite)


@FUZZ
@given(name=st.text(max_size=300), policy=st.none() | st.text(max_size=50))
def test_any_name_gives_one_folder_inside_runs(name, policy):
    scenario = Scenario.model_construct(**{**Scenario().__dict__, "name": name})
    folder = default_run_folder(scenario, policy)
    assert folder.parent == Path("runs") and folder.name not in ("", ".", "..")
    assert "/" not in folder.name and "\0" not in folder.name and len(folder.name) < 255


def test_a_scenario_from_plain_data_never_raises_anything_else():
    for data in ({"seed": True}, {"time": {"steps": "3"}}, {"extends": ["a.yaml"]},
                 {"population": {"risk_aversion": {"mean": 1e-300, "concentration": 1e-300}}},
                 {"ngo": {"budget": 1e308}}, [], "text", None):
        only_scenario_errors(lambda data=data: scenario_from_dict(data))


# --- results folders ---------------------------------------------------------------------

SMALL = ["space.width=12", "space.height=12", "time.steps=3", "time.spin_up_days=0"]


def small_batch(out: Path):
    return prepare_batch(BASELINE, out=out, overrides=SMALL, replicates=2,
                         policies=["status_quo", "coordinated"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzz") / "batch"
    execute_batch(small_batch(out), workers=0, chunk_size=1)
    return out


def damage(out: Path, kind: str, at: int) -> None:
    journal = out / "runs.jsonl"
    lines = journal.read_text().splitlines()
    shards = sorted((out / "timeseries").glob("*.parquet"))
    if kind == "truncate":
        text = journal.read_bytes()
        journal.write_bytes(text[: at % len(text)])
    elif kind == "garbage":
        lines[at % len(lines)] = "}}not json{{"
        journal.write_text("\n".join(lines) + "\n")
    elif kind == "status":
        record = json.loads(lines[at % len(lines)])
        record["status"] = "dune"
        lines[at % len(lines)] = json.dumps(record)
        journal.write_text("\n".join(lines) + "\n")
    elif kind == "delete_shard":
        shards[at % len(shards)].unlink()
    else:  # a shard's rows twice
        shard = shards[at % len(shards)]
        table = pd.read_parquet(shard)
        pd.concat([table, table]).to_parquet(shard, index=False)


@pytest.mark.slow  # batches
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["truncate", "garbage", "status", "delete_shard", "doubled"]),
       at=st.integers(0, 10**6))
def test_any_damage_to_a_results_folder_is_refused_by_analysis_or_repaired(
        tmp_path, finished, kind, at):
    out = tmp_path / "copy"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(finished, out)
    damage(out, kind, at)
    try:
        load_results(out)  # either still consistent (e.g. a journal cut at a line's end) ...
    except ResultsError as err:  # ... or refused with what disagrees
        assert "disagree" in str(err)
    execute_batch(small_batch(out), workers=0, chunk_size=1)
    series = pd.read_parquet(out / "timeseries")
    assert not series.duplicated(["run_id", "step"]).any()
    assert series["run_id"].nunique() == 4
    assert len(load_results(out).summary) == 4
