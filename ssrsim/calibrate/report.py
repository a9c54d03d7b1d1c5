"""The calibration report: figure, Markdown and terminal text."""

from __future__ import annotations

import datetime as dt

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import spearmanr

from ..figure_style import PALETTE, style
from ..scenario import Scenario
from .result import CHANCE_DRAWS, DISTANCE, Calibration


def calibration_figure(cal: Calibration, series: pd.DataFrame, scenario: Scenario) -> Figure:
    """Prior vs posterior histograms per parameter; model medians over time vs observed."""
    measures = list(dict.fromkeys(cal.observations["measure"]))
    n = len(cal.params)
    with style():
        fig = Figure(figsize=(max(9, 3.2 * n), 3.0 + 3.2 * len(measures)), layout="constrained")
        grid = fig.add_gridspec(1 + len(measures), n)
        for j, name in enumerate(cal.params):
            ax = fig.add_subplot(grid[0, j])
            prior = cal.priors[name]
            bins = np.linspace(prior.low, prior.high,
                               min(20, max(5, cal.samples // 2)) + 1).tolist()
            ax.hist(cal.points[name], bins=bins, color=PALETTE[7], alpha=0.5,
                    label=f"prior ({cal.samples} points)")
            ax.hist(cal.posterior[name], bins=bins, color=PALETTE[0],
                    label=f"posterior ({len(cal.posterior)} accepted)")
            row = cal.summary.iloc[j]
            ax.axvspan(row["p05"], row["p95"], color=PALETTE[0], alpha=0.12,
                       label="posterior 90% interval")
            ax.axvline(row["posterior_median"], color=PALETTE[3], linewidth=1.5,
                       label="posterior median")
            ax.set_xlim(prior.low, prior.high)
            ax.set_xlabel(name)
            ax.set_ylabel("points")
            ax.legend(frameon=False, fontsize=7)
        accepted = set(cal.posterior["point"])
        best = int(cal.posterior["point"].iloc[0])
        for i, measure in enumerate(measures):
            ax = fig.add_subplot(grid[1 + i, :])
            med = series.groupby(["point", "step"])[measure].median().reset_index()
            for point, rows in med.groupby("point"):
                when = pd.to_datetime([scenario.step_date(int(s)) for s in rows["step"]])
                if point == best:
                    continue
                chosen = point in accepted
                ax.plot(when, rows[measure], color=PALETTE[0] if chosen else PALETTE[7],
                        linewidth=1.0 if chosen else 0.5, alpha=0.8 if chosen else 0.35,
                        zorder=2 if chosen else 1)
            rows = med[med["point"] == best]
            ax.plot(pd.to_datetime([scenario.step_date(int(s)) for s in rows["step"]]),
                    rows[measure], color=PALETTE[3], linewidth=1.8, zorder=3,
                    label="best point (median of replicates)")
            ax.plot([], [], color=PALETTE[0], label="accepted points")
            ax.plot([], [], color=PALETTE[7], label="other prior points")
            obs = cal.observations[cal.observations["measure"] == measure]
            ax.scatter(pd.to_datetime(obs["date"]), obs["value"], color="black", s=30,
                       zorder=4, label="observed")
            ax.set_ylabel(measure)
            ax.legend(loc="best", frameon=False, fontsize=8)
            locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        fig.suptitle(f"{cal.name}: ABC rejection calibration of {', '.join(cal.params)}")
    return fig


def _command(cal: Calibration) -> str:
    parts = [f"ssrsim calibrate {cal.scenario_path.as_posix()}", f"--params {','.join(cal.params)}",
             f"--samples {cal.samples}", f"--replicates {cal.replicates}",
             f"--accept {cal.accept:g}", f"--seed {cal.root_seed}"]
    parts += [f"--bounds {p}={pr.low:g}:{pr.high:g}" for p, pr in cal.priors.items()]
    parts += [f"--set {o}" for o in cal.overrides]
    return " ".join(parts)


def calibration_markdown(cal: Calibration) -> str:
    """The calibration report (calibration.md)."""
    dist = cal.points["distance"]
    accepted = cal.posterior
    lines = [
        f"# Calibration of {cal.name}: ABC rejection", "",
        f"Scenario `{cal.scenario_path.as_posix()}`, policy `{cal.policy}`, root seed "
        f"{cal.root_seed}; written {dt.date.today().isoformat()}. The runs took "
        f"{cal.run_seconds:.0f} s (summed over runs); this call took {cal.seconds:.0f} s.", "",
        f"    {_command(cal)}", "",
        "## Method", "",
        f"Approximate Bayesian computation by rejection. A uniform prior on each parameter; "
        f"{cal.samples} points drawn by Latin hypercube sampling; "
        f"{plural(cal.replicates, 'replicate')} per point ({cal.samples * cal.replicates} runs, "
        f"{cal.failed} failed; "
        f"every point of a replicate shares its seed). Distance of a point: the {DISTANCE}. "
        f"The {len(accepted)} points with the smallest distance (accept = {cal.accept:g}) are "
        f"the posterior sample; the posterior median and 90% interval are its median and its "
        f"5th and 95th percentiles.", "",
        "## Prior", "",
        "| parameter | allowed by the schema | prior (uniform) | type |",
        "|---|---|---|---|",
        *[f"| `{p}` | {pr.schema} | {pr.low:g} to {pr.high:g} | "
          f"{'whole number' if pr.integer else 'real'} |" for p, pr in cal.priors.items()],
        "",
        "## Data", "",
        f"{len(cal.observations)} observation(s) with a model measure inside the run (rows "
        f"`observed_only` or dated outside the run are not used):", "",
        "| date | measure | step | observed | indicator |", "|---|---|---|---|---|",
        *[f"| {o.date} | `{o.measure}` | {o.step} | {o.value:.3g} | {o.indicator} |"
          for o in cal.observations.itertuples(index=False)],
        "",
        "## Distances", "",
        f"- best point: {dist.min():.4f}; worst accepted: {accepted['distance'].max():.4f}; "
        f"median over all points: {dist.median():.4f}; worst: {dist.max():.4f}.",
        f"- floor: {cal.floor:.4f}. " + (
            "No model output can get below it, because observations of the same measure at "
            "the same step differ and the model gives one value for them." if cal.floor > 0
            else "No two observations of one measure share a step, so a perfect fit is "
                 "possible in principle."),
        "- replicate noise: " + (
            f"the median standard deviation between replicates at the observations is "
            f"{cal.noise:.4f} (the median of {cal.replicates} replicates is less noisy than "
            f"that); differences in distance much smaller than this are not meaningful."
            if np.isfinite(cal.noise) else
            "not measured (one replicate per point); differences in distance include the "
            "runs' own randomness."),
        "",
        "## Posterior", "",
        "| parameter | prior range | posterior median | 90% interval | share of prior | "
        "random picks: typical share | rank correlation with distance | identifiability |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| `{r.parameter}` | {r.prior_low:g} to {r.prior_high:g} | "
          f"{r.posterior_median:.4g} | {r.p05:.4g} to {r.p95:.4g} | {r.interval_share:.0%} | "
          f"{r.chance_share:.0%} | {r.rank_correlation:+.2f} | {r.verdict} |"
          for r in cal.summary.itertuples(index=False)],
        "",
        f"Share of prior: the 90% interval's width over the prior's. Random picks: the same "
        f"interval for {len(accepted)} points drawn at random from the {cal.samples} prior "
        f"points ({CHANCE_DRAWS} draws), what the interval would be if the distance said "
        f"nothing. Rank correlation: Spearman's, between the parameter and the distance over "
        f"all points (negative: larger values fit better).",
        "",
        "## Fitted against observed", "",
        f"Model medians over replicates at each observation: the best point (point "
        f"{int(cal.best['point'])}, "
        + ", ".join(f"`{p}` = {cal.best[p]:.4g}" for p in cal.params)
        + "), the median and range over the accepted points, and the range over all points "
          "of the prior.", "",
        "| date | measure | observed | best point | best − observed | accepted: median "
        "(range) | all points: range |", "|---|---|---|---|---|---|---|",
        *[f"| {f.date} | `{f.measure}` | {f.observed:.3f} | {f.best:.3f} | "
          f"{f.best_difference:+.3f} | {f.accepted_median:.3f} ({f.accepted_low:.3f} to "
          f"{f.accepted_high:.3f}) | {f.all_low:.3f} to {f.all_high:.3f} |"
          for f in cal.fit.itertuples(index=False)],
        "",
        "## What this says", "",
        *[f"- {line}" for line in conclusions(cal)],
        "",
        "## Files", "",
        *[f"- {kind}: `{path.name}`" for kind, path in cal.files.items()],
        "- runs: `runs/` (a batch results folder; run the same command again to resume or "
        "reuse it)",
    ]
    return "\n".join(lines) + "\n"


def conclusions(cal: Calibration) -> list[str]:
    """Plain statements on what the calibration found and what it cannot show."""
    out = []
    for row in cal.summary.itertuples(index=False):
        out.append(f"`{row.parameter}`: {row.verdict}.")
        rho = row.rank_correlation
        if not np.isfinite(rho):
            continue
        if abs(rho) < 0.3:
            out.append(f"Over all {cal.samples} points the distance has no clear monotone "
                       f"relation to `{row.parameter}` (Spearman {rho:+.2f}).")
            continue
        way = "falls" if rho < 0 else "rises"
        text = (f"Over all {cal.samples} points the distance {way} as `{row.parameter}` "
                f"rises (Spearman rank correlation {rho:+.2f})")
        if row.verdict.startswith("not constrained"):
            text += (", so the data do depend on it, but the best points do not single out "
                     "a value")
        out.append(text + ".")
    out += _trade_offs(cal)
    reach = cal.fit
    outside = reach[(reach["observed"] < reach["all_low"])
                    | (reach["observed"] > reach["all_high"])]
    if len(outside):
        verb = "lies" if len(outside) == 1 else "lie"
        out.append(f"{len(outside)} of {len(reach)} observations {verb} outside the range of "
                   f"model medians over the whole prior: no parameter value tried reaches "
                   f"{'it' if len(outside) == 1 else 'them'}, so the accepted points are the "
                   f"least bad, not a fit.")
    best = float(cal.points["distance"].min())
    if best > cal.floor + max(0.02, 2 * cal.noise if np.isfinite(cal.noise) else 0.0):
        out.append(f"The best distance ({best:.3f}) stays well above the floor "
                   f"({cal.floor:.3f}): within this prior the model does not reproduce the data.")
    else:
        out.append(f"The best distance ({best:.3f}) is close to the floor ({cal.floor:.3f}): "
                   f"within this prior the model can match the data about as well as one "
                   f"value per measure and date allows.")
    if len(cal.posterior) < 10:
        out.append(f"The posterior rests on {len(cal.posterior)} accepted points; its median "
                   f"and 90% interval are rough. More --samples sharpen them.")
    return out


def _trade_offs(cal: Calibration) -> list[str]:
    """Pairs of parameters that rise or fall together among the best points (a ridge)."""
    usable = cal.points[np.isfinite(cal.points["distance"])].sort_values("distance")
    best = usable.head(max(5, len(usable) // 4))
    out = []
    for i, a in enumerate(cal.params):
        for b in cal.params[i + 1:]:
            if best[a].nunique() < 3 or best[b].nunique() < 3:
                continue
            rho = float(spearmanr(best[a], best[b]).statistic)
            if abs(rho) >= 0.5:
                way = "tend to rise together" if rho > 0 else "tend to move in opposite " \
                    "directions"
                out.append(f"Among the best {len(best)} points, `{a}` and `{b}` {way} "
                           f"(Spearman {rho:+.2f}): the data constrain a combination of the "
                           f"two more than either alone: read their marginal intervals with "
                           f"care, and note that fitted.yaml's combination of medians may fit "
                           f"worse than the best point (rank 1 in posterior.csv).")
    return out


def format_calibration(cal: Calibration) -> str:
    """The calibration for the terminal: posterior per parameter, the fit, files."""
    header = ["parameter", "prior", "posterior median", "90% interval", "share of prior"]
    rows = [[r.parameter, f"{r.prior_low:g} to {r.prior_high:g}", f"{r.posterior_median:.4g}",
             f"{r.p05:.4g} to {r.p95:.4g}", f"{r.interval_share:.0%}"]
            for r in cal.summary.itertuples(index=False)]
    fit_header = ["date", "measure", "observed", "best point", "best - obs", "accepted range"]
    fit_rows = [[str(f.date), f.measure, f"{f.observed:.3f}", f"{f.best:.3f}",
                 f"{f.best_difference:+.3f}", f"{f.accepted_low:.3f} to {f.accepted_high:.3f}"]
                for f in cal.fit.itertuples(index=False)]
    dist = cal.points["distance"]
    lines = [
        f"{cal.name}: ABC rejection, {cal.samples} points x {plural(cal.replicates, 'replicate')} "
        f"(policy {cal.policy!r}, {cal.failed} failed runs, {cal.seconds:.0f} s); accepted "
        f"the best {len(cal.posterior)} ({cal.accept:g})",
        f"distance: RMS of model median minus observed over {len(cal.observations)} "
        f"observations; best {dist.min():.4f}, accepted up to "
        f"{cal.posterior['distance'].max():.4f}, median {dist.median():.4f}; floor "
        f"{cal.floor:.4f}, replicate noise "
        f"{f'{cal.noise:.4f}' if np.isfinite(cal.noise) else 'not measured (1 replicate)'}",
        "", *_table(header, rows), "", *_table(fit_header, fit_rows), "",
        *conclusions(cal), "",
        "files: " + ", ".join(str(p) for p in cal.files.values()),
    ]
    return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    """"3 runs", "1 run": a count with its noun."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
