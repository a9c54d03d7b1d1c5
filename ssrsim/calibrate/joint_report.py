"""Reading a joint calibration: posterior per parameter, fit and predictions per case, figure.

Every number comes from the last generation's weighted particles: a parameter's posterior
median and 90% interval are weighted quantiles of its values; a point's predictive band is the
weighted quantiles of the model's value there over the particles (each particle one run per
case, so the band holds both parameter uncertainty and the runs' own randomness).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..figure_style import PALETTE, style
from ..scenario import load_scenario
from .fitted import write_extension
from .result import EDGE, NOT_CONSTRAINED, WEAKLY_CONSTRAINED
from .targets import Case, shown

if TYPE_CHECKING:
    from .joint import JointCalibration

LEVELS = {"p05": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}
"""The weighted quantiles kept: the 90% and 50% bands and the median."""


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]
                       ) -> np.ndarray:
    """Quantiles of weighted values (the weights' midpoint rule; NaN values left out)."""
    keep = np.isfinite(values)
    v, w = values[keep], weights[keep]
    if v.size == 0 or w.sum() <= 0:
        return np.full(len(qs), np.nan)
    order = np.argsort(v)
    v, w = v[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cum, v)


SHARED = "all (shared)"
"""The `case` of a shared parameter in `parameter_summary`."""


def parameter_summary(cal: JointCalibration) -> pd.DataFrame:
    """Per parameter: prior, posterior median and 90% interval, share of prior, verdict."""
    rows = []
    for p in cal.params:
        q = weighted_quantiles(cal.posterior[p.name].to_numpy(float), cal.weights,
                               [0.05, 0.5, 0.95])
        share = (q[2] - q[0]) / p.prior.width
        rows.append({"parameter": p.name, "case": p.case or SHARED,
                     "prior_low": p.prior.low, "prior_high": p.prior.high,
                     "posterior_median": q[1], "p05": q[0], "p95": q[2],
                     "interval_share": share, "verdict": _verdict(share, q, p.prior.low,
                                                                  p.prior.high)})
    return pd.DataFrame(rows)


def _verdict(share: float, q: np.ndarray, low: float, high: float) -> str:
    if share >= NOT_CONSTRAINED:
        text = "left open by the data (the 90% interval spans at least half the prior)"
    elif share >= WEAKLY_CONSTRAINED:
        text = "weakly fixed (the 90% interval spans a quarter to half of the prior)"
    else:
        text = "fixed by the data (the 90% interval spans under a quarter of the prior)"
    edge = EDGE * (high - low)
    if q[0] - low <= edge or high - q[2] <= edge:
        end = "low" if q[0] - low <= edge else "high"
        text += f"; the posterior reaches the prior's {end} end, so the prior may cut it off"
    return text


def point_table(cal: JointCalibration) -> pd.DataFrame:
    """Per point of every case: observed, predictive median and bands, fitted or held out."""
    rows = []
    for case in cal.cases:
        for point in case.points.itertuples(index=False):
            values = cal.predictive[point.key].to_numpy(float) if point.key in \
                cal.predictive else np.full(len(cal.weights), np.nan)
            q = dict(zip(LEVELS, weighted_quantiles(values, cal.weights, list(LEVELS.values())),
                         strict=True))
            rows.append({"case": case.name, "key": point.key, "date": point.date,
                         "measure": point.measure, "fitted": bool(point.fitted),
                         "observed": float(point.value), **q,
                         "in_50": bool(q["p25"] <= point.value <= q["p75"]),
                         "in_90": bool(q["p05"] <= point.value <= q["p95"]),
                         "direction": _direction(cal, case, point.key, point.measure,
                                                 point.date, float(point.value))
                         if not point.fitted else ""})
    return pd.DataFrame(rows)


def _direction(cal: JointCalibration, case: Case, key: str, measure: str, date: object,
               observed: float) -> str:
    """Whether the model predicted the way a held-out point moved from the last fitted one."""
    before = case.fitted[(case.fitted["measure"] == measure) & (case.fitted["date"] < date)]
    if before.empty:
        return "n/a (no earlier fitted point of this measure)"
    last = before.sort_values("date").iloc[-1]
    seen = observed - float(last["value"])
    change = cal.predictive[key].to_numpy(float) - cal.predictive[last["key"]].to_numpy(float)
    said = float(weighted_quantiles(change, cal.weights, [0.5])[0])
    if seen == 0 or not np.isfinite(said):
        return "n/a (no change observed)" if seen == 0 else "n/a (no prediction)"
    right = np.sign(seen) == np.sign(said)
    return (f"{'right' if right else 'wrong'}: observed {seen:+.3f} since {last['date']}, "
            f"predicted {said:+.3f}")


def case_summary(points: pd.DataFrame) -> pd.DataFrame:
    """Per case: fit (RMS of median - observed) and held-out coverage and direction."""
    rows = []
    for case, mine in points.groupby("case", sort=False):
        fit, held = mine[mine["fitted"]], mine[~mine["fitted"]]
        judged = held[held["direction"].str.match(r"right|wrong")]
        rows.append({
            "case": case, "fitted": len(fit),
            "fit_rms": float(np.sqrt(np.mean((fit["median"] - fit["observed"]) ** 2))),
            "fit_in_90": int(fit["in_90"].sum()), "held_out": len(held),
            "held_in_50": int(held["in_50"].sum()), "held_in_90": int(held["in_90"].sum()),
            "direction_judged": len(judged),
            "direction_right": int(judged["direction"].str.startswith("right").sum()),
        })
    return pd.DataFrame(rows)


def joint_markdown(cal: JointCalibration) -> str:
    """The calibration report (calibration.md)."""
    summary, points = parameter_summary(cal), point_table(cal)
    per_case = case_summary(points)
    pops = cal.populations
    lines = [
        f"# Joint calibration: {', '.join(c.name for c in cal.cases)}", "",
        f"ABC-SMC (pyabc): {_generations(pops)} generation(s) of {cal.population_size} "
        f"particles; each "
        f"particle runs every case {cal.replicates} time(s) (the median is compared). "
        f"{int(pops['runs'].sum())} runs in all; this call took {cal.seconds:.0f} s"
        + (f" and resumed a run of {cal.resumed} generation(s)." if cal.resumed else "."), "",
        "Distance: pyabc's adaptive 2-norm over every fitted point, each point's difference "
        "divided by its measure's scale (per generation, the median over the measure's points "
        "of the particles' median absolute deviation). Held-out points are not in it.", "",
        "## Generations", "",
        "| t | epsilon | accepted | proposed (model calls) | runs | seconds |",
        "|---|---|---|---|---|---|",
        *[f"| {r.t} | {r.epsilon:.4g} | {r.particles} | {r.samples} | {r.runs} | "
          f"{r.seconds:.0f} |" if r.t >= 0 else f"| prior sample | – | – | {r.samples} | "
          f"{r.runs} | – |" for r in pops.itertuples(index=False)],
        "", "## Parameters: prior and posterior", "",
        "| parameter | case | prior (uniform) | posterior median | 90% interval | share of "
        "prior | what the data say |", "|---|---|---|---|---|---|---|",
        *[f"| `{r.parameter}` | {r.case} | {r.prior_low:g} to {r.prior_high:g} | "
          f"{r.posterior_median:.4g} | {r.p05:.4g} to {r.p95:.4g} | {r.interval_share:.0%} | "
          f"{r.verdict} |" for r in summary.itertuples(index=False)],
        "", "Share of prior: the 90% interval's width over the prior's. A parameter the data "
        "fix has a narrow posterior; one they leave open keeps most of its prior.",
        "", "## Fit and predictions per case", "",
        "| case | fitted points | fit RMS (median − observed) | fitted in 90% band | held out "
        "| held out in 50% band | held out in 90% band | direction right |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {r.case} | {r.fitted} | {r.fit_rms:.3f} | {r.fit_in_90}/{r.fitted} | "
          f"{r.held_out} | {_share(r.held_in_50, r.held_out)} | "
          f"{_share(r.held_in_90, r.held_out)} | {_share(r.direction_right, r.direction_judged)}"
          f" |" for r in per_case.itertuples(index=False)],
        "", "A well-calibrated prediction puts about half the held-out points in its 50% band "
        "and nine in ten in its 90% band; with few points these shares are rough.", "",
        "| case | date | measure | role | observed | predictive median | 50% band | 90% band "
        "| direction of change |", "|---|---|---|---|---|---|---|---|---|",
        *[f"| {r.case} | {r.date} | `{r.measure}` | {'fitted' if r.fitted else 'held out'} | "
          f"{r.observed:.3f} | {r.median:.3f} | {r.p25:.3f} to {r.p75:.3f} | {r.p05:.3f} to "
          f"{r.p95:.3f} | {r.direction} |" for r in points.itertuples(index=False)],
        "", "## Cases", "",
        *[f"- {c.name}: `{shown(c.path)}` (policy {c.policy}), data `{shown(c.data_path)}`; "
          f"cut-off {c.until or 'none'}; {len(c.fitted)} fitted, {len(c.held_out)} held out, "
          f"{len(c.outside)} mapped observation(s) outside the run not used." for c in cal.cases],
        "", "## Files", "",
        *[f"- {kind}: `{path.name}`" for kind, path in cal.files.items()],
    ]
    return "\n".join(lines) + "\n"


def _generations(populations: pd.DataFrame) -> int:
    return int((populations["t"] >= 0).sum())


def _share(count: int, total: int) -> str:
    return f"{count}/{total}" if total else "–"


def format_joint(cal: JointCalibration) -> str:
    """The calibration for the terminal: parameters, per-case fit and predictions, files."""
    summary, points = parameter_summary(cal), point_table(cal)
    per_case = case_summary(points)
    pops = cal.populations
    lines = [f"ABC-SMC over {', '.join(c.name for c in cal.cases)}: {_generations(pops)} "
             f"generations x "
             f"{cal.population_size} particles, {int(pops['runs'].sum())} runs, "
             f"{cal.seconds:.0f} s; final epsilon {pops['epsilon'].iloc[-1]:.4g}", ""]
    lines += [f"{r.parameter:45s} prior {r.prior_low:g}..{r.prior_high:g}  median "
              f"{r.posterior_median:.4g}  90% {r.p05:.4g}..{r.p95:.4g} ({r.interval_share:.0%} "
              f"of prior)" for r in summary.itertuples(index=False)]
    lines.append("")
    lines += [f"{r.case}: fit RMS {r.fit_rms:.3f} over {r.fitted} point(s)"
              + (f"; held out {r.held_out}: {_share(r.held_in_50, r.held_out)} in 50% band, "
                 f"{_share(r.held_in_90, r.held_out)} in 90% band, direction right "
                 f"{_share(r.direction_right, r.direction_judged)}" if r.held_out else "")
              for r in per_case.itertuples(index=False)]
    lines += ["", f"report: {cal.files.get('report', cal.out)}"]
    return "\n".join(lines)


def joint_figure(cal: JointCalibration) -> Figure:
    """Top: each parameter's prior and posterior. Below: per case, observed points and bands."""
    summary, points = parameter_summary(cal), point_table(cal)
    n_par, n_case = len(cal.params), len(cal.cases)
    cols = max(n_par, 1)
    with style():
        fig = Figure(figsize=(max(8, 3 * cols), 3 + 3 * n_case), layout="constrained")
        grid = fig.add_gridspec(1 + n_case, cols)
        for j, p in enumerate(cal.params):
            ax = fig.add_subplot(grid[0, j])
            ax.hist(cal.posterior[p.name], bins=15, range=(p.prior.low, p.prior.high),
                    weights=cal.weights, density=True, color=PALETTE[0], alpha=0.7,
                    label="posterior")
            ax.axhline(1 / p.prior.width, color=PALETTE[6], linestyle="--", linewidth=1,
                       label="prior")
            ax.axvline(float(summary.iloc[j]["posterior_median"]), color=PALETTE[3])
            ax.set_title(p.name, fontsize=8)
            if j == 0:
                ax.legend(frameon=False, fontsize=7)
        for i, case in enumerate(cal.cases):
            ax = fig.add_subplot(grid[1 + i, :])
            _case_panel(ax, points[points["case"] == case.name], case)
        fig.suptitle("Joint calibration: posterior (top) and predictive bands per case")
    return fig


def _case_panel(ax: Axes, mine: pd.DataFrame, case: Case) -> None:
    for k, (measure, rows) in enumerate(mine.groupby("measure", sort=False)):
        when = pd.to_datetime(rows["date"])
        colour = PALETTE[k % len(PALETTE)]
        ax.vlines(when, rows["p05"], rows["p95"], color=colour, linewidth=1, alpha=0.5)
        ax.vlines(when, rows["p25"], rows["p75"], color=colour, linewidth=4, alpha=0.6)
        fit = rows["fitted"].to_numpy(bool)
        ax.scatter(when[fit], rows["observed"][fit], color=colour, marker="o", zorder=3,
                   label=f"{measure}: observed, fitted")
        ax.scatter(when[~fit], rows["observed"][~fit], facecolors="none", edgecolors=colour,
                   marker="o", zorder=3, label=f"{measure}: observed, held out")
    if case.until is not None:
        ax.axvline(pd.Timestamp(case.until), color=PALETTE[6], linestyle=":", linewidth=1)
    ax.set_title(f"{case.name}: observed points, model's 50% (thick) and 90% (thin) bands",
                 fontsize=9)
    ax.legend(frameon=False, fontsize=7, loc="best")


def write_case_scenario(cal: JointCalibration, case: Case, target: str | Path,
                        posterior: Path) -> Path:
    """Write `case` calibrated: its scenario extended with the posterior medians that apply.

    The header says how to run every plausible world (`--posterior`), not just the medians.
    The name stays the case's, so a batch of it takes the case's posterior columns.
    """
    target = Path(target)
    rows = [r for r in parameter_summary(cal).itertuples(index=False)
            if r.case in (case.name, SHARED)]
    by_name = {p.name: p for p in cal.params}
    others = [c.name for c in cal.cases if c.name != case.name]
    generations = int((cal.populations["t"] >= 0).sum())
    fit = (f"ABC-SMC joint fit of {', '.join(c.name for c in cal.cases)}, "
           f"{cal.population_size} particles, {generations} generations")
    values = {by_name[r.parameter].path: float(f"{r.posterior_median:.4g}") for r in rows}
    comments = {by_name[r.parameter].path:
                f"calibrated: {fit}; 90% interval [{r.p05:.3g}, {r.p95:.3g}] (prior "
                f"[{r.prior_low:g}, {r.prior_high:g}])" for r in rows}
    report = Path(os.path.relpath(cal.out.resolve(), target.resolve().parent)) / "calibration.md"
    header = [
        f"# {case.name}, calibrated by `ssrsim calibrate --cases`"
        + (f" jointly with {', '.join(others)}" if others else "")
        + f" (pyabc ABC-SMC); report: {report.as_posix()}",
        f"# Fitted points: {len(case.fitted)}"
        + (f" (observations up to {case.until}; {len(case.held_out)} later ones held out)"
           if case.until else "") + ".",
        "# Each calibrated parameter is set to its posterior median: one plausible world. To",
        "# run in many (the parameters' uncertainty beside the seeds'):",
        f"#   ssrsim batch {target.as_posix()} --posterior {posterior.as_posix()} --draws 20",
    ]
    base = load_scenario(case.path, overrides=cal.overrides)
    return write_extension(target, case.path, base, values, comments, header, cal.overrides,
                           case.name, case.name)
