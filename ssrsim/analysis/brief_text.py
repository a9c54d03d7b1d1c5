"""The planner's brief in words: question, bottom line, trade-off matrix, cost and caution.

Sentences mark names as **bold** (the report makes them bold, the terminal drops the marks).
`ssrsim compare` prints these words in short and the report opens with them.
"""

from __future__ import annotations

import datetime as dt
import math

from ..results_format import MeasureInfo
from .brief import Brief, Cell, Option, Standing
from .compare import COST, Verdict
from .plain import per_period, plain_number
from .tables import markdown_table

MARKS = {Verdict.BETTER: ("▲", "△"), Verdict.WORSE: ("▼", "▽"),
         Verdict.HIGHER: ("↑", "↑"), Verdict.LOWER: ("↓", "↓")}
"""Arrows of a difference: (one that stands, one seen only when read alone)."""

SAME_MARK = "≈"
UNKNOWN_MARK = "?"


def short_label(info: MeasureInfo, days: int | None = None) -> str:
    """A measure's label without its explanation in brackets (per week if a step is one)."""
    return per_period(info.label.split(" (")[0], days)


def lower(text: str) -> str:
    """Text to go mid-sentence: its first letter in lower case."""
    return text[:1].lower() + text[1:]


def mark(cell: Cell) -> str:
    """The cell's arrow: filled if it stands, hollow if only read alone; ≈ or ?."""
    if cell.verdict == Verdict.TOO_FEW:
        return UNKNOWN_MARK
    if not cell.verdict.distinguishable:
        return SAME_MARK
    firm, alone = MARKS[cell.verdict]
    return firm if cell.holds else alone


def cell_text(cell: Cell) -> str:
    """A matrix cell: the arrow and, for a difference, its size in plain units."""
    arrow = mark(cell)
    return f"{arrow} {plain_number(cell.diff, signed=True)}" if cell.verdict.distinguishable \
        else arrow


def period(brief: Brief) -> str:
    """Which part of the runs the numbers describe, in dates when the scenario has them."""
    if brief.span is None:
        return "over each run" if brief.statistic == "mean" else "at the end of each run"
    first, last = brief.span
    if brief.statistic == "final":
        return f"at the end of the runs ({_when(brief, last)})"
    steps = "weeks" if brief.step_days == 7 else "steps"
    return (f"averaged over the {last - first + 1} {steps} from {_when(brief, first)} to "
            f"{_when(brief, last)}")


def question(brief: Brief) -> str:
    """The question the brief answers."""
    others = len(brief.measures) - 1
    besides = f" and {others} other measure{'s' * (others != 1)}" if others else ""
    described = brief.baseline_description.rstrip(".")
    what = f" ({lower(described)})" if described else ""
    return (f"Which option should the programme follow (scenario {brief.scenario})? "
            f"{len(brief.options)} option{'s' * (len(brief.options) != 1)} compared with "
            f"**{brief.baseline}**{what} on {lower(brief.outcome.label)}{besides}, "
            f"{period(brief)}, with what it costs.")


def bottom_line(brief: Brief) -> list[str]:
    """The lead sentence on the outcome, then one sentence per option, best standing first."""
    order = list(Standing)
    ranked = sorted(brief.options, key=lambda o: (order.index(o.standing),
                                                   -_gain(o.cell(brief.outcome.name))))
    return [lead(brief), *(option_sentence(brief, o) for o in ranked)]


def lead(brief: Brief) -> str:
    """Which option moves the outcome most the better way, or that none does."""
    outcome = brief.outcome
    unit = brief.units[outcome.name]
    firm = [o for o in brief.options if o.cell(outcome.name) in o.firm(Verdict.BETTER)]
    if not firm:
        return (f"No option changes {lower(outcome.label)} for the better in a way that "
                f"stands, compared with **{brief.baseline}** ({brief.replicates} seeds each).")
    best = max(firm, key=lambda o: _gain(o.cell(outcome.name)))
    cell = best.cell(outcome.name)
    verb = "raises" if cell.diff > 0 else "lowers"
    small = (f" — a small difference, under {plain_number(cell.precision)} {unit.unit}"
             if cell.small else "")
    return (f"**{best.name}** {verb} {lower(outcome.label)} the most: "
            f"{plain_number(cell.diff, signed=True)} {unit.unit} ({brief.confidence:.0%} "
            f"interval {plain_number(cell.low, signed=True)} to "
            f"{plain_number(cell.high, signed=True)}), {period(brief)}, compared with "
            f"**{brief.baseline}**{small}; it held in {held(cell)}.")


def option_sentence(brief: Brief, option: Option) -> str:
    """What one option does: firm gains and losses, leads, and its cost."""
    parts = [f"{word} on {_items(brief, cells)}" for word, cells in (
        ("better", option.firm(Verdict.BETTER)), ("worse", option.firm(Verdict.WORSE)),
        ("higher", option.firm(Verdict.HIGHER)), ("lower", option.firm(Verdict.LOWER)))
        if cells]
    if option.hints:
        count = len(option.hints)
        parts.append(f"{count} more difference{'s' * (count != 1)} not firm (hollow arrows)")
    if not parts:
        parts.append("no difference on any measure" if option.standing == Standing.SAME
                     else "too few runs to tell")
    cost = cost_words(brief, option)
    words = _standing_words(option.standing, brief.baseline)
    return f"**{option.name}** ({words}): {'; '.join(parts)}{'; ' + cost if cost else ''}."


def cost_words(brief: Brief, option: Option) -> str:
    """What the option spends against the baseline and what that buys of the outcome."""
    cost = option.cost
    if cost is None or cost.extra.verdict == Verdict.TOO_FEW:
        return ""
    extra = cost.extra
    if not extra.verdict.distinguishable:
        return "the same spending"
    unit = brief.units[COST].unit
    more = extra.diff > 0
    text = f"spends {plain_number(abs(extra.diff))} {unit} {'more' if more else 'less'}"
    if math.isfinite(cost.total):
        text += f" ({plain_number(abs(cost.total))} {_amount(unit)} over the run)"
    return text + _buys(brief, option, more)


def _buys(brief: Brief, option: Option, more: bool) -> str:
    """The outcome the extra spending buys, or the saving costs."""
    outcome = brief.outcome
    cell = option.cell(outcome.name)
    cost = option.cost
    assert cost is not None
    label = lower(short_label(outcome))
    if not cell.firm:
        return f", with no firm change in {label}" if more else ""
    gained = cell.verdict == Verdict.BETTER
    if gained != more:
        return f" and is {'better' if gained else 'worse'} on {label}"
    amount = _amount(brief.units[COST].unit)
    one = brief.units[outcome.name].one
    if not math.isfinite(cost.per_unit):
        return ""
    return (f": {plain_number(cost.per_unit)} {amount} per {one} of {label} "
            f"{'gained' if gained else 'given up'}")


def matrix(brief: Brief) -> tuple[list[str], list[list[str]]]:
    """The trade-off matrix: options × measures (and spending), arrows and differences."""
    columns = [*brief.measures]
    header = ["option", *(f"{short_label(m, brief.step_days)} ({brief.units[m.name].short})"
                          for m in columns)]
    costed = any(o.cost for o in brief.options)
    if costed:
        header.append(f"Spending ({brief.units[COST].short})")
    rows = []
    for option in brief.options:
        row = [option.name, *(cell_text(option.cell(m.name)) for m in columns)]
        if costed:
            row.append(cell_text(option.cost.extra) if option.cost else "")
        rows.append(row)
    return header, rows


def matrix_legend(brief: Brief) -> str:
    """How to read the matrix."""
    return (f"Differences from {brief.baseline}, {period(brief)}, in the units of each "
            f"column. ▲ better, ▼ worse, and the difference stands with all "
            f"{brief.comparisons} comparisons allowed for; △ ▽ better or worse only when the "
            f"comparison is read alone; ↑ ↓ higher or lower where neither is better; "
            f"{SAME_MARK} cannot be told apart; {UNKNOWN_MARK} too few runs to tell. For "
            f"spending, ▲ means cheaper.")


def cost_table(brief: Brief) -> tuple[list[str], list[list[str]]]:
    """Per option: spending per step, extra spending and what it buys (no rows unrecorded)."""
    if COST not in brief.units:
        return [], []
    unit = brief.units[COST].unit
    outcome = brief.outcome
    header = ["option", f"spending ({unit})", f"difference ({unit})",
              f"over the run ({_amount(unit)})",
              f"per {brief.units[outcome.name].one} of {lower(short_label(outcome))}"]
    rows = []
    for option in brief.options:
        cost = option.cost
        if cost is None:
            continue
        rows.append([option.name, plain_number(cost.spending), cell_text(cost.extra),
                     plain_number(cost.total, signed=True),
                     plain_number(cost.per_unit) if math.isfinite(cost.per_unit) else "–"])
    return header, rows


def caution(brief: Brief) -> str:
    """How to read many comparisons at once."""
    m, level = brief.comparisons, brief.confidence
    if m <= 1:
        return f"One comparison, read at its {level:.0%} level."
    chance = (1 - level) * m
    return (f"Many comparisons: this brief makes {m} ({len(brief.options)} options × "
            f"{m // max(len(brief.options), 1)} measures), each at {level:.0%}. Read one at a "
            f"time, about {chance:.0f} of them would show a difference by chance even if no "
            f"option changed anything. The bottom line and the filled arrows count only "
            f"differences that stand when all {m} are allowed for (Holm's method: the chance "
            f"of even one false difference among them is at most {1 - level:.0%}); hollow "
            f"arrows and \"not firm\" differences are leads to check with more replicates, "
            f"not findings.")


def robustness(brief: Brief) -> list[str]:
    """How far each conclusion holds: across seeds, and across plausible worlds."""
    if brief.worlds:
        return [f"Across seeds and plausible worlds: every option ran in the same "
                f"{brief.worlds} worlds drawn from a calibration's posterior "
                f"({', '.join(brief.drawn)}), with the same seeds in each; each difference "
                f"says in how many of the {brief.replicates} runs and of the worlds the option "
                f"was on the same side of {brief.baseline}.",
                "The intervals hold both the seed noise and what the observed data leave "
                "unknown about the fitted parameters (the difference in the world we are in, "
                "not the average over worlds), so more runs do not make them narrower than "
                "the worlds' own spread. Parameters that were not fitted stay assumptions.",
                *_sources(brief)]
    seeds = (f"Across seeds: each difference says in how many of the {brief.replicates} "
             f"seeds (replicates, each shared by every option) the option was on the same "
             f"side of {brief.baseline}; all of them means it held in every seed.")
    return [seeds, "Across plausible worlds: not measured. Every run uses the same parameter "
                   "values, and nearly all of them are assumptions (see the limits), so the "
                   "intervals show seed noise only, not what is unknown about the "
                   "parameters: small differences may not survive it."]


def _sources(brief: Brief) -> list[str]:
    """For the outcome, how much a difference varies between worlds and between seeds."""
    cells = [c for o in brief.options for c in o.cells
             if c.measure == brief.outcome.name and not math.isnan(c.sd_worlds)]
    if not cells:
        return []
    unit = brief.units[brief.outcome.name].short
    worlds = max(c.sd_worlds for c in cells)
    seeds = max(c.sd_seed for c in cells)
    mostly = ("mostly what the data leave unknown about the parameters" if worlds > seeds
              else "mostly seed noise")
    return [f"On {lower(short_label(brief.outcome, brief.step_days))}, a difference from "
            f"{brief.baseline} varies from world to world by up to {plain_number(worlds)} "
            f"{unit} (standard deviation, largest over the options) and from seed to seed "
            f"by up to {plain_number(seeds)} {unit}: {mostly}."]


def held(cell: Cell) -> str:
    """`4 of 4 seeds`, with the plausible worlds when there are any."""
    if cell.worlds:
        return (f"{cell.agree} of {cell.n} runs and {cell.worlds_agree} of {cell.worlds} "
                f"plausible worlds")
    return f"{cell.agree} of {cell.n} seeds"


def _items(brief: Brief, cells: list[Cell]) -> str:
    return ", ".join(f"{lower(short_label(_info(brief, c), brief.step_days))} "
                     f"{plain_number(c.diff, signed=True)} {brief.units[c.measure].short} "
                     f"({held(c)})" for c in cells)


def _info(brief: Brief, cell: Cell) -> MeasureInfo:
    return next(m for m in brief.measures if m.name == cell.measure)


def _gain(cell: Cell) -> float:
    """How far a cell is the better way (0 unless it is a difference that stands)."""
    if not cell.firm:
        return 0.0
    return abs(cell.diff) if cell.verdict == Verdict.BETTER else -abs(cell.diff)


def _standing_words(standing: Standing, baseline: str) -> str:
    if standing in (Standing.BETTER, Standing.WORSE):
        return f"{standing.value} than {baseline}"
    if standing == Standing.SAME:
        return f"cannot be told apart from {baseline}"
    return standing.value


def _amount(unit: str) -> str:
    """A rate's amount: `resource units per week` → `resource units`."""
    return unit.split(" per ")[0]


def _when(brief: Brief, step: int) -> str:
    if brief.start is None or brief.step_days is None:
        return f"step {step}"
    day = brief.start + dt.timedelta(days=step * brief.step_days)
    return f"{day.day} {day:%b %Y}"


def brief_markdown(brief: Brief) -> list[str]:
    """The brief as Markdown lines (for comparison.md)."""
    header, rows = matrix(brief)
    lines = ["## The planner's brief", "", question(brief), "", "### Bottom line", ""]
    lines += [f"- {s}" for s in bottom_line(brief)]
    lines += ["", "### Trade-offs", "", *markdown_table(header, rows), "", matrix_legend(brief)]
    header, rows = cost_table(brief)
    if rows:
        lines += ["", "### Cost", "", *markdown_table(header, rows)]
    lines += ["", "### How sure", "", f"- {caution(brief)}",
              *(f"- {s}" for s in robustness(brief))]
    return lines
