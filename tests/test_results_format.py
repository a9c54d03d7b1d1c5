"""The results format: the manifest round-trips, is strict JSON, and names foreign versions."""

import json

import pytest

from ssrsim.results_format import (
    FORMAT_VERSION,
    Counts,
    DesignRecord,
    EventMarker,
    Manifest,
    MeasureInfo,
    PolicyRecord,
    ResultsError,
    RunRecord,
)


def manifest(points=({"cmo.coordination": 0.5},)) -> Manifest:
    return Manifest(
        scenario_file="scenarios/baseline.yaml", identity={"scenario_hash": "ab"},
        status="complete", started="t0", finished="t1", root_seed=7, replicates=1,
        policies={"status_quo": PolicyRecord("ab", {})},
        design=DesignRecord("file", ("cmo.coordination",), tuple(points)),
        measures=(MeasureInfo("trust", "Trust", "share", "higher", "Mean trust.", True),),
        events=(EventMarker(2, "2004-01-19", "coup", "putsch", None, {"crisis": 0.5},
                            ("status_quo",)),),
        versions={"ssrsim": "0.1.0"}, counts=Counts(1, 1, 0, 0), scenario={"name": "b"},
        runs=(RunRecord("status_quo-p00000-r00000", "status_quo", 0, 0, 11,
                        {"cmo.coordination": 0.5}, "done", None, 0.5),))


def test_a_manifest_round_trips_with_format_and_version_first():
    text = manifest().to_json()
    assert list(json.loads(text))[:2] == ["format", "format_version"]
    assert json.loads(text)["format_version"] == FORMAT_VERSION
    assert Manifest.from_json(text, "m") == manifest()


def test_a_manifest_is_strict_json():
    with pytest.raises(ValueError, match="not JSON compliant"):
        manifest(points=({"cmo.coordination": float("nan")},)).to_json()


@pytest.mark.parametrize("version", ["2", None, 2.5])
def test_a_version_that_is_not_a_whole_number_is_refused(version):
    data = json.loads(manifest().to_json())
    data["format_version"] = version
    with pytest.raises(ResultsError, match=r"m: format_version .* is not a whole number"):
        Manifest.from_json(json.dumps(data), "m")


def test_a_headline_and_an_unlisted_measure():
    assert manifest().headline == ["trust"]
    assert manifest().measure("abuses") == MeasureInfo("abuses", "Abuses", "", None, "")


def test_foreign_json_is_not_a_manifest():
    with pytest.raises(ResultsError, match="not an ssrsim batch manifest"):
        Manifest.from_json("[1, 2]", "m")
