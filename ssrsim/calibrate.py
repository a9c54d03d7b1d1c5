"""Calibration of a case scenario to its observed data (`ssrsim calibrate`).

Approximate Bayesian computation (ABC) by rejection, over one batch of runs:

1. **Prior.** Each named parameter is uniform between its schema bounds, or between the
   bounds given (which must lie inside the schema's). Integer parameters are drawn uniformly
   over the whole numbers of their range.
2. **Simulation.** `samples` points are drawn by Latin hypercube sampling
   (`scipy.stats.qmc.LatinHypercube`, seeded from the root seed), written as a design CSV and
   run as one batch (`replicates` runs per point, the scenario's `status_quo` policy or the
   scenario as written) into `<out>/runs`, so runs stream to disk and an interrupted
   calibration resumes. Every point of a replicate shares its seed (common random numbers).
3. **Summary statistics.** For each observation with a model measure inside the run (as
   `ssrsim.cases` maps them: the same measure names and date-to-step rule), the model's median
   over a point's replicates at the observation's step.
4. **Distance.** Per point, the root mean squared difference between those medians and the
   observed values, every observation weighted equally in its own unit.
5. **Acceptance.** The `accept` fraction of points with the smallest distance (rounded; at
   least one) is the posterior sample.

Writes `points.csv` (every point and its distance), `posterior.csv` (the accepted points),
`calibration.md`, `calibration.png`/`.svg` and `fitted.yaml` (a scenario that `extends:` the
original and sets each parameter to its posterior median) to `out`.

>>> cal = calibrate("scenarios/liberia.yaml", ["trust.engagement_gain"], samples=32)
>>> print(format_calibration(cal))
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pydantic import BaseModel
from scipy.stats import qmc, spearmanr

from .analysis.figures import PALETTE, STYLE, save
from .analysis.results import ResultsError, load_results
from .batch import NO_POLICY, BatchInputError, execute_batch, prepare_batch
from .batch.design import current_value, design_rng
from .cases import OBSERVED_ONLY, data_path, load_observations
from .scenario import Scenario, ScenarioError, apply_changes, load_scenario
from .scenario._types import constraints, strip

DISTANCE = ("root mean squared difference between the model's median over replicates and the "
            "observed value, over every observation with a model measure inside the run, each "
            "weighted equally in its own unit")
"""What a point's distance is (said in every report)."""

NOT_CONSTRAINED = 0.5
"""A posterior 90% interval covering at least this share of the prior range: not constrained."""

WEAKLY_CONSTRAINED = 0.25
"""... at least this share (and less than NOT_CONSTRAINED): weakly constrained."""

CHANCE_DRAWS = 2000
"""Random picks of as many prior points as were accepted, to judge an interval's width."""

CHANCE_LEVEL = 0.1
"""If random picks are as narrow as the posterior this often, the data do not constrain."""

EDGE = 0.02
"""Accepted points within this share of the prior range from an end "reach" that end."""

CHANCE_STREAM = 2**32 - 2
"""Spawn key of the random picks' stream (the design uses 2**32 - 1)."""


class CalibrationError(ResultsError):
    """A calibration that cannot be done as asked (a ValueError, as every ResultsError)."""


@dataclass(frozen=True)
class Prior:
    """The uniform prior of one parameter."""

    path: str
    low: float
    high: float
    integer: bool
    schema: str
    """The schema's range in words, e.g. "between 0 and 1" or ">= 0"."""

    @property
    def midpoint(self) -> float:
        """The middle of the range (rounded for an integer parameter)."""
        mid = (self.low + self.high) / 2
        return float(round(mid)) if self.integer else mid

    @property
    def width(self) -> float:
        """The range's length, high - low."""
        return self.high - self.low


@dataclass(frozen=True)
class Calibration:
    """The result of `calibrate`.

    Attributes:
        scenario_path: the calibrated scenario file.
        name: the scenario's name.
        params: the calibrated parameter paths, in the order given.
        priors: each parameter's uniform prior (bounds, integer or not).
        samples: points drawn from the prior.
        replicates: runs per point.
        accept: the fraction of points accepted.
        policy: the policy run ("status_quo" or "none").
        root_seed: the seed of the design and of the replicates' seeds.
        observations: the observations compared (model measure, inside the run), with `step`.
        points: every point: `point`, the parameter values, `runs`, `distance`, `accepted`.
        posterior: the accepted points, best first, with `rank`.
        summary: per parameter: prior range, posterior median, 5% and 95% quantiles, the
            interval's share of the prior range, the typical share for as many points picked
            at random from the prior (`chance_share`) and how often random picks are as
            narrow (`chance_as_narrow`), Spearman's rank correlation of the parameter with
            the distance over all points, and a verdict on identifiability.
        fit: per observation: observed, the best point's model median, the range over the
            accepted points and over all points, the posterior-median of accepted points.
        floor: the smallest distance any model output could reach (observations of one
            measure at one step that differ, which one model value cannot all meet).
        noise: median between-replicate standard deviation at the observations.
        out: the calibration folder; its runs are in `out/runs`.
        files: every file written, by kind.
        failed: runs that failed (left out of the medians).
        seconds: wall time of the call (runs found on disk from an earlier call cost none).
        overrides: the `path=value` changes applied to every run.
        run_seconds: the runs' own wall times, summed (however many calls ran them).

    """

    scenario_path: Path
    name: str
    params: tuple[str, ...]
    priors: dict[str, Prior]
    samples: int
    replicates: int
    accept: float
    policy: str
    root_seed: int
    observations: pd.DataFrame
    points: pd.DataFrame
    posterior: pd.DataFrame
    summary: pd.DataFrame
    fit: pd.DataFrame
    floor: float
    noise: float
    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    failed: int = 0
    seconds: float = 0.0
    overrides: tuple[str, ...] = ()
    run_seconds: float = 0.0

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """The prior bounds per parameter."""
        return {p: (prior.low, prior.high) for p, prior in self.priors.items()}

    @property
    def best(self) -> pd.Series:
        """The accepted point with the smallest distance."""
        return self.posterior.iloc[0]


def parse_bounds(texts: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Read `--bounds` arguments `path=LO:HI` into {path: (lo, hi)}.

    Raises:
        CalibrationError: naming the argument that is not of that form.

    """
    bounds: dict[str, tuple[float, float]] = {}
    for text in texts:
        path, sep, rest = text.partition("=")
        low, colon, high = rest.partition(":")
        try:
            if not (sep and colon and path.strip()):
                raise ValueError
            bounds[path.strip()] = (float(low), float(high))
        except ValueError:
            raise CalibrationError(f"--bounds {text!r} is not of the form path=LO:HI, e.g. "
                                   f"trust.engagement_gain=0:0.1") from None
    return bounds


def calibrate(
    scenario_path: str | Path,
    params: Sequence[str],
    *,
    samples: int = 64,
    replicates: int = 3,
    accept: float = 0.1,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    data: str | Path | None = None,
    force_new: bool = False,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> Calibration:
    """Calibrate parameters of a case scenario to its observations by ABC rejection.

    Args:
        scenario_path: the case scenario file.
        params: dotted parameter paths to calibrate (`trust.engagement_gain`).
        samples: points drawn from the prior (Latin hypercube).
        replicates: runs per point; the model's median over them is compared.
        accept: the fraction of points, those with the smallest distance, accepted (0 < accept
            <= 1; at least one point is accepted).
        bounds: prior bounds {path: (low, high)}, inside the schema's bounds; needed for a
            parameter whose schema range is open-ended.
        workers: local worker processes (None: all cores; 0: run in this process).
        out: the calibration folder (default `results/<name>-calibrate`); the batch goes to
            its `runs/` subfolder and is resumed when the same calibration is run again.
        seed: root seed of the design and the replicates (default: the scenario's `seed`).
        overrides: `path=value` changes (as `--set`) applied to every run, and written into
            `fitted.yaml` as well.
        data: the observation CSV (default `data/cases/<name>.csv`, see `ssrsim.cases`).
        force_new: delete a different batch found in `out/runs` instead of refusing.
        on_progress: called with (runs done, runs failed, runs to do) as runs finish.

    Returns:
        A Calibration; print it with `format_calibration`.

    Raises:
        CalibrationError: bad arguments (accept, samples, replicates, bounds), an unknown or
            non-numeric parameter, an open-ended schema range without `bounds`, no observation
            with a model measure inside the run, a results folder holding another batch, or no
            finished run — all before any run starts, except the last.
        CaseDataError: no observation file, or a bad one.
        ScenarioError: a bad scenario file or override.

    """
    started = time.perf_counter()
    params = _check_arguments(params, samples, replicates, accept, bounds or {})
    path = Path(scenario_path)
    changes = [*overrides, *([f"seed={seed}"] if seed is not None else [])]
    scenario = load_scenario(path, overrides=changes)
    priors = {p: _prior(scenario, p, (bounds or {}).get(p)) for p in params}
    _check_together(scenario, priors)
    source = Path(data) if data is not None else data_path(path, scenario)
    observations = _compared(load_observations(path, data=source, overrides=changes), source,
                             scenario)
    chosen = "status_quo" if "status_quo" in scenario.policies else NO_POLICY
    folder = Path(out) if out is not None else Path("results") / f"{scenario.name}-calibrate"
    folder.mkdir(parents=True, exist_ok=True)
    design = prior_design(priors, samples, scenario.seed)
    design_file = folder / "design.csv"
    design.to_csv(design_file, index=False)
    try:
        batch = prepare_batch(path, out=folder / "runs", replicates=replicates,
                              policies=[chosen], overrides=changes, design_file=design_file,
                              force_new=force_new)
    except BatchInputError as exc:
        raise CalibrationError(f"cannot calibrate {path}: {exc}") from exc
    report = execute_batch(batch, workers=workers, on_progress=on_progress)
    if report.interrupted:
        raise CalibrationError(f"calibration of {path} {report.interrupted} after "
                               f"{report.already_done + report.done} of {report.planned} runs; "
                               f"finished runs are kept in {folder / 'runs'}: run the same "
                               f"command again to resume")
    if report.done + report.already_done == 0:
        why = next(iter(report.errors.values()), "no error recorded").strip()
        raise CalibrationError(f"no run of {path} finished in {folder / 'runs'}: {why}")
    planned = {spec.run_id for spec in batch.runs}
    results = load_results(folder / "runs")
    run_seconds = sum(float(r.get("seconds") or 0) for r in results.manifest.get("runs", [])
                      if r.get("run_id") in planned)
    measures = sorted(set(observations["measure"]))
    series = results.timeseries(measures)
    series = series[series["run_id"].isin(planned)]
    medians, spread, runs = _point_medians(series, observations, len(design))
    points = _points(design, medians, observations, runs, accept)
    posterior = points[points["accepted"]].sort_values(["distance", "point"]).copy()
    posterior.insert(0, "rank", range(1, len(posterior) + 1))
    posterior = posterior.reset_index(drop=True)
    cal = Calibration(
        scenario_path=path, name=scenario.name, params=tuple(params), priors=priors,
        samples=samples, replicates=replicates, accept=accept, policy=chosen,
        root_seed=scenario.seed, observations=observations, points=points,
        posterior=posterior, summary=_summary(priors, points, posterior, scenario.seed),
        fit=_fit(observations, medians, points, posterior), floor=_floor(observations),
        noise=float(np.nanmedian(spread)) if np.isfinite(spread).any() else math.nan,
        out=folder, failed=report.failed, overrides=tuple(overrides), run_seconds=run_seconds,
    )
    files = {"design": design_file, "points": folder / "points.csv",
             "posterior": folder / "posterior.csv"}
    points.to_csv(files["points"], index=False)
    posterior.to_csv(files["posterior"], index=False)
    files["fitted"] = write_fitted(cal, folder / "fitted.yaml")
    figure = calibration_figure(cal, series, scenario)
    for figure_path in save({"calibration": figure}, folder):
        files[figure_path.suffix.lstrip(".")] = figure_path
    files["report"] = folder / "calibration.md"
    seconds = time.perf_counter() - started
    cal = replace(cal, files=files, seconds=seconds)
    files["report"].write_text(calibration_markdown(cal))
    return cal


# --- checks and the prior -------------------------------------------------------------------


def _check_arguments(params: Sequence[str], samples: int, replicates: int, accept: float,
                     bounds: Mapping[str, tuple[float, float]]) -> list[str]:
    if isinstance(params, str):
        params = [p for p in params.split(",")]
    names = [p.strip() for p in params]
    if not names or any(not p for p in names):
        raise CalibrationError(f"name the parameters to calibrate as dotted paths, e.g. "
                               f"--params trust.engagement_gain,trust.abuse_loss; got "
                               f"{','.join(params)!r}")
    repeated = sorted({p for p in names if names.count(p) > 1})
    if repeated:
        raise CalibrationError(f"parameter(s) named twice: {', '.join(repeated)}")
    if not (isinstance(accept, int | float) and 0 < accept <= 1):
        raise CalibrationError(f"--accept must be a fraction in (0, 1] of the points to "
                               f"accept, e.g. 0.1; got {accept!r}")
    if samples < 2:
        raise CalibrationError(f"--samples must be at least 2 points, got {samples}")
    if replicates < 1:
        raise CalibrationError(f"--replicates must be at least 1, got {replicates}")
    stray = sorted(set(bounds) - set(names))
    if stray:
        raise CalibrationError(f"--bounds given for {', '.join(stray)}, which is not among the "
                               f"parameters calibrated ({', '.join(names)}); add it to --params")
    return names


def _prior(scenario: Scenario, path: str, given: tuple[float, float] | None) -> Prior:
    """The uniform prior of one parameter; raises CalibrationError for a bad path or range."""
    target = _field_of(scenario, path)
    annotation, metadata = strip(target.annotation)
    if annotation not in (int, float):
        kind = getattr(annotation, "__name__", str(annotation))
        raise CalibrationError(f"cannot calibrate {path}: it is a {kind} parameter, not a number")
    integer = annotation is int
    limits = constraints(target, metadata)
    schema_low, low_open = _limit(limits, "ge", "gt")
    schema_high, high_open = _limit(limits, "le", "lt")
    schema = _range_text(schema_low, low_open, schema_high, high_open)
    if given is None:
        if schema_low is None or schema_high is None:
            raise CalibrationError(
                f"{path} has no finite prior range: the schema allows {schema}; give one with "
                f"--bounds {path}=LO:HI")
        low, high = schema_low, schema_high
        if integer:
            low, high = low + low_open, high - high_open
        elif low_open or high_open:
            # An open end: pull the prior in by a hair so no draw sits on a forbidden value.
            eps = 1e-9 * (high - low)
            low, high = low + eps * low_open, high - eps * high_open
    else:
        low, high = (float(given[0]), float(given[1]))
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise CalibrationError(f"--bounds {path}={low:g}:{high:g}: need finite LO < HI")
        below = schema_low is not None and (low < schema_low or (low_open and low == schema_low))
        above = schema_high is not None and (high > schema_high
                                             or (high_open and high == schema_high))
        if below or above:
            raise CalibrationError(f"--bounds {path}={low:g}:{high:g} lies outside the "
                                   f"parameter's allowed range ({schema})")
        if integer:
            low, high = float(math.ceil(low)), float(math.floor(high))
    if integer and high - low < 1:
        raise CalibrationError(f"{path} is a whole number and its prior range holds only "
                               f"{low:g}; widen --bounds")
    return Prior(path, float(low), float(high), integer, schema)


def _field_of(scenario: Scenario, path: str):
    """The pydantic field a dotted path names; a CalibrationError if it names none."""
    try:
        apply_changes(scenario, {path: current_value(scenario, path)}, source="--params")
    except ScenarioError as exc:
        why = "; ".join(issue.message for issue in exc.issues) or str(exc)
        raise CalibrationError(f"--params: cannot calibrate {path}: {why}") from exc
    keys = path.split(".")
    node: Any = scenario
    for key in keys[:-1]:
        if isinstance(node, BaseModel):
            node = getattr(node, key)
        elif isinstance(node, list | tuple):
            node = node[int(key)] if key.isdigit() else next(
                item for item in node if getattr(item, "name", None) == key)
        else:
            node = None
            break
    if not isinstance(node, BaseModel) or keys[-1] not in type(node).model_fields:
        raise CalibrationError(f"cannot calibrate {path}: it is not a single numeric parameter")
    return type(node).model_fields[keys[-1]]


def _limit(limits: dict[str, Any], closed: str, open_: str) -> tuple[float | None, bool]:
    """A bound of the schema's range and whether it is open; None if there is none."""
    if closed in limits:
        value, is_open = limits[closed], False
    elif open_ in limits:
        value, is_open = limits[open_], True
    else:
        return None, False
    value = float(value)
    return (value, is_open) if math.isfinite(value) else (None, False)


def _range_text(low: float | None, low_open: bool, high: float | None, high_open: bool) -> str:
    if low is None and high is None:
        return "any number"
    if low is not None and high is not None and not (low_open or high_open):
        return f"{low:g} to {high:g}"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def _check_together(scenario: Scenario, priors: dict[str, Prior]) -> None:
    """Every parameter at its prior midpoint must give a valid scenario (e.g. shares)."""
    mid = {p: (int(prior.midpoint) if prior.integer else prior.midpoint)
           for p, prior in priors.items()}
    try:
        apply_changes(scenario, mid, source="calibration prior midpoint")
    except ScenarioError as exc:
        raise CalibrationError(f"the parameters at their prior midpoints do not give a valid "
                               f"scenario (a design of them would fail):\n{exc}") from exc


def _compared(observations: pd.DataFrame, source: Path, scenario: Scenario) -> pd.DataFrame:
    """The observations a calibration uses: a model measure and a step inside the run."""
    mapped = observations[observations["measure"] != OBSERVED_ONLY]
    inside = mapped[mapped["in_run"]].reset_index(drop=True)
    if inside.empty:
        why = (f"{len(mapped)} with a model measure, all dated outside the run "
               f"({scenario.time.start_date} to {scenario.step_date(scenario.time.steps)})"
               if len(mapped) else "none has a model measure (all are observed_only)")
        raise CalibrationError(f"nothing to calibrate against in {source}: of "
                               f"{len(observations)} observations, {why}")
    inside["step"] = inside["step"].astype(int)
    return inside


def prior_design(priors: Mapping[str, Prior], samples: int, root_seed: int) -> pd.DataFrame:
    """`samples` Latin hypercube points of the priors: one column per parameter path.

    The unit hypercube comes from `scipy.stats.qmc.LatinHypercube` with the batch design's
    random stream of the root seed, so the same calibration draws the same points. Integer
    parameters are spread evenly over the whole numbers of their range.
    """
    names = list(priors)
    unit = qmc.LatinHypercube(d=len(names), rng=design_rng(root_seed)).random(samples)
    columns = {}
    for j, name in enumerate(names):
        prior = priors[name]
        if prior.integer:
            whole = np.floor(prior.low + unit[:, j] * (prior.width + 1))
            columns[name] = np.clip(whole, prior.low, prior.high).astype(np.int64)
        else:
            columns[name] = prior.low + unit[:, j] * prior.width
    return pd.DataFrame(columns)


# --- distances ------------------------------------------------------------------------------


def _point_medians(series: pd.DataFrame, observations: pd.DataFrame, n_points: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model median and replicate SD per (point, observation); finished runs per point."""
    steps = sorted(set(observations["step"]))
    at = series[series["step"].isin(steps)]
    medians = np.full((n_points, len(observations)), np.nan)
    spread = np.full((n_points, len(observations)), np.nan)
    for measure in sorted(set(observations["measure"])):
        grouped = at.groupby(["point", "step"])[measure]
        med, sd = grouped.median(), grouped.std()
        for i, obs in enumerate(observations.itertuples(index=False)):
            if obs.measure != measure:
                continue
            for (point, step), value in med.items():
                if step == obs.step and 0 <= point < n_points:
                    medians[point, i] = value
                    spread[point, i] = sd.get((point, step), np.nan)
    runs = series.groupby("point")["run_id"].nunique().reindex(range(n_points), fill_value=0)
    return medians, spread, runs.to_numpy()


def _points(design: pd.DataFrame, medians: np.ndarray, observations: pd.DataFrame,
            runs: np.ndarray, accept: float) -> pd.DataFrame:
    """Every point with its distance and whether it is accepted."""
    observed = observations["value"].to_numpy(dtype=float)
    squared = (medians - observed) ** 2
    complete = np.isfinite(squared).all(axis=1)
    distance = np.where(complete, np.sqrt(np.nanmean(np.where(complete[:, None], squared, 0),
                                                     axis=1)), np.nan)
    points = design.copy()
    points.insert(0, "point", range(len(design)))
    points["runs"] = runs
    points["distance"] = distance
    usable = points[np.isfinite(distance)].sort_values(["distance", "point"])
    if usable.empty:
        raise CalibrationError("no point has a finished run at every observation's step")
    keep = max(1, round(accept * len(usable)))
    points["accepted"] = points["point"].isin(usable["point"].iloc[:keep])
    return points


def _floor(observations: pd.DataFrame) -> float:
    """The smallest distance one model value per (measure, step) can reach."""
    values = observations["value"].astype(float)
    means = values.groupby([observations["measure"], observations["step"]]).transform("mean")
    return float(np.sqrt(np.mean((values - means) ** 2)))


def _summary(priors: Mapping[str, Prior], points: pd.DataFrame, posterior: pd.DataFrame,
             root_seed: int) -> pd.DataFrame:
    """Per parameter: the posterior median and 90% interval, and how much the data say."""
    usable = points[np.isfinite(points["distance"])]
    rng = np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(CHANCE_STREAM,)))
    picks = np.array([rng.choice(len(usable), size=len(posterior), replace=False)
                      for _ in range(CHANCE_DRAWS)])
    rows = []
    for name, prior in priors.items():
        values = posterior[name].astype(float)
        p05, median, p95 = (float(values.quantile(q)) for q in (0.05, 0.5, 0.95))
        if prior.integer:
            median = float(np.rint(median))
        share = (p95 - p05) / prior.width
        every = usable[name].to_numpy(dtype=float)[picks]
        chance = (np.quantile(every, 0.95, axis=1) - np.quantile(every, 0.05, axis=1)) \
            / prior.width
        as_narrow = float(np.mean(chance <= share + 1e-12))
        rho = float(spearmanr(usable[name], usable["distance"]).statistic) \
            if usable[name].nunique() > 1 else math.nan
        rows.append({"parameter": name, "prior_low": prior.low, "prior_high": prior.high,
                     "posterior_median": median, "p05": p05, "p95": p95,
                     "interval_share": share, "chance_share": float(np.median(chance)),
                     "chance_as_narrow": as_narrow, "rank_correlation": rho,
                     "verdict": _verdict(prior, p05, p95, len(posterior),
                                         float(np.median(chance)), as_narrow)})
    return pd.DataFrame(rows)


def _verdict(prior: Prior, p05: float, p95: float, accepted: int, chance: float,
             as_narrow: float) -> str:
    share = (p95 - p05) / prior.width
    if accepted < 3:
        return (f"only {accepted} point(s) accepted: too few to judge; raise --samples or "
                f"--accept")
    if share >= NOT_CONSTRAINED:
        text = (f"not constrained: the accepted points span {share:.0%} of the prior range, "
                f"so the data do not pin this parameter down")
    elif as_narrow > CHANCE_LEVEL:
        text = (f"not constrained: the 90% interval covers {share:.0%} of the prior range, but "
                f"{accepted} points picked at random from the prior are as narrow "
                f"{as_narrow:.0%} of the time (typically {chance:.0%}), so the data do not pin "
                f"this parameter down")
    else:
        strength = "weakly constrained" if share >= WEAKLY_CONSTRAINED else "constrained"
        text = (f"{strength}: the 90% interval covers {share:.0%} of the prior range "
                f"({accepted} points picked at random: typically {chance:.0%}, as narrow "
                f"{as_narrow:.0%} of the time)")
    if min(p05 - prior.low, prior.high - p95) <= EDGE * prior.width:
        end = "lower" if p05 - prior.low <= prior.high - p95 else "upper"
        text += (f"; the accepted points reach the {end} end of the prior, so the data may ask "
                 f"for a value at or beyond it (widen --bounds if the schema allows)")
    return text


def _fit(observations: pd.DataFrame, medians: np.ndarray, points: pd.DataFrame,
         posterior: pd.DataFrame) -> pd.DataFrame:
    """Per observation: observed beside the best point, the accepted points and all points."""
    best = int(posterior["point"].iloc[0])
    accepted = posterior["point"].to_numpy()
    rows = []
    for i, obs in enumerate(observations.itertuples(index=False)):
        mine, every = medians[accepted, i], medians[:, i]
        rows.append({
            "date": obs.date, "measure": obs.measure, "indicator": obs.indicator,
            "step": int(obs.step), "observed": float(obs.value),
            "best": float(medians[best, i]), "best_difference": float(medians[best, i] -
                                                                      obs.value),
            "accepted_median": float(np.nanmedian(mine)),
            "accepted_low": float(np.nanmin(mine)), "accepted_high": float(np.nanmax(mine)),
            "all_low": float(np.nanmin(every)), "all_high": float(np.nanmax(every)),
        })
    return pd.DataFrame(rows)


# --- fitted.yaml ----------------------------------------------------------------------------


def write_fitted(cal: Calibration, target: str | Path) -> Path:
    """Write a scenario that extends the calibrated one with each posterior median.

    Each calibrated value carries the comment "calibrated: ABC rejection, N=…, accepted …,
    90% interval [a, b]". The calibration's overrides are written too (its runs used them).
    Values inside a list (`districts.north.police`) are written by giving the whole list,
    since `extends:` replaces lists. The file is loaded back to check it is valid.

    Raises:
        CalibrationError: if the written file does not validate.

    """
    target = Path(target)
    values = {row.parameter: _written_value(cal.priors[row.parameter], row.posterior_median)
              for row in cal.summary.itertuples(index=False)}
    comments = {}
    for row in cal.summary.itertuples(index=False):
        comments[row.parameter] = (
            f"calibrated: ABC rejection, N={cal.samples} points x "
            f"{_n(cal.replicates, 'replicate')}, "
            f"accepted {len(cal.posterior)} of {len(cal.points)}, 90% interval "
            f"[{row.p05:.4g}, {row.p95:.4g}] (prior [{row.prior_low:g}, {row.prior_high:g}])")
    set_paths = [o.partition("=")[0].strip() for o in cal.overrides]
    for path in set_paths:
        comments.setdefault(path, "set for the calibration's runs (--set)")
    base = load_scenario(cal.scenario_path, overrides=cal.overrides)
    fitted = apply_changes(base, values, source="calibration")
    parent = os.path.relpath(cal.scenario_path.resolve(), target.resolve().parent)
    header = [
        f"# {cal.name}, calibrated by ssrsim calibrate (ABC rejection); see calibration.md",
        f"# Distance: {DISTANCE}.",
        f"# {cal.samples} Latin hypercube points x {_n(cal.replicates, 'replicate')}, the best "
        f"{len(cal.posterior)} accepted.",
        "# Each calibrated parameter is set to its posterior median.",
        f"extends: {json.dumps(Path(parent).as_posix())}",
        f"name: {json.dumps(cal.name + '_calibrated')}",
        f"description: {json.dumps('calibrated to observed data: ' + cal.name)}",
    ]
    body = _yaml_lines(fitted, [*set_paths, *values], comments)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join([*header, *body]) + "\n")
    try:
        load_scenario(target)
    except ScenarioError as exc:
        raise CalibrationError(f"the fitted scenario {target} does not validate:\n{exc}") from exc
    return target


def _written_value(prior: Prior, median: float) -> int | float:
    """The posterior median as written: a whole number, or 4 significant digits in the prior."""
    if prior.integer:
        return int(np.rint(median))
    return min(max(float(f"{median:.4g}"), prior.low), prior.high)


def _yaml_lines(scenario: Scenario, paths: Sequence[str], comments: Mapping[str, str]
                ) -> list[str]:
    """YAML for the values at `paths`, nested; a list on the way is written whole."""
    tree: dict[str, Any] = {}
    notes: dict[str, list[str]] = {}
    dumped = scenario.model_dump(mode="json", exclude_none=True)
    for path in dict.fromkeys(paths):
        keys = path.split(".")
        node, where = dumped, tree
        for depth, key in enumerate(keys):
            node = node[key] if isinstance(node, dict) else None
            if isinstance(node, list):
                where[key] = node
                list_path = ".".join(keys[:depth + 1])
                notes.setdefault(list_path, []).append(
                    f"# {path} {comments.get(path, '')}".rstrip())
                break
            if depth == len(keys) - 1:
                where[key] = _Leaf(node, comments.get(path, ""))
            else:
                where = where.setdefault(key, {})
    return _emit(tree, notes, "")


@dataclass(frozen=True)
class _Leaf:
    value: Any
    comment: str


def _emit(tree: dict[str, Any], notes: dict[str, list[str]], prefix: str) -> list[str]:
    pad = "  " * prefix.count(".")
    lines = []
    for key, value in tree.items():
        here = prefix + key
        if isinstance(value, _Leaf):
            comment = f"  # {value.comment}" if value.comment else ""
            lines.append(f"{pad}{key}: {json.dumps(value.value)}{comment}")
        elif isinstance(value, list):
            lines += [pad + note for note in notes.get(here, [])]
            lines.append(f"{pad}{key}:")
            lines += [f"{pad}  - {json.dumps(item)}" for item in value]
        else:
            lines.append(f"{pad}{key}:")
            lines += _emit(value, notes, here + ".")
    return lines


# --- report ---------------------------------------------------------------------------------


def calibration_figure(cal: Calibration, series: pd.DataFrame, scenario: Scenario) -> Figure:
    """Prior vs posterior histograms per parameter; model medians over time vs observed."""
    measures = list(dict.fromkeys(cal.observations["measure"]))
    n = len(cal.params)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(max(9, 3.2 * n), 3.0 + 3.2 * len(measures)), layout="constrained")
        grid = fig.add_gridspec(1 + len(measures), n)
        for j, name in enumerate(cal.params):
            ax = fig.add_subplot(grid[0, j])
            prior = cal.priors[name]
            bins = np.linspace(prior.low, prior.high, min(20, max(5, cal.samples // 2)) + 1)
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
        f"{_n(cal.replicates, 'replicate')} per point ({cal.samples * cal.replicates} runs, "
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
        f"{cal.name}: ABC rejection, {cal.samples} points x {_n(cal.replicates, 'replicate')} "
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


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
