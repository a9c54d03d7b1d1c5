"""Live charts: trust, stability, reform, share active, abuses, budget; one colour per run.

The values are read from each model's DataCollector table (its `model_vars` columns, the
data behind `get_model_vars_dataframe()`, without building a DataFrame every step). The x
axis is the scenario's calendar. A `ChartFigure` is drawn at the size it is shown (pixels
given by the page), with text of `FONT_PX` pixels, and keeps its figure between steps: the
axes are drawn once into a saved background and only the lines and event marks are drawn
per frame; the background is redrawn when an axis range moves (the following window jumps
forward a quarter window at a time, so that is rare).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.dates as mdates
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .map import encode_png

if TYPE_CHECKING:
    from ..model.model import SSRModel
    from .story import StoryEvent

FONT_PX = 14
"""Chart text height in screen pixels (readable from the back of a room at 1280x720)."""
RUN_COLOURS = ("#000000", "#D55E00")
"""Run A black, run B vermillion: neither is on the map's trust scale (viridis)."""
DISTRICT_COLOURS = ("#000000", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#8C510A",
                    "#999999", "#E7298A")
"""Per-district trust lines: colours off the viridis scale, repeated past eight districts."""
EVENT_LINE = "#555555"
"""Dashed vertical lines of events (labelled above the charts by the page)."""
SMOOTH_DAYS = 56
"""Trailing window of the smoothed series (8 weeks)."""
FOLLOW_DAYS = 3 * 365
"""Width of the window that follows the run on scenarios longer than this."""
TAG_ROW_PX = 22
"""Height of one row of event labels above the charts."""
TAG_ROWS = 2


@dataclass(frozen=True)
class Panel:
    """One chart: its title, its (column, line style) pairs, y range and smoothing."""

    key: str
    title: str
    columns: tuple[tuple[str, str], ...]
    share: bool
    noisy: bool
    floor: float = 1.0
    """Smallest top of the y axis when it is not a share."""


PANELS: tuple[Panel, ...] = (
    Panel("trust", "Trust: police ─, army ┄", (("police_trust", "-"), ("army_trust", "--")),
          share=True, noisy=False),
    Panel("stability", "Stability", (("stability", "-"),), share=True, noisy=True),
    Panel("reform", "Reform uptake", (("reform_uptake", "-"),), share=True, noisy=False),
    Panel("active", "Share active", (("active_share", "-"),), share=False, noisy=True,
          floor=0.1),
    Panel("abuses", "Abuses per step", (("abuses", "-"),), share=False, noisy=True, floor=5),
    Panel("budget", "Budget ┄, spent ─", (("budget", "--"), ("spent", "-")), share=False,
          noisy=False, floor=1),
)
"""The chart panels, in reading order."""


@dataclass(frozen=True)
class ChartView:
    """What the trainer chose to see: whole run or a following window, districts, smoothing."""

    whole_run: bool = False
    districts: bool = False
    smooth: bool = True


@dataclass(frozen=True)
class Calendar:
    """The runs' calendar: date of step 0, days per step, run length, district names."""

    start: dt.date
    step_days: int
    horizon: int
    districts: tuple[str, ...] = ()

    def x(self, steps: np.ndarray | int) -> np.ndarray:
        """Matplotlib date numbers of steps."""
        return mdates.date2num(self.start) + np.asarray(steps, dtype=float) * self.step_days

    def steps_for(self, days: int) -> int:
        """Whole steps in `days` (at least 1)."""
        return max(1, round(days / self.step_days))


@dataclass(frozen=True)
class Tag:
    """An event's label above the charts: its place (pixels in the image) and texts."""

    left: float
    top: float
    short: str
    text: str
    source: str


def series(model: SSRModel, column: str) -> np.ndarray:
    """One DataCollector column of a model (index = step, from step 0)."""
    return np.asarray(model.datacollector.model_vars[column], dtype=float)


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` steps (fewer at the start); NaN-free input."""
    if window <= 1 or values.size == 0:
        return values
    total = np.cumsum(np.insert(values, 0, 0.0))
    n = np.arange(1, values.size + 1)
    lo = np.maximum(0, n - window)
    return (total[n] - total[lo]) / (n - lo)


def _nice_above(value: float, floor: float = 1.0) -> float:
    """The smallest 1, 2 or 5 times a power of ten above value (at least `floor`)."""
    value = max(float(value), floor)
    power = 10.0 ** np.floor(np.log10(value))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if value < factor * power:
            return float(factor * power)
    return float(10.0 * power)


def window(calendar: Calendar, step: int, whole_run: bool) -> tuple[int, int]:
    """The steps the x axis spans: the whole run, or a window that follows `step`.

    The window is `FOLLOW_DAYS` wide on runs longer than that and moves a quarter of its
    width at a time, so that the current step stays in its third quarter (the past on the
    left, a little of the future on the right) until the window reaches the run's end.
    """
    width = calendar.steps_for(FOLLOW_DAYS)
    end = max(calendar.horizon, step)
    if whole_run or end <= width:
        return 0, end
    quarter = max(1, width // 4)
    start = min(max(0, (step - 2 * quarter) // quarter * quarter), end - width)
    return start, start + width


class ChartFigure:
    """A persistent chart figure of one or more runs, drawn at `width` x `height` pixels.

    Args:
        labels: the runs' names (one colour each).
        calendar: their common calendar.
        width: image width in screen pixels.
        height: image height in screen pixels.
        view: whole run or following window, per-district trust, smoothing.
        scale: device pixels per screen pixel (the browser's devicePixelRatio).
        footer_px: room under the charts (pixels, within `height`) for the exported
            picture's list of events.
        header_px: room over the charts (pixels, within `height`) for the exported
            picture's heading and key.

    """

    def __init__(self, labels: Sequence[str], calendar: Calendar, width: int, height: int,
                 view: ChartView = ChartView(), scale: float = 1.0, footer_px: int = 0,
                 header_px: int = 0) -> None:
        self.labels = list(labels)
        self.calendar = calendar
        self.view = view
        self.scale = scale
        self._lock = threading.Lock()
        self.width, self.height = max(int(width), 200), max(int(height), 150)
        self.footer_px = footer_px
        dpi = 100 * scale
        self.figure = Figure(figsize=(self.width / 100, self.height / 100), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        cols = 3 if self.width > 1.3 * self.height else 2
        rows = -(-len(PANELS) // cols)
        points = FONT_PX * 0.72  # 1 pt = 100/72 px at 100 dpi
        top = 1 - (TAG_ROWS * TAG_ROW_PX + FONT_PX * 1.6 + header_px) / self.height
        self.figure.subplots_adjust(left=52 / self.width, right=1 - 22 / self.width,
                                    bottom=(FONT_PX * 2.4 + footer_px) / self.height, top=top,
                                    wspace=60 / (self.width / cols),
                                    hspace=FONT_PX * 4.2 / (self.height / rows))
        grid = self.figure.subplots(rows, cols, squeeze=False)
        self.axes: dict[str, Axes] = {}
        self.top_row = list(grid[0])
        self.lines: dict[str, list[tuple[Line2D, int, str]]] = {}
        titles: list[Text] = []
        for ax, panel in zip(grid.flat, PANELS, strict=False):
            titles.append(ax.set_title(self._title(panel), fontsize=points, pad=3, loc="left"))
            ax.tick_params(labelsize=points, length=3, pad=2)
            ax.grid(alpha=0.3)
            locator = mdates.AutoDateLocator(minticks=2, maxticks=4 if cols == 2 else 5)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            ax.xaxis.get_offset_text().set_fontsize(points * 0.85)
            ax.set_ylim(0, 1) if panel.share else ax.set_ylim(0, panel.floor)
            self.axes[panel.key] = ax
            self.lines[panel.key] = self._make_lines(ax, panel)
        for ax in grid.flat[len(PANELS):]:
            ax.set_axis_off()
        self._fit_titles(titles, cols)
        self._span: tuple[int, int] | None = None
        self._events: dict[int, list[Line2D]] = {}
        self._background = None

    def _fit_titles(self, titles: Sequence[Text], cols: int) -> None:
        """Shorten a panel title that would run into the next panel's (narrow windows)."""
        renderer = self.canvas.get_renderer()
        for i, title in enumerate(titles):
            last = i % cols == cols - 1 or i + 1 == len(titles)
            room = self.width if last else titles[i + 1].get_window_extent(renderer).x0 \
                / self.scale - 8
            for old, new in ((" (8-week mean)", " (8-wk mean)"), (" per step", ""),
                             (" in security forces", "")):
                if title.get_window_extent(renderer).x1 / self.scale <= room:
                    break
                title.set_text(title.get_text().replace(old, new))

    def _title(self, panel: Panel) -> str:
        if panel.key == "trust" and self.view.districts:
            return ("Trust in security forces by district"  # police and army combined
                    + (" (B ┄)" if len(self.labels) > 1 else ""))
        smoothed = self.view.smooth and panel.noisy
        return panel.title + (" (8-week mean)" if smoothed else "")

    def _make_lines(self, ax: Axes, panel: Panel) -> list[tuple[Line2D, int, str]]:
        """The panel's lines: (artist, run index, DataCollector column)."""
        made = []
        if panel.key == "trust" and self.view.districts and self.calendar.districts:
            for run in range(len(self.labels)):
                for i, name in enumerate(self.calendar.districts):
                    colour = DISTRICT_COLOURS[i % len(DISTRICT_COLOURS)]
                    line = ax.plot([], [], color=colour, linewidth=1.6, animated=True,
                                   linestyle="-" if run == 0 else "--")[0]
                    made.append((line, run, f"trust_{name}"))
            return made
        for run in range(len(self.labels)):
            for column, style in panel.columns:
                line = ax.plot([], [], color=RUN_COLOURS[run % len(RUN_COLOURS)],
                               linestyle=style, linewidth=1.8, animated=True)[0]
                made.append((line, run, column))
        return made

    def _set_limits(self, models: Sequence[SSRModel]) -> None:
        steps = max(m.steps for m in models)
        span = window(self.calendar, steps, self.view.whole_run)
        if span != self._span:
            self._span = span
            x0, x1 = self.calendar.x(np.array(span))
            for ax in self.axes.values():
                ax.set_xlim(x0, x1)
            self._background = None
        for panel in PANELS:
            if panel.share:
                continue
            ax = self.axes[panel.key]
            top = max((float(np.nanmax(np.asarray(line.get_ydata(), dtype=float), initial=0.0))
                       for line, _, _ in self.lines[panel.key]), default=0.0)
            if top >= 0.95 * ax.get_ylim()[1]:
                ax.set_ylim(0, _nice_above(top * 1.1, panel.floor))
                self._background = None

    def _set_data(self, models: Sequence[SSRModel]) -> None:
        noisy = {p.key for p in PANELS if p.noisy and self.view.smooth}
        width = self.calendar.steps_for(SMOOTH_DAYS)
        for key, lines in self.lines.items():
            for line, run, column in lines:
                if run >= len(models):
                    continue
                values = series(models[run], column)
                if key in noisy:
                    values = smooth(values, width)
                line.set_data(self.calendar.x(np.arange(values.size)), values)

    def _mark(self, events: Sequence[StoryEvent]) -> None:
        for event in events:
            if event.step not in self._events:
                self._events[event.step] = [
                    ax.axvline(float(self.calendar.x(event.step)), color=EVENT_LINE, linewidth=1.0,
                               linestyle=(0, (4, 3)), alpha=0.8, animated=True)
                    for ax in self.axes.values()]

    def rgb(self, models: Sequence[SSRModel], events: Sequence[StoryEvent] = ()
            ) -> np.ndarray:
        """The charts of the models' tables so far, with event lines, as RGB pixels."""
        with self._lock:
            self._set_data(models)
            self._set_limits(models)
            self._mark(events)
            if self._background is None:
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.canvas.restore_region(self._background)
            for i, (key, ax) in enumerate(self.axes.items()):
                for marks in self._events.values():
                    ax.draw_artist(marks[i])
                for line, _, _ in self.lines[key]:
                    ax.draw_artist(line)
            return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def png(self, models: Sequence[SSRModel], events: Sequence[StoryEvent] = ()) -> bytes:
        """The charts as PNG bytes."""
        return encode_png(self.rgb(models, events))

    def export_png(self, models: Sequence[SSRModel], events: Sequence[StoryEvent],
                   heading: str = "") -> bytes:
        """The charts as PNG bytes to save, with what a picture on its own needs.

        A heading, the runs' key, each event's number over its line (events of one step
        share one: "2–5") and, in the footer (see `footer_px`), the list of those events:
        number, date, what and where.
        """
        with self._lock:
            self._set_data(models)
            self._set_limits(models)
            self._mark(events)
            moving = [a for lines in self.lines.values() for a, _, _ in lines]
            moving += [mark for marks in self._events.values() for mark in marks]
            points = FONT_PX * 0.72
            groups = self._in_view(events)
            extra: list[Artist] = []
            if heading:
                extra.append(self.figure.text(6 / self.width, 1 - 4 / self.height, heading,
                                              fontsize=points * 1.15, fontweight="bold",
                                              va="top", ha="left"))
            key = [Line2D([], [], color=RUN_COLOURS[i % len(RUN_COLOURS)], linewidth=1.8,
                          label=f"{'AB'[i]}: {label}" if len(self.labels) > 1 else label)
                   for i, label in enumerate(self.labels)]
            key.append(Line2D([], [], color=EVENT_LINE, linestyle=(0, (4, 3)), label="event"))
            extra.append(self.figure.legend(handles=key, loc="upper right", ncol=len(key),
                                            bbox_to_anchor=(1 - 6 / self.width, 1),
                                            frameon=False, fontsize=points))
            for ax in self.top_row:
                if not ax.axison:
                    continue
                last, level = -1e9, 0
                for step, group in sorted(groups.items()):
                    x = float(self.calendar.x(step))
                    pixel = ax.transData.transform((x, 0))[0] / self.scale
                    level = level + 1 if pixel - last < 30 and level < 1 else 0
                    last = pixel
                    number = _numbers(group)
                    extra.append(ax.annotate(
                        number, (x, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(1, points * 1.6 + level * points * 1.2),
                        textcoords="offset points", fontsize=points * 0.85, color="#333333",
                        annotation_clip=False))
            if self.footer_px:
                lines = [f"{e.number}  {e.date}  {e.what} ({e.where})"
                         for group in groups.values() for e in group]
                per_column = max(1, self.footer_px // round(FONT_PX * 1.3) - 1)
                for c in range(0, len(lines), per_column):
                    extra.append(self.figure.text(
                        (6 + (c // per_column) * self.width / 2) / self.width,
                        (self.footer_px - 4) / self.height,
                        "\n".join(lines[c:c + per_column]), fontsize=points * 0.9,
                        va="top", ha="left", linespacing=1.3))
            for artist in moving:
                artist.set_animated(False)
            try:
                self.canvas.draw()
                pixels = np.asarray(self.canvas.buffer_rgba())[..., :3].copy()
            finally:
                for artist in moving:
                    artist.set_animated(True)
                for added in extra:
                    added.remove()
                self._background = None
            return encode_png(pixels)

    def tags(self, events: Sequence[StoryEvent]) -> list[Tag]:
        """Where each event's label goes: once, above a top-row chart, over its line.

        Events of one step share a label ("2 budget cut +2"; the hover text lists them
        all). Each label goes in the first place over its line (in any top-row chart, in
        either row) where it overlaps no other label and stays inside the figure; if the
        full label fits nowhere its numbers alone ("2-4") are tried, and if even they do
        not fit the events join the nearest label to their left (its hover text and a
        "+n"). So every event in the charts' time window is labelled. Call after `rgb`
        (the x ranges must be current).
        """
        columns = [ax for ax in self.top_row if ax.axison]
        if not columns:
            return []
        groups = self._in_view(events)
        used: list[list[tuple[float, float]]] = [[] for _ in range(TAG_ROWS)]
        placed: list[Tag] = []
        for step, group in sorted(groups.items()):
            first = group[0]
            more = f" +{len(group) - 1}" if len(group) > 1 else ""
            text = "\n".join(e.text for e in group)
            spot = self._free_spot(columns, step, (first.short + more, _numbers(group)), used)
            if spot is not None:
                left, row, short = spot
                used[row].append(_span(left, short))
                placed.append(Tag(left, row * TAG_ROW_PX, short, text, first.source))
            elif placed:  # no room anywhere: joins the nearest label on its left
                near = placed[-1]
                row = round(near.top / TAG_ROW_PX)
                others = [s for s in used[row] if s != _span(near.left, near.short)]
                words, _, count = near.short.rpartition(" +")
                base, before = (words, int(count)) if words and count.isdigit() \
                    else (near.short, 0)
                short = f"{base} +{before + len(group)}"
                start, end = _span(near.left, short)
                if any(start < b and a < end for a, b in others):
                    short = near.short  # a wider label would overlap: hover text only
                used[row] = [*others, _span(near.left, short)]
                placed[-1] = Tag(near.left, near.top, short, f"{near.text}\n{text}",
                                 near.source)
        return placed

    def _in_view(self, events: Sequence[StoryEvent]) -> dict[int, list[StoryEvent]]:
        """The events inside the charts' time window, grouped by step."""
        x0, x1 = self.top_row[0].get_xlim()
        groups: dict[int, list[StoryEvent]] = {}
        for event in events:
            if x0 <= float(self.calendar.x(event.step)) <= x1:
                groups.setdefault(event.step, []).append(event)
        return groups

    def _free_spot(self, columns: Sequence[Axes], step: int, labels: tuple[str, ...],
                   used: list[list[tuple[float, float]]]) -> tuple[float, int, str] | None:
        """The first (left pixel, row, label) over the step's line that overlaps nothing."""
        x0, x1 = columns[0].get_xlim()
        x = float(self.calendar.x(step))
        for label in labels:
            width = _tag_width(label)
            for ax in columns:
                box = ax.get_position()
                left = (box.x0 + (x - x0) / (x1 - x0) * box.width) * self.width
                if left + width > self.width:
                    continue
                for row in range(TAG_ROWS):
                    if all(left + width <= a or left >= b for a, b in used[row]):
                        return left, row, label
        return None


def _numbers(group: Sequence[StoryEvent]) -> str:
    """The numbers of one step's events: "2", or "2–5" for several."""
    return str(group[0].number) if len(group) == 1 else f"{group[0].number}–{group[-1].number}"


def _span(left: float, label: str) -> tuple[float, float]:
    """The pixels a label at `left` keeps to itself (with a 4-pixel margin each side)."""
    return left - 4, left + _tag_width(label) + 4


def _tag_width(label: str) -> float:
    """A generous estimate of an event label's width in pixels (`FONT_PX` text, padding)."""
    return 0.6 * FONT_PX * len(label) + 10
