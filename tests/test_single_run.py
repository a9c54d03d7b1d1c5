import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ssrsim import load_scenario, run, write_run
from ssrsim.results_format import MeasureInfo
from ssrsim.single_run import measure_columns


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The baseline on a small grid for a few steps (fast, all mechanisms on)."""
    return load_scenario("scenarios/baseline.yaml",
                         overrides=["space.width=30", "space.height=30", "time.steps=12"])


@pytest.fixture(scope="module")
def result(small):
    return run(small, policy=None)


def test_run_has_one_row_per_step_with_dates(result, small):
    table = result.timeseries
    assert list(table["step"]) == list(range(small.time.steps + 1))
    assert table["date"].iloc[0] == small.time.start_date.isoformat()
    assert pd.Timestamp(table["date"].iloc[1]) - pd.Timestamp(table["date"].iloc[0]) == \
        pd.Timedelta(days=small.time.step_days)


def test_summary_final_and_mean_match_table(result):
    table = result.timeseries
    for name in ("trust", "stability", "reform_uptake", "arrests"):
        assert result.summary["final"][name] == pytest.approx(table[name].iloc[-1])
        assert result.summary["mean"][name] == pytest.approx(table[name].iloc[1:].mean())
    assert result.summary["seed"] == 42
    assert len(result.summary["scenario_hash"]) == 64


def test_on_step_called_every_step(small):
    seen = []
    run(small, on_step=seen.append)
    assert seen == list(range(1, small.time.steps + 1))


def test_write_run_files_round_trip(result, tmp_path):
    paths = write_run(result, tmp_path / "out")
    assert {p.name for p in paths.values()} == {
        "timeseries.parquet", "timeseries.csv", "summary.json", "chart.png"}
    from_parquet = pq.read_table(paths["timeseries.parquet"]).to_pandas()
    pd.testing.assert_frame_equal(from_parquet, result.timeseries)
    from_csv = pd.read_csv(paths["timeseries.csv"])
    assert list(from_csv.columns) == list(result.timeseries.columns)
    np.testing.assert_allclose(from_csv["trust"], result.timeseries["trust"])
    summary = json.loads(paths["summary.json"].read_text())
    assert summary["final"].keys() == set(measure_columns(result.timeseries))
    assert paths["chart.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_gives_byte_identical_tables(small, tmp_path):
    a = write_run(run(small), tmp_path / "a")
    b = write_run(run(small), tmp_path / "b")
    for name in ("timeseries.parquet", "timeseries.csv"):
        assert a[name].read_bytes() == b[name].read_bytes()


def test_different_seed_gives_different_table(small):
    other = small.model_copy(update={"seed": small.seed + 1})
    assert not run(small).timeseries.equals(run(other).timeseries)


def test_events_applied_are_reported(tmp_path):
    scenario = load_scenario("scenarios/baseline.yaml", overrides=[
        "space.width=20", "space.height=20", "time.steps=3",
        "events=[{type: coup, step: 2, label: test coup}]"])
    summary = run(scenario).summary
    assert summary["events_applied"] == [{"step": 2, "type": "coup", "label": "test coup"}]


def test_summary_describes_every_measure_column_in_order(result, tmp_path):
    """A run folder is self-describing: each measure's label, unit and better direction."""
    summary = json.loads(write_run(result, tmp_path / "out")["summary.json"].read_text())
    infos = [MeasureInfo(**m) for m in summary["measures"]]
    assert [m.name for m in infos] == measure_columns(result.timeseries)
    trust = next(m for m in infos if m.name == "trust")
    assert (trust.label, trust.better, trust.headline) == ("Trust in security forces",
                                                           "higher", True)
    assert next(m for m in infos if m.name == "spent").better == "lower"


# --- strict JSON (issue #14: a huge budget with a donor surge wrote Infinity) ----------------


def test_non_finite_summary_values_are_written_as_null_with_a_warning(result, tmp_path):
    from dataclasses import replace

    summary = {**result.summary, "final": {**result.summary["final"],
                                           "trust": float("inf"), "stability": float("nan")}}
    with pytest.warns(RuntimeWarning, match="not finite"):
        paths = write_run(replace(result, summary=summary), tmp_path / "out")
    text = paths["summary.json"].read_text()
    assert "Infinity" not in text and "NaN" not in text

    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")

    strict = json.loads(text, parse_constant=refuse)
    assert strict["final"]["trust"] is None and strict["final"]["stability"] is None


@pytest.mark.parametrize(("name", "expected"), [
    ("baseline", "baseline"),
    ("../../escape", "escape"),
    ("a/b\\c", "a_b_c"),
    ("nul\x00byte", "nul_byte"),
    ("..", "scenario"),
    ("", "scenario"),
    ("Ünïcode name", "Unicode_name"),
])
def test_folder_names_from_scenario_names_are_one_safe_part(name, expected):
    from ssrsim.single_run import safe_folder_name

    assert safe_folder_name(name) == expected


def test_a_very_long_name_is_cut():
    from ssrsim.single_run import MAX_FOLDER_NAME, safe_folder_name

    assert len(safe_folder_name("x" * 5000)) == MAX_FOLDER_NAME


def test_an_event_long_after_the_end_never_happens_and_breaks_nothing(tmp_path):
    from ssrsim import load_scenario, run, write_run
    from ssrsim.scenario import apply_changes

    scenario = apply_changes(load_scenario("scenarios/baseline.yaml"), {
        "time.steps": 3, "space.width": 20, "space.height": 20,
        "events": [{"type": "coup", "step": 10**30}]}, source="test")
    result = run(scenario)
    assert result.summary["events_applied"] == []
    assert (tmp_path / "out" / "chart.png") == write_run(result, tmp_path / "out")["chart.png"]


def test_a_name_with_control_characters_or_5000_letters_makes_a_clean_chart(result, tmp_path):
    """Issue #14: a null byte in the name reached the chart title (a missing-glyph warning)."""
    import dataclasses
    import warnings

    odd = result.scenario.model_copy(update={"name": "a\0b\x07" + "x" * 5000})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = write_run(dataclasses.replace(result, scenario=odd), tmp_path / "odd")
    assert paths["chart.png"].stat().st_size > 0
