"""The work estimate and its ceiling: large runs and batches are refused or announced (#14)."""

from __future__ import annotations

import time

import pytest

from ssrsim.batch import BatchInputError, prepare_batch
from ssrsim.batch.design import design_size, sweep_design
from ssrsim.cli import main
from ssrsim.scenario import apply_changes, load_scenario, scenario_from_dict
from ssrsim.workload import MAX_RUNS, WorkloadError, check, estimate

BASELINE = "scenarios/baseline.yaml"


def test_the_baseline_is_well_under_the_ceiling():
    work = estimate(load_scenario(BASELINE))
    assert work.civilians == 7000 and work.steps == 156 and work.spin_up_steps == 30
    assert 0.5 < work.run_seconds < 30 and work.run_bytes < 1e9
    assert work.over_ceiling() == []
    check(work, allow_large=False)


@pytest.mark.parametrize(("changes", "words"), [
    ({"space.width": 2000, "space.height": 2000, "time.steps": 12_000}, "h per run on one core"),
    ({"space.width": 1000, "space.height": 1000, "activation.batches": 100_000,
      "time.steps": 4000}, "h per run on one core"),
    ({**{f"districts.{d}.police": 100_000 for d in ("capital", "highlands", "delta", "border")},
      "time.steps": 10_000}, "per run on one core"),
])
def test_a_run_over_the_ceiling_is_refused_unless_allowed(changes, words):
    work = estimate(apply_changes(load_scenario(BASELINE), changes, source="test"))
    with pytest.raises(WorkloadError, match=words) as caught:
        check(work, allow_large=False)
    assert "--allow-large" in str(caught.value)
    check(work, allow_large=True)


def test_estimates_grow_with_what_costs():
    base = load_scenario(BASELINE)
    grow = [{"space.width": 200, "space.height": 200}, {"activation.batches": 64},
            {"districts.capital.police": 500}, {"time.steps": 300}]
    for changes in grow:
        assert estimate(apply_changes(base, changes, source="t")).run_seconds > estimate(
            base).run_seconds, changes
    deployed = apply_changes(base, {"events": [{"type": "troop_deployment", "step": 1,
                                                "army": 1000}]}, source="t")
    assert estimate(deployed).units == estimate(base).units + 4 * 1000  # to every district


@pytest.mark.parametrize("sweep", [
    {"method": "grid", "levels": 3, "parameters": {"budget.per_week": {"min": 1, "max": 2},
                                                   "cmo.coordination": {"values": [0, 1]}}},
    {"method": "lhs", "samples": 7, "parameters": {"budget.per_week": {"min": 1, "max": 2}}},
    {"method": "saltelli", "samples": 8, "second_order": True,
     "parameters": {"budget.per_week": {"min": 1, "max": 2}, "ngo.budget": {"min": 0, "max": 1}}},
    {"method": "morris", "samples": 4, "levels": 4,
     "parameters": {"budget.per_week": {"min": 1, "max": 2}, "ngo.budget": {"min": 0, "max": 1}}},
])
def test_design_size_is_the_number_of_points_built(sweep):
    scenario = scenario_from_dict({"sweep": sweep})
    assert design_size(scenario.sweep) == len(sweep_design(scenario, 0))


def test_a_batch_of_too_many_runs_is_refused_before_its_design_is_built(tmp_path):
    """Issue #14: 10^6 design points x 100 replicates x 6 policies hung while planning."""
    huge = ["sweep={method: grid, levels: 1000, parameters: {budget.per_week: {min: 1, max: 2}, "
            "ngo.budget: {min: 0, max: 1}, cmo.throughput: {min: 1, max: 2}}}"]
    started = time.perf_counter()
    with pytest.raises(BatchInputError, match=r"1,000,000,000 runs \(at most"):
        prepare_batch(BASELINE, out=tmp_path / "b", overrides=huge, policies=["status_quo"])
    assert time.perf_counter() - started < 10
    with pytest.raises(BatchInputError, match=f"at most {MAX_RUNS:,}"):
        prepare_batch(BASELINE, out=tmp_path / "b", replicates=MAX_RUNS, policies="all")
    assert not (tmp_path / "b").exists()


def test_a_batch_whose_design_makes_runs_too_large_is_refused(tmp_path):
    sweep = ["sweep={method: grid, parameters: {space.width: {values: [20, 2000]}, "
             "space.height: {values: [20, 2000]}}}"]
    with pytest.raises(BatchInputError, match="per run on one core"):
        prepare_batch(BASELINE, out=tmp_path / "b", overrides=[*sweep, "time.steps=12000"],
                      policies=["status_quo"])


def test_a_small_batch_carries_its_estimate(tmp_path):
    batch = prepare_batch(BASELINE, out=tmp_path / "b", replicates=3,
                          overrides=["space.width=20", "space.height=20", "time.steps=4"],
                          policies=["status_quo", "coordinated"])
    assert batch.workload.runs == 6 and batch.workload.civilians == 280


def test_cli_refuses_a_large_run_at_once_and_announces_a_long_one(tmp_path, capsys):
    big = ["--set", "space.width=2000", "--set", "space.height=2000", "--steps", "12000"]
    started = time.perf_counter()
    assert main(["run", BASELINE, *big, "--out", str(tmp_path / "r")]) == 2
    assert time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert "too large" in err and "--allow-large" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()
    assert main(["batch", BASELINE, "--replicates", "200000", "--workers", "0",
                 "--out", str(tmp_path / "b")]) == 2
    assert "runs (at most" in capsys.readouterr().err


def test_a_long_run_is_announced_before_it_starts(capsys):
    from ssrsim.cli import announce

    work = estimate(apply_changes(load_scenario(BASELINE), {"time.steps": 12_000,
                                                              "activation.batches": 2000},
                                 source="t"))
    announce(work, "run")
    assert "ssrsim run: this will take a while: about" in capsys.readouterr().err
    announce(estimate(load_scenario(BASELINE)), "run", workers=1)
    assert capsys.readouterr().err == ""


def test_a_run_over_the_memory_ceiling_is_refused(monkeypatch):
    """No scenario within the schema's ranges needs 4 GB any more (a 2000 x 2000 grid is about
    1.8 GB), so the memory ceiling is checked against a lowered limit."""
    import ssrsim.workload as workload

    big = apply_changes(load_scenario(BASELINE), {"space.width": 2000, "space.height": 2000,
                                                  "time.steps": 3}, source="test")
    assert estimate(big).run_bytes > 1e9
    monkeypatch.setattr(workload, "MAX_RUN_BYTES", 1e9)
    with pytest.raises(WorkloadError, match="GB of memory per run"):
        check(estimate(big), allow_large=False)
