"""The scenario's `teaching:` section: validation with located messages, and when notes show."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ssrsim.scenario import ScenarioError, apply_changes, load_scenario, scenario_hash

from .conftest import SMALL

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, teaching: object, **extra: object) -> Path:
    data = {**SMALL, "events": [{"type": "coup", "step": 5, "label": "the coup"}],
            "teaching": teaching, **extra}
    path = tmp_path / "taught.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(issue) for issue in caught.value.issues]


def test_notes_map_to_their_event_step_or_date(tmp_path):
    path = write(tmp_path, {"summary": "s", "questions": ["why?"], "notes": [
        {"event": "the coup", "text": "a coup"},
        {"step": 7, "text": "later"},
        {"date": "2004-01-19", "text": "by date"}]})
    scenario = load_scenario(path)
    assert [scenario.teaching_step(n) for n in scenario.teaching.notes] == [5, 7, 2]
    assert scenario.teaching.questions == ["why?"]


def test_bad_notes_are_located_and_say_what_is_allowed(tmp_path):
    path = write(tmp_path, {"notes": [
        {"event": "teh coup", "text": "x"},
        {"step": 21, "text": "x"},
        {"date": "2003-12-01", "text": "x"}]})
    lines = path.read_text().splitlines()

    def line(text: str) -> int:
        return next(i for i, x in enumerate(lines, 1) if text in x)

    found = problems(path)
    assert found == [
        f"{path}:{line('teh coup')}: teaching.notes[0].event = 'teh coup': not the label "
        "of an event in `events`; did you mean 'the coup'? (allowed: 'the coup')",
        f"{path}:{line('step: 21')}: teaching.notes[1].step = 21: after the run's last step "
        "20 (2004-05-24)",
        f"{path}:{line('2003-12-01')}: teaching.notes[2].date = 2003-12-01: before the run's start "
        "(2004-01-05)"]


def test_a_note_needs_one_anchor_and_some_text(tmp_path):
    path = write(tmp_path, {"notes": [{"step": 1, "event": "the coup", "text": "x"},
                                      {"step": 1, "text": "  "},
                                      {"step": 1, "txt": "x"}]})
    found = problems(path)
    assert any("teaching.notes[0]: give exactly one of `event`, `step` or `date`" in f
               for f in found)
    assert any("teaching.notes[1].text = '  ': text is empty" in f for f in found)
    assert any("teaching.notes[2].txt = 'x': unknown key 'txt'; did you mean 'text'?" in f
               for f in found)


def test_overrides_that_remove_a_notes_event_leave_it_unshown(tmp_path):
    scenario = load_scenario(write(tmp_path, {"notes": [{"event": "the coup", "text": "x"}]}))
    changed = apply_changes(scenario, {"events": [], "time.steps": 3}, source="test")
    assert changed.teaching_step(changed.teaching.notes[0]) is None


def test_teaching_notes_do_not_change_the_scenario_hash(tmp_path):
    with_notes = load_scenario(write(tmp_path, {"summary": "one"}))
    other = load_scenario(write(tmp_path, {"summary": "another"}))
    assert scenario_hash(with_notes) == scenario_hash(other)
    assert with_notes.params == other.params  # the model never gets them


@pytest.mark.parametrize("name", ["baseline", "liberia"])
def test_shipped_scenarios_have_notes_at_their_events(name):
    scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    teaching = scenario.teaching
    assert teaching is not None and teaching.summary and teaching.questions
    labels = {e.label for e in scenario.events}
    assert len(teaching.notes) >= 5
    assert all(n.event in labels or n.step is not None for n in teaching.notes)


def test_a_child_scenario_may_replace_the_events_its_parents_notes_name(tmp_path):
    parent = write(tmp_path, {"notes": [{"event": "the coup", "text": "x"}]})
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {parent.name}\nname: child\nevents: []\n")
    scenario = load_scenario(child)
    assert scenario.teaching_step(scenario.teaching.notes[0]) is None
    child.write_text(f"extends: {parent.name}\nname: child\nevents: []\n"
                     "teaching: {notes: [{event: the coup, text: mine}]}\n")
    assert any("child.yaml:4: teaching.notes[0].event" in p for p in problems(child))
