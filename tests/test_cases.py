"""Case-study scenarios (Liberia, Colombia, Mali), their observed data, and `check_case`."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ssrsim import SSRModel, load_scenario
from ssrsim.analysis import ResultsError
from ssrsim.cases import (
    DATA_COLUMNS,
    OBSERVED_ONLY,
    CaseDataError,
    case_rows,
    check_case,
    data_path,
    format_case_table,
    load_observations,
    model_measure_names,
    step_of,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = ["liberia", "colombia", "mali"]
SMALL = ["space.width=24", "space.height=24", "time.steps=20"]
"""Overrides that make a case run in well under a second."""


def scenario_file(name: str) -> Path:
    return ROOT / "scenarios" / f"{name}.yaml"


@pytest.mark.parametrize("name", CASES)
def test_case_scenario_validates_and_runs_a_few_steps(name):
    scenario = load_scenario(scenario_file(name))
    assert scenario.name == name
    assert scenario.time.step_days == 7
    assert len(scenario.events) >= 4
    assert 2 <= len(scenario.policies) <= 4
    for policy in scenario.policies:
        load_scenario(scenario_file(name), policy=policy)
    model = SSRModel(load_scenario(scenario_file(name), overrides=SMALL))
    for _ in range(3):
        model.step()
    table = model.datacollector.get_model_vars_dataframe()
    assert len(table) == 4
    assert table["trust"].between(0, 1).all()


@pytest.mark.parametrize("name", CASES)
def test_every_value_in_a_case_file_carries_a_source_or_assumption(name):
    """Each `key: value` line of the scenario has a comment (its source or an assumption)."""
    lines = scenario_file(name).read_text().splitlines()
    bare = []
    for number, line in enumerate(lines, start=1):
        body = line.split("#", 1)[0].rstrip()
        if not body or body.endswith(":") or body.lstrip().startswith("- {"):
            continue
        if body.lstrip().startswith(("name:", "description:", "set:")) or ":" not in body:
            continue
        if "#" not in line and not _in_policies(lines, number):
            bare.append(f"{number}: {line}")
    assert not bare, "values without a source or assumption:\n" + "\n".join(bare)


def _in_policies(lines: list[str], number: int) -> bool:
    """Whether line `number` lies in the `policies:` block (whose values are options)."""
    start = next(i for i, line in enumerate(lines, start=1) if line.startswith("policies:"))
    return number > start


@pytest.mark.parametrize("name", CASES)
def test_observations_have_sources_dates_and_model_measures(name):
    scenario = load_scenario(scenario_file(name))
    table = load_observations(scenario_file(name))
    raw = pd.read_csv(data_path(scenario_file(name)), dtype=str, keep_default_na=False)
    assert list(raw.columns) == list(DATA_COLUMNS)
    assert len(table) >= 5
    assert (table["source"].str.len() > 20).all()
    allowed = set(model_measure_names(scenario)) | {OBSERVED_ONLY}
    assert set(table["measure"]) <= allowed
    assert (table["measure"] != OBSERVED_ONLY).any(), "no observation maps onto the model"
    for row in table.itertuples():
        assert isinstance(row.date, dt.date)
        if not row.in_run:
            assert "outside" in row.note.lower(), f"{row.date} {row.indicator}: outside the " \
                                                  f"run without a note saying so"
        if row.unit.startswith("share"):
            assert 0 <= row.value <= 1
        if row.unit.startswith("change in share"):
            assert -1 <= row.value <= 1


def test_step_of_maps_dates_to_the_step_that_contains_them():
    scenario = load_scenario(scenario_file("liberia"))
    start = scenario.time.start_date
    assert step_of(scenario, start) == 0
    assert step_of(scenario, start + dt.timedelta(days=6)) == 0
    assert step_of(scenario, start + dt.timedelta(days=7)) == 1
    assert step_of(scenario, start - dt.timedelta(days=1)) is None
    assert step_of(scenario, scenario.step_date(scenario.time.steps)) == scenario.time.steps
    assert step_of(scenario, scenario.step_date(scenario.time.steps + 1)) is None
    for event in scenario.events:  # events and observations use the same date-to-step rule
        if event.date and event.date >= start:
            assert step_of(scenario, event.date) == scenario.event_step(event)


@pytest.mark.validation
def test_check_case_returns_observed_and_model_columns_and_writes_the_figure(tmp_path):
    check = check_case(scenario_file("mali"), replicates=2, workers=0, out=tmp_path / "mali",
                       overrides=SMALL)
    assert check.runs == 2
    table = check.table
    for column in ("date", "measure", "indicator", "observed", "model_median", "model_p05",
                   "model_p95", "in_band", "in_run"):
        assert column in table.columns
    assert set(table["measure"]) == {"army_trust"}
    inside = check.compared
    assert len(inside) >= 1  # the pre-coup trust level is dated at step 0
    assert inside["model_median"].between(0, 1).all()
    assert (inside["model_p05"] <= inside["model_median"]).all()
    assert (inside["model_median"] <= inside["model_p95"]).all()
    outside = table[~table["in_run"]]
    assert outside["model_median"].isna().all()
    assert {p.suffix for p in check.figures} == {".png", ".svg"}
    assert all(p.stat().st_size > 1000 for p in check.figures)
    assert check.files["comparison"].is_file()
    header, rows = case_rows(check)
    assert len(rows) == len(table) and all(len(r) == len(header) for r in rows)
    assert "outside run" in {r[-1] for r in rows}
    text = format_case_table(check)
    assert "model median" in text and "2 runs" in text


@pytest.mark.validation
def test_check_case_reads_district_measures(tmp_path):
    check = check_case(scenario_file("colombia"), replicates=1, workers=0,
                       out=tmp_path / "colombia",
                       overrides=[*SMALL, "time.start_date=2010-06-01"])
    bogota = check.table[check.table["measure"] == "police_trust_bogota"]
    assert len(bogota) == 2
    assert bogota["in_run"].sum() == 1  # 2010 is inside the moved run, 2020 is not
    assert bogota.loc[bogota["in_run"], "model_median"].notna().all()


@pytest.mark.validation
def test_check_case_reads_the_scenario_file_once(tmp_path, scenario_reads):
    """The scenario, its observations and the batch all come from one read of the file."""
    case = scenario_file("mali")
    reads = scenario_reads
    check = check_case(case, replicates=1, workers=0, out=tmp_path / "mali",
                       overrides=["space.width=24", "space.height=24", "time.steps=3"])
    assert check.runs == 1 and len(check.compared) >= 1
    assert reads == [case.resolve()]  # `extends:` parents would be read inside read_tree


def test_a_scenario_without_data_gives_a_clear_error(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    copy = folder / "nowhere.yaml"
    shutil.copy(scenario_file("mali"), copy)
    copy.write_text(copy.read_text().replace("name: mali ", "name: nowhere "))
    with pytest.raises(CaseDataError, match=r"no observed data for scenario 'nowhere'"):
        load_observations(copy)
    with pytest.raises(ResultsError, match=r"data/cases/nowhere.csv"):
        check_case(copy, replicates=1, workers=0, out=tmp_path / "out", overrides=SMALL)
    assert not (tmp_path / "out").exists()  # refused before any run


def test_a_measure_the_model_lacks_gives_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    rows = pd.DataFrame([
        ["2013-01-01", "trst", "trust in the army", "0.5", "share", "A survey (2013)", ""],
        ["2013-01-01", "trust", "trust in the army", "half", "share", "A survey (2013)", ""],
        ["2013-13-01", "trust", "trust in the army", "0.5", "share", "", ""],
    ], columns=list(DATA_COLUMNS))
    rows.to_csv(bad, index=False)
    with pytest.raises(ValueError) as info:
        load_observations(scenario_file("mali"), data=bad)
    message = str(info.value)
    assert "bad.csv:2: measure 'trst' is not a model measure (did you mean 'trust'?)" in message
    assert "bad.csv:3: value 'half' is not a number" in message
    assert "bad.csv:4: date '2013-13-01'" in message
    assert "bad.csv:4: no source" in message


def test_a_file_missing_a_column_gives_a_clear_error(tmp_path):
    bad = tmp_path / "short.csv"
    bad.write_text("date,measure,value\n2013-01-01,trust,0.5\n")
    with pytest.raises(CaseDataError, match="missing column"):
        load_observations(scenario_file("mali"), data=bad)


@pytest.mark.validation
def test_check_case_keeps_a_hostile_name_inside_results(tmp_path, monkeypatch):
    from ssrsim.cases import check_case

    monkeypatch.chdir(tmp_path)
    case = scenario_file("mali")
    check = check_case(case, replicates=1, workers=0,
                       overrides=["name=../../escape", "space.width=24", "space.height=24",
                                  "time.steps=3"])
    inside = (tmp_path / "results").resolve()
    assert check.out.resolve().is_relative_to(inside)
    assert all(path.resolve().is_relative_to(inside) for path in check.figures)


def test_the_data_file_a_name_points_to_stays_in_data_cases(tmp_path):
    """Issue #14: a scenario named ../../x made check-case read x.csv outside data/cases."""
    (tmp_path / "data" / "cases").mkdir(parents=True)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "outside.csv").write_text("secret\n")
    scenario = tmp_path / "scenarios" / "s.yaml"
    scenario.write_text("name: ../../outside\n")
    with pytest.raises(CaseDataError) as caught:
        data_path(scenario)
    message = str(caught.value)
    assert str(tmp_path / "outside.csv") not in message
    assert str(tmp_path / "data" / "cases" / "outside.csv") in message
    (tmp_path / "data" / "cases" / "s.csv").write_text("x\n")
    assert data_path(scenario) == tmp_path / "data" / "cases" / "s.csv"


@pytest.mark.validation
def test_check_case_over_posterior_draws_gives_predictive_bands(tmp_path):
    posterior = tmp_path / "posterior.parquet"
    pd.DataFrame({"mali:population.initial_army_trust.mean": [0.3, 0.9],
                  "colombia:population.initial_trust.mean": [0.5, 0.5],
                  "weight": [0.5, 0.5]}).to_parquet(posterior)
    check = check_case(scenario_file("mali"), replicates=2, workers=0, out=tmp_path / "mali",
                       overrides=SMALL, posterior=posterior, draws=6)
    assert (check.worlds, check.runs) == (6, 12)
    first = check.bands[(check.bands["measure"] == "army_trust") & (check.bands["step"] == 0)]
    assert float(first["p95"].iloc[0] - first["p05"].iloc[0]) > 0.4  # worlds 0.3 and 0.9 apart
    text = format_case_table(check)
    assert "over 6 posterior draws" in text and "posterior predictive" in text


CALIBRATION = Path(__file__).resolve().parents[1] / "data" / "calibration" / "cases"


@pytest.mark.parametrize("case", ["liberia", "colombia", "mali"])
def test_each_shipped_calibrated_case_sets_its_posterior_medians(case):
    from ssrsim.batch.posterior import read_posterior
    from ssrsim.calibrate.joint_report import weighted_quantiles
    from ssrsim.scenario import get_value

    scenario = load_scenario(CALIBRATION / f"{case}-calibrated.yaml")
    assert scenario.name == case  # so a batch of it takes the case's posterior columns
    posterior = read_posterior(CALIBRATION, case)
    assert {"trust.abuse_loss", "population.initial_trust.mean",
            "population.initial_army_trust.mean"} == set(posterior.values.columns)
    for path, column in posterior.values.items():
        (median,) = weighted_quantiles(column.to_numpy(float), posterior.weights, [0.5])
        assert get_value(scenario, path) == pytest.approx(median, rel=1e-3)
