"""A tab's session: single and compare mode, live and Reset-only levers, shocks, bad files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssrsim.app.session import LEVER_SOURCE, Session, build_runs, scenario_files
from ssrsim.scenario import load_experiment
from ssrsim.scenario.schema import ACTIVITIES


def test_scenario_files_lists_the_folder(scenario_dir):
    (scenario_dir / "notes.txt").write_text("not a scenario")
    assert [p.name for p in scenario_files(scenario_dir)] == ["bad.yaml", "small.yaml"]
    assert scenario_files(scenario_dir / "missing") == []


def test_single_mode(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    assert session.error is None
    assert [r.label for r in session.runs] == ["small"]
    assert session.steps == 0 and session.horizon == 20
    assert session.date() == session.runs[0].scenario.time.start_date.isoformat()
    assert set(session.policies()) == {"status_quo", "coordinated", "lean"}
    session.step()
    assert session.steps == 1


def test_policy_preset_applies_through_load_scenario(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    session.choose_policy("coordinated")
    (run,) = session.runs
    assert run.policy == "coordinated" and run.label == "coordinated"
    assert run.scenario.cmo.coordination == 0.9
    assert session.lever_values()["cmo.coordination"] == 0.9  # levers show the preset
    session.choose_policy(None)
    assert session.runs[0].scenario.cmo.coordination == 0.5


def test_compare_mode_builds_two_runs_with_the_same_seed(scenario_dir):
    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "coordinated"))
    a, b = session.runs
    assert (a.label, b.label) == ("status_quo", "coordinated")
    assert a.model.seed == b.model.seed == 5
    assert b.scenario.cmo.coordination == 0.9 and a.scenario.cmo.coordination == 0.5
    # same seed: the same initial population
    assert np.array_equal(a.model.population.trust, b.model.population.trust)
    session.step()
    session.step()
    assert a.model.steps == b.model.steps == session.steps == 2
    session.shock("coup")
    session.step()
    assert a.model.event_log[-1][1] == b.model.event_log[-1][1] == "coup"


def test_compare_runs_share_the_seed_even_if_a_policy_changes_it(scenario_dir):
    path = scenario_dir / "small.yaml"
    path.write_text(path.read_text().replace(
        "policies:\n", "policies:\n  reseed:\n    set:\n      seed: 9\n"))
    runs = build_runs(load_experiment(path), ["status_quo", "reseed"], {})
    assert runs[1].scenario.seed == 9
    assert {r.model.seed for r in runs} == {5}


def test_a_live_lever_acts_from_the_next_step(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    model = session.runs[0].model
    session.step()
    session.step()
    session.move_lever("budget.per_week", 20)
    assert not session.pending
    assert session.lever_note == "budget.per_week = 20: applied from step 3"
    assert session.live_from == {"budget.per_week": 3}
    assert session.budgets() == [("small", 10.0, pytest.approx(model.ledger.total_spent))]
    session.step()
    assert session.runs[0].model is model  # the same run goes on
    assert session.budgets()[0][1] == 20.0
    assert model.timeseries()["budget"].tolist() == [10.0, 10.0, 10.0, 20.0]
    assert model.event_log == [(3, "lever", "budget.per_week=20")]


def test_reset_runs_from_step_0_with_the_lever_values(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    session.step()
    session.move_lever("cmo.coordination", 0.8)
    model = session.runs[0].model
    session.reset()
    (run,) = session.runs
    assert run.model is not model and run.model.steps == 0
    assert run.scenario.cmo.coordination == run.model.params.cmo.coordination == 0.8
    assert run.preset.cmo.coordination == 0.5
    assert not session.pending and session.lever_note is None and session.live_from == {}
    assert session.lever_values()["cmo.coordination"] == 0.8


def test_a_reset_only_lever_waits_for_reset(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    model = session.runs[0].model
    session.move_lever("institutions.institutional_resistance", 0.9)
    assert session.pending == ["institutions.institutional_resistance"]
    assert session.lever_note is None
    session.step()
    assert model.institutions.institutional_resistance == 0.5 and model.event_log == []
    session.reset()
    assert not session.pending
    assert session.runs[0].model.institutions.institutional_resistance == 0.9


def test_moving_a_share_keeps_the_allocation_valid(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    session.move_lever("budget.allocation.oversight", 0.5)
    values = session.lever_values()
    shares = [values[f"budget.allocation.{a}"] for a in ACTIVITIES]
    assert math.fsum(shares) == pytest.approx(1)
    session.step()  # live: all five shares set the run's allocation
    assert session.runs[0].model.institutions.allocation.tolist() == pytest.approx(shares)
    session.reset()
    assert session.error is None
    assert session.runs[0].scenario.budget.allocation.oversight == pytest.approx(0.5)


def test_lever_edits_apply_over_both_compared_policies(scenario_dir):
    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "lean"))
    session.move_lever("institutions.political_resistance", 0.9)
    session.reset()
    a, b = session.runs
    assert a.scenario.institutions.political_resistance == 0.9
    assert b.scenario.institutions.political_resistance == 0.9
    assert (a.scenario.budget.per_week, b.scenario.budget.per_week) == (10, 5)


def test_a_live_lever_acts_on_both_compared_runs(scenario_dir):
    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "coordinated"))
    session.step()
    session.move_lever("cmo.coordination", 0.2)
    assert session.lever_note == "cmo.coordination = 0.2: applied from step 2 (both runs)"
    session.step()
    a, b = session.runs
    assert a.model.params.cmo.coordination == b.model.params.cmo.coordination == 0.2
    assert a.model.event_log == b.model.event_log == [(2, "lever", "cmo.coordination=0.2")]


def test_revert_levers_sends_each_run_back_to_its_policy(scenario_dir):
    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "coordinated"))
    session.move_lever("cmo.coordination", 0.2)
    session.step()
    session.revert_levers()
    assert not session.pending and session.live_from == {}
    assert session.lever_note == "levers back to the scenario's values from step 2 (both runs)"
    assert session.lever_values()["cmo.coordination"] == 0.5
    session.step()
    a, b = session.runs
    assert (a.model.params.cmo.coordination, b.model.params.cmo.coordination) == (0.5, 0.9)


def test_reverting_a_reset_only_lever_applied_on_reset_waits_for_reset(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    session.move_lever("institutions.institutional_resistance", 0.9)
    session.reset()
    session.revert_levers()
    assert session.pending == ["institutions.institutional_resistance"]
    session.reset()
    assert session.runs[0].model.institutions.institutional_resistance == 0.5


def test_a_bad_file_gives_the_clear_message_and_no_runs(scenario_dir):
    session = Session(scenario_dir / "bad.yaml")
    assert session.runs == [] and session.base is None
    assert session.error.startswith("invalid scenario")
    assert "unknown key 'bugdet'; did you mean 'budget'?" in session.error
    assert "activation.vision = 0: must be between 1 and 50" in session.error
    session.step()  # harmless without runs
    session.shock("coup")
    assert session.steps == 0 and session.lever_values() == {}
    session.open(scenario_dir / "small.yaml")  # the picker recovers
    assert session.error is None and session.runs


def test_an_edit_on_disk_shows_on_reset(scenario_dir):
    path = scenario_dir / "small.yaml"
    session = Session(path)
    text = path.read_text()
    path.write_text(text + "bugdet: 1\n")
    session.reset()
    assert "bugdet" in session.error
    path.write_text(text)
    session.reset()
    assert session.error is None


def test_an_unknown_compare_policy_keeps_the_pickers(scenario_dir):
    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "nope"))
    assert "unknown policy 'nope'" in session.error
    assert session.runs == [] and set(session.policies()) >= {"status_quo"}
    session.move_lever("cmo.coordination", 0.8)  # no run to act on: it waits for Reset
    assert session.pending == ["cmo.coordination"]
    session.choose_compare("status_quo", "lean")
    assert session.error is None and len(session.runs) == 2


def test_lever_source_names_the_app_in_errors(scenario_dir):
    session = Session(scenario_dir / "small.yaml")
    session.edits = {"budget.per_week": -1.0}  # out of range: only possible by hand
    session.reset()
    assert LEVER_SOURCE in session.error


def test_a_slider_rounding_its_value_is_not_an_edit(scenario_dir):
    path = scenario_dir / "small.yaml"
    path.write_text(path.read_text().replace("name: small", "name: small\ncmo:\n  "
                                             "coordination: 0.123"))
    session = Session(path)
    session.move_lever("cmo.coordination", 0.12)  # the slider's grid is 0.01
    assert not session.pending
    session.move_lever("cmo.coordination", 0.13)  # one step: the trainer
    assert session.edits == {"cmo.coordination": 0.13}


def test_the_exported_map_is_headed_with_scenario_policy_and_date(scenario_dir):
    from ssrsim.app.controls import map_headings

    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "coordinated"))
    session.step()
    assert map_headings(session, 1) == (
        "small: policy coordinated (run B of status_quo vs coordinated)",
        f"{session.date()}, step 1 of 20")
    assert map_headings(session, None)[0] == "small: status_quo vs coordinated"  # charts
    single = Session(scenario_dir / "small.yaml")
    single.move_lever("cmo.coordination", 0.8)
    assert map_headings(single, 0) == (
        "small: policy as in the file",
        f"{single.date()}, step 0 of 20; levers moved: cmo.coordination = 0.8")
