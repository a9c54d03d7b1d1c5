"""Live charts: read the DataCollector table, a date axis, a following window, event labels."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import matplotlib.dates as mdates
import numpy as np
import pytest
from PIL import Image

from ssrsim.app.charts import (
    FONT_PX,
    PANELS,
    Calendar,
    ChartFigure,
    ChartView,
    series,
    smooth,
    window,
)
from ssrsim.app.shocks import make_shock
from ssrsim.app.story import StoryEvent, happened
from ssrsim.model.model import SSRModel


def calendar(horizon: int, districts: tuple[str, ...] = ()) -> Calendar:
    return Calendar(dt.date(2004, 1, 5), 7, horizon, districts)


def test_series_is_the_datacollector_column(make_scenario):
    model = SSRModel(make_scenario())
    for _ in range(3):
        model.step()
    table = model.datacollector.get_model_vars_dataframe()
    for panel in PANELS:
        for column, _ in panel.columns:
            assert np.allclose(series(model, column), table[column].to_numpy())


def test_smooth_is_a_trailing_mean():
    values = np.array([0.0, 2.0, 4.0, 6.0])
    assert smooth(values, 2).tolist() == [0.0, 1.0, 3.0, 5.0]
    assert smooth(values, 1) is values


def test_the_window_follows_a_long_run_a_quarter_at_a_time():
    long = calendar(953)  # Liberia: 953 weekly steps; the window is 3 years = 156 steps
    assert window(long, 0, whole_run=False) == (0, 156)
    assert window(long, 100, whole_run=False) == (0, 156)  # step in the third quarter
    assert window(long, 120, whole_run=False) == (39, 195)  # moved on by a quarter
    assert window(long, 160, whole_run=False) == (78, 234)
    assert window(long, 950, whole_run=False) == (797, 953)  # stops at the run's end
    assert window(long, 120, whole_run=True) == (0, 953)
    assert window(calendar(156), 120, whole_run=False) == (0, 156)  # short: whole run


def test_the_x_axis_is_the_calendar():
    cal = calendar(156)
    assert mdates.num2date(float(cal.x(2))).date() == dt.date(2004, 1, 19)


def test_chart_figure_is_drawn_at_its_size_with_readable_text(make_scenario):
    models = [SSRModel(make_scenario()), SSRModel(make_scenario({"cmo": {"coordination": 1}}))]
    figure = ChartFigure(["a", "b"], calendar(12), 600, 500)
    first = figure.rgb(models)
    assert first.shape == (500, 600, 3)
    sizes = [t.get_fontsize() for ax in figure.axes.values()
             for t in [ax.title, *ax.get_yticklabels()]]
    assert min(sizes) == pytest.approx(FONT_PX * 0.72)  # 14 px at 100 dpi
    for m in models:
        m.step()
        m.inject_event(make_shock("coup", m.steps))
        m.step()
    events = happened(models[0], models[0].params)
    second = figure.rgb(models, events)
    assert not np.array_equal(first, second)
    assert len(figure._events) == 1  # one line per event, in every panel
    line, run, column = figure.lines["trust"][2]  # run b's police trust
    assert (run, column) == (1, "police_trust") and len(line.get_xdata()) == 3
    tags = figure.tags(events)
    assert [t.short for t in tags] == ["1 coup"]  # once, above the first chart
    assert tags[0].text.startswith("1. 2004-01-19 (step 2): coup (shock)")
    assert all(0 <= t.left <= 600 for t in tags)


def test_district_view_draws_one_trust_line_per_district_and_run(make_scenario):
    models = [SSRModel(make_scenario())]
    names = tuple(models[0].district_names)
    figure = ChartFigure(["a"], calendar(12, names), 600, 500, view=ChartView(districts=True))
    figure.rgb(models)
    assert [c for _, _, c in figure.lines["trust"]] == [f"trust_{n}" for n in names]


def test_export_png_draws_and_keeps_the_live_figure_working(make_scenario):
    model = SSRModel(make_scenario())
    model.inject_event(make_shock("coup", 0))
    model.step()
    figure = ChartFigure(["a"], calendar(12), 600, 400)
    events = happened(model, model.params)
    png = figure.export_png([model], events)
    assert png.startswith(b"\x89PNG")
    assert figure.rgb([model], events).shape == (400, 600, 3)


def _event(number: int, step: int, kind: str = "budget_cut") -> StoryEvent:
    return StoryEvent(number, step, f"d{step}", kind, "scheduled", f"label {number}", "north")


@pytest.mark.parametrize("size", [(540, 508), (640, 508), (928, 868)])
def test_every_event_in_the_window_is_labelled_without_overlap(make_scenario, size):
    """Baseline at 1280x720: an election, four moves a step later, three events within a
    year; Liberia-like: two events of the same step. Every one is labelled or listed."""
    model = SSRModel(make_scenario())
    model.step()
    figure = ChartFigure(["a"], calendar(156), *size)
    events = [_event(1, 39, "election"), *(_event(n, 40) for n in (2, 3, 4, 5)),
              _event(6, 60, "abuse_scandal"), _event(7, 90), _event(8, 110, "peace_agreement"),
              _event(9, 150, "troop_drawdown"), _event(10, 150)]
    figure.rgb([model], events)
    tags = figure.tags(events)
    hover = "\n".join(t.text for t in tags)
    for event in events:
        assert event.text in hover  # each event's full text on hover of some label
    assert [t.short for t in tags][:2] == ["1 election", "2 budget cut +3"]
    assert all(0 <= t.left and t.left + 0.6 * FONT_PX * len(t.short) + 10 <= size[0]
               for t in tags)
    for a in tags:  # no two labels overlap
        for b in tags:
            if a is not b and a.top == b.top:
                wa, wb = (0.6 * FONT_PX * len(t.short) + 10 for t in (a, b))
                assert a.left + wa <= b.left or b.left + wb <= a.left, (a, b)


def test_the_exported_charts_have_a_heading_a_key_and_the_list_of_events(make_scenario):
    model = SSRModel(make_scenario())
    model.step()
    events = [_event(1, 1, "coup"), _event(2, 1)]
    plain = ChartFigure(["a"], calendar(12), 600, 400)
    full = ChartFigure(["a"], calendar(12), 600, 400 + 60, footer_px=60 - 30, header_px=30)
    bare = Image.open(io.BytesIO(plain.export_png([model], events)))
    saved = Image.open(io.BytesIO(full.export_png([model], events, heading="small: a")))
    assert bare.size == (600, 400) and saved.size == (600, 460)
    pixels = np.asarray(saved.convert("L"))
    assert (pixels[:20] < 100).sum() > 50  # the heading and the key are drawn at the top
    assert (pixels[-30:] < 100).sum() > 50  # the list of events at the bottom
    assert full.rgb([model], events).shape == (460, 600, 3)  # the live figure still works


def test_a_title_too_wide_for_its_column_is_shortened():
    """Compare mode at 1280x720: 664x508 pixels in three columns."""
    figure = ChartFigure(["a", "b"], calendar(156), 664, 508)
    titles = [ax.get_title(loc="left") for ax in figure.axes.values()]
    assert "Abuses (8-wk mean)" in titles and "Stability (8-week mean)" in titles
    renderer = figure.canvas.get_renderer()
    axes = list(figure.axes.values())
    for left, right in itertools.pairwise(axes[3:6]):  # the bottom row
        assert left._left_title.get_window_extent(renderer).x1 < \
            right.get_window_extent(renderer).x0
    wide = ChartFigure(["a", "b"], calendar(156), 928, 868)
    assert "Abuses per step (8-week mean)" in [ax.get_title(loc="left")
                                               for ax in wide.axes.values()]


def test_a_crowd_of_events_shares_labels_without_overlap(make_scenario):
    """Twenty events on consecutive steps (a whole-run view of a long scenario)."""
    model = SSRModel(make_scenario())
    model.step()
    figure = ChartFigure(["a"], calendar(156), 540, 508)
    events = [_event(n, 30 + n, "troop_deployment") for n in range(1, 21)]
    figure.rgb([model], events)
    tags = figure.tags(events)
    hover = "\n".join(t.text for t in tags)
    assert all(e.text in hover for e in events)
    spans = [(t.top, t.left, t.left + 0.6 * FONT_PX * len(t.short) + 10) for t in tags]
    for i, (top, a0, a1) in enumerate(spans):
        for top2, b0, b1 in spans[i + 1:]:
            assert top != top2 or a1 <= b0 or b1 <= a0, (tags[i], spans)
    assert any("+" in t.short for t in tags)  # some events joined a label
