"""Global sensitivity indices from a batch whose design is Morris or Saltelli (SALib).

The design's points and the SALib problem they were sampled from are read back from the
manifest, points in SALib's sample order (point index = row), and each point's output is the
mean over its replicates of one run statistic ("mean" over the run, or "final"), for one
policy. Morris gives elementary-effect screening
(mu, mu*, sigma); Saltelli gives Sobol' first-order (S1), total (ST) and, when the design
was sampled for it, second-order (S2) indices. Analysis reads the results folder only.
"""

from __future__ import annotations

import math
import warnings as pywarnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..scenario.schema import Sweep
from .results import Results, ResultsError

METHODS = ("morris", "saltelli")
"""Design methods that sensitivity indices can be computed from."""

NOISE_WARNING = 0.2
"""Share of the output variance due to replicate noise above which a warning is given."""

WIDE_SOBOL = 0.1
"""Sobol' confidence half-widths above this are flagged as not resolving the indices."""

FEW_TRAJECTORIES = 10
"""Morris designs with fewer trajectories than this are flagged as a rough screening."""

MORRIS_COLUMNS = ("mu", "mu_star", "sigma", "mu_star_conf")
SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")


@dataclass(frozen=True)
class Sensitivity:
    """Sensitivity indices: one row per measure and parameter.

    Attributes:
        table: columns measure, parameter, then mu, mu_star, sigma, mu_star_conf (Morris) or
            S1, S1_conf, ST, ST_conf (Saltelli), and rank (1 = most influential, by mu_star
            or ST, within each measure).
        method: "morris" or "saltelli".
        policy: the policy whose runs were analysed.
        statistic: the run statistic ("mean" or "final").
        confidence: level of the bootstrap confidence half-widths (the *_conf columns).
        points: design points.
        replicates: fewest replicates at any design point.
        interactions: Saltelli with second order: measure, parameter, other, S2, S2_conf.
        warnings: things to keep in mind when reading the indices.

    """

    table: pd.DataFrame
    method: str
    policy: str
    statistic: str = "mean"
    confidence: float = 0.95
    points: int = 0
    replicates: int = 0
    interactions: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def sensitivity(
    results: Results,
    *,
    measures: Sequence[str] | None = None,
    policy: str | None = None,
    statistic: str = "mean",
    confidence: float = 0.95,
) -> Sensitivity:
    """Morris or Sobol' sensitivity indices of each measure to the design's parameters.

    Args:
        results: an opened results folder whose design is Morris or Saltelli.
        measures: measure names (default: the batch's headline measures).
        policy: the policy to analyse (default: the batch's only policy).
        statistic: "mean" (average over the run) or "final" (last step) of each run.
        confidence: level of the bootstrap confidence intervals.

    Raises:
        ResultsError: the design is not Morris or Saltelli, points have no finished run,
            or a measure, policy or argument is not valid.

    """
    sweep = _sweep(results)
    problem = _problem(results)
    policy = _choose_policy(results, policy)
    if not 0 < confidence < 1:
        raise ResultsError(f"confidence must be between 0 and 1, got {confidence}")
    if results.summary.empty:
        raise ResultsError(f"no run of {results.root} has finished yet "
                           f"({_progress(results)}); finish the batch by running the same "
                           f"`ssrsim batch` command again")
    names = list(measures) if measures else results.headline
    for name in names:
        results.check_measure(name)
    x = _design_matrix(results, problem["names"])
    _check_point_count(len(x), sweep)
    seed = _bootstrap_seed(results)
    rows: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    notes: list[str] = []
    replicates = math.inf
    for name in names:
        y, noise, fewest = _outputs(results, name, policy, statistic, len(x))
        replicates = min(replicates, fewest)
        notes += _noise_notes(name, y, noise)
        if sweep.method == "morris":
            rows += _morris_rows(problem, x, y, sweep.levels, confidence, seed, name)
        else:
            found, second = _sobol_rows(problem, y, sweep.second_order, confidence, seed, name)
            rows += found
            pairs += second
    table = _ranked(pd.DataFrame(rows), sweep.method)
    notes += _design_notes(table, sweep, len(x))
    interactions = pd.DataFrame(pairs) if sweep.method == "saltelli" and sweep.second_order \
        else None
    return Sensitivity(table, sweep.method, policy, statistic, confidence, len(x),
                       int(replicates), interactions, notes)


def _sweep(results: Results) -> Sweep:
    """The batch's sweep, refusing designs that are not Morris or Saltelli."""
    method = results.design_method
    if method not in METHODS:
        raise ResultsError(
            f"this batch's design is {method}; sensitivity needs a Morris or Saltelli "
            f"design: declare `sweep: {{method: morris, ...}}` and rerun ssrsim batch")
    raw = results.manifest.scenario.get("sweep")
    if not raw:
        raise ResultsError(f"{results.root}: the manifest's scenario has no sweep block, so "
                           f"the {method} design's ranges and levels are unknown")
    try:
        return Sweep.model_validate(raw)
    except ValidationError as exc:
        raise ResultsError(f"{results.root}: the manifest's sweep block is not valid: "
                           f"{exc}") from exc


def _problem(results: Results) -> dict[str, Any]:
    """The SALib problem (names, bounds) the batch's design was sampled from."""
    problem = results.manifest.design.problem
    if problem is None:
        raise ResultsError(f"{results.root}: the manifest records no SALib problem for its "
                           f"{results.design_method} design; rerun the batch")
    return problem


def _choose_policy(results: Results, policy: str | None) -> str:
    """The policy to analyse: the one named, or the only one."""
    if policy is not None:
        results.check_policy(policy)
        return policy
    if len(results.policies) == 1:
        return results.policies[0]
    raise ResultsError(f"the batch has {len(results.policies)} policies "
                       f"({', '.join(results.policies)}); choose one for the sensitivity "
                       f"analysis (policy=...)")


def _design_matrix(results: Results, names: list[str]) -> np.ndarray:
    """The design points from the manifest, in SALib's sample order, as floats."""
    points = results.manifest.design.points
    if not points:
        raise ResultsError(f"{results.root}: the manifest lists no design points")
    try:
        return np.array([[float(p[n]) for n in names] for p in points], dtype=float)
    except KeyError as exc:
        raise ResultsError(f"{results.root}: design points lack parameter {exc}") from exc


def _check_point_count(count: int, sweep: Sweep) -> None:
    """Refuse a number of points that is not a whole Morris or Saltelli sample."""
    d = len(sweep.parameters)
    if sweep.method == "morris":
        block, what = d + 1, f"{d + 1} points per trajectory"
    else:
        block = 2 * d + 2 if sweep.second_order else d + 2
        what = f"{block} points per base sample"
    if count % block:
        raise ResultsError(f"the design has {count} points, not a whole {sweep.method} "
                           f"sample ({what} for {d} parameters)")


def _outputs(results: Results, measure: str, policy: str, statistic: str, count: int
             ) -> tuple[np.ndarray, float, int]:
    """Y per design point (mean over replicates), the noise variance of Y, fewest replicates."""
    values = results.values(measure, statistic)
    values = values[values["policy"] == policy].dropna(subset=["value"])
    grouped = values.groupby("point")["value"]
    y = grouped.mean().reindex(range(count))
    missing = int(y.isna().sum())
    if missing:
        raise ResultsError(
            f"{missing} of {count} design points have no finished run of policy {policy!r} "
            f"for {measure} ({_progress(results)}); finish the batch by running the same "
            f"`ssrsim batch` command again")
    sizes = grouped.size()
    return y.to_numpy(dtype=float), _noise_variance(values), int(sizes.min())


def _progress(results: Results) -> str:
    """The batch's status and run counts, in words."""
    counts = results.manifest.counts
    return (f"batch status {results.manifest.status}: {counts.done} of {counts.planned} runs "
            f"done, {counts.failed} failed")


def _noise_variance(values: pd.DataFrame) -> float:
    """Variance of replicate noise left in the per-point means (NaN with one replicate).

    Replicates share their seed across design points (common random numbers), so a
    replicate's shift common to all points cancels out of the indices; what remains is the
    point-by-replicate interaction, estimated by two-way residuals when every point has the
    same replicates (otherwise by the within-point variance, which overstates it).
    """
    grid = values.pivot_table(index="point", columns="replicate", values="value")
    points, reps = grid.shape
    if reps < 2:
        return math.nan
    if not grid.isna().to_numpy().any() and points > 1:
        resid = (grid.sub(grid.mean(axis=1), axis=0).sub(grid.mean(axis=0), axis=1)
                 + grid.to_numpy().mean())
        return float((resid.to_numpy() ** 2).sum() / ((points - 1) * (reps - 1)) / reps)
    grouped = values.groupby("point")["value"]
    return float((grouped.var(ddof=1) / grouped.size()).mean())


def _noise_notes(measure: str, y: np.ndarray, noise: float) -> list[str]:
    """A warning when replicate noise is a large share of the variance of Y."""
    total = float(np.var(y, ddof=1)) if len(y) > 1 else 0.0
    if total == 0:
        return [f"{measure} does not vary over the design: its indices are undefined (NaN) "
                f"or zero"]
    if math.isnan(noise):
        return [f"{measure}: one replicate per point, so replicate noise cannot be told "
                f"from parameter effects; run more --replicates"]
    share = noise / total
    if share > NOISE_WARNING:
        return [f"{measure}: replicate noise is about {min(share, 1):.0%} of the variance "
                f"across design points, which blurs the indices; run more --replicates"]
    return []


def _design_notes(table: pd.DataFrame, sweep: Sweep, points: int) -> list[str]:
    """Warnings about a design too small for its indices."""
    d = len(sweep.parameters)
    if sweep.method == "morris":
        trajectories = points // (d + 1)
        if trajectories < FEW_TRAJECTORIES:
            return [f"only {trajectories} Morris trajectories: a rough screening (10 to 50 "
                    f"are usual); raise sweep.samples"]
        return []
    widest = float(table[["S1_conf", "ST_conf"]].max().max())
    if widest > WIDE_SOBOL:
        base = points // (2 * d + 2 if sweep.second_order else d + 2)
        return [f"Sobol' confidence half-widths reach {widest:.2f} with a base sample of "
                f"{base}: the indices are not resolved; raise sweep.samples (hundreds to "
                f"thousands are usual)"]
    return []


def _morris_rows(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int,
                 confidence: float, seed: int, measure: str) -> list[dict[str, Any]]:
    """Morris mu, mu*, sigma and the mu* confidence half-width for each parameter."""
    from SALib.analyze import morris

    with np.errstate(all="ignore"), pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", RuntimeWarning)
        found = morris.analyze(problem, x, y, conf_level=confidence, num_levels=levels,
                               seed=seed)
    return [{"measure": measure, "parameter": name,
             **{k: float(found[k][i]) for k in MORRIS_COLUMNS}}
            for i, name in enumerate(problem["names"])]


def _sobol_rows(problem: dict[str, Any], y: np.ndarray, second_order: bool,
                confidence: float, seed: int, measure: str
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sobol' S1 and ST (and S2 pairs) with bootstrap confidence half-widths."""
    from SALib.analyze import sobol

    names = problem["names"]
    d = len(names)
    if np.ptp(y) == 0:
        found: dict[str, Any] = {k: np.full(d, math.nan) for k in SOBOL_COLUMNS}
        found["S2"] = found["S2_conf"] = np.full((d, d), math.nan)
    else:
        with np.errstate(all="ignore"), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)
            found = sobol.analyze(problem, y, calc_second_order=second_order,
                                  conf_level=confidence, seed=seed)
    rows = [{"measure": measure, "parameter": name,
             **{k: float(found[k][i]) for k in SOBOL_COLUMNS}}
            for i, name in enumerate(names)]
    pairs = [{"measure": measure, "parameter": names[i], "other": names[j],
              "S2": float(found["S2"][i, j]), "S2_conf": float(found["S2_conf"][i, j])}
             for i in range(d) for j in range(i + 1, d)] if second_order else []
    return rows, pairs


def _ranked(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Add each parameter's rank within its measure (1 = most influential)."""
    key = "mu_star" if method == "morris" else "ST"
    table["rank"] = table.groupby("measure", sort=False)[key].rank(
        ascending=False, method="min").astype("Int64")
    return table


def _bootstrap_seed(results: Results) -> int:
    """A fixed, non-zero seed for SALib's bootstrap (SALib ignores a seed of 0)."""
    return results.manifest.root_seed % (2**31 - 2) + 1
