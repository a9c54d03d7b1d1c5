"""Checking a case: the model's runs of a case scenario beside its observed data.

`check_case` runs replicates of the scenario through the batch machinery, reads the per-step
results, and gives for each mapped observation the model's median and 90% band (5th to 95th
percentile of runs) at the step whose interval contains the observation's date, with a figure
of the model's bands over time and the observed points. Given a calibration's posterior, it
runs the replicates in each of several worlds drawn from it, so the bands are posterior
predictive: they hold the fitted parameters' uncertainty beside the seeds'.

It compares; it does not calibrate. Observations dated outside the run are listed, not
compared.

>>> check = check_case("scenarios/mali.yaml", replicates=10)
>>> print(format_case_table(check))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.figures import save
from ..analysis.results import Results, ResultsError, load_results
from ..batch import NO_POLICY, Batch, execute_batch, prepare_batch
from ..scenario import Scenario, load_experiment
from ..single_run import safe_folder_name
from .figure import case_figure
from .observed import OBSERVED_ONLY, data_path, read_observations

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of runs kept per step: the 90% band, the 50% band and the median."""

TABLE_COLUMNS = ("date", "measure", "indicator", "observed", "model_median", "model_p05",
                 "model_p95", "difference", "in_band", "step", "model_date", "in_run",
                 "unit", "source", "note")
"""The columns of `CaseCheck.table`."""


@dataclass(frozen=True)
class CaseCheck:
    """The model's runs of a case scenario beside its observations.

    Attributes:
        scenario_path: the scenario file.
        name: the scenario's name.
        policy: the policy run ("status_quo" or "none": the scenario as written).
        runs: number of finished runs the comparison uses.
        out: the batch results folder.
        data_path: the observation file.
        observations: every observation row, with its `step` and `in_run` added.
        table: one row per observation with a model measure (see TABLE_COLUMNS); model values
            are NaN for observations outside the run.
        bands: per step and measure: `date`, `p05`, `p25`, `median`, `p75`, `p95`, `runs`.
        figures: the PNG and SVG files of the figure.
        files: every file written for the check (tables and figures), by kind.
        failed: runs of the batch that failed (they are left out).
        worlds: posterior draws the runs span (0: the scenario's own parameter values).

    """

    scenario_path: Path
    name: str
    policy: str
    runs: int
    out: Path
    data_path: Path
    observations: pd.DataFrame
    table: pd.DataFrame
    bands: pd.DataFrame
    figures: list[Path]
    files: dict[str, Path] = field(default_factory=dict)
    failed: int = 0
    worlds: int = 0

    @property
    def compared(self) -> pd.DataFrame:
        """The rows of `table` inside the run (those with model values)."""
        return self.table[self.table["in_run"]]


def check_case(
    scenario_path: str | Path,
    *,
    replicates: int = 20,
    workers: int | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    data: str | Path | None = None,
    policy: str | None = None,
    posterior: str | Path | None = None,
    draws: int = 20,
    force_new: bool = False,
    allow_large: bool = False,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> CaseCheck:
    """Run a case scenario's replicates and set the model beside the observed data.

    Args:
        scenario_path: the case scenario file.
        replicates: runs of the scenario (each with its own seed from the root seed).
        workers: local worker processes (None: all cores; 0: run in this process).
        out: the batch results folder (default `results/<name>-check`); the comparison
            table, the bands and the figure go to its `check/` subfolder. An earlier batch of
            the same scenario there is reused and extended, as `ssrsim batch` does.
        seed: root seed (default: the scenario's `seed`).
        overrides: `path=value` changes (as `--set`), e.g. a smaller grid for a quick look.
        data: the observation CSV (default `data/cases/<name>.csv`, see `data_path`).
        policy: the policy to run (default `status_quo` if the scenario has it, else the
            scenario as written, "none").
        posterior: a calibration's posterior.parquet (or its folder): run the replicates in
            each of `draws` worlds drawn from it (see `ssrsim batch --posterior`).
        draws: how many posterior draws (with `posterior` only).
        force_new: delete a different batch found in `out` instead of refusing.
        allow_large: run a batch over the work ceiling anyway (see `ssrsim.workload`).
        on_progress: called with (runs done, runs failed, runs to do) as runs finish.

    Returns:
        A CaseCheck; print it with `format_case_table`.

    Raises:
        CaseDataError: missing or bad observations (before any run starts).
        ScenarioError, BatchInputError: a bad scenario, override or results folder.
        ResultsError: no run finished.

    """
    path = Path(scenario_path)
    changes = [*overrides, *([f"seed={seed}"] if seed is not None else [])]
    experiment = load_experiment(path, overrides=changes)
    scenario = experiment.base
    source = Path(data) if data is not None else data_path(path, scenario)
    observations = read_observations(source, scenario)
    chosen = policy or ("status_quo" if "status_quo" in scenario.policies else NO_POLICY)
    default = Path("results") / f"{safe_folder_name(scenario.name)}-check"
    folder = Path(out) if out is not None else default
    batch = prepare_batch(experiment, out=folder, replicates=replicates, policies=[chosen],
                          posterior=posterior, draws=draws, force_new=force_new,
                          allow_large=allow_large)
    worlds = len(batch.design) if posterior is not None else 0
    failed = _execute(batch, path, folder, workers, on_progress)
    results = load_results(folder)
    measures = sorted(set(observations["measure"]) - {OBSERVED_ONLY})
    series = _model_series(results, batch, measures)
    runs = series["run_id"].nunique()
    bands = _bands(series, measures, scenario)
    table = _comparison(observations, bands, scenario)
    figure = case_figure(scenario, bands, observations, results.manifest.events, runs, chosen,
                         worlds)
    files, figures = _write_check(folder / "check", scenario.name, table, bands, figure)
    return CaseCheck(path, scenario.name, chosen, runs, folder, source, observations, table,
                     bands, figures, files, failed, worlds)


def _execute(batch: Batch, path: Path, folder: Path, workers: int | None,
             on_progress: Callable[[int, int, int], None] | None) -> int:
    """Run what the batch has not done yet; the number of failed runs.

    Raises a ResultsError if no run of the batch has finished, as there is nothing to compare.
    """
    report = execute_batch(batch, workers=workers, on_progress=on_progress)
    if report.done + report.already_done == 0:
        why = report.interrupted or next(iter(report.errors.values()), "no error recorded")
        raise ResultsError(f"no run of {path} finished in {folder}: {why}")
    return report.failed


def _model_series(results: Results, batch: Batch, measures: list[str]) -> pd.DataFrame:
    """The date and the measures per step, of this batch's runs only (a folder may hold more)."""
    for measure in measures:
        results.check_measure(measure)
    series = results.timeseries(["date", *measures])
    return series[series["run_id"].isin({spec.run_id for spec in batch.runs})]


def _write_check(folder: Path, name: str, table: pd.DataFrame, bands: pd.DataFrame,
                 figure: Figure) -> tuple[dict[str, Path], list[Path]]:
    """Write the comparison, the bands and the figure; every file by kind, and the figures."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"comparison": folder / "comparison.csv", "bands": folder / "bands.csv"}
    table.to_csv(files["comparison"], index=False)
    bands.to_csv(files["bands"], index=False)
    figures = save({f"case_{safe_folder_name(name)}": figure}, folder)
    files.update({p.suffix.lstrip("."): p for p in figures})
    return files, figures


def _bands(series: pd.DataFrame, measures: list[str], scenario: Scenario) -> pd.DataFrame:
    """Quantiles of runs per step, long format: step, date, measure, p05 ... p95, runs."""
    names = {0.05: "p05", 0.25: "p25", 0.5: "median", 0.75: "p75", 0.95: "p95"}
    frames = []
    for measure in measures:
        grouped = series.groupby("step")[measure]
        q = grouped.quantile(list(QUANTILES)).unstack().rename(columns=names)
        q["runs"] = grouped.count()
        q.insert(0, "measure", measure)
        frames.append(q.reset_index())
    columns = ["step", "date", "measure", *names.values(), "runs"]
    if not frames:
        return pd.DataFrame(columns=columns)
    bands = pd.concat(frames, ignore_index=True)
    bands["date"] = [scenario.step_date(int(s)) for s in bands["step"]]
    return bands[columns]


def _comparison(observations: pd.DataFrame, bands: pd.DataFrame,
                scenario: Scenario) -> pd.DataFrame:
    """One row per observation with a model measure: observed beside the model's band."""
    mapped = observations[observations["measure"] != OBSERVED_ONLY]
    lookup = bands.set_index(["measure", "step"])
    rows = []
    for obs in mapped.itertuples(index=False):
        step = None if pd.isna(obs.step) else int(obs.step)
        row = {"date": obs.date, "measure": obs.measure, "indicator": obs.indicator,
               "observed": obs.value, "model_median": np.nan, "model_p05": np.nan,
               "model_p95": np.nan, "difference": np.nan, "in_band": pd.NA, "step": step,
               "model_date": scenario.step_date(step) if step is not None else None,
               "in_run": bool(obs.in_run), "unit": obs.unit, "source": obs.source,
               "note": obs.note}
        if step is not None and (obs.measure, step) in lookup.index:
            band = lookup.loc[(obs.measure, step)]
            row.update(model_median=float(band["median"]), model_p05=float(band["p05"]),
                       model_p95=float(band["p95"]),
                       difference=float(band["median"]) - obs.value,
                       in_band=bool(band["p05"] <= obs.value <= band["p95"]))
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table["in_band"] = table["in_band"].astype("boolean")
    table["step"] = table["step"].astype("Int64")
    return table
