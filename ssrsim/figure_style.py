"""One look for every figure: colours, chart style, event markers and date axes.

The run chart, the batch figures, the case and calibration figures and the browser app's
live charts all draw through here, so a colour or a marker is written once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.dates as mdates

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D
    from matplotlib.typing import RcKeyType

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
           "#999999")
"""Okabe–Ito colours (colour-blind safe), given to policies or runs in their order."""

EVENT_COLOUR = "#b03a2e"
"""Dashed vertical lines of events, shocks and lever changes."""

STYLE: dict[RcKeyType, Any] = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
    "xtick.labelsize": 9, "ytick.labelsize": 9, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
    "savefig.dpi": 120, "svg.hashsalt": "ssrsim", "svg.fonttype": "none",
}
"""Matplotlib settings of the saved figures."""


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Draw with `STYLE` (and leave matplotlib's global settings as they were)."""
    with matplotlib.rc_context(STYLE):
        yield


def mark_event(ax: Axes, when: Any, text: str | None = None, *, animated: bool = False
               ) -> Line2D:
    """A dashed event line at `when` (a date or a step), labelled along it if `text`."""
    line = ax.axvline(when, color=EVENT_COLOUR, linewidth=0.8, linestyle="--", alpha=0.7,
                      animated=animated)
    if text:
        ax.annotate(text, (when, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                    fontsize=7, va="top", ha="right", color=EVENT_COLOUR,
                    annotation_clip=False)
    return line


def date_axis(ax: Axes, max_ticks: int = 8) -> None:
    """Calendar ticks that stay readable however long the run."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=max_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
