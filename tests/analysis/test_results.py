"""Opening results folders: clear errors for what is not one, and the accessors of one."""

import json

import pytest

from ssrsim.analysis import ResultsError, load_results


def test_not_a_folder(tmp_path):
    with pytest.raises(ResultsError, match="is not a folder"):
        load_results(tmp_path / "missing")


def test_a_broken_or_foreign_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ResultsError, match="not valid JSON"):
        load_results(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "other/1"}))
    with pytest.raises(ResultsError, match="not an ssrsim batch manifest"):
        load_results(tmp_path)


def test_an_unfinished_folder_without_summary(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "ssrsim-batch/1"}))
    with pytest.raises(ResultsError, match=r"no summary\.parquet yet.*rerun"):
        load_results(tmp_path)


def test_the_accessors_of_a_real_batch(tiny_batch):
    results = load_results(tiny_batch)
    assert results.policies == ["status_quo", "coordinated"]
    assert results.design_method == "none" and results.design_parameters == []
    assert {"trust", "abuses", "spent", "trust_capital"} <= set(results.measures)
    values = results.values("trust", "final")
    assert len(values) == 6 and values["value"].between(0, 1).all()
    series = results.timeseries(["date", "trust"])
    assert {"run_id", "policy", "step", "date", "trust"} <= set(series.columns)
    assert series.groupby("run_id").size().eq(11).all()
    with pytest.raises(ResultsError, match="statistic must be"):
        results.values("trust", "median")
    with pytest.raises(ResultsError, match="no measure 'nope'"):
        results.timeseries(["nope"])
