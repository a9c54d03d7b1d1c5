"""Monitors: the large live numbers above the charts, and in compare mode A, B and A - B.

Each reads the last row of a run's DataCollector table; "budget spent" is the share of
the programme budget spent so far (from step 1, the first step with spending).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .charts import series

if TYPE_CHECKING:
    from ..model.model import SSRModel


@dataclass(frozen=True)
class Monitor:
    """One big number: its key, label, how to write it, and what it means."""

    key: str
    label: str
    percent: bool
    help: str


MONITORS: tuple[Monitor, ...] = (
    Monitor("police_trust", "Trust in police", False,
            "Mean trust of civilians in the police, 0 to 1."),
    Monitor("army_trust", "Trust in army", False,
            "Mean trust of civilians in the army, 0 to 1."),
    Monitor("stability", "Stability", False,
            "(1 - share active) x exp(-insurgent incidents / scale), 0 to 1."),
    Monitor("reform_uptake", "Reform uptake %", True, "Share of security units reformed."),
    Monitor("active_share", "Share active %", True, "Share of civilians in open rebellion."),
    Monitor("budget_spent", "Budget spent %", True,
            "Programme money spent so far, as a share of the budget so far."),
)


def value(model: SSRModel, key: str) -> float:
    """A monitor's current value in a run."""
    if key == "budget_spent":
        budget = series(model, "budget")[1:].sum()
        return float(series(model, "spent")[1:].sum() / budget) if budget > 0 else 0.0
    return float(series(model, key)[-1])


def show(monitor: Monitor, number: float, *, difference: bool = False) -> str:
    """A monitor's number as the page writes it: a share in %, or 0 to 1.

    With `difference`, signed (an A - B; in points for a percentage); a difference that
    rounds to zero is "+0.00", never "−0.00".
    """
    sign = "+" if difference else ""
    if monitor.percent:
        return f"{100 * number:{sign}z.1f}"
    return f"{number:{sign}z.2f}"


def readings(models: Sequence[SSRModel]) -> list[tuple[Monitor, list[str], str | None]]:
    """Each monitor with its number per run and, for two runs, A - B (else None)."""
    out = []
    for monitor in MONITORS:
        numbers = [value(m, monitor.key) for m in models]
        diff = (show(monitor, numbers[0] - numbers[1], difference=True).replace("-", "−")
                if len(numbers) == 2 else None)
        out.append((monitor, [show(monitor, n) for n in numbers], diff))
    return out
