"""Charts of a batch's results, as PNG and SVG files (matplotlib, Agg; no pyplot state).

Each chart has a builder that returns matplotlib Figures keyed by file stem (used by the
HTML report, which embeds them) and a writer that saves them as `<stem>.png` and
`<stem>.svg` in a folder and returns the paths. Policies keep one colour in every chart.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..figure_style import PALETTE, date_axis, mark_event, style
from ..results_format import EventMarker, MeasureInfo
from .compare import Comparison, t_interval
from .results import Results, ResultsError
from .sensitivity import Sensitivity

BANDS = ((0.05, 0.95, 0.18), (0.25, 0.75, 0.35))
"""Quantile bands of the fan charts (low, high, opacity): 90% and 50% of runs."""

POLICY_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#000000",
                  "#999933", "#882255", "#999999", "#56B4E9")
"""Policy colours: Okabe–Ito's distinct hues first, sky blue (close to blue) only last."""

BASELINE_COLOUR = "#7f7f7f"
"""The baseline in each panel of a fan chart."""

SMOOTH_DAYS = 28
"""Fan charts show each run's rolling mean over this many days, so weekly noise does not hide
the differences between options."""


def label(info: MeasureInfo) -> str:
    """A readable name of a measure, with which way is better."""
    return f"{info.label} ({info.better} is better)" if info.better else info.label


def short_label(measure: str) -> str:
    """A measure's name as words, for small panels."""
    return measure.replace("_", " ").capitalize()


def policy_colours(policies: Sequence[str]) -> dict[str, str]:
    """A fixed colour per policy, in the batch's policy order (no two alike up to ten)."""
    return {p: POLICY_PALETTE[i % len(POLICY_PALETTE)] for i, p in enumerate(policies)}


def events_within(events: Sequence[EventMarker], last_step: int) -> list[EventMarker]:
    """The events that happen after the start and by `last_step` (the ones a run shows)."""
    return [e for e in events if 0 < e.step <= last_step]


def fan_figures(results: Results, measures: Sequence[str] | None = None,
                baseline: str | None = None) -> dict[str, Figure]:
    """Per measure: each option's median and 50%/90% bands of its runs over calendar time.

    One panel per option beside the baseline's median and 50% band (default baseline: the
    batch's first policy); each run is first smoothed over `SMOOTH_DAYS`.
    """
    names = list(measures) if measures else results.headline
    series = results.timeseries(["date", *names])
    series["date"] = pd.to_datetime(series["date"])
    colours = policy_colours(results.policies)
    events = events_within(results.manifest.events, int(series["step"].max()))
    window = _smoothing_steps(series)
    first = baseline or results.policies[0]
    return {f"fan_{_safe(name)}": _fan(_smooth(series, name, window), results.info(name),
                                       colours, first, events, window)
            for name in names}


def _smoothing_steps(series: pd.DataFrame) -> int:
    """Steps in `SMOOTH_DAYS` (at least 1), from the dates of the series."""
    days = series.drop_duplicates("step").sort_values("step")["date"].diff().dt.days
    step_days = float(days.median()) if days.notna().any() else 7.0
    return max(1, round(SMOOTH_DAYS / max(step_days, 1.0)))


def _smooth(series: pd.DataFrame, measure: str, window: int) -> pd.DataFrame:
    """Each run's rolling mean of a measure over `window` steps."""
    out = series[["run_id", "policy", "step", "date", measure]].sort_values(["run_id", "step"])
    out[measure] = out.groupby("run_id")[measure].transform(
        lambda x: x.rolling(window, min_periods=1).mean())
    return out


def _fan(series: pd.DataFrame, info: MeasureInfo, colours: dict[str, str], baseline: str,
         events: list[EventMarker], window: int) -> Figure:
    measure = info.name
    present = [p for p in colours if p in set(series["policy"])]
    others = [p for p in present if p != baseline] or present
    cols = min(3, len(others))
    rows = -(-len(others) // cols)
    quantiles = {p: series[series["policy"] == p].groupby("date")[measure].quantile(
        [0.05, 0.25, 0.5, 0.75, 0.95]).unstack() for p in present}
    with style():
        fig = Figure(figsize=(4.4 * cols, 0.8 + 2.6 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
        for ax, policy in zip(axes.flat, others, strict=False):
            if policy != baseline and baseline in quantiles:
                base = quantiles[baseline]
                ax.fill_between(base.index, base[0.25], base[0.75], color=BASELINE_COLOUR,
                                alpha=0.25, linewidth=0)
                ax.plot(base.index, base[0.5], color=BASELINE_COLOUR, linewidth=1.2)
            q = quantiles[policy]
            for low, high, alpha in BANDS:
                ax.fill_between(q.index, q[low], q[high], color=colours[policy], alpha=alpha,
                                linewidth=0)
            ax.plot(q.index, q[0.5], color=colours[policy], linewidth=1.6)
            runs = series.loc[series["policy"] == policy, "run_id"].nunique()
            ax.set_title(f"{policy} ({runs} runs)", fontsize=9, color=colours[policy])
            for event in events:
                mark_event(ax, pd.Timestamp(event.date))
            date_axis(ax, max_ticks=4)
            ax.xaxis.set_tick_params(labelbottom=True)
        for ax in list(axes.flat)[len(others):]:
            ax.set_visible(False)
        smoothing = f"{SMOOTH_DAYS}-day rolling mean of each run" if window > 1 else "each run"
        fig.suptitle(f"{label(info)}: median, 50% and 90% of runs ({smoothing}); grey: "
                     f"{baseline}'s median and 50%; dashed: events", fontsize=10)
    return fig


def distribution_figures(results: Results, measures: Sequence[str] | None = None,
                         statistic: str = "mean") -> dict[str, Figure]:
    """Per measure: a box plot and every run's value, per policy."""
    names = list(measures) if measures else results.headline
    colours = policy_colours(results.policies)
    return {f"distribution_{statistic}_{_safe(name)}":
            _distribution(results.values(name, statistic), results.info(name), statistic,
                          colours)
            for name in names}


def _distribution(values: pd.DataFrame, info: MeasureInfo, statistic: str,
                  colours: dict[str, str]) -> Figure:
    policies = [p for p in colours if p in set(values["policy"])]
    data = [values.loc[values["policy"] == p, "value"].dropna().to_numpy() for p in policies]
    jitter = np.random.default_rng(0)
    with style():
        fig = Figure(figsize=(8, 1.0 + 0.6 * max(len(policies), 2)), layout="constrained")
        ax = fig.add_subplot()
        boxes = ax.boxplot(data, orientation="horizontal", widths=0.6, showfliers=False,
                           patch_artist=True, medianprops={"color": "black"})
        for patch, policy in zip(boxes["boxes"], policies, strict=True):
            patch.set_facecolor(colours[policy])
            patch.set_alpha(0.35)
        for i, (points, policy) in enumerate(zip(data, policies, strict=True), start=1):
            ax.scatter(points, i + jitter.uniform(-0.15, 0.15, len(points)), s=14,
                       color=colours[policy], alpha=0.8, zorder=3, linewidths=0)
        ax.set_yticks(range(1, len(policies) + 1), policies)
        ax.invert_yaxis()
        word = "mean over each run" if statistic == "mean" else "value at the last step"
        ax.set_title(label(info))
        ax.set_xlabel(f"{info.name} ({word}; one point per run)")
    return fig


def cost_figure(source: Comparison | Results, *, outcome: str = "trust",
                statistic: str = "mean", confidence: float = 0.95,
                policies: Sequence[str] | None = None) -> dict[str, Figure]:
    """Mean spending per step against the mean outcome, per policy, with intervals.

    From a Comparison, its table's `spent` and `outcome` rows are used (and its statistic
    and confidence); from Results, Student-t intervals over each policy's runs. `policies`
    orders the colours (default: the batch's order, or the baseline first).
    """
    if isinstance(source, Comparison):
        points = _points_from_comparison(source, outcome)
        statistic, confidence = source.statistic, source.confidence
        order = [source.baseline, *source.table["policy"]]
    else:
        points = _points_from_results(source, outcome, statistic, confidence)
        order = source.policies
    info = source.info(outcome)
    colours = policy_colours(list(dict.fromkeys([*(policies or []), *order])))
    by_height = sorted(points, key=lambda p: points[p][outcome][0])
    with style():
        fig = Figure(figsize=(7, 5), layout="constrained")
        ax = fig.add_subplot()
        for policy, p in points.items():
            ax.errorbar(p["spent"][0], p[outcome][0],
                        xerr=_errors(p["spent"]), yerr=_errors(p[outcome]),
                        fmt="o", color=colours[policy], capsize=3, markersize=7)
            right = by_height.index(policy) % 2 == 0
            ax.annotate(policy, (p["spent"][0], p[outcome][0]), textcoords="offset points",
                        xytext=(7 if right else -7, 4), ha="left" if right else "right",
                        fontsize=9, color=colours[policy])
        word = "mean over the run" if statistic == "mean" else "last step"
        ax.set_xlabel(f"Programme spending per step ({word}; lower is cheaper)")
        ax.set_ylabel(f"{label(info)} ({word})")
        ax.set_title(f"Cost and {outcome}: policy means with {confidence:.0%} intervals")
    return {f"cost_vs_{_safe(outcome)}": fig}


def _points_from_comparison(comparison: Comparison, outcome: str
                            ) -> dict[str, dict[str, tuple[float, float, float]]]:
    table = comparison.table
    found = set(table["measure"])
    missing = [m for m in ("spent", outcome) if m not in found]
    if missing:
        raise ResultsError(f"the comparison has no rows for {', '.join(missing)}; compare "
                           f"with measures that include spent and {outcome} "
                           f"(it has {', '.join(dict.fromkeys(table['measure']))})")
    points: dict[str, dict[str, tuple[float, float, float]]] = {}
    for row in table[table["measure"].isin(["spent", outcome])].itertuples():
        points.setdefault(str(row.policy), {})[str(row.measure)] = (
            row.mean, row.ci_low, row.ci_high)
    return points


def _points_from_results(results: Results, outcome: str, statistic: str, confidence: float
                         ) -> dict[str, dict[str, tuple[float, float, float]]]:
    points: dict[str, dict[str, tuple[float, float, float]]] = {}
    for measure in ("spent", outcome):
        values = results.values(measure, statistic)
        for policy, group in values.groupby("policy", sort=False):
            points.setdefault(str(policy), {})[measure] = t_interval(
                group["value"].dropna().to_numpy(), confidence)
    return {p: points[p] for p in results.policies if p in points}


def _errors(triple: tuple[float, float, float]) -> np.ndarray | None:
    mean, low, high = triple
    if np.isnan(low) or np.isnan(high):
        return None
    return np.array([[mean - low], [high - mean]])


def sensitivity_figure(sens: Sensitivity) -> dict[str, Figure]:
    """Bars of mu* (Morris) or S1 and ST (Sobol') per parameter, one panel per measure."""
    measures = list(dict.fromkeys(sens.table["measure"]))
    params = list(dict.fromkeys(sens.table["parameter"]))
    cols = min(3, len(measures))
    rows = -(-len(measures) // cols)
    with style():
        fig = Figure(figsize=(4.2 * cols, 0.9 + rows * (0.6 + 0.45 * len(params))),
                     layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        for ax, measure in zip(axes.flat, measures, strict=False):
            mine = sens.table[sens.table["measure"] == measure].set_index("parameter")
            _bars(ax, mine.reindex(params), sens.method)
            ax.set_title(short_label(measure), fontsize=10)
        for ax in list(axes.flat)[len(measures):]:
            ax.set_visible(False)
        axes[0][0].legend(loc="lower right", frameon=False)
        what = "Morris mu* (mean absolute elementary effect)" if sens.method == "morris" \
            else "Sobol' indices"
        fig.suptitle(f"{what}, policy {sens.policy}; bars: {sens.confidence:.0%} bootstrap "
                     f"intervals")
    return {f"sensitivity_{sens.method}": fig}


def _bars(ax: Axes, table: pd.DataFrame, method: str) -> None:
    y = np.arange(len(table))
    if method == "morris":
        ax.barh(y, table["mu_star"], xerr=table["mu_star_conf"], color=PALETTE[0],
                capsize=2, label="mu*")
        ax.plot(table["sigma"], y, "D", color=PALETTE[3], markersize=4, label="sigma")
    else:
        ax.barh(y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], color=PALETTE[0],
                capsize=2, label="S1 (alone)")
        ax.barh(y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], color=PALETTE[1],
                capsize=2, label="ST (with interactions)")
    ax.set_yticks(y, list(table.index))
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)


def save(figures: dict[str, Figure], folder: str | Path) -> list[Path]:
    """Write each figure as `<stem>.png` and `<stem>.svg`; returns the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with style():
        for stem, fig in figures.items():
            png, svg = out / f"{stem}.png", out / f"{stem}.svg"
            fig.savefig(png, format="png", metadata={"Software": None})
            fig.savefig(svg, format="svg", metadata={"Date": None})
            paths += [png, svg]
    return paths


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """A figure as PNG bytes (for embedding)."""
    buffer = io.BytesIO()
    with style():
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def fan_charts(results: Results, measures: Sequence[str] | None, folder: str | Path,
               baseline: str | None = None) -> list[Path]:
    """Fan charts (median, 50% and 90% of runs over calendar time, per policy) per measure."""
    return save(fan_figures(results, measures, baseline), folder)


def final_distributions(results: Results, measures: Sequence[str] | None, statistic: str,
                        folder: str | Path) -> list[Path]:
    """Box plots with every run's value ("mean" or "final" statistic), per measure."""
    return save(distribution_figures(results, measures, statistic), folder)


def cost_vs_outcome(source: Comparison | Results, folder: str | Path, *,
                    outcome: str = "trust", statistic: str = "mean",
                    confidence: float = 0.95, policies: Sequence[str] | None = None
                    ) -> list[Path]:
    """Mean spending per step against the mean outcome per policy, with intervals."""
    return save(cost_figure(source, outcome=outcome, statistic=statistic,
                            confidence=confidence, policies=policies), folder)


def sensitivity_bars(sens: Sensitivity, folder: str | Path) -> list[Path]:
    """Bar charts of the sensitivity indices, one panel per measure."""
    return save(sensitivity_figure(sens), folder)


def _safe(name: str) -> str:
    """A file-name-safe version of a measure name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
