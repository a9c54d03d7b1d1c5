"""Calibration by ABC rejection (`ssrsim.calibrate`): a known answer, outputs and errors."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ssrsim import load_scenario, run
from ssrsim.analysis import load_results
from ssrsim.calibrate import (
    CalibrationError,
    Prior,
    calibrate,
    format_calibration,
    parse_bounds,
    prior_design,
    write_fitted,
)
from ssrsim.cases import DATA_COLUMNS, CaseDataError

ROOT = Path(__file__).resolve().parents[1]
LIBERIA = ROOT / "scenarios" / "liberia.yaml"
SMALL = ("space.width=30", "space.height=30", "time.steps=40")
"""A 30x30 grid and 40 weekly steps: a run takes a fraction of a second."""

PARAM = "trust.engagement_gain"
TRUE = 0.05
BOUNDS = (0.0, 0.2)
OBSERVED_STEPS = (10, 20, 30, 40)
SAMPLES, REPLICATES, ACCEPT = 16, 2, 0.25


def synthetic_data(path: Path, value: float = TRUE, seed: int = 99) -> Path:
    """Observed `trust` made by the model itself at a known parameter value (one run)."""
    scenario = load_scenario(LIBERIA, overrides=[*SMALL, f"{PARAM}={value}", f"seed={seed}"])
    table = run(scenario).timeseries.set_index("step")
    rows = [{"date": scenario.step_date(step).isoformat(), "measure": "trust",
             "indicator": "synthetic mean trust", "value": float(table.loc[step, "trust"]),
             "unit": "share", "source": f"synthetic: ssrsim run with {PARAM}={value}, seed {seed}",
             "note": "test data"} for step in OBSERVED_STEPS]
    pd.DataFrame(rows, columns=list(DATA_COLUMNS)).to_csv(path, index=False)
    return path


def small_calibration(tmp: Path, data: Path, **kwargs):
    arguments = {"samples": SAMPLES, "replicates": REPLICATES, "accept": ACCEPT,
                 "bounds": {PARAM: BOUNDS}, "workers": 0, "out": tmp / "cal",
                 "overrides": SMALL, "data": data, "seed": 5, **kwargs}
    return calibrate(LIBERIA, [PARAM], **arguments)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calibrate")
    data = synthetic_data(tmp / "synthetic.csv")
    return tmp, data, small_calibration(tmp, data)


@pytest.mark.slow  # uses the module's calibration (16 samples x 2 replicates)
def test_known_answer_is_recovered(synthetic):
    _, _, cal = synthetic
    row = cal.summary.set_index("parameter").loc[PARAM]
    midpoint = sum(BOUNDS) / 2
    assert abs(row["posterior_median"] - TRUE) < abs(midpoint - TRUE) / 2
    assert row["p05"] <= TRUE <= row["p95"]
    assert row["interval_share"] < 0.5
    assert row["verdict"].startswith("constrained")
    assert cal.bounds == {PARAM: BOUNDS}


@pytest.mark.slow  # uses the module's calibration (16 samples x 2 replicates)
def test_posterior_is_the_accepted_fraction_with_the_smallest_distances(synthetic):
    _, _, cal = synthetic
    assert len(cal.points) == SAMPLES
    assert len(cal.posterior) == round(ACCEPT * SAMPLES)
    assert list(cal.posterior["rank"]) == [1, 2, 3, 4]
    assert cal.posterior["distance"].is_monotonic_increasing
    rejected = cal.points.loc[~cal.points["accepted"], "distance"]
    assert cal.posterior["distance"].max() <= rejected.min()
    assert (cal.points["runs"] == REPLICATES).all()
    # the design is a Latin hypercube: one point in each of the N strata of the prior
    strata = np.floor((cal.points[PARAM] - BOUNDS[0]) / (BOUNDS[1] - BOUNDS[0]) * SAMPLES)
    assert sorted(strata.astype(int)) == list(range(SAMPLES))


@pytest.mark.slow  # uses the module's calibration (16 samples x 2 replicates)
def test_distance_is_rms_of_replicate_medians_minus_observed(synthetic):
    _, data, cal = synthetic
    observed = pd.read_csv(data)["value"].to_numpy()
    series = load_results(cal.out / "runs").timeseries(["trust"])
    best = int(cal.best["point"])
    mine = series[series["point"] == best]
    medians = mine.groupby("step")["trust"].median().loc[list(OBSERVED_STEPS)].to_numpy()
    expected = np.sqrt(np.mean((medians - observed) ** 2))
    assert cal.best["distance"] == pytest.approx(expected, rel=1e-12)
    assert mine["replicate"].nunique() == REPLICATES
    assert cal.fit["best"].to_numpy() == pytest.approx(medians)
    assert cal.floor == 0.0  # one observation per step


@pytest.mark.slow  # uses the module's calibration (16 samples x 2 replicates)
def test_files_and_fitted_scenario(synthetic):
    _, _, cal = synthetic
    for kind in ("design", "points", "posterior", "fitted", "png", "svg", "report"):
        assert cal.files[kind].is_file() and cal.files[kind].stat().st_size > 0, kind
    posterior = pd.read_csv(cal.files["posterior"])
    assert len(posterior) == len(cal.posterior)
    assert list(posterior[PARAM]) == pytest.approx(list(cal.posterior[PARAM]))
    fitted_text = cal.files["fitted"].read_text()
    parent = yaml.safe_load(fitted_text)["extends"]
    assert not Path(parent).is_absolute()
    assert (cal.files["fitted"].parent / parent).resolve() == LIBERIA.resolve()
    assert "calibrated: ABC rejection, N=16" in fitted_text and "90% interval [" in fitted_text
    fitted = load_scenario(cal.files["fitted"])
    median = cal.summary.set_index("parameter").loc[PARAM, "posterior_median"]
    assert fitted.trust.engagement_gain == pytest.approx(median, rel=1e-3)
    assert (fitted.space.width, fitted.time.steps) == (30, 40)  # the calibration's overrides
    assert fitted.districts == load_scenario(LIBERIA).districts  # the rest is inherited
    report = cal.files["report"].read_text()
    for text in ("## Prior", "## Posterior", "90% interval", "root mean squared difference",
                 "constrained", "## Fitted against observed"):
        assert text in report
    terminal = format_calibration(cal)
    assert PARAM in terminal and "posterior median" in terminal


@pytest.mark.slow  # uses the module's calibration (16 samples x 2 replicates)
def test_running_again_reuses_the_runs(synthetic):
    tmp, data, cal = synthetic
    calls = []
    again = small_calibration(tmp, data, on_progress=lambda *a: calls.append(a))
    assert calls == []  # every run was found on disk
    pd.testing.assert_frame_equal(again.posterior, cal.posterior)


@pytest.mark.slow  # uses the module's calibration (16 samples x 2 replicates)
def test_fitted_yaml_writes_a_whole_list_for_a_district_parameter(synthetic, tmp_path):
    _, _, cal = synthetic
    path = "districts.central.police"
    prior = Prior(path, 5.0, 40.0, True, "0 to 100000")
    summary = pd.DataFrame([{"parameter": path, "prior_low": 5.0, "prior_high": 40.0,
                             "posterior_median": 23.0, "p05": 12.0, "p95": 31.0,
                             "interval_share": 0.54, "verdict": "not constrained"}])
    faked = dataclasses.replace(cal, params=(path,), priors={path: prior}, summary=summary)
    target = write_fitted(faked, tmp_path / "deep" / "fitted.yaml")
    fitted = load_scenario(target)
    original = load_scenario(LIBERIA)
    assert [d.police for d in fitted.districts] == [
        23 if d.name == "central" else d.police for d in original.districts]
    assert fitted.events == original.events


def test_integer_prior_is_uniform_over_whole_numbers():
    prior = Prior("trust.witness_radius", 1.0, 4.0, True, "0 to 50")
    design = prior_design({prior.path: prior}, 400, root_seed=3)
    values = design[prior.path]
    assert values.dtype.kind == "i"
    counts = values.value_counts().sort_index()
    assert list(counts.index) == [1, 2, 3, 4]
    assert (counts == 100).all()  # Latin hypercube: equal strata
    again = prior_design({prior.path: prior}, 400, root_seed=3)
    pd.testing.assert_frame_equal(design, again)
    assert not design.equals(prior_design({prior.path: prior}, 400, root_seed=4))


def test_parse_bounds():
    assert parse_bounds(["trust.abuse_loss=0:0.5", "budget.per_week=2:30"]) == {
        "trust.abuse_loss": (0.0, 0.5), "budget.per_week": (2.0, 30.0)}
    for bad in ("trust.abuse_loss", "trust.abuse_loss=0.5", "=0:1", "a.b=x:1"):
        with pytest.raises(CalibrationError, match="path=LO:HI"):
            parse_bounds([bad])


@pytest.mark.parametrize(("params", "kwargs", "message"), [
    (["trust.engagment_gain"], {}, r"unknown key 'engagment_gain'.*did you mean "
                                   r"'trust\.engagement_gain'"),
    (["districts.nowhere.police"], {}, "no item named 'nowhere'"),
    (["space.torus"], {}, "bool parameter, not a number"),
    (["budget.per_week"], {}, r"no finite prior range.*>= 0.*--bounds budget\.per_week=LO:HI"),
    ([PARAM], {"bounds": {PARAM: (0.0, 2.0)}}, r"outside the parameter's allowed range \(0 to 1\)"),
    ([PARAM], {"bounds": {PARAM: (0.3, 0.1)}}, "need finite LO < HI"),
    ([PARAM], {"bounds": {"trust.abuse_loss": (0.0, 0.5)}}, "not among the parameters"),
    ([PARAM], {"accept": 0}, r"--accept must be a fraction in \(0, 1\]"),
    ([PARAM], {"accept": 1.5}, r"--accept must be a fraction in \(0, 1\]"),
    ([PARAM], {"samples": 1}, "--samples must be at least 2"),
    ([PARAM, PARAM], {}, "named twice"),
    (["budget.allocation.engagement"], {}, "shares must sum to 1"),
])
def test_bad_input_is_a_clear_error_before_any_run(tmp_path, params, kwargs, message):
    out = tmp_path / "cal"
    with pytest.raises(CalibrationError, match=message) as info:
        calibrate(LIBERIA, params, out=out, overrides=SMALL, workers=0, **kwargs)
    assert isinstance(info.value, ValueError)
    assert not (out / "runs").exists()


def test_a_scenario_without_observed_data_is_refused(tmp_path):
    copy = tmp_path / "scenarios" / "nodata.yaml"
    copy.parent.mkdir()
    shutil.copy(LIBERIA, copy)
    with pytest.raises(CaseDataError, match="no observed data") as info:
        calibrate(copy, [PARAM], out=tmp_path / "cal", overrides=SMALL, workers=0)
    assert isinstance(info.value, ValueError)


def test_no_observation_inside_the_run_is_refused(tmp_path):
    # liberia.csv's trust surveys are 2019-2024; a 40-step run ends in 2004
    with pytest.raises(CalibrationError, match="all dated outside the run"):
        calibrate(LIBERIA, [PARAM], out=tmp_path / "cal", overrides=SMALL, workers=0)
    only = tmp_path / "only.csv"
    pd.DataFrame([{"date": "2004-01-01", "measure": "observed_only", "indicator": "x",
                   "value": 1, "unit": "", "source": "s", "note": ""}]).to_csv(only, index=False)
    with pytest.raises(CalibrationError, match="none has a model measure"):
        calibrate(LIBERIA, [PARAM], out=tmp_path / "cal", overrides=SMALL, workers=0, data=only)


def test_calibrate_reads_the_scenario_file_once(tmp_path, scenario_reads):
    """The prior, the observations and the batch all come from one read of the file."""
    reads = scenario_reads
    data = synthetic_data(tmp_path / "synthetic.csv")
    reads.clear()  # making the data loads the scenario too
    cal = small_calibration(tmp_path, data, samples=2, replicates=1, accept=1.0)
    assert len(cal.points) == 2
    assert reads.count(LIBERIA.resolve()) == 1  # fitted.yaml is read once more, to check it
    assert reads[-1] == cal.files["fitted"].resolve()
