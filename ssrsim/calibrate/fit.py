"""Running a calibration: the batch of prior points, distances and acceptance."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ..analysis.figures import save
from ..analysis.results import load_results
from ..batch import NO_POLICY, BatchInputError, execute_batch, prepare_batch
from ..cases import OBSERVED_ONLY, data_path, read_observations
from ..scenario import Scenario, load_experiment
from ..single_run import safe_folder_name
from .fitted import write_fitted
from .prior import check_together, parameter_prior, prior_design
from .report import calibration_figure, calibration_markdown
from .result import (
    CHANCE_DRAWS,
    CHANCE_LEVEL,
    CHANCE_STREAM,
    EDGE,
    NOT_CONSTRAINED,
    WEAKLY_CONSTRAINED,
    Calibration,
    CalibrationError,
    Prior,
)


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
    allow_large: bool = False,
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
        allow_large: run a batch over the work ceiling anyway (see `ssrsim.workload`).
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
    experiment = load_experiment(path, overrides=changes)
    scenario = experiment.base
    priors = {p: parameter_prior(scenario, p, (bounds or {}).get(p)) for p in params}
    check_together(scenario, priors)
    source = Path(data) if data is not None else data_path(path, scenario)
    observations = _compared(read_observations(source, scenario), source, scenario)
    chosen = "status_quo" if "status_quo" in scenario.policies else NO_POLICY
    default = Path("results") / f"{safe_folder_name(scenario.name)}-calibrate"
    folder = Path(out) if out is not None else default
    folder.mkdir(parents=True, exist_ok=True)
    design = prior_design(priors, samples, scenario.seed)
    design_file = folder / "design.csv"
    design.to_csv(design_file, index=False)
    try:
        batch = prepare_batch(experiment, out=folder / "runs", replicates=replicates,
                              policies=[chosen], design_file=design_file, force_new=force_new,
                              allow_large=allow_large)
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
    run_seconds = sum(r.seconds or 0.0 for r in results.manifest.runs if r.run_id in planned)
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
    files["fitted"] = write_fitted(cal, folder / "fitted.yaml", base=scenario)
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
