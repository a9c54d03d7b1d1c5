"""Charts of real tiny batches: files exist, are valid PNG and SVG, and are reproducible."""

import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from ssrsim.analysis import ResultsError, compare, load_results
from ssrsim.analysis.figures import (
    cost_vs_outcome,
    events_within,
    fan_charts,
    final_distributions,
    label,
    sensitivity_bars,
)
from ssrsim.analysis.sensitivity import sensitivity
from ssrsim.results_format import EventMarker, MeasureInfo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_files(paths, stems):
    assert sorted(p.name for p in paths) == sorted(f"{s}.{ext}" for s in stems
                                                   for ext in ("png", "svg"))
    for path in paths:
        if path.suffix == ".png":
            assert path.read_bytes().startswith(PNG_MAGIC)
            with Image.open(path) as image:
                image.verify()
                assert image.size[0] > 300 and image.size[1] > 150
        else:
            root = ET.parse(path).getroot()
            assert root.tag.endswith("svg")


def test_fan_charts(tiny_batch, tmp_path):
    results = load_results(tiny_batch)
    paths = fan_charts(results, ["trust", "stability"], tmp_path)
    check_files(paths, ["fan_trust", "fan_stability"])
    again = fan_charts(results, ["trust", "stability"], tmp_path / "again")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_fan_charts_default_to_the_headline_measures(tiny_batch, tmp_path):
    paths = fan_charts(load_results(tiny_batch), None, tmp_path)
    assert len(paths) == 12


def test_final_distributions(tiny_batch, tmp_path):
    paths = final_distributions(load_results(tiny_batch), ["trust", "abuses"], "final",
                                tmp_path)
    check_files(paths, ["distribution_final_trust", "distribution_final_abuses"])


def test_cost_vs_outcome_from_a_comparison_or_from_results(tiny_batch, tmp_path):
    results = load_results(tiny_batch)
    comparison = compare(results, "status_quo", measures=["trust", "spent"])
    check_files(cost_vs_outcome(comparison, tmp_path / "c"), ["cost_vs_trust"])
    check_files(cost_vs_outcome(results, tmp_path / "r", outcome="stability"),
                ["cost_vs_stability"])
    with pytest.raises(ResultsError, match="no rows for spent"):
        cost_vs_outcome(compare(results, "status_quo", measures=["trust"]), tmp_path)


def test_sensitivity_bars(tiny_morris, tmp_path):
    sens = sensitivity(load_results(tiny_morris), measures=["trust", "stability"])
    check_files(sensitivity_bars(sens, tmp_path), ["sensitivity_morris"])


def test_the_batch_records_its_events_for_the_charts(tiny_batch):
    (vote,) = load_results(tiny_batch).manifest.events
    assert (vote.step, vote.date, vote.type, vote.label) == (4, "2004-02-02", "election", "vote")
    assert vote.policies == ("status_quo", "coordinated")


def test_charts_mark_the_events_after_the_start_and_by_the_last_step():
    def at(step):
        return EventMarker(step, "2004-01-05", "coup", "", None, {}, ("a",))

    assert [e.step for e in events_within([at(0), at(3), at(10), at(11)], 10)] == [3, 10]


def test_labels_say_which_way_is_better():
    assert label(MeasureInfo("trust", "Trust", "", "higher", "")) == "Trust (higher is better)"
    assert label(MeasureInfo("arrests", "Arrests", "", None, "")) == "Arrests"
