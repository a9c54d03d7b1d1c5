"""Charts of a run's per-step table (reads the table only, never a model)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

from .model.measures import HEADLINE
from .scenario import Scenario

LABELS = {
    "trust": "Trust in security forces",
    "stability": "Stability",
    "reform_uptake": "Reform uptake (share of units reformed)",
    "accountability": "Accountability (abuses sanctioned)",
    "civilian_control": "Civilian control",
    "capacity": "Capacity (arrest probability)",
}


def headline_chart(table: pd.DataFrame, scenario: Scenario, policy: str | None,
                   path: Path) -> None:
    """A grid of the headline measures over calendar time, with event markers, as PNG."""
    dates = pd.to_datetime(table["date"])
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True, layout="constrained")
    event_dates = [pd.Timestamp(scenario.step_date(scenario.event_step(e)))
                   for e in scenario.events]
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
    plt.close(fig)
