"""Joint calibration with pyabc's ABC-SMC (`calibrate_cases`, `ssrsim calibrate --cases`)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ssrsim import run
from ssrsim.calibrate import (
    CalibrationError,
    calibrate_cases,
    load_cases,
    parameter_summary,
    parse_until,
    point_table,
)
from ssrsim.calibrate.smc import build_parameters, parse_params, pyabc_distance
from ssrsim.calibrate.targets import observed_data
from ssrsim.cli import main
from ssrsim.scenario import apply_changes, load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
TRUE_ABUSE_LOSS = 0.3
STEPS = (5, 10, 15, 20, 25, 30, 35, 40)


def tiny_case(folder: Path, name: str = "tiny") -> tuple[Path, Path]:
    """A small scenario and observations the model made at abuse_loss 0.3 (seed 11)."""
    scenario_path = folder / f"{name}.yaml"
    scenario_path.write_text(f"extends: {BASELINE}\nname: {name}\n"
                             f"space: {{width: 16, height: 16}}\ntime: {{steps: 40}}\n")
    scenario = load_scenario(scenario_path, policy="status_quo")
    truth = apply_changes(scenario, {"trust.abuse_loss": TRUE_ABUSE_LOSS, "seed": 11},
                          source="truth")
    table = run(truth).timeseries.set_index("step")
    rows = [{"date": scenario.step_date(s), "measure": "police_trust", "indicator": "synthetic",
             "value": table.at[s, "police_trust"], "unit": "share",
             "source": f"the model itself, trust.abuse_loss = {TRUE_ABUSE_LOSS}", "note": ""}
            for s in STEPS]
    data_path = folder / f"{name}.csv"
    pd.DataFrame(rows).to_csv(data_path, index=False)
    return scenario_path, data_path


@pytest.fixture
def tiny(tmp_path):
    return tiny_case(tmp_path)


def test_parameters_are_read_with_ranges_and_case_prefixes():
    assert parse_params("trust.abuse_loss=0:0.3,trust.hearsay") == [
        (None, "trust.abuse_loss", (0.0, 0.3)), (None, "trust.hearsay", None)]
    assert parse_params(["mali:population.initial_army_trust.mean=0.5:0.9"]) == [
        ("mali", "population.initial_army_trust.mean", (0.5, 0.9))]
    with pytest.raises(CalibrationError, match="LO:HI"):
        parse_params("trust.abuse_loss=0-0.3")


def test_cut_offs_are_read_for_every_case_or_one():
    assert parse_until(["2015-01-01", "liberia=2020-01-01"]) == {
        None: dt.date(2015, 1, 1), "liberia": dt.date(2020, 1, 1)}
    with pytest.raises(CalibrationError, match="YYYY-MM-DD"):
        parse_until(["2015"])


def test_shared_and_per_case_parameters_take_schema_or_given_priors(tiny, tmp_path):
    other, other_data = tiny_case(tmp_path, "other")
    cases = load_cases([tiny[0], other], data={"tiny": tiny[1], "other": other_data})
    params = build_parameters(cases, parse_params("trust.abuse_loss"),
                              parse_params("population.initial_trust.mean=0.2:0.8"))
    assert [(p.name, p.case, p.prior.low, p.prior.high) for p in params] == [
        ("trust.abuse_loss", None, 0.0, 1.0),
        ("tiny:population.initial_trust.mean", "tiny", 0.2, 0.8),
        ("other:population.initial_trust.mean", "other", 0.2, 0.8)]
    with pytest.raises(CalibrationError, match="both as shared"):
        build_parameters(cases, parse_params("trust.abuse_loss"),
                         parse_params("trust.abuse_loss"))
    with pytest.raises(CalibrationError, match="whole number"):
        build_parameters(cases, parse_params("trust.witness_radius=1:5"), [])


def test_points_after_the_cut_off_are_held_out_of_the_observed_data(tiny):
    scenario = load_scenario(tiny[0])
    cut = scenario.step_date(30)
    (case,) = load_cases([tiny[0]], until={None: cut}, data={"tiny": tiny[1]})
    assert len(case.fitted) == 6 and len(case.held_out) == 2
    assert (case.held_out["date"] > cut).all() and (case.fitted["date"] <= cut).all()
    assert set(observed_data([case])) == set(case.fitted["key"])


def test_a_held_out_point_never_enters_the_distance(tiny):
    (case,) = load_cases([tiny[0]], until={None: load_scenario(tiny[0]).step_date(30)},
                         data={"tiny": tiny[1]})
    x_0 = observed_data([case])
    held = case.held_out["key"].tolist()
    rng = np.random.default_rng(1)
    particles = [SimpleNamespace(sum_stat={k: v + rng.normal(0, 0.05) for k, v in
                                           {**x_0, **dict.fromkeys(held, 0.5)}.items()})
                 for _ in range(20)]
    sample = SimpleNamespace(all_particles=particles, accepted_particles=particles)
    distance = pyabc_distance()
    distance.initialize(t=0, get_sample=lambda: sample, x_0=x_0, total_sims=0)
    x = {**{k: v + 0.01 for k, v in x_0.items()}, **dict.fromkeys(held, 0.0)}
    far = {**x, **dict.fromkeys(held, 1e6)}
    assert distance(x, x_0, t=0) == distance(far, x_0, t=0) > 0


def test_nothing_to_fit_before_the_cut_off_is_refused(tiny):
    with pytest.raises(CalibrationError, match="nothing to fit"):
        load_cases([tiny[0]], until={None: dt.date(1990, 1, 1)}, data={"tiny": tiny[1]})


def test_no_per_case_parameters_is_fine_but_an_empty_item_is_not():
    assert parse_params("") == [] and parse_params(["  "]) == []
    with pytest.raises(CalibrationError, match="an empty parameter"):
        parse_params("trust.abuse_loss,,trust.hearsay")


def test_the_command_needs_cases_or_one_scenario(capsys):
    assert main(["calibrate", "--params", "trust.abuse_loss"]) == 2
    assert "either --cases" in capsys.readouterr().err


@pytest.mark.slow
def test_abc_smc_recovers_a_parameter_the_model_generated_and_resumes(tiny, tmp_path):
    cut = load_scenario(tiny[0]).step_date(30)
    kwargs = dict(population=16, replicates=1, workers=0, out=tmp_path / "cal", seed=3,
                  until={None: cut}, data={"tiny": tiny[1]})
    cal = calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.9", generations=2, **kwargs)
    (row,) = parameter_summary(cal).itertuples(index=False)
    # A 90% interval from 16 particles misses the truth now and then: over seeds 0-19 it did
    # 3 times, by at most 0.013, so the check allows 0.05 (1/18 of the prior) beyond its ends.
    assert row.p05 - 0.05 <= TRUE_ABUSE_LOSS <= row.p95 + 0.05
    assert row.interval_share < 0.5  # the data fix it: most of the prior is ruled out
    calibrated = load_scenario(cal.files["scenario_tiny"])  # extends the case, medians set
    assert calibrated.name == "tiny" and calibrated.space.width == 16
    assert calibrated.trust.abuse_loss == pytest.approx(row.posterior_median, rel=1e-3)
    assert f"--posterior {cal.files['posterior'].as_posix()}" in \
        cal.files["scenario_tiny"].read_text()
    points = point_table(cal)
    assert points["fitted"].sum() == 6 and (~points["fitted"]).sum() == 2
    assert np.isfinite(points["median"]).all()
    posterior = pd.read_parquet(cal.files["posterior"])
    assert len(posterior) == 16 and posterior["weight"].sum() == pytest.approx(1)
    predictive = pd.read_parquet(cal.files["predictive"])
    assert set(predictive.columns) == set(cal.cases[0].points["key"])
    assert "held out in 50% band" in cal.files["report"].read_text()
    assert cal.files["png"].exists()
    more = calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.9", generations=3, **kwargs)
    assert more.resumed == 2 and (more.populations["t"] >= 0).sum() == 3
    with pytest.raises(CalibrationError, match="asked for something else"):
        calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.5", generations=4, **kwargs)


@pytest.mark.slow
def test_an_in_process_calibration_repeats_exactly_from_its_seed(tiny, tmp_path):
    kwargs = dict(population=6, generations=1, replicates=1, workers=0, data={"tiny": tiny[1]})
    lines: list[str] = []
    first, second, other = (
        calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.9", out=tmp_path / name, seed=seed,
                        progress=lines.append, **kwargs)
        for name, seed in (("a", 4), ("b", 4), ("c", 5)))
    pd.testing.assert_frame_equal(first.posterior, second.posterior)
    assert not first.posterior.equals(other.posterior)
    assert lines[0] == "sampling the prior to set the distance's scales"
    assert lines[1].startswith("generation 1 of 1: sampling with epsilon ")
    assert re.match(r"generation 1 of 1 done: 6 accepted of (\d+) proposed \(\1 x 1 runs\), "
                    r"\d+ s$", lines[2])


@pytest.mark.slow
def test_a_fit_on_a_pool_of_workers_repeats_the_in_process_fit_from_its_seed(tiny, tmp_path):
    """One seed, one posterior: in this process or on two worker processes."""
    kwargs = dict(population=6, generations=2, replicates=1, seed=8, data={"tiny": tiny[1]})
    here, pool = (calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.9", out=tmp_path / name,
                                  workers=workers, **kwargs)
                  for name, workers in (("here", 0), ("pool", 2)))
    pd.testing.assert_frame_equal(here.posterior, pool.posterior)
    pd.testing.assert_frame_equal(here.predictive, pool.predictive)
    assert list(here.populations["samples"]) == list(pool.populations["samples"])


@pytest.mark.slow  # starts a Dask scheduler and two workers
def test_a_fit_on_a_dask_cluster_repeats_the_in_process_fit_from_its_seed(
        tiny, tmp_path, dask_cluster):
    kwargs = dict(population=6, generations=1, replicates=1, seed=9, data={"tiny": tiny[1]})
    here = calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.9", out=tmp_path / "here",
                           workers=0, **kwargs)
    cluster = calibrate_cases([tiny[0]], "trust.abuse_loss=0:0.9", out=tmp_path / "dask",
                              scheduler_file=dask_cluster, **kwargs)
    pd.testing.assert_frame_equal(here.posterior, cluster.posterior)


def test_a_joint_fit_over_the_work_ceiling_is_refused_before_any_run(capsys, tmp_path):
    code = main(["calibrate", "--cases", "liberia,mali", "--params", "trust.abuse_loss",
                 "--set", "activation.batches=100000", "--set", "time.step_days=1",
                 "--set", "time.steps=50000",
                 "--out", str(tmp_path / "cal")])
    assert code == 2
    assert "too large" in capsys.readouterr().err
    assert not (tmp_path / "cal").exists()
