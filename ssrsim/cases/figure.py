"""The figure of a case check: the model's bands over time beside the observed points."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis.figures import events_within
from ..figure_style import EVENT_COLOUR, PALETTE, date_axis, mark_event, style
from ..results_format import EventMarker
from ..scenario import Scenario


def case_figure(scenario: Scenario, bands: pd.DataFrame, observations: pd.DataFrame,
                events: Sequence[EventMarker], runs: int, policy: str,
                worlds: int = 0) -> Figure:
    """Per mapped measure: the model's median, 50% and 90% bands over time, observed points.

    Observations inside the run are filled points; those outside it are hollow points, drawn
    where they fall on the calendar. Events are dashed lines, numbered on the top panel and
    named in a key below the panels (long labels side by side would overprint). With
    `worlds` posterior draws the bands are posterior predictive and the title says so.
    """
    measures = list(dict.fromkeys(bands["measure"])) or ["(no mapped measure)"]
    merged = _merged_events(events, scenario.time.steps)
    with style():
        fig = Figure(figsize=(9, 1.2 + 3.2 * len(measures)), layout="constrained")
        axes = fig.subplots(len(measures), 1, squeeze=False, sharex=True)[:, 0]
        for ax, measure in zip(axes, measures, strict=True):
            mine = bands[bands["measure"] == measure]
            when = pd.to_datetime(mine["date"])
            ax.fill_between(when, mine["p05"], mine["p95"], color=PALETTE[0], alpha=0.18,
                            linewidth=0, label="model: 90% of runs")
            ax.fill_between(when, mine["p25"], mine["p75"], color=PALETTE[0], alpha=0.35,
                            linewidth=0, label="model: 50% of runs")
            ax.plot(when, mine["median"], color=PALETTE[0], linewidth=1.6,
                    label=f"model median ({runs} runs, policy {policy})")
            _observed_points(ax, observations[observations["measure"] == measure])
            for event in merged:
                mark_event(ax, pd.Timestamp(event["when"]))
            ax.set_ylabel(measure)
            if _is_share(mine, observations, measure):
                ax.set_ylim(-0.02, 1.02)
            ax.legend(loc="lower left", frameon=False, fontsize=8)
        date_axis(axes[-1], max_ticks=10)
        _number_events(axes[0], merged)
        if merged:
            fig.supxlabel(_event_key(merged), fontsize=8, color=EVENT_COLOUR)
        fitted = (f"over {worlds} worlds drawn from a calibration's posterior" if worlds
                  else "not calibrated")
        fig.suptitle(f"{scenario.name}: model runs and observed data ({fitted})")
    return fig


def _number_events(ax: Axes, merged: list[dict]) -> None:
    """Each event's number at the top of its line, stepped down when close to the last."""
    when = [pd.Timestamp(e["when"]) for e in merged]
    if not when:
        return
    close = (max(when) - min(when)) / 40 if len(when) > 1 else pd.Timedelta(0)
    level = 0
    for number, day in enumerate(when, start=1):
        level = level + 1 if number > 1 and day - when[number - 2] < close else 0
        ax.annotate(str(number), (day, 1.0 - 0.07 * level), xycoords=("data", "axes fraction"),
                    fontsize=8, va="top", ha="right", color=EVENT_COLOUR,
                    annotation_clip=False)


def _event_key(merged: list[dict]) -> str:
    """`Events: 1 election (04 Oct 2004); 2 ...`, wrapped to the figure's width."""
    items = [f"{n} {e['label']} ({pd.Timestamp(e['when']):%d %b %Y})"
             for n, e in enumerate(merged, start=1)]
    return textwrap.fill("Events: " + "; ".join(items), width=130)


def _merged_events(events: Sequence[EventMarker], steps: int) -> list[dict]:
    """The run's events after step 0, one per date, labels of same-day events joined."""
    merged: dict[str, dict] = {}
    for event in events_within(events, steps):
        text = event.label or event.type
        if event.date in merged:
            merged[event.date]["label"] += f" + {text}"
        else:
            merged[event.date] = {"when": event.date, "label": text}
    return list(merged.values())


def _observed_points(ax: Axes, rows: pd.DataFrame) -> None:
    inside, outside = rows[rows["in_run"]], rows[~rows["in_run"]]
    if len(inside):
        ax.scatter(pd.to_datetime(inside["date"]), inside["value"], color=PALETTE[3], s=36,
                   zorder=4, label="observed")
    if len(outside):
        ax.scatter(pd.to_datetime(outside["date"]), outside["value"], facecolors="none",
                   edgecolors=PALETTE[3], s=36, zorder=4, label="observed, outside the run")
    for row in rows.itertuples(index=False):
        ax.annotate(_short(row.indicator), (pd.Timestamp(row.date), row.value),
                    textcoords="offset points", xytext=(5, 4), fontsize=7, color=PALETTE[3])


def _is_share(bands: pd.DataFrame, observations: pd.DataFrame, measure: str) -> bool:
    values = pd.concat([bands["p05"], bands["p95"],
                        observations.loc[observations["measure"] == measure, "value"]])
    return bool(values.between(0, 1).all())


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
