"""Opening results folders: clear errors for what is not one, and the accessors of one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ssrsim.analysis import ResultsError, load_results
from ssrsim.results_format import FormatVersionError, MeasureInfo

ROOT = Path(__file__).resolve().parents[2]


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


def test_an_unfinished_folder_without_summary(tmp_path, synthetic, paired):
    folder = synthetic(tmp_path / "r", paired({"status_quo": np.ones(3)}),
                       policies=["status_quo"])
    (folder / "summary.parquet").unlink()
    with pytest.raises(ResultsError, match=r"no summary\.parquet yet.*rerun"):
        load_results(folder)


def test_a_folder_of_the_first_format_is_refused_saying_how_to_remake_it(tmp_path):
    """Version 1 wrote no measure info or event markers: refuse, naming version and fix."""
    old = {"format": "ssrsim-batch/1", "scenario_file": "scenarios/baseline.yaml",
           "versions": {"ssrsim": "0.1.0"}, "policies": {}, "design": {}}
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    with pytest.raises(FormatVersionError,
                       match=r"results format 1 \(written by ssrsim 0\.1\.0\); this ssrsim "
                             r"reads format 2: run the batch again with this ssrsim: ssrsim "
                             r"batch scenarios/baseline\.yaml --out .* --force-new"):
        load_results(tmp_path)


def test_a_folder_of_a_newer_format_asks_for_a_newer_ssrsim(tmp_path, synthetic, paired):
    folder = synthetic(tmp_path / "r", paired({"status_quo": np.ones(3)}),
                       policies=["status_quo"])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"results format 99 .* upgrade ssrsim"):
        load_results(folder)


def test_a_damaged_manifest_names_what_is_missing(tmp_path, synthetic, paired):
    folder = synthetic(tmp_path / "r", paired({"status_quo": np.ones(3)}),
                       policies=["status_quo"])
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["measures"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"lacks or garbles 'measures'"):
        load_results(folder)


def test_labels_directions_and_headline_come_from_the_manifest(tmp_path, synthetic, paired):
    """An old folder is read as it was written, whatever today's model says."""
    summary = paired({"status_quo": np.ones((3, 2))}, {"trust": "", "abuses": ""})
    recorded = [MeasureInfo("trust", "Faith", "share", "lower", "", False),
                MeasureInfo("abuses", "Abuses", "count", None, "", True)]
    results = load_results(synthetic(tmp_path / "r", summary, policies=["status_quo"],
                                     measures=recorded))
    assert results.info("trust") == recorded[0]
    assert results.headline == ["abuses"]
    assert results.info("not_recorded") == MeasureInfo("not_recorded", "Not recorded", "",
                                                       None, "")


def test_importing_analysis_loads_neither_mesa_nor_the_model_nor_the_batch_layer():
    modules = ["ssrsim.analysis", *(f"ssrsim.analysis.{m}" for m in (
        "compare", "figures", "report", "sensitivity", "results", "tables"))]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'mesa'\n"
            "             or m.startswith(('ssrsim.model', 'ssrsim.batch', 'ssrsim.single_run')))\n"
            "print(','.join(bad))\n")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert found.stdout.strip() == ""


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
