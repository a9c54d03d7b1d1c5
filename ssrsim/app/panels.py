"""The page's reading panels: monitors, the story (note, event log, what is ahead), legends.

Each is HTML built from the session (escaped), with `ssrsim-*` classes for tests and styling.
"""

from __future__ import annotations

from html import escape

import solara

from .charts import DISTRICT_COLOURS, RUN_COLOURS, ChartView
from .map import (
    CMO_STYLE,
    EMPTY,
    NGO_STYLE,
    REFORM_COLOURS,
    REFORM_EDGES,
    STATE_COLOURS,
    ColourBy,
    trust_gradient_css,
)
from .monitors import readings
from .session import Session
from .story import StoryEvent


@solara.component
def Monitors(session: Session, tick: solara.Reactive[int]) -> None:
    """Big live numbers; in compare mode A, B and A - B; the budget of this step."""
    tick.get()
    if not session.runs:
        return
    compare = len(session.runs) == 2
    cells = []
    for monitor, numbers, diff in readings([r.model for r in session.runs]):
        if compare:
            body = "".join(
                f"<span class='ssrsim-mon-run' style='color:{RUN_COLOURS[i]}'>"
                f"<i>{'AB'[i]}</i><b class='ssrsim-mon-{'ab'[i]}'>{n}</b></span>"
                for i, n in enumerate(numbers))
            body += ("<span class='ssrsim-mon-run'><i>A−B</i>"
                     f"<b class='ssrsim-mon-diff'>{diff}</b></span>")
        else:
            body = f"<b class='ssrsim-mon-value'>{numbers[0]}</b>"
        extra = ""
        if monitor.key == "budget_spent":
            extra = "".join(
                f"<div class='ssrsim-budget ssrsim-budget-{i}'>"
                f"{'AB'[i] + ' ' if compare else ''}this step "
                f"<b class='ssrsim-budget-value'>{budget:.1f}</b>, spent {spent:.1f}</div>"
                for i, (budget, spent) in enumerate((b, s) for _, b, s in session.budgets()))
        cells.append(f"<div class='ssrsim-monitor ssrsim-monitor-{monitor.key}' "
                     f"title='{escape(monitor.help)}'><div class='ssrsim-mon-label'>"
                     f"{monitor.label}</div><div class='ssrsim-mon-body'>{body}</div>{extra}"
                     "</div>")
    solara.HTML(tag="div", unsafe_innerHTML="".join(cells),
                classes=["ssrsim-monitors"] + (["ssrsim-compare-monitors"] if compare else []))


def _log_row(event: StoryEvent) -> str:
    return (f"<tr class='ssrsim-log-row ssrsim-log-{event.source}' title='{escape(event.text)}'>"
            f"<td>{event.number}</td><td>{event.date}</td><td>{escape(event.what)}</td>"
            f"<td>{escape(event.where)}</td></tr>")


@solara.component
def StoryPanel(session: Session, tick: solara.Reactive[int], notice: str | None) -> None:
    """The teaching note, notices, the event log (date, what, where) and what is ahead."""
    tick.get()
    if not session.runs:
        return
    parts = []
    if notice:
        parts.append(f"<div class='ssrsim-notice{' ssrsim-end' if session.at_end else ''}'>"
                     f"{escape(notice)}</div>")
    for reason in session.unspent():
        parts.append(f"<div class='ssrsim-unspent'>{escape(reason)}</div>")
    for waiting in session.waiting():
        parts.append(f"<div class='ssrsim-waiting'>{escape(waiting)}</div>")
    note = session.note()
    teaching = session.scenario.teaching if session.scenario else None
    if session.at_end and teaching is not None and (teaching.summary or teaching.questions):
        questions = "".join(f"<li>{escape(q)}</li>" for q in teaching.questions)
        parts.append("<div class='ssrsim-note ssrsim-summary'><b>Summary</b>"
                     f"<p>{escape(teaching.summary)}</p>"
                     + (f"<b>For the class</b><ol>{questions}</ol>" if questions else "")
                     + "</div>")
    elif note is not None:
        questions = "".join(f"<li>{escape(q)}</li>" for q in note.questions)
        parts.append(f"<div class='ssrsim-note' data-step='{note.step}'>"
                     f"<b class='ssrsim-note-title'>{escape(note.title)}</b>"
                     f"<p>{escape(note.text)}</p>"
                     + (f"<ol class='ssrsim-questions'>{questions}</ol>" if questions else "")
                     + "</div>")
    story = session.story()
    rows = "".join(_log_row(e) for e in reversed(story)) or \
        "<tr><td colspan='4'>nothing yet</td></tr>"
    parts.append("<div class='ssrsim-log'><b>Event log</b> <span class='ssrsim-hint'>(newest "
                 "first; hover for details)</span><table><tr><th>#</th><th>date</th>"
                 f"<th>what</th><th>where</th></tr>{rows}</table></div>")
    ahead = session.ahead()
    upcoming = "".join(
        f"<li title='{escape(e.text)}'><span>{e.date}</span> {escape(e.what)} "
        f"<i>({escape(e.where)})</i></li>" for e in ahead) or "<li>no more scheduled events</li>"
    parts.append(f"<div class='ssrsim-ahead'><b>Ahead</b><ul>{upcoming}</ul></div>")
    solara.HTML(tag="div", unsafe_innerHTML="".join(parts), classes=["ssrsim-story"])


def _swatch(fill: str, edge: str = "#000", shape: str = "■") -> str:
    return (f"<span class='ssrsim-swatch' style='color:{fill}; "
            f"-webkit-text-stroke: 1px {edge}'>{shape}</span>")


@solara.component
def MapLegend(colour_by: ColourBy) -> None:
    """The map's key: civilians' colours (with 'empty'), units' shapes and fills."""
    empty = (f"<span class='ssrsim-empty'><span class='ssrsim-box' style='background:{EMPTY}'>"
             "</span>empty</span>")
    if colour_by == "trust":
        civilians = ("<span>Civilians' trust</span><span>0</span><span class='ssrsim-scale' "
                     f"style='background:{trust_gradient_css()}'></span><span>1</span>")
    else:
        civilians = "<span>Civilians</span>" + "".join(
            f"<span><span class='ssrsim-box' style='background:{c}'></span>"
            f"{s.name.lower()}</span>" for s, c in STATE_COLOURS.items())
    units = ("<span>■ police ▲ army:</span>" + "".join(
        f"<span>{_swatch(c, REFORM_EDGES[s])}{s.name.lower()}</span>"
        for s, c in REFORM_COLOURS.items())
        + f"<span>{_swatch(CMO_STYLE['facecolor'], '#000', '✚')}CMO</span>"
        + f"<span>{_swatch(NGO_STYLE['facecolor'], '#000', '●')}NGO</span>")
    solara.HTML(tag="div", unsafe_innerHTML=(
        f"<div class='ssrsim-legend-row'>{civilians}{empty}</div>"
        f"<div class='ssrsim-legend-row'>{units}</div>"), classes=["ssrsim-legend"])


@solara.component
def ChartKey(session: Session, view: ChartView) -> None:
    """Which colour is which run (or district)."""
    if view.districts:
        names = session.calendar().districts
        items = [(DISTRICT_COLOURS[i % len(DISTRICT_COLOURS)], n) for i, n in enumerate(names)]
    else:
        items = [(RUN_COLOURS[i % len(RUN_COLOURS)],
                  f"{'AB'[i]}: {r.label}" if len(session.runs) > 1 else r.label)
                 for i, r in enumerate(session.runs)]
    solara.HTML(tag="div", unsafe_innerHTML="".join(
        f"<span><span class='ssrsim-line' style='background:{c}'></span>{escape(t)}</span>"
        for c, t in items) + "<span><span class='ssrsim-line ssrsim-dash'></span>event</span>",
        classes=["ssrsim-key"])
