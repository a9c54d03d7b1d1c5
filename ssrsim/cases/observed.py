"""A case's observed data: where its file is, reading and checking it, dating its rows.

A case scenario (`scenarios/liberia.yaml`) has its observations in a CSV file next to the
repository's scenarios folder (`data/cases/liberia.csv`), one row per observed number:

    date,measure,indicator,value,unit,source,note

`measure` names the model measure the observation is compared with (`trust`,
`trust_<district>`, any measure of `ssrsim.model.measures`), or `observed_only` when no model
measure maps onto it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.results import ResultsError
from ..model.measures import MEASURES, measures_for
from ..scenario import Scenario, load_scenario
from ..single_run import safe_folder_name

DATA_COLUMNS = ("date", "measure", "indicator", "value", "unit", "source", "note")
"""The columns of a case's observation file, in order."""

OBSERVED_ONLY = "observed_only"
"""The `measure` of an observation that no model measure maps onto."""


class CaseDataError(ResultsError):
    """A case's observation file is missing or wrong (a ValueError, as every ResultsError)."""


def model_measure_names(scenario: Scenario) -> list[str]:
    """Measures a case file may name: every recorded measure and the per-district trusts."""
    return [m.name for m in measures_for([d.name for d in scenario.districts])]


def data_path(scenario_path: str | Path, scenario: Scenario | None = None) -> Path:
    """Where a scenario's observations are: `data/cases/<name>.csv` beside `scenarios/`.

    The scenario's `name` (made a safe file name, so it cannot lead out of the folder) is
    tried first, then the file's stem. Raises a CaseDataError naming the places looked at if
    there is no such file.
    """
    path = Path(scenario_path)
    scenario = scenario or load_scenario(path)
    folder = path.resolve().parent.parent / "data" / "cases"
    names = [safe_folder_name(scenario.name), path.stem]
    candidates = list(dict.fromkeys(folder / f"{name}.csv" for name in names))
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
    """Load a case scenario, then read and check its observations (see `read_observations`).

    Args:
        scenario_path: the case scenario (its name, districts and time span are used).
        data: the observation CSV; default `data_path(scenario_path)`.
        overrides: `path=value` changes to the scenario (as `--set`); `time.*` changes
            move the run's span and so which observations fall inside it.

    Raises:
        ScenarioError: a bad scenario or override.
        CaseDataError: as `read_observations`.

    """
    scenario = load_scenario(scenario_path, overrides=overrides)
    path = Path(data) if data is not None else data_path(scenario_path, scenario)
    return read_observations(path, scenario)


def read_observations(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """Read and check a case's observation file against a scenario already loaded.

    Takes the scenario rather than its file so a command that loaded it (with its overrides)
    does not read and validate the file again.

    Args:
        path: the observation CSV.
        scenario: the case scenario (its name, districts and time span are used).

    Returns:
        One row per observation, with the columns of DATA_COLUMNS (`date` as datetime.date,
        `value` as float), plus `step` (the step whose interval contains the date, or <NA>
        outside the run) and `in_run`.

    Raises:
        CaseDataError: a missing file or column, an unreadable date or value, a row without a
            source, or a `measure` that is neither a model measure nor "observed_only".

    """
    path = Path(path)
    table = _read_columns(path)
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


def _read_columns(path: Path) -> pd.DataFrame:
    """The file's DATA_COLUMNS as text, stripped; a CaseDataError if it cannot give them."""
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
    return raw[list(DATA_COLUMNS)].apply(lambda col: col.str.strip())


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
