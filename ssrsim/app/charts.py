"""Live charts: trust, stability, reform uptake, arrests and abuses, one line per run.

The values are read from each model's DataCollector table (its `model_vars` columns, the
data behind `get_model_vars_dataframe()`, without building a DataFrame every step). Events
(scheduled, or the app's shocks and live lever changes) are dashed vertical lines. Like the
map, a `ChartFigure` keeps its figure: the axes, titles and legend are drawn once into a
saved background and only the lines are drawn per frame; the background is redrawn when an
axis range has to grow.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..figure_style import EVENT_COLOUR, PALETTE, mark_event
from .map import encode_png

if TYPE_CHECKING:
    from ..model.model import SSRModel

PANELS: tuple[tuple[str, str, bool], ...] = (
    ("trust", "Trust in security forces", True),
    ("stability", "Stability", True),
    ("reform_uptake", "Reform uptake (share reformed)", True),
    ("arrests", "Arrests per step", False),
    ("abuses", "Abuses per step", False),
)
"""(DataCollector column, title, whether it is a share in [0, 1]) of each chart panel."""



def series(model: SSRModel, column: str) -> np.ndarray:
    """One DataCollector column of a model (index = step, from step 0)."""
    return np.asarray(model.datacollector.model_vars[column], dtype=float)


def _nice_above(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten above value (at least 5)."""
    value = max(float(value), 5.0)
    power = 10.0 ** np.floor(np.log10(value))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if value < factor * power:
            return float(factor * power)
    return float(10.0 * power)


class ChartFigure:
    """A persistent chart figure for one or more runs (same scenario length and labels).

    `tall` lays the panels out in three rows of two (to stand beside a map), else in two
    rows of three (to stand below two maps).
    """

    def __init__(self, labels: Sequence[str], horizon: int, *, tall: bool = False,
                 dpi: int = 90) -> None:
        self.labels = list(labels)
        self.horizon = max(int(horizon), 1)
        self._lock = threading.Lock()
        size, grid = ((5.8, 6.6), (3, 2)) if tall else ((7.0, 4.6), (2, 3))
        self.figure = Figure(figsize=size, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        axes = self.figure.subplots(*grid)
        self.axes = {}
        self.lines: dict[str, list[Line2D]] = {}
        for ax, (column, title, share) in zip(axes.flat, PANELS, strict=False):
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=7.5)
            ax.grid(alpha=0.3)
            ax.set_xlim(0, self.horizon)
            ax.set_ylim(-0.02, 1.02) if share else ax.set_ylim(0, 5)
            ax.set_xlabel("step", fontsize=7.5, labelpad=1)
            self.axes[column] = ax
            self.lines[column] = [
                ax.plot([], [], color=PALETTE[i % len(PALETTE)], linewidth=1.5,
                        animated=True)[0] for i in range(len(self.labels))]
        key = axes.flat[-1]
        key.set_axis_off()
        handles = [Line2D([], [], color=PALETTE[i % len(PALETTE)], linewidth=2,
                          label=label) for i, label in enumerate(self.labels)]
        handles.append(Line2D([], [], color=EVENT_COLOUR, linestyle="--", linewidth=1,
                              label="event / shock / lever"))
        key.legend(handles=handles, loc="center", fontsize=8.5, frameon=False,
                   title="One line per run", title_fontsize=8.5)
        self._events: dict[tuple[int, str], list[Line2D]] = {}
        self._background = None

    def _grow_limits(self, models: Sequence[SSRModel]) -> None:
        steps = max(m.steps for m in models)
        if steps > self.horizon:
            self.horizon = int(_nice_above(steps * 1.25))
            for ax in self.axes.values():
                ax.set_xlim(0, self.horizon)
            self._background = None
        for column, _, share in PANELS:
            if share:
                continue
            ax = self.axes[column]
            top = max(float(series(m, column).max(initial=0.0)) for m in models)
            if top >= 0.95 * ax.get_ylim()[1]:
                ax.set_ylim(0, _nice_above(top * 1.1))
                self._background = None

    def _mark_events(self, models: Sequence[SSRModel]) -> None:
        for model in models:
            for step, kind, _label in model.event_log:
                if (step, kind) in self._events:
                    continue
                self._events[(step, kind)] = [mark_event(ax, step, animated=True)
                                              for ax in self.axes.values()]

    def rgb(self, models: Sequence[SSRModel]) -> np.ndarray:
        """The charts of the models' tables so far, as an RGB pixel array."""
        with self._lock:
            self._grow_limits(models)
            self._mark_events(models)
            for column, lines in self.lines.items():
                for line, model in zip(lines, models, strict=False):
                    values = series(model, column)
                    line.set_data(np.arange(values.size), values)
            if self._background is None:
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.canvas.restore_region(self._background)
            for column, ax in self.axes.items():
                for marks in self._events.values():
                    ax.draw_artist(marks[list(self.axes).index(column)])
                for line in self.lines[column]:
                    ax.draw_artist(line)
            return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def png(self, models: Sequence[SSRModel]) -> bytes:
        """The charts as PNG bytes."""
        return encode_png(self.rgb(models))
