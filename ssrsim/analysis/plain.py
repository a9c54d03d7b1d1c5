"""Differences told in plain units: percentage points, units reformed, actives per 1,000.

A measure recorded as a 0-1 share, index or probability is told in percentage points; a few
measures have a plainer count (`PER_THOUSAND`, `COUNTED`); a per-step tally or spending is
told per week when a step is a week. Everything comes from the results folder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..results_format import MeasureInfo
from .results import Results

FRACTIONS = ("share (0-1)", "index (0-1)", "probability")
"""Recorded units told in percentage points (a 0-1 value times 100)."""

PER_THOUSAND = {"active_share": "actives per 1,000 residents"}
"""Shares of residents told per 1,000 residents."""

COUNTED = {"reform_uptake": ("security_units", "units reformed")}
"""Shares told as a count: the share times the baseline's mean of another measure."""


@dataclass(frozen=True)
class PlainUnit:
    """How to tell a measure's values: multiply by `factor`, then name `unit`.

    `short` is the unit for a table's header, `one` the unit in the singular.
    """

    factor: float
    unit: str
    short: str
    one: str

    def of(self, value: float) -> float:
        """A value of the measure in this unit."""
        return value * self.factor


def plain_unit(info: MeasureInfo, results: Results, baseline: str) -> PlainUnit:
    """The plain unit of a measure in a batch (compared with `baseline`)."""
    if info.name in PER_THOUSAND:
        unit = PER_THOUSAND[info.name]
        return PlainUnit(1000.0, unit, "per 1,000", unit.replace("actives", "active"))
    if info.name in COUNTED:
        of, unit = COUNTED[info.name]
        count = _baseline_mean(results, of, baseline)
        if count is not None:
            return PlainUnit(count, f"{unit} (of {count:.0f})", unit,
                             unit.replace("units", "unit"))
    if info.unit in FRACTIONS:
        return PlainUnit(100.0, "percentage points", "pts", "percentage point")
    unit = per_period(info.unit, step_days(results))
    return PlainUnit(1.0, unit, unit, f"unit ({unit})")


def step_days(results: Results) -> int | None:
    """Days per step of the batch's scenario (None if it does not say)."""
    days = (results.manifest.scenario.get("time") or {}).get("step_days")
    return int(days) if days else None


def per_period(unit: str, days: int | None) -> str:
    """A recorded unit in plainer words: `money per step` as `resource units per week`."""
    unit = unit.replace("money", "resource units")
    if days == 7:
        return unit.replace("per step", "per week")
    return unit.replace("per step", f"per {days} days") if days else unit


def plain_number(value: float, *, signed: bool = False) -> str:
    """A difference to two significant figures at most (`+1.2`, `-0.043`, `+12`); `–` if NaN."""
    if math.isnan(value):
        return "–"
    size = abs(value)
    places = 0 if size >= 10 or size == 0 else max(0, 1 - math.floor(math.log10(size)))
    text = f"{value:,.{places}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = "0"
    return f"+{text}" if signed and not text.startswith("-") and text != "0" else text


def _baseline_mean(results: Results, measure: str, baseline: str) -> float | None:
    """The baseline's mean over its runs of a measure's run averages (None if unrecorded)."""
    if measure not in results.measures:
        return None
    values = results.values(measure, "mean")
    mean = values.loc[values["policy"] == baseline, "value"].mean()
    return float(mean) if math.isfinite(mean) and mean > 0 else None
