"""Policy comparison with honest uncertainty, from a batch's per-run values.

Runs of one replicate share their seed across policies (common random numbers), so each option
is compared with the baseline through paired differences by replicate. With a parameter design
an option's values are first averaged over the design points within each replicate: the
replicates, not the runs, are the independent units, so n is the number of replicates.
Intervals are Student-t intervals: for each option's mean, and for the mean paired difference.
The probability that an option beats the baseline is the posterior probability that the mean
paired difference lies on the better side, under the t model with a flat prior (the same t
distribution as the interval). The effect size is Cohen's d_z: mean difference over the
standard deviation of the differences, not given when the differences do not vary from seed
to seed (a deterministic measure such as a fixed budget's spending). Each option gets a
`Verdict`, a value; its words come from `verdict_text`, the one place they are written.

Many options times many measures make many comparisons: each row also has its paired t-test
p-value and Holm's adjusted p-value over the whole table, and `holds` says whether the
difference stands once every comparison of the table is allowed for (family-wise error at
1 - confidence). `agree` counts the seeds whose own difference has the sign of the mean one.

Over posterior draws (`ssrsim batch --posterior`), each draw is a plausible world: pairs are
(draw, replicate), and the spread of the differences has two sources, told apart by the law of
total variance: seed noise within a world (`sd_seed`, the pooled within-draw standard
deviation) and parameter uncertainty between worlds (`sd_worlds`, the standard deviation of
the worlds' true mean differences: the draw means' variance less the seed part of it, floored
at 0). The interval is then for the difference in the world we are in, not for the average
over worlds: mean ± t(draws − 1) × sqrt(sd_worlds² + var(draw means) / draws), which keeps
the parameter uncertainty however many runs are made and falls back to the paired interval
when the worlds do not differ. P(better), the p-values and the verdicts use the same
distribution; `worlds_agree` of `worlds` counts the draws whose mean difference agrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy import stats

from ..results_format import MeasureInfo
from .plain import per_period, plain_number, plain_unit, step_days
from .results import DRAW, Results, ResultsError

FORCE_TRUST = ("police_trust", "army_trust")
"""Trust in the police and in the army, compared right after trust when none are named."""

EXTRA_MEASURES = ("active_share", "abuses", "spent")
"""Measures compared besides the headline ones when none are named: unrest, abuses, cost."""

COST = "spent"
"""The measure that is an option's cost: programme money spent per step."""

MIN_REPLICATES = 10
"""Below this many paired replicates the intervals are flagged as not to be trusted."""

PAIR_KEYS = (DRAW, "replicate")
"""What pairs an option's run with the baseline's: the same draw (if any) and replicate."""


class Verdict(StrEnum):
    """What an option's paired difference from the baseline shows."""

    BASELINE = "baseline"
    TOO_FEW = "too few"
    INDISTINGUISHABLE = "indistinguishable"
    BETTER = "better"
    WORSE = "worse"
    HIGHER = "higher"
    LOWER = "lower"

    @property
    def distinguishable(self) -> bool:
        """Whether the difference interval excludes zero."""
        return self in (Verdict.BETTER, Verdict.WORSE, Verdict.HIGHER, Verdict.LOWER)


VERDICT_WORDS = {
    Verdict.BASELINE: "baseline",
    Verdict.TOO_FEW: "too few replicates to tell",
    Verdict.INDISTINGUISHABLE: "cannot be told apart from the baseline",
    Verdict.BETTER: "better than the baseline",
    Verdict.WORSE: "worse than the baseline",
    Verdict.HIGHER: "higher than the baseline",
    Verdict.LOWER: "lower than the baseline",
}
"""Each verdict in words, as tables and reports show it."""

VERDICT_GROUPS = {
    Verdict.BASELINE: "baseline",
    Verdict.TOO_FEW: "too few replicates",
    Verdict.INDISTINGUISHABLE: "cannot be told apart",
    Verdict.BETTER: "better",
    Verdict.WORSE: "worse",
    Verdict.HIGHER: "higher",
    Verdict.LOWER: "lower",
}
"""Each verdict in a few words, for sentences that list the measures of each verdict."""


def verdict_text(verdict: Verdict, small: bool, precision: float) -> str:
    """A verdict in words, noting a difference under the precision (a small one)."""
    words = VERDICT_WORDS[verdict]
    return f"{words}, but by under {precision:.3g} (small)" if small else words


def default_measures(results: Results) -> list[str]:
    """Measures compared when none are named.

    The headline ones (trust followed by trust in the police and in the army), then unrest,
    abuses and cost; each only if the batch recorded it.
    """
    known = set(results.measures)
    names: list[str] = []
    for measure in [*results.headline, *FORCE_TRUST, *EXTRA_MEASURES]:
        names.append(measure)
        if measure == "trust":
            names += FORCE_TRUST
    return [m for m in dict.fromkeys(names) if m in known]


@dataclass(frozen=True)
class Comparison:
    """A comparison table (one row per measure and policy) and the warnings that go with it.

    `measures` describes the compared measures as the batch recorded them.
    """

    table: pd.DataFrame
    baseline: str
    statistic: str
    confidence: float
    warnings: list[str]
    burn_in: int = 0
    measures: tuple[MeasureInfo, ...] = ()

    def info(self, measure: str) -> MeasureInfo:
        """Label, unit and better direction of a compared measure."""
        return next((m for m in self.measures if m.name == measure), None) or \
            MeasureInfo.unknown(measure)


@dataclass(frozen=True)
class Spread:
    """What is known of a mean: its value, standard error, degrees of freedom, sources.

    `sd_seed` is the seed-to-seed standard deviation of one value; `sd_worlds` that of the
    worlds' true means (NaN without posterior draws, or when one seed per world leaves seed
    noise and parameter uncertainty inseparable).
    """

    mean: float
    se: float
    df: int
    sd_seed: float = math.nan
    sd_worlds: float = math.nan

    def interval(self, confidence: float) -> tuple[float, float, float]:
        """Mean and two-sided Student-t interval; NaN bounds below two values."""
        if self.df < 1:
            return self.mean, math.nan, math.nan
        half = float(stats.t.ppf((1 + confidence) / 2, self.df)) * self.se
        return self.mean, self.mean - half, self.mean + half

    def p_above_zero(self) -> float:
        """Posterior probability (t model, flat prior) that the quantity is above 0."""
        if self.se == 0:
            return 1.0 if self.mean > 0 else 0.0 if self.mean < 0 else 0.5
        return float(stats.t.cdf(self.mean / self.se, self.df))


def spread_of(values: pd.Series) -> Spread:
    """The spread of per-pair values, indexed by replicate or by (draw, replicate)."""
    values = values.dropna()
    if values.index.nlevels == 1 or DRAW not in values.index.names:
        return _plain_spread(values.to_numpy(dtype=float))
    by_draw = values.groupby(level=DRAW)
    means = by_draw.mean().to_numpy(dtype=float)
    worlds = len(means)
    if worlds < 2:
        return _plain_spread(values.to_numpy(dtype=float))
    between = float(np.var(means, ddof=1))
    within_df = int((by_draw.size() - 1).sum())
    if within_df == 0:
        return Spread(float(values.mean()), math.sqrt(between / worlds), worlds - 1)
    within = float((by_draw.var(ddof=1).fillna(0) * (by_draw.size() - 1)).sum()) / within_df
    per_world = float(by_draw.size().mean())
    worlds_var = max(0.0, between - within / per_world)
    return Spread(float(values.mean()), math.sqrt(worlds_var + between / worlds), worlds - 1,
                  math.sqrt(within), math.sqrt(worlds_var))


def _plain_spread(values: np.ndarray) -> Spread:
    n = len(values)
    if n < 2:
        return Spread(float(np.mean(values)) if n else math.nan, math.nan, 0)
    sd = float(np.std(values, ddof=1))
    return Spread(float(np.mean(values)), sd / math.sqrt(n), n - 1, sd)


def t_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of independent values; NaN bounds below two."""
    return _plain_spread(np.asarray(values, dtype=float)).interval(confidence)


def prob_better(spread: Spread, better: str | None) -> float:
    """Posterior probability (t model, flat prior) that the mean difference is better."""
    if better is None or spread.df < 1:
        return math.nan
    p_higher = spread.p_above_zero()
    return p_higher if better == "higher" else 1.0 - p_higher


def effect_size(diffs: np.ndarray) -> float:
    """Cohen's d_z of paired differences; NaN when they do not vary (or are fewer than 2)."""
    if len(diffs) < 2:
        return math.nan
    sd = float(np.std(diffs, ddof=1))
    return float(np.mean(diffs)) / sd if sd > 0 else math.nan


def p_value(spread: Spread) -> float:
    """Two-sided t-test p-value of a zero mean difference (0 or 1 if none varies)."""
    if spread.df < 1:
        return math.nan
    if spread.se == 0:
        return 0.0 if spread.mean != 0 else 1.0
    return float(2 * stats.t.sf(abs(spread.mean) / spread.se, spread.df))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values of one family (NaN values are left out)."""
    adjusted = np.full(len(p_values), math.nan)
    known = np.flatnonzero(~np.isnan(p_values))
    order = known[np.argsort(p_values[known], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * float(p_values[index])))
        adjusted[index] = running
    return adjusted


def agreeing(diffs: np.ndarray) -> int:
    """How many differences have the sign of their mean (none when the mean is 0)."""
    sign = np.sign(np.mean(diffs)) if len(diffs) else 0.0
    return int(np.sum(np.sign(diffs) == sign)) if sign != 0 else 0


def replicates_needed(spread: Spread, precision: float, confidence: float) -> float:
    """Paired runs for a difference interval of half-width `precision` (spread as now).

    Over posterior draws the parameter uncertainty stays whatever the number of runs
    (normal approximation): infinite when it alone is wider than `precision`.
    """
    if spread.df < 1 or precision <= 0:
        return math.nan
    z = float(stats.norm.ppf((1 + confidence) / 2))
    worlds = 0.0 if math.isnan(spread.sd_worlds) else spread.sd_worlds
    room = precision**2 - (z * worlds) ** 2
    if room <= 0:
        return math.inf
    sd = spread.sd_seed if not math.isnan(spread.sd_seed) else spread.se * math.sqrt(
        spread.df + 1)
    if sd == 0:
        return 2.0
    if worlds > 0:
        return float(max(2, math.ceil((z * sd) ** 2 / room)))
    n = 2
    while stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n) > precision:
        n = max(n + 1, math.ceil((z * sd / precision) ** 2))
        if n > 10**7:
            return math.inf
    return float(n)


def _verdict(low: float, high: float, better: str | None) -> Verdict:
    """What the difference interval [low, high] says about the option."""
    if math.isnan(low):
        return Verdict.TOO_FEW
    if low <= 0 <= high:
        return Verdict.INDISTINGUISHABLE
    higher = low > 0
    if better is None:
        return Verdict.HIGHER if higher else Verdict.LOWER
    return Verdict.BETTER if higher == (better == "higher") else Verdict.WORSE


def compare(
    results: Results,
    baseline: str,
    *,
    measures: list[str] | None = None,
    statistic: str = "mean",
    confidence: float = 0.95,
    precision: float | None = None,
    burn_in: int = 0,
) -> Comparison:
    """Compare every policy of a batch with `baseline`, measure by measure.

    Args:
        results: an opened results folder.
        baseline: the policy the others are compared with.
        measures: measure names (default: the batch's headline measures, abuses and cost).
        statistic: "mean" (average over the run, the default: robust to per-step noise) or
            "final" (the last step) of each run.
        confidence: level of every interval.
        precision: target half-width of the difference intervals, in the measure's units,
            for the replicates-needed estimate (default: 5% of the baseline's mean).
        burn_in: with "mean", steps at the start left out of each run's average.

    """
    results.check_policy(baseline)
    if not 0 < confidence < 1:
        raise ResultsError(f"confidence must be between 0 and 1, got {confidence}")
    order = [baseline, *[p for p in results.policies if p != baseline]]
    rows = []
    names = default_measures(results) if measures is None else measures
    for measure in names:
        values = results.values(measure, statistic, burn_in)
        rows += _measure_rows(values, measure, results.info(measure).better, order,
                              confidence, precision)
    table = pd.DataFrame(rows)
    _rank(table)
    table["p_holm"] = holm(table["p_value"].to_numpy(dtype=float))
    table["holds"] = table["p_holm"] < 1 - confidence
    burn_in = burn_in if statistic == "mean" else 0
    return Comparison(table, baseline, statistic, confidence,
                      _warnings(results, table, baseline, burn_in), burn_in,
                      tuple(results.info(m) for m in dict.fromkeys(names)))


def _warnings(results: Results, table: pd.DataFrame, baseline: str,
              burn_in: int) -> list[str]:
    """Too few replicates, wide intervals, unfinished or failed runs, an unsettled start.

    Measures and precisions are told in the brief's plain units (per week, points).
    """
    warnings: list[str] = []
    counts = results.manifest.counts
    if counts.done < counts.planned:
        warnings.append(f"the batch is not complete ({counts.done} of {counts.planned} runs "
                        f"done, {counts.failed} failed): options are compared on the "
                        f"replicates both have")
    n = int(table["n"].min()) if len(table) else 0
    if n < MIN_REPLICATES:
        warnings.append(f"only {n} paired replicates: with fewer than {MIN_REPLICATES} the "
                        f"intervals are rough; rerun `ssrsim batch` with more --replicates")
    short = table[table["replicates_needed"] > table["n"]]
    for measure, group in short.groupby("measure", sort=False):
        info = results.info(str(measure))
        label = per_period(info.label, step_days(results))
        unit = plain_unit(info, results, baseline)
        precision = f"±{plain_number(unit.of(float(group['precision'].iloc[0])))} {unit.unit}"
        endless = group[np.isinf(group["replicates_needed"])]
        if len(endless):
            cause = ("the plausible worlds alone spread the difference wider: more runs will "
                     "not narrow it, more observed data would" if results.drawn
                     else "over ten million replicates would be needed")
            warnings.append(f"{label}: no number of runs gives difference intervals of "
                            f"{precision} for {', '.join(endless['policy'])}; {cause}")
        need = group.loc[~np.isinf(group["replicates_needed"]), "replicates_needed"]
        if len(need):
            span = (f"{int(need.min())}" if need.min() == need.max()
                    else f"{int(need.min())} to {int(need.max())}")
            runs = "paired runs (draws x replicates)" if results.drawn else "replicates"
            options = group.loc[need.index, "policy"]
            warnings.append(f"{label}: about {span} {runs} needed for difference intervals "
                            f"of {precision} (have {int(group['n'].min())}; options "
                            f"{', '.join(options)})")
    if _unsettled(results) and burn_in == 0:
        warnings.append("the runs start unsettled (time.spin_up_days is 0): run averages "
                        "include the start-up outburst; leave it out with --burn-in STEPS")
    return warnings


def _unsettled(results: Results) -> bool:
    """Whether the batch's runs had no spin-up (an older batch, unrecorded, counts as settled)."""
    return ((results.manifest.scenario.get("time") or {}).get("spin_up_days", 1)) == 0


def _measure_rows(values: pd.DataFrame, measure: str, better: str | None, order: list[str],
                  confidence: float, precision: float | None) -> list[dict]:
    """One row per policy, baseline (order[0]) first, from per-replicate values."""
    keys = [k for k in PAIR_KEYS if k in values.columns]
    by_unit = values.groupby(["policy", *keys])["value"].mean()
    base = by_unit.get(order[0], pd.Series(dtype=float))
    base_mean = float(base.mean()) if len(base) else math.nan
    target = precision if precision is not None else _default_precision(base)
    rows = []
    for policy in order:
        if policy not in by_unit.index.get_level_values(0):
            continue
        mine = by_unit[policy]
        paired = pd.concat([mine, base], axis=1, join="inner", keys=["x", "b"]).dropna()
        paired["d"] = _snap((paired["x"] - paired["b"]).to_numpy(), base_mean)
        diffs = paired["d"].to_numpy()
        spread = spread_of(paired["d"])
        mean, low, high = spread_of(mine).interval(confidence)
        diff, diff_low, diff_high = spread.interval(confidence)
        is_base = policy == order[0]
        verdict = Verdict.BASELINE if is_base else _verdict(diff_low, diff_high, better)
        small = verdict.distinguishable and abs(diff) < target
        worlds = (paired["d"].groupby(level=DRAW).mean().to_numpy() if DRAW in keys
                  else np.empty(0))
        rows.append({
            "measure": measure, "policy": policy, "better": better or "",
            "n": len(diffs), "mean": mean, "ci_low": low, "ci_high": high,
            "diff": math.nan if is_base else diff,
            "diff_low": math.nan if is_base else diff_low,
            "diff_high": math.nan if is_base else diff_high,
            "p_better": math.nan if is_base else prob_better(spread, better),
            "effect_size": math.nan if is_base else effect_size(diffs),
            "varies": bool(len(diffs) > 1 and np.std(diffs) > 0),
            "p_value": math.nan if is_base else p_value(spread),
            "sd_seed": math.nan if is_base else spread.sd_seed,
            "sd_worlds": math.nan if is_base else spread.sd_worlds,
            "agree": 0 if is_base else agreeing(diffs),
            "worlds": len(worlds), "worlds_agree": 0 if is_base else agreeing(worlds),
            "distinguishable": verdict.distinguishable,
            "verdict": verdict_text(verdict, small, target), "verdict_kind": verdict,
            "small": small,
            "precision": target,
            "replicates_needed": math.nan if is_base else replicates_needed(
                spread, target, confidence),
        })
    return rows


def _default_precision(base: pd.Series) -> float:
    """5% of the baseline's mean, or of its spread when the mean is (near) zero."""
    scale = abs(float(base.mean())) if len(base) else 0.0
    if scale < 1e-9 and len(base) > 1:
        scale = float(base.std(ddof=1))
    return 0.05 * scale


def _snap(diffs: np.ndarray, scale: float) -> np.ndarray:
    """Differences within floating-point noise of zero, set to zero."""
    tolerance = 1e-9 * max(1.0, abs(scale)) if math.isfinite(scale) else 0.0
    return np.where(np.abs(diffs) <= tolerance, 0.0, diffs)


def _rank(table: pd.DataFrame) -> None:
    """Rank options per measure by mean, best first (no rank without a better direction)."""
    table["rank"] = math.nan
    for _, group in table.groupby("measure", sort=False):
        better = group["better"].iloc[0]
        if better:
            order = group["mean"].rank(ascending=better == "lower", method="min")
            table.loc[group.index, "rank"] = order
