"""The shared figure style: one event colour, a style that leaves matplotlib as it was."""

from __future__ import annotations

import matplotlib
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from ssrsim.figure_style import EVENT_COLOUR, STYLE, date_axis, mark_event, style


def test_an_event_is_a_dashed_line_in_the_event_colour_labelled_if_asked():
    ax = Figure().add_subplot()
    line = mark_event(ax, 3.0, "coup")
    assert to_hex(line.get_color()) == EVENT_COLOUR and line.get_linestyle() == "--"
    assert [t.get_text() for t in ax.texts] == ["coup"]
    mark_event(ax, 5.0)
    assert len(ax.lines) == 2 and len(ax.texts) == 1


def test_the_style_applies_inside_and_restores_after():
    before = matplotlib.rcParams["font.size"]
    with style():
        assert matplotlib.rcParams["font.size"] == STYLE["font.size"]
    assert matplotlib.rcParams["font.size"] == before


def test_date_axis_labels_calendar_dates():
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot(pd.date_range("2004-01-05", periods=156, freq="7D"), range(156))
    date_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any("2005" in text or "2006" in text for text in labels), labels
