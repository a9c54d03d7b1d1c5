"""Charts of a run's per-step table (reads the table only, never a model)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from .model.measures import HEADLINE, LABELS
from .scenario import Scenario


def headline_chart(table: pd.DataFrame, scenario: Scenario, policy: str | None,
                   path: Path) -> None:
    """A grid of the headline measures over calendar time, with event markers, as PNG."""
    dates = pd.to_datetime(table["date"])
    fig = Figure(figsize=(12, 6.5), layout="constrained")  # no pyplot: no global state
    axes = fig.subplots(2, 3, sharex=True)
    event_dates = [when for e in scenario.events
                   if (when := pd.Timestamp(scenario.step_date(scenario.event_step(e))))
                   <= dates.iloc[-1]]  # events after the run's end are not drawn
    for ax, name in zip(axes.flat, HEADLINE, strict=True):
        ax.plot(dates, table[name], color="#1f5f8b", linewidth=1.6)
        for when in event_dates:
            ax.axvline(when, color="#b03a2e", linewidth=0.8, linestyle="--", alpha=0.7)
        ax.set_title(LABELS[name], fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    title = f"{scenario.name}" + (f" — policy {policy}" if policy else "")
    fig.suptitle(f"{title} (seed {scenario.seed}; dashed lines: events)", fontsize=12)
    fig.savefig(path, dpi=110, metadata={"Software": None})
