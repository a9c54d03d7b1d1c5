"""Charts of a run's per-step table (reads the table only, never a model)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from .figure_style import PALETTE, date_axis, mark_event
from .model.measures import HEADLINE, LABELS
from .scenario import Scenario

BESIDE = {"trust": ("police_trust", "army_trust")}
"""Measures drawn in a headline measure's panel: trust is the mix of trust in each force."""


def headline_chart(table: pd.DataFrame, scenario: Scenario, policy: str | None,
                   path: Path) -> None:
    """Write the headline figure (see `headline_figure`) as PNG."""
    headline_figure(table, scenario, policy).savefig(path, dpi=110, metadata={"Software": None})


def headline_figure(table: pd.DataFrame, scenario: Scenario, policy: str | None) -> Figure:
    """A grid of the headline measures over calendar time, with event markers."""
    dates = pd.to_datetime(table["date"])
    fig = Figure(figsize=(12, 6.5), layout="constrained")  # no pyplot: no global state
    axes = fig.subplots(2, 3, sharex=True)
    event_dates = [pd.Timestamp(scenario.step_date(step)) for e in scenario.events
                   if (step := scenario.event_step(e)) <= scenario.time.steps]
    for ax, name in zip(axes.flat, HEADLINE, strict=True):
        ax.plot(dates, table[name], color=PALETTE[0], linewidth=1.6, label="both forces")
        for colour, part in zip(PALETTE[1:], BESIDE.get(name, ()), strict=False):
            ax.plot(dates, table[part], color=colour, linewidth=1.1, linestyle=(0, (4, 2)),
                    label=LABELS[part])
        if name in BESIDE:
            ax.legend(fontsize=8, loc="best", frameon=False)
        for when in event_dates:
            mark_event(ax, when)
        ax.set_title(LABELS[name], fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        date_axis(ax, max_ticks=7)
    title = _shown(scenario.name) + (f" — policy {_shown(policy)}" if policy else "")
    fig.suptitle(f"{title} (seed {scenario.seed}; red dashed lines: events)", fontsize=12)
    return fig


def _shown(name: str, limit: int = 80) -> str:
    """A name as a title shows it: unprintable characters dropped, cut to `limit`."""
    text = "".join(c for c in name if c.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"
