"""The story of a run (event log, schedule, notes), the monitors and the screen layout."""

from __future__ import annotations

import pytest
import yaml

from ssrsim.app import story
from ssrsim.app.layout import screen_layout
from ssrsim.app.monitors import MONITORS, readings, value
from ssrsim.app.session import Session
from ssrsim.model.model import SSRModel

from .conftest import SMALL

TAUGHT = {**SMALL, "events": [
    {"type": "abuse_scandal", "step": 3, "district": "east", "label": "east abuses"},
    {"type": "budget_cut", "step": 6, "factor": 0.5, "label": "cut"}],
    "teaching": {"summary": "What we saw.", "questions": ["What next?"], "notes": [
        {"step": 0, "title": "Start", "text": "The start."},
        {"event": "east abuses", "text": "Abuses in the east.", "questions": ["Why?"]}]}}


@pytest.fixture
def taught(tmp_path):
    path = tmp_path / "taught.yaml"
    path.write_text(yaml.safe_dump(TAUGHT, sort_keys=False))
    return path


def test_the_log_says_when_what_and_where(taught):
    session = Session(taught)
    for _ in range(3):
        session.step()
    session.shock("coup")
    session.move_lever("cmo.coordination", 0.9)
    session.step()
    log = session.story()
    assert [(e.number, e.step, e.source, e.where) for e in log] == [
        (1, 3, "scheduled", "east"), (2, 4, "shock", "everywhere"),
        (3, 4, "lever", "national")]
    assert log[0].what == "abuse scandal: east abuses"
    assert log[0].date == "2004-01-26"
    assert "trust shock -0.2" in log[0].text  # the event's sizes on hover
    assert "civilian control 0.5" in log[1].text  # the shock's defaults
    assert log[1].short == "2 coup" and log[2].short.startswith("3 cmo.coordinat")


def test_what_is_ahead_and_the_stops(taught):
    session = Session(taught)
    assert [e.label for e in session.ahead()] == ["east abuses", "cut"]
    assert session.stops() == {3, 6}
    for _ in range(3):
        session.step()
    assert [e.label for e in session.ahead()] == ["cut"]


def test_the_note_of_each_point_and_the_summary_at_the_end(taught):
    session = Session(taught)
    assert session.note().title == "2004-01-05: Start"
    for _ in range(3):
        session.step()
    note = session.note()
    assert note.text == "Abuses in the east." and note.questions == ("Why?",)
    assert note.title == "2004-01-26: east abuses"


def test_run_to_a_step_or_a_date(taught):
    session = Session(taught)
    assert session.target_step("7") == 7
    assert session.target_step(" 2004-02-09 ") == 5  # step 5 starts on that date
    assert session.target_step("2004-02-10") == 6  # the first step on or after it
    with pytest.raises(ValueError, match="neither a step nor a date; give a step 1 to 20"):
        session.target_step("soon")
    with pytest.raises(ValueError, match="is step 21; give a step 1 to 20, or a date "
                                         "2004-01-12 to 2004-05-24"):
        session.target_step("21")
    session.step()
    with pytest.raises(ValueError, match="is step 1"):
        session.target_step("1")


def test_the_end_of_the_run(taught):
    session = Session(taught)
    for _ in range(20):
        session.step()
    assert session.at_end and session.ahead() == []


def test_unspent_money_is_explained(scenario_dir, tmp_path):
    data = {**SMALL, "cmo": {"throughput": 0.5},
            "events": [{"type": "donor_surge", "step": 1, "factor": 4}]}
    path = tmp_path / "surge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    session = Session(path)
    assert session.unspent() == []  # step 0: nothing to spend yet
    session.step()
    (reason,) = session.unspent()
    assert "unspent this step: the 4 CMO units can deliver at most 2.0 of the" in reason
    assert Session(scenario_dir / "small.yaml").unspent() == []


def test_monitors_in_compare_mode_give_a_minus_b(scenario_dir):
    session = Session(scenario_dir / "small.yaml", compare=("status_quo", "lean"))
    for _ in range(4):
        session.step()
    models = [r.model for r in session.runs]
    rows = readings(models)
    assert [m.key for m, _, _ in rows] == [m.key for m in MONITORS]
    monitor, numbers, diff = rows[-1]  # budget spent
    assert diff is not None and diff.startswith(("+", "−"))
    assert monitor.key == "budget_spent" and len(numbers) == 2
    trust = rows[0]
    a, b = (value(m, "police_trust") for m in models)
    assert trust[1] == [f"{a:.2f}", f"{b:.2f}"]
    assert trust[2] == f"{a - b:+z.2f}".replace("-", "−")
    assert readings(models[:1])[0][2] is None


def test_budget_spent_is_the_share_of_the_budget_so_far(make_scenario):
    model = SSRModel(make_scenario())
    model.step()
    model.step()
    table = model.timeseries()
    assert value(model, "budget_spent") == pytest.approx(
        table["spent"][1:].sum() / table["budget"][1:].sum())


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("maps", [1, 2])
def test_everything_fits_in_the_window(size, maps):
    width, height = size
    layout = screen_layout(width, height, maps, (100, 100))
    from ssrsim.app.layout import GAP, LEGEND_PX, MAP_TITLE_PX, MONITORS_PX, TOP_PX

    below = TOP_PX + MONITORS_PX + 2 * GAP
    assert below + layout.main <= height
    map_height = layout.map_width + MAP_TITLE_PX
    used = maps * layout.map_width + (maps - 1) * GAP
    if maps == 1:
        used += layout.charts_width + layout.side_width + 4 * GAP
        assert map_height + LEGEND_PX <= layout.main
    else:
        used += layout.charts_width + 3 * GAP
        assert map_height + LEGEND_PX + GAP + layout.side_height <= layout.main
        assert layout.side_height >= 140  # room for a note
    assert used <= width
    assert layout.charts_width >= 480 and layout.map_width >= 280


def test_story_numbers_only_what_happened(taught):
    session = Session(taught)
    assert all(e.number == 0 and not e.text.startswith("0") for e in story.schedule(
        session.scenario))


def test_a_difference_that_rounds_to_zero_has_no_minus_sign():
    from ssrsim.app.monitors import MONITORS, show

    trust, uptake = MONITORS[0], MONITORS[3]
    assert show(trust, -0.001, difference=True) == "+0.00"
    assert show(uptake, -0.0001, difference=True) == "+0.0"
    assert show(trust, -0.02, difference=True) == "-0.02"
