"""Case studies: observed data set beside the model's runs (`ssrsim check-case`).

A case scenario (`scenarios/liberia.yaml`) has its observations in a CSV file next to the
repository's scenarios folder (`data/cases/liberia.csv`), one row per observed number:

    date,measure,indicator,value,unit,source,note

`measure` names the model measure the observation is compared with (`trust`,
`trust_<district>`, any measure of `ssrsim.model.measures`), or `observed_only` when no model
measure maps onto it. `check_case` runs replicates of the scenario through the batch
machinery, reads the per-step results, and gives for each mapped observation the model's median
and 90% band (5th to 95th percentile of runs) at the step whose interval contains the
observation's date, with a figure of the model's bands over time and the observed points.

It compares; it does not calibrate. Observations dated outside the run are listed, not
compared.

>>> check = check_case("scenarios/mali.yaml", replicates=10)
>>> print(format_case_table(check))
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis.figures import PALETTE, STYLE, events_within, save
from ..analysis.results import ResultsError, load_results
from ..batch import NO_POLICY, execute_batch, prepare_batch
from ..model.measures import MEASURES, measures_for
from ..results_format import EventMarker
from ..scenario import Scenario, load_scenario

DATA_COLUMNS = ("date", "measure", "indicator", "value", "unit", "source", "note")
"""The columns of a case's observation file, in order."""

OBSERVED_ONLY = "observed_only"
"""The `measure` of an observation that no model measure maps onto."""

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of runs kept per step: the 90% band, the 50% band and the median."""

TABLE_COLUMNS = ("date", "measure", "indicator", "observed", "model_median", "model_p05",
                 "model_p95", "difference", "in_band", "step", "model_date", "in_run",
                 "unit", "source", "note")
"""The columns of `CaseCheck.table`."""


class CaseDataError(ResultsError):
    """A case's observation file is missing or wrong (a ValueError, as every ResultsError)."""


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

    @property
    def compared(self) -> pd.DataFrame:
        """The rows of `table` inside the run (those with model values)."""
        return self.table[self.table["in_run"]]


def model_measure_names(scenario: Scenario) -> list[str]:
    """Measures a case file may name: every recorded measure and the per-district trusts."""
    return [m.name for m in measures_for([d.name for d in scenario.districts])]


def data_path(scenario_path: str | Path, scenario: Scenario | None = None) -> Path:
    """Where a scenario's observations are: `data/cases/<name>.csv` beside `scenarios/`.

    The scenario's `name` is tried first, then the file's stem. Raises a CaseDataError
    naming the places looked at if there is no such file.
    """
    path = Path(scenario_path)
    scenario = scenario or load_scenario(path)
    folder = path.resolve().parent.parent / "data" / "cases"
    candidates = list(dict.fromkeys([folder / f"{scenario.name}.csv", folder / f"{path.stem}.csv"]))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " or ".join(str(c) for c in candidates)
    raise CaseDataError(
        f"no observed data for scenario {scenario.name!r} ({path}): expected {looked}, a CSV "
        f"with columns {','.join(DATA_COLUMNS)} (see docs/cases.md); give another file with "
        f"data=")


def load_observations(scenario_path: str | Path, *, data: str | Path | None = None,
                      overrides: Sequence[str] = ()) -> pd.DataFrame:
    """Read and check a case's observations; one row per observation.

    Args:
        scenario_path: the case scenario (its name, districts and time span are used).
        data: the observation CSV; default `data_path(scenario_path)`.
        overrides: `path=value` changes to the scenario (as `--set`); `time.*` changes
            move the run's span and so which observations fall inside it.

    Returns:
        The rows with the columns of DATA_COLUMNS (`date` as datetime.date, `value` as
        float), plus `step` (the step whose interval contains the date, or <NA> outside the
        run) and `in_run`.

    Raises:
        CaseDataError: a missing file or column, an unreadable date or value, a row without a
            source, or a `measure` that is neither a model measure nor "observed_only".

    """
    scenario = load_scenario(scenario_path, overrides=overrides)
    path = Path(data) if data is not None else data_path(scenario_path, scenario)
    if not path.is_file():
        raise CaseDataError(f"no observation file {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CaseDataError(f"{path} is not a readable CSV file: {exc}") from exc
    missing = [c for c in DATA_COLUMNS if c not in raw.columns]
    if missing:
        raise CaseDataError(f"{path}: missing column(s) {', '.join(missing)}; the columns are "
                            f"{','.join(DATA_COLUMNS)}")
    table = raw[list(DATA_COLUMNS)].apply(lambda col: col.str.strip())
    problems = _row_problems(table, model_measure_names(scenario))
    if problems:
        listed = "\n".join(f"  {path}:{line}: {text}" for line, text in problems)
        raise CaseDataError(f"{len(problems)} problem(s) in the observations of scenario "
                            f"{scenario.name!r}:\n{listed}")
    table["date"] = [dt.date.fromisoformat(d) for d in table["date"]]
    table["value"] = table["value"].astype(float)
    steps = [step_of(scenario, d) for d in table["date"]]
    table["step"] = pd.array(steps, dtype="Int64")
    table["in_run"] = [s is not None for s in steps]
    return table.reset_index(drop=True)


def _row_problems(table: pd.DataFrame, measures: list[str]) -> list[tuple[int, str]]:
    """(line number, message) for each bad cell; line 1 is the header."""
    allowed = [*measures, OBSERVED_ONLY]
    problems = []
    for index, row in table.iterrows():
        line = int(index) + 2
        try:
            dt.date.fromisoformat(row["date"])
        except ValueError:
            problems.append((line, f"date {row['date']!r} is not a date YYYY-MM-DD"))
        try:
            if not np.isfinite(float(row["value"])):
                raise ValueError
        except ValueError:
            problems.append((line, f"value {row['value']!r} is not a number"))
        if not row["source"]:
            problems.append((line, "no source: every observation needs its full citation"))
        if row["measure"] not in allowed:
            close = difflib.get_close_matches(row["measure"], allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            districts = [m for m in measures if m not in {x.name for x in MEASURES}]
            per_district = f"; per district: {', '.join(districts)}" if districts else ""
            problems.append((line, f"measure {row['measure']!r} is not a model measure{hint}; "
                                   f"use a measure the model records (trust, stability, "
                                   f"incidents, ...{per_district}) or {OBSERVED_ONLY!r}"))
    return problems


def step_of(scenario: Scenario, date: dt.date) -> int | None:
    """The step whose interval [start, start + step_days) contains `date`; None outside the run.

    Row t of a run's table is the state at the end of step t, labelled with the date at which
    step t starts, so an observation made during step t is set beside row t.
    """
    days = (date - scenario.time.start_date).days
    if days < 0:
        return None
    step = days // scenario.time.step_days
    return step if step <= scenario.time.steps else None


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
    force_new: bool = False,
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
        force_new: delete a different batch found in `out` instead of refusing.
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
    scenario = load_scenario(path, overrides=changes)
    source = Path(data) if data is not None else data_path(path, scenario)
    observations = load_observations(path, data=source, overrides=changes)
    chosen = policy or ("status_quo" if "status_quo" in scenario.policies else NO_POLICY)
    folder = Path(out) if out is not None else Path("results") / f"{scenario.name}-check"
    batch = prepare_batch(path, out=folder, replicates=replicates, policies=[chosen],
                          overrides=changes, force_new=force_new)
    report = execute_batch(batch, workers=workers, on_progress=on_progress)
    if report.done + report.already_done == 0:
        why = report.interrupted or next(iter(report.errors.values()), "no error recorded")
        raise ResultsError(f"no run of {path} finished in {folder}: {why}")
    planned = {spec.run_id for spec in batch.runs}
    results = load_results(folder)
    measures = sorted(set(observations["measure"]) - {OBSERVED_ONLY})
    for measure in measures:
        results.check_measure(measure)
    series = results.timeseries(["date", *measures]) if measures else \
        results.timeseries(["date"])
    series = series[series["run_id"].isin(planned)]
    runs = series["run_id"].nunique()
    bands = _bands(series, measures, scenario)
    table = _comparison(observations, bands, scenario)
    check_folder = folder / "check"
    check_folder.mkdir(parents=True, exist_ok=True)
    files = {"comparison": check_folder / "comparison.csv", "bands": check_folder / "bands.csv"}
    table.to_csv(files["comparison"], index=False)
    bands.to_csv(files["bands"], index=False)
    figure = case_figure(scenario, bands, observations, results.manifest.events, runs, chosen)
    figures = save({f"case_{scenario.name}": figure}, check_folder)
    files.update({p.suffix.lstrip("."): p for p in figures})
    return CaseCheck(path, scenario.name, chosen, runs, folder, source, observations, table,
                     bands, figures, files, report.failed)


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


def case_figure(scenario: Scenario, bands: pd.DataFrame, observations: pd.DataFrame,
                events: Sequence[EventMarker], runs: int, policy: str) -> Figure:
    """Per mapped measure: the model's median, 50% and 90% bands over time, observed points.

    Observations inside the run are filled points; those outside it are hollow points, drawn
    where they fall on the calendar. Events are dashed lines.
    """
    measures = list(dict.fromkeys(bands["measure"])) or ["(no mapped measure)"]
    merged = _merged_events(events, scenario.time.steps)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(9, 1.2 + 3.2 * len(measures)), layout="constrained")
        axes = fig.subplots(len(measures), 1, squeeze=False, sharex=True)[:, 0]
        for ax, measure in zip(axes, measures, strict=True):
            mine = bands[bands["measure"] == measure]
            when = pd.to_datetime(mine["date"])
            ax.fill_between(when, mine["p05"], mine["p95"], color=PALETTE[0], alpha=0.18,
                            linewidth=0, label="model: 90% of runs")
            ax.fill_between(when, mine["p25"], mine["p75"], color=PALETTE[0], alpha=0.35,
                            linewidth=0, label="model: 50% of runs")
            ax.plot(when, mine["median"], color=PALETTE[0], linewidth=1.6,
                    label=f"model median ({runs} runs, policy {policy})")
            _observed_points(ax, observations[observations["measure"] == measure])
            for event in merged:
                ax.axvline(pd.Timestamp(event["when"]), color="#b03a2e", linewidth=0.7,
                           linestyle="--", alpha=0.6)
            ax.set_ylabel(measure)
            if _is_share(mine, observations, measure):
                ax.set_ylim(-0.02, 1.02)
            ax.legend(loc="lower left", frameon=False, fontsize=8)
        for event in merged:
            axes[0].annotate(event["label"],
                             (pd.Timestamp(event["when"]), 1.0),
                             xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                             va="top", ha="right", color="#b03a2e", annotation_clip=False)
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        fig.suptitle(f"{scenario.name}: model runs and observed data (not calibrated)")
    return fig


def _merged_events(events: Sequence[EventMarker], steps: int) -> list[dict]:
    """The run's events after step 0, one per date, labels of same-day events joined."""
    merged: dict[str, dict] = {}
    for event in events_within(events, steps):
        text = event.label or event.type
        if event.date in merged:
            merged[event.date]["label"] += f" + {text}"
        else:
            merged[event.date] = {"when": event.date, "label": text}
    return list(merged.values())


def _observed_points(ax: Axes, rows: pd.DataFrame) -> None:
    inside, outside = rows[rows["in_run"]], rows[~rows["in_run"]]
    if len(inside):
        ax.scatter(pd.to_datetime(inside["date"]), inside["value"], color=PALETTE[3], s=36,
                   zorder=4, label="observed")
    if len(outside):
        ax.scatter(pd.to_datetime(outside["date"]), outside["value"], facecolors="none",
                   edgecolors=PALETTE[3], s=36, zorder=4, label="observed, outside the run")
    for row in rows.itertuples(index=False):
        ax.annotate(_short(row.indicator), (pd.Timestamp(row.date), row.value),
                    textcoords="offset points", xytext=(5, 4), fontsize=7, color=PALETTE[3])


def _is_share(bands: pd.DataFrame, observations: pd.DataFrame, measure: str) -> bool:
    values = pd.concat([bands["p05"], bands["p95"],
                        observations.loc[observations["measure"] == measure, "value"]])
    return bool(values.between(0, 1).all())


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def case_rows(check: CaseCheck) -> tuple[list[str], list[list[str]]]:
    """The comparison as a terminal table: (header, rows of strings), one row per observation.

    Columns: date, measure, indicator, observed, model median, model 90% band, median minus
    observed, and whether the observation is inside the band ("yes", "no", or "outside run").
    """
    header = ["date", "measure", "indicator", "observed", "model median", "model 90% band",
              "median - obs", "in band"]
    rows = []
    for row in check.table.itertuples(index=False):
        if row.in_run and not pd.isna(row.model_median):
            model = [f"{row.model_median:.2f}", f"{row.model_p05:.2f}-{row.model_p95:.2f}",
                     f"{row.difference:+.2f}", "yes" if row.in_band else "no"]
        else:
            model = ["-", "-", "-", "outside run"]
        rows.append([str(row.date), row.measure, row.indicator, f"{row.observed:.2f}", *model])
    return header, rows


def case_summary(check: CaseCheck) -> str:
    """A few lines on what was compared and where the files are."""
    compared = check.compared
    inside = int(compared["in_band"].sum()) if len(compared) else 0
    only = int((check.observations["measure"] == OBSERVED_ONLY).sum())
    lines = [
        f"{check.name}: {check.runs} runs of policy {check.policy!r} "
        f"({check.out}{'; ' + str(check.failed) + ' failed' if check.failed else ''})",
        f"{len(compared)} of {len(check.table)} observations with a model measure fall inside "
        f"the run; {inside} of them inside the model's 90% band",
        f"{only} observations have no model measure (observed_only; listed in "
        f"{check.data_path})",
        "figure: " + ", ".join(str(p) for p in check.figures),
        "the model is not calibrated: read differences as where it misses, not as errors to "
        "tune away (docs/cases.md)",
    ]
    return "\n".join(lines)


def format_case_table(check: CaseCheck) -> str:
    """The comparison as plain text: an aligned table, then `case_summary`."""
    header, rows = case_rows(check)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    right = {3, 4, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    text = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if not rows:
        text.append("(no observation with a model measure)")
    return "\n".join([*text, "", case_summary(check)])
