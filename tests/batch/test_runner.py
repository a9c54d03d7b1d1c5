"""End-to-end tests of batches: results, failures, resume after SIGKILL, extension, Dask."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ssrsim import load_scenario, run
from ssrsim.batch import (
    BatchInputError,
    ExecutorError,
    ResultsStore,
    execute_batch,
    prepare_batch,
    runner,
)
from ssrsim.results_format import FORMAT_VERSION, Manifest

SMALL = ["space.width=20", "space.height=20", "time.steps=6"]
BASELINE = "scenarios/baseline.yaml"


def results(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-step and summary tables, sorted so runs compare across executors."""
    series = pd.read_parquet(out / "timeseries").sort_values(["run_id", "step"])
    summary = pd.read_parquet(out / "summary.parquet").sort_values("run_id")
    return series.reset_index(drop=True), summary.reset_index(drop=True)


def small_batch(out, **kw):
    kw.setdefault("replicates", 2)
    kw.setdefault("policies", ["status_quo", "coordinated"])
    return prepare_batch(BASELINE, out=out, overrides=SMALL, **kw)


def test_batch_writes_every_run_once(tmp_path):
    batch = small_batch(tmp_path / "b")
    report = execute_batch(batch, workers=0)
    assert (report.done, report.failed, report.planned) == (4, 0, 4)
    series, summary = results(tmp_path / "b")
    assert sorted(series["run_id"].unique()) == sorted(r.run_id for r in batch.runs)
    assert (series.groupby("run_id").size() == 7).all()
    assert len(summary) == 4
    manifest = json.loads((tmp_path / "b/manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["done"] == 4
    assert {r["status"] for r in manifest["runs"]} == {"done"}


def test_the_manifest_describes_measures_events_and_design_for_analysis(tmp_path):
    batch = prepare_batch(BASELINE, out=tmp_path / "b", replicates=1,
                          policies=["status_quo", "coordinated"], overrides=[
                              *SMALL, "policies.coordinated.set={events: [{type: coup, "
                                      "date: 2004-01-21, label: putsch}]}"])
    execute_batch(batch, workers=0)
    manifest = Manifest.read(tmp_path / "b/manifest.json")
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.identity == batch.identity and manifest.counts.done == 2
    _, summary = results(tmp_path / "b")
    names = [m.name for m in manifest.measures]
    assert [f"final_{n}" for n in names] == [c for c in summary if c.startswith("final_")]
    trust = manifest.measure("trust")
    assert (trust.label, trust.better, trust.headline) == ("Trust in security forces",
                                                           "higher", True)
    assert manifest.measure("spent").better == "lower"
    (coup,) = [e for e in manifest.events if e.policies == ("coordinated",)]
    assert (coup.step, coup.date, coup.label) == (2, "2004-01-21", "putsch")  # step 2 of 7 days
    assert coup.details["civilian_control"] == 0.5
    # the baseline's own events all fall after these 6 steps: never happening, not marked
    assert [e for e in manifest.events if e is not coup] == []
    assert manifest.design.method == "none" and manifest.design.problem is None
    assert Manifest.from_json(manifest.to_json(), "again") == manifest


def test_event_markers_list_the_events_of_the_run_in_date_order(tmp_path):
    batch = prepare_batch(BASELINE, out=tmp_path / "b", replicates=1, policies=["status_quo"],
                          overrides=["space.width=20", "space.height=20", "time.steps=70"])
    execute_batch(batch, workers=0)
    events = Manifest.read(tmp_path / "b/manifest.json").events
    assert [e.label for e in events] == ["first post-war election",
                                         "army abuses in the border district"]  # not later ones
    assert [e.date for e in events] == sorted(e.date for e in events)


def test_a_morris_manifest_records_the_salib_problem(tmp_path):
    morris = ("sweep={method: morris, samples: 2, levels: 4, parameters: "
              "{cmo.coordination: {min: 0.1, max: 0.9}}}")
    batch = prepare_batch(BASELINE, out=tmp_path / "b", policies=["status_quo"],
                          overrides=[*SMALL, morris])
    manifest = runner._manifest(batch, {}, "now", None, "running")
    assert manifest.design.problem == {"num_vars": 1, "names": ["cmo.coordination"],
                                       "bounds": [[0.1, 0.9]]}
    assert len(manifest.design.points) == 4 and manifest.counts.pending == 4


def test_a_folder_of_an_older_results_format_is_refused_unless_force_new(tmp_path):
    out = tmp_path / "b"
    execute_batch(small_batch(out, replicates=1), workers=0)
    old = json.loads((out / "manifest.json").read_text())
    old["format"], old["format_version"] = "ssrsim-batch/1", 1
    (out / "manifest.json").write_text(json.dumps(old))
    with pytest.raises(BatchInputError, match=r"results format 1, now 2.*--force-new"):
        small_batch(out, replicates=1)
    execute_batch(small_batch(out, replicates=1, force_new=True), workers=0)
    assert Manifest.read(out / "manifest.json").counts.done == 2


def test_a_batch_run_equals_the_single_run_it_describes(tmp_path):
    batch = small_batch(tmp_path / "b")
    execute_batch(batch, workers=0)
    series, _ = results(tmp_path / "b")
    spec = batch.runs[-1]
    single = run(load_scenario(BASELINE, policy=spec.policy,
                               overrides=[*SMALL, f"seed={spec.seed}"])).timeseries
    mine = series[series["run_id"] == spec.run_id][single.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, single, check_exact=True)


def test_replicates_share_seeds_across_policies(tmp_path):
    batch = small_batch(tmp_path / "b", replicates=3)
    seeds = {}
    for spec in batch.runs:
        seeds.setdefault(spec.replicate, set()).add(spec.seed)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({next(iter(s)) for s in seeds.values()}) == 3


def test_failed_run_is_recorded_and_others_finish(tmp_path):
    design = tmp_path / "design.csv"
    # every cell is in range, but the second point's budget shares do not sum to 1
    design.write_text("budget.allocation.engagement,budget.allocation.services\n"
                      "0.25,0.25\n0.9,0.25\n0.3,0.2\n")
    batch = small_batch(tmp_path / "b", replicates=1, policies=["status_quo"],
                        design_file=design)
    report = execute_batch(batch, workers=0)
    assert (report.done, report.failed) == (2, 1)
    (failed_id, error), = report.errors.items()
    assert "-p00001-" in failed_id and "shares must sum to 1" in error
    manifest = json.loads((tmp_path / "b/manifest.json").read_text())
    assert manifest["status"] == "failed runs"
    _, summary = results(tmp_path / "b")
    assert sorted(summary["budget.allocation.engagement"]) == [0.25, 0.3]


def test_sweep_design_runs_each_point(tmp_path):
    batch = prepare_batch(BASELINE, out=tmp_path / "b", policies=["none"], overrides=[
        *SMALL, "sweep={method: grid, parameters: {cmo.coordination: {values: [0.2, 0.8]}, "
                "districts.capital.police: {min: 10, max: 30}}, levels: 2}"])
    execute_batch(batch, workers=0)
    _, summary = results(tmp_path / "b")
    assert len(summary) == 4
    assert sorted(set(summary["districts.capital.police"])) == [10, 30]
    assert summary["districts.capital.police"].dtype.kind == "i"


def test_extending_replicates_runs_only_the_new_ones(tmp_path):
    out = tmp_path / "b"
    execute_batch(small_batch(out, replicates=2), workers=0)
    before, _ = results(out)
    report = execute_batch(small_batch(out, replicates=3), workers=0)
    assert (report.already_done, report.done) == (4, 2)
    after, summary = results(out)
    assert len(summary) == 6
    kept = after[after["run_id"].isin(before["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before)


def test_changed_scenario_is_refused_unless_force_new(tmp_path):
    out = tmp_path / "b"
    execute_batch(small_batch(out), workers=0)
    changed = [*SMALL, "budget.per_week=3"]
    with pytest.raises(BatchInputError, match="different scenario"):
        prepare_batch(BASELINE, out=out, overrides=changed, replicates=1)
    batch = prepare_batch(BASELINE, out=out, overrides=changed, replicates=1,
                          policies=["none"], force_new=True)
    execute_batch(batch, workers=0)
    _, summary = results(out)
    assert list(summary["policy"]) == ["none"]


def test_results_of_another_model_version_are_refused_unless_force_new(tmp_path,
                                                                       monkeypatch):
    """Resuming with changed model code would mix runs of two models in one folder."""
    out = tmp_path / "b"
    execute_batch(small_batch(out), workers=0)
    monkeypatch.setattr(runner, "model_code_hash", lambda: "0" * 64)
    with pytest.raises(BatchInputError, match="model code hash"):
        small_batch(out)
    execute_batch(prepare_batch(BASELINE, out=out, overrides=list(SMALL), replicates=1,
                                policies=["none"], force_new=True), workers=0)
    _, summary = results(out)
    assert list(summary["policy"]) == ["none"]


def test_model_code_hash_is_stable_and_hex():
    assert runner.model_code_hash() == runner.model_code_hash()
    assert len(runner.model_code_hash()) == 64


def test_bad_inputs_fail_before_any_run(tmp_path):
    with pytest.raises(BatchInputError, match="unknown policy 'nope'"):
        small_batch(tmp_path / "a", policies=["nope"])
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BatchInputError, match="cannot write"):
        small_batch(blocker / "sub")
    with pytest.raises(BatchInputError, match="replicates"):
        small_batch(tmp_path / "c", replicates=0)


@pytest.mark.slow  # waits for the connection timeout
def test_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tmp_path):
    batch = small_batch(tmp_path / "b")
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        execute_batch(batch, scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "b/manifest.json").exists()


@pytest.mark.slow  # starts a process pool
def test_local_pool_equals_in_process(tmp_path):
    execute_batch(small_batch(tmp_path / "a"), workers=0)
    execute_batch(small_batch(tmp_path / "b"), workers=2, chunk_size=1)
    for left, right in zip(results(tmp_path / "a"), results(tmp_path / "b"), strict=True):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.mark.slow  # starts a Dask scheduler and two workers
def test_dask_cluster_equals_local_pool(tmp_path, dask_cluster):
    execute_batch(small_batch(tmp_path / "local"), workers=2)
    report = execute_batch(small_batch(tmp_path / "dask"), scheduler_file=dask_cluster,
                           chunk_size=1)
    assert report.done == 4
    for left, right in zip(results(tmp_path / "local"), results(tmp_path / "dask"),
                           strict=True):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.mark.slow  # two `ssrsim batch` processes
def test_sigkill_mid_batch_then_resume_loses_and_duplicates_nothing(tmp_path):
    out = tmp_path / "b"
    exe = shutil.which("ssrsim") or str(Path(sys.executable).parent / "ssrsim")
    cmd = [exe, "batch", BASELINE, "--replicates", "12", "--policies", "status_quo",
           "--out", str(out), "--workers", "1", "--chunk-size", "1", "--quiet",
           *[a for s in SMALL for a in ("--set", s)]]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    journal = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-batch
    proc.wait()
    finished = len(ResultsStore(out).journal())
    assert 3 <= finished < 12, "the kill should land mid-batch"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"({12 - finished} now, {finished} before)" in resumed.stdout
    series, summary = results(out)
    assert summary["run_id"].is_unique and len(summary) == 12
    assert (series.groupby("run_id").size() == 7).all() and series["run_id"].nunique() == 12
    reference = execute_batch(small_batch(tmp_path / "ref", replicates=12,
                                          policies=["status_quo"]), workers=0)
    assert reference.done == 12
    for left, right in zip(results(out), results(tmp_path / "ref"), strict=True):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def test_a_batch_of_an_experiment_read_once_equals_one_of_its_file(tmp_path):
    from ssrsim.scenario import load_experiment

    overrides = ["time.steps=3", "budget.per_week=9"]
    by_file = prepare_batch(BASELINE, out=tmp_path / "a", replicates=2, overrides=overrides)
    experiment = load_experiment(BASELINE, overrides=overrides)
    by_experiment = prepare_batch(experiment, out=tmp_path / "b", replicates=2)
    assert by_experiment.scenarios == by_file.scenarios
    assert by_experiment.runs == by_file.runs and by_experiment.identity == by_file.identity
    with pytest.raises(BatchInputError, match="overrides go to load_experiment"):
        prepare_batch(experiment, out=tmp_path / "c", overrides=["seed=2"])
