"""Comparison and sensitivity tables as files (CSV, Markdown) and as rows of text.

`comparison_rows` and `sensitivity_rows` give rows of formatted strings, in the column order
of `comparison_header()` and `sensitivity_header(sens)`, for a terminal table or HTML; the
`write_*` functions put the full-precision table in CSV and a readable one in Markdown, with
a header stating how the numbers were made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .compare import VERDICT_GROUPS, Comparison, Verdict
from .sensitivity import Sensitivity

STATISTICS = {
    "mean": "each run's average over its steps (after step 0)",
    "final": "each run's value at its last step",
}
"""What a run statistic means, in words."""


def comparison_header() -> list[str]:
    """Column names of `comparison_rows`."""
    return ["measure", "policy", "mean [CI]", "difference [CI]", "P(better)", "effect d_z",
            "n", "verdict"]


NO_VARIATION = "no seed variation"
"""The effect size column of a difference that is the same in every seed (no d_z exists)."""


def comparison_verdicts(comparison: Comparison) -> list[tuple[Verdict, bool]]:
    """Each row's verdict and whether the difference is below the precision, as the rows."""
    return [(Verdict(row.verdict_kind), bool(row.small))
            for _, group in _by_measure(comparison) for row in group.itertuples()]


def comparison_rows(comparison: Comparison) -> list[list[str]]:
    """One row of formatted text per measure and policy, the baseline first in each measure."""
    rows = []
    for _, group in _by_measure(comparison):
        places = _places(group[["mean", "ci_low", "ci_high", "diff", "diff_low",
                                "diff_high"]].to_numpy().ravel())
        for row in group.itertuples():
            rows.append([
                str(row.measure), str(row.policy),
                interval(row.mean, row.ci_low, row.ci_high, places),
                "" if row.policy == comparison.baseline else
                interval(row.diff, row.diff_low, row.diff_high, places, signed=True),
                probability(row.p_better), _effect(row.effect_size, row.varies, row.diff),
                str(row.n),
                str(row.verdict),
            ])
    return rows


def write_comparison(comparison: Comparison, folder: str | Path,
                     preface: Sequence[str] = ()) -> dict[str, Path]:
    """Write comparison.csv (every column, full precision) and comparison.md; their paths.

    `preface` are Markdown lines put before the method (the planner's brief).
    """
    out = _folder(folder)
    paths = {"csv": out / "comparison.csv", "md": out / "comparison.md"}
    comparison.table.to_csv(paths["csv"], index=False)
    paths["md"].write_text(comparison_markdown(comparison, preface))
    return paths


def comparison_markdown(comparison: Comparison, preface: Sequence[str] = ()) -> str:
    """The comparison as Markdown: preface, method, verdicts in words, table, warnings."""
    lines = ["# Policy comparison", "", *preface, *([""] if preface else []), "## Method",
             "", *comparison_method(comparison), "", "## Verdicts", ""]
    lines += [f"- {line}" for line in verdict_sentences(comparison)]
    lines += ["", "## Table", "", *markdown_table(comparison_header(),
                                                  comparison_rows(comparison))]
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in comparison.warnings] or ["None."]
    return "\n".join(lines) + "\n"


def comparison_method(comparison: Comparison) -> list[str]:
    """Sentences stating how the comparison's numbers were made."""
    level = f"{comparison.confidence:.0%}"
    return [
        f"Baseline: **{comparison.baseline}**. Statistic: {comparison.statistic} — "
        f"{STATISTICS.get(comparison.statistic, comparison.statistic)}"
        f"{_burn_in_words(comparison.burn_in) if comparison.statistic == 'mean' else ''}. "
        f"Confidence level: {level}.",
        "",
        f"Intervals are two-sided {level} Student-t intervals: for each option's mean over its "
        f"replicates, and for the mean paired difference from the baseline. Pairing: each "
        f"replicate of an option is paired with the baseline's replicate of the same number, "
        f"which uses the same random seed (common random numbers); with a parameter design an "
        f"option's runs are first averaged over the design points within each replicate; n "
        f"counts the paired replicates. P(better) is the "
        f"probability, under the same t model with a flat prior, that the mean difference is "
        f"on the better side; d_z is the mean difference over the standard deviation of the "
        f"differences (not given when the difference is the same in every seed: "
        f"\"{NO_VARIATION}\"). An option is better or worse only when the difference "
        f"interval excludes zero; a difference under the precision (by default 5% of the "
        f"baseline's mean, or --precision) is called small, and the precision is also the "
        f"half-width the replicates-needed estimate aims at. Each such verdict is read "
        f"alone; the planner's brief also says which differences stand when all the "
        f"comparisons of the table are allowed for (Holm's method).",
    ]


def _burn_in_words(burn_in: int) -> str:
    """What was left out of each run's average."""
    if burn_in:
        return f", leaving out steps 1 to {burn_in}"
    return (", no burn-in: runs start settled by the model's spin-up (time.spin_up_days) "
            "before step 0")


def verdict_sentences(comparison: Comparison) -> list[str]:
    """One sentence per option: on which measures it is better, worse, or indistinguishable."""
    table = comparison.table
    sentences = []
    for policy in dict.fromkeys(table["policy"]):
        if policy == comparison.baseline:
            continue
        mine = table[table["policy"] == policy]
        groups: dict[str, list[str]] = {}
        for row in mine.itertuples():
            groups.setdefault(VERDICT_GROUPS[Verdict(row.verdict_kind)], []).append(
                comparison.info(str(row.measure)).label.split(" (")[0].lower())
        parts = [f"{group} on {', '.join(names)}" for group, names in groups.items()]
        sentences.append(f"**{policy}** compared with {comparison.baseline}: "
                         f"{'; '.join(parts)}.")
    return sentences


def sensitivity_header(sens: Sensitivity) -> list[str]:
    """Column names of `sensitivity_rows` (they depend on the method)."""
    if sens.method == "morris":
        return ["measure", "parameter", "rank", "mu* ± conf", "mu", "sigma"]
    return ["measure", "parameter", "rank", "S1 ± conf", "ST ± conf"]


def sensitivity_rows(sens: Sensitivity) -> list[list[str]]:
    """One row of formatted text per measure and parameter, most influential first."""
    rows = []
    for _, group in sens.table.groupby("measure", sort=False):
        group = group.sort_values("rank", kind="stable")
        places = (_places(group[["mu_star", "mu", "sigma"]].to_numpy().ravel())
                  if sens.method == "morris" else 3)
        for row in group.to_dict("records"):
            head = [str(row["measure"]), str(row["parameter"]), _rank(row["rank"])]
            if sens.method == "morris":
                rows.append([*head, plus_minus(row["mu_star"], row["mu_star_conf"], places),
                             number(row["mu"], places), number(row["sigma"], places)])
            else:
                rows.append([*head, plus_minus(row["S1"], row["S1_conf"], 3),
                             plus_minus(row["ST"], row["ST_conf"], 3)])
    return rows


def interaction_rows(sens: Sensitivity) -> list[list[str]]:
    """Second-order rows (measure, parameter, other, S2 ± conf); empty without them."""
    if sens.interactions is None or sens.interactions.empty:
        return []
    return [[str(r.measure), str(r.parameter), str(r.other), plus_minus(r.S2, r.S2_conf, 3)]
            for r in sens.interactions.itertuples()]


def write_sensitivity(sens: Sensitivity, folder: str | Path) -> dict[str, Path]:
    """Write sensitivity.csv (and sensitivity_s2.csv) and sensitivity.md; their paths."""
    out = _folder(folder)
    paths = {"csv": out / "sensitivity.csv", "md": out / "sensitivity.md"}
    sens.table.to_csv(paths["csv"], index=False)
    if sens.interactions is not None:
        paths["s2_csv"] = out / "sensitivity_s2.csv"
        sens.interactions.to_csv(paths["s2_csv"], index=False)
    paths["md"].write_text(sensitivity_markdown(sens))
    return paths


def sensitivity_markdown(sens: Sensitivity) -> str:
    """The sensitivity indices as a Markdown document: method, table, warnings."""
    lines = ["# Sensitivity analysis", "", *sensitivity_method(sens), "", "## Indices", "",
             *markdown_table(sensitivity_header(sens), sensitivity_rows(sens))]
    second = interaction_rows(sens)
    if second:
        lines += ["", "## Second-order indices", "",
                  *markdown_table(["measure", "parameter", "other", "S2 ± conf"], second)]
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in sens.warnings] or ["None."]
    return "\n".join(lines) + "\n"


def sensitivity_method(sens: Sensitivity) -> list[str]:
    """Sentences stating how the sensitivity indices were made."""
    level = f"{sens.confidence:.0%}"
    what = (
        "Morris elementary effects (SALib): mu* is the mean absolute change of the output when "
        "one parameter moves one grid step (in the units of the measure per step of the "
        "Morris grid), a screening measure of influence; mu is its signed mean (mu much "
        "smaller than mu* means effects of both signs); sigma is their spread (non-linearity "
        "or interactions)."
        if sens.method == "morris" else
        "Sobol' indices from a Saltelli design (SALib): S1 is the share of the output's "
        "variance due to the parameter alone; ST the share it has a part in, interactions "
        "included. ST much larger than S1 means interactions; S1 that sum to well below 1 "
        "mean interactions or replicate noise."
    )
    return [
        f"Policy: **{sens.policy}**. Statistic: {sens.statistic} — "
        f"{STATISTICS.get(sens.statistic, sens.statistic)}, averaged over the replicates of "
        f"each of the {sens.points} design points (at least {sens.replicates} replicates "
        f"each).",
        "",
        f"{what} The ± values are {level} bootstrap confidence half-widths; rank 1 is the most "
        f"influential parameter for the measure.",
    ]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Lines of a Markdown table (pipes in cells escaped)."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(header), line(["---"] * len(header)), *(line(r) for r in rows)]


def interval(value: float, low: float, high: float, places: int, *, signed: bool = False
             ) -> str:
    """"0.431 [0.427, 0.433]"; just the value when the bounds are not known."""
    sign = "+" if signed else ""
    head = number(value, places, sign)
    if _missing(low) or _missing(high):
        return head
    return f"{head} [{number(low, places, sign)}, {number(high, places, sign)}]"


def plus_minus(value: float, half: float, places: int) -> str:
    """"0.314 ± 0.021"; just the value when the half-width is not known."""
    head = number(value, places)
    return head if _missing(half) else f"{head} ± {number(abs(half), places)}"


def number(value: float, places: int, sign: str = "") -> str:
    """A number with fixed decimal places ("-0.000": below zero); "–" when missing."""
    if _missing(value):
        return "–"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{0.0 if value == 0 else value:{sign}.{places}f}"


def probability(value: float) -> str:
    """A probability to three decimals, clamped to "<0.001" and ">0.999"."""
    if _missing(value):
        return "–"
    if value < 0.001:
        return "<0.001"
    if value > 0.999:
        return ">0.999"
    return f"{value:.3f}"


def _places(values: Iterable[float]) -> int:
    """Decimal places for one measure's numbers: 3, fewer for large values, more for tiny."""
    finite = [abs(float(v)) for v in values if not _missing(v) and math.isfinite(float(v))]
    scale = max(finite, default=0.0)
    if scale >= 10_000:
        return 0
    if scale >= 100:
        return 1
    if 0 < scale < 0.01:
        return min(6, 2 - math.floor(math.log10(scale)))
    return 3


def _by_measure(comparison: Comparison) -> Iterable[tuple[str, pd.DataFrame]]:
    """Each measure's rows, the baseline first."""
    for measure, group in comparison.table.groupby("measure", sort=False):
        first = (group["policy"] != comparison.baseline).to_numpy()
        yield str(measure), group.iloc[first.argsort(kind="stable")]


def _effect(value: float, varies: bool, diff: float) -> str:
    """d_z to two decimals; in words when the difference does not vary across seeds."""
    if not varies and not _missing(diff):
        return NO_VARIATION
    return number(value, 2)


def _rank(value: object) -> str:
    return "–" if _missing(value) else str(int(value))  # type: ignore[call-overload]


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _folder(folder: str | Path) -> Path:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return out
