"""The planner's brief: what a comparison says about each option, in plain units.

`make_brief` reads a `Comparison` and the results folder it came from and sorts what it
found: for each option and measure a `Cell` (the verdict, whether it stands once every
comparison of the table is allowed for, the difference in plain units, and in how many seeds
it held); for each option its `Standing` (better, worse, a trade-off, or cannot be told
apart, judged on the differences that stand) and its `Cost` against the baseline. The words
are written in `brief_text`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..results_format import NO_POLICY, MeasureInfo
from .compare import COST, Comparison, Verdict
from .plain import PlainUnit, plain_unit
from .results import Results


class Standing(StrEnum):
    """What an option's differences that stand add up to."""

    BETTER = "better"
    TRADE_OFF = "a trade-off"
    SAME = "cannot be told apart"
    WORSE = "worse"
    TOO_FEW = "too few runs to tell"


@dataclass(frozen=True)
class Cell:
    """One option on one measure, the difference from the baseline in plain units."""

    option: str
    measure: str
    verdict: Verdict
    holds: bool
    small: bool
    precision: float
    diff: float
    low: float
    high: float
    agree: int
    n: int
    varies: bool
    worlds: int
    worlds_agree: int
    sd_seed: float = math.nan
    sd_worlds: float = math.nan

    @property
    def firm(self) -> bool:
        """A difference that stands when every comparison of the table is allowed for."""
        return self.verdict.distinguishable and self.holds


@dataclass(frozen=True)
class Cost:
    """An option's programme spending against the baseline's, and what it buys.

    `extra` is the spending difference per step; `total` that difference over the steps the
    statistic covers (NaN unless it is the run average); `per_unit` the total per plain unit
    of the outcome's difference (NaN unless both differences stand).
    """

    spending: float
    extra: Cell
    total: float
    per_unit: float


@dataclass(frozen=True)
class Option:
    """An option of the brief: its cells in measure order, standing and cost."""

    name: str
    description: str
    cells: tuple[Cell, ...]
    standing: Standing
    cost: Cost | None

    def cell(self, measure: str) -> Cell:
        """The option's cell of a measure."""
        return next(c for c in self.cells if c.measure == measure)

    def firm(self, verdict: Verdict) -> list[Cell]:
        """Its differences that stand with this verdict."""
        return [c for c in self.cells if c.firm and c.verdict == verdict]

    @property
    def hints(self) -> list[Cell]:
        """Its differences seen only when each comparison is read alone."""
        return [c for c in self.cells if c.verdict.distinguishable and not c.holds]


@dataclass(frozen=True)
class Brief:
    """Everything the planner's brief says, before it is put in words.

    `measures` are the outcome measures in the comparison's order, the first being the
    `outcome` the question is about; spending is not among them (see `Option.cost`).
    `span` is (first step, last step) of what each run's statistic covers. `worlds` counts
    the posterior draws (0 without), `drawn` names the parameters they vary.
    """

    scenario: str
    baseline: str
    baseline_description: str
    options: tuple[Option, ...]
    measures: tuple[MeasureInfo, ...]
    units: dict[str, PlainUnit]
    statistic: str
    confidence: float
    comparisons: int
    replicates: int
    worlds: int
    start: dt.date | None
    step_days: int | None
    span: tuple[int, int] | None
    drawn: tuple[str, ...] = ()

    @property
    def outcome(self) -> MeasureInfo:
        """The measure the question is about."""
        return self.measures[0]


def make_brief(results: Results, comparison: Comparison) -> Brief:
    """The brief of a comparison of `results`' options (its first measure is the outcome)."""
    table = comparison.table
    names = [m.name for m in comparison.measures if m.name != COST]
    if not names:
        raise ValueError("a brief needs at least one measure besides spending")
    units = {m: plain_unit(comparison.info(m), results, comparison.baseline)
             for m in [*names, COST] if m in set(table["measure"])}
    rows = table[table["policy"] != comparison.baseline]
    cells = {(str(r["policy"]), str(r["measure"])): _cell(r, units[str(r["measure"])])
             for r in rows.to_dict("records")}
    time = results.manifest.scenario.get("time") or {}
    span = _span(time, comparison)
    options = tuple(_option(results, name, names, cells, comparison, span)
                    for name in dict.fromkeys(rows["policy"]))
    return Brief(
        scenario=str(results.manifest.scenario.get("name", "the scenario")),
        baseline=comparison.baseline,
        baseline_description=description(results, comparison.baseline),
        options=options, measures=tuple(comparison.info(m) for m in names), units=units,
        statistic=comparison.statistic, confidence=comparison.confidence,
        comparisons=int(rows["p_value"].notna().sum()),
        replicates=int(table["n"].min()) if len(table) else 0,
        worlds=int(table["worlds"].max()) if len(table) else 0,
        drawn=tuple(results.design_parameters) if results.drawn else (),
        start=dt.date.fromisoformat(str(time["start_date"])) if "start_date" in time else None,
        step_days=int(time["step_days"]) if "step_days" in time else None, span=span)


def description(results: Results, policy: str) -> str:
    """An option's description as the scenario gives it."""
    if policy == NO_POLICY:
        return "the scenario as written"
    declared = (results.manifest.scenario.get("policies") or {}).get(policy) or {}
    return str(declared.get("description") or "")


def _cell(r: dict[str, Any], unit: PlainUnit) -> Cell:
    return Cell(option=str(r["policy"]), measure=str(r["measure"]),
                verdict=Verdict(r["verdict_kind"]), holds=bool(r["holds"]),
                small=bool(r["small"]), precision=unit.of(r["precision"]),
                diff=unit.of(r["diff"]), low=unit.of(r["diff_low"]),
                high=unit.of(r["diff_high"]), agree=int(r["agree"]), n=int(r["n"]),
                varies=bool(r["varies"]), worlds=int(r["worlds"]),
                worlds_agree=int(r["worlds_agree"]), sd_seed=unit.of(r["sd_seed"]),
                sd_worlds=unit.of(r["sd_worlds"]))


def _option(results: Results, name: str, measures: list[str],
            cells: dict[tuple[str, str], Cell], comparison: Comparison,
            span: tuple[int, int] | None) -> Option:
    mine = tuple(cells[(name, m)] for m in measures if (name, m) in cells)
    return Option(name, description(results, name), mine, standing(mine),
                  _cost(name, mine[0] if mine else None, cells, comparison, span))


def standing(cells: tuple[Cell, ...]) -> Standing:
    """Better, worse, a trade-off or the same, from the differences that stand."""
    if not cells or all(c.verdict == Verdict.TOO_FEW for c in cells):
        return Standing.TOO_FEW
    better = any(c.firm and c.verdict == Verdict.BETTER for c in cells)
    worse = any(c.firm and c.verdict == Verdict.WORSE for c in cells)
    if better and worse:
        return Standing.TRADE_OFF
    return Standing.BETTER if better else Standing.WORSE if worse else Standing.SAME


def _cost(name: str, outcome: Cell | None, cells: dict[tuple[str, str], Cell],
          comparison: Comparison, span: tuple[int, int] | None) -> Cost | None:
    extra = cells.get((name, COST))
    if extra is None:
        return None
    table = comparison.table
    spending = float(table.loc[(table["measure"] == COST) & (table["policy"] == name),
                               "mean"].iloc[0])
    steps = span[1] - span[0] + 1 if span and comparison.statistic == "mean" else None
    total = extra.diff * steps if steps else math.nan
    buys = (outcome is not None and outcome.firm and extra.firm
            and outcome.verdict in (Verdict.BETTER, Verdict.WORSE))
    per_unit = abs(total / outcome.diff) if buys and outcome and outcome.diff else math.nan
    return Cost(spending, extra, total, per_unit)


def _span(time: dict[str, Any], comparison: Comparison) -> tuple[int, int] | None:
    """First and last step each run's statistic covers (None if the scenario does not say)."""
    if "steps" not in time:
        return None
    steps = int(time["steps"])
    return (steps, steps) if comparison.statistic == "final" else (
        comparison.burn_in + 1, steps)
