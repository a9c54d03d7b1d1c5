"""What a joint calibration compares: each case's scenario and its observed points, split by date.

A case is a scenario file (`scenarios/liberia.yaml`, or just `liberia`) and its observation file
(`data/cases/liberia.csv`, see `ssrsim.cases`). Its *points* are the observations with a model
measure dated inside the run; each has a key `case|measure|date` that names it in the model's
output, the observed data and pyabc's history. With a cut-off date, the points up to it are
*fitted* (they alone enter the distance) and the later ones are *held out* (predicted, then
compared).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..batch import NO_POLICY
from ..cases import OBSERVED_ONLY, data_path, read_observations
from ..scenario import Scenario, load_experiment
from .result import CalibrationError

SEPARATOR = "|"
"""Joins case, measure and date in a point's key (no case name or measure contains it)."""


@dataclass(frozen=True)
class Case:
    """One case of a joint calibration.

    Attributes:
        name: the scenario's name (`liberia`).
        path: the scenario file.
        scenario: the scenario with its `status_quo` policy (if it has one) and the overrides.
        policy: the policy run ("status_quo" or "none").
        data_path: the observation file.
        points: one row per observation with a model measure inside the run: `key`, `date`,
            `measure`, `step`, `value`, `indicator`, `source`, and `fitted` (False: held out).
        outside: the mapped observations dated outside the run (neither fitted nor predicted).
        until: the cut-off date (None: every point is fitted).

    """

    name: str
    path: Path
    scenario: Scenario
    policy: str
    data_path: Path
    points: pd.DataFrame
    outside: pd.DataFrame
    until: dt.date | None

    @property
    def fitted(self) -> pd.DataFrame:
        """The points that enter the distance."""
        return self.points[self.points["fitted"]]

    @property
    def held_out(self) -> pd.DataFrame:
        """The points after the cut-off, predicted but never compared during the fit."""
        return self.points[~self.points["fitted"]]


def shown(path: Path) -> str:
    """A path as settings and reports give it: relative to the working folder when inside it.

    So a calibration run from a project's folder records the same settings on any machine.
    """
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def point_key(case: str, measure: str, date: dt.date) -> str:
    """The key of an observed point: `liberia|police_trust|2019-08-01`."""
    return SEPARATOR.join((case, measure, date.isoformat()))


def key_measure(key: str) -> str:
    """The measure named in a point's key."""
    return key.split(SEPARATOR)[1]


def scenario_file(case: str, folder: str | Path = "scenarios") -> Path:
    """A case named on the command line as a file: the path itself, or `<folder>/<case>.yaml`.

    Raises:
        CalibrationError: if neither exists.

    """
    given = Path(case)
    if given.suffix in {".yaml", ".yml"} or given.is_file():
        if given.is_file():
            return given
        raise CalibrationError(f"--cases: no scenario file {given}")
    candidate = Path(folder) / f"{case}.yaml"
    if candidate.is_file():
        return candidate
    raise CalibrationError(f"--cases: no case {case!r}: expected a scenario file {candidate} "
                           f"(run from the repository's top folder) or a path to one")


def parse_until(texts: Sequence[str]) -> dict[str | None, dt.date]:
    """Read `--until` arguments, `DATE` (every case) or `CASE=DATE`, into {case or None: date}.

    Raises:
        CalibrationError: a text of neither form, or a case given twice.

    """
    out: dict[str | None, dt.date] = {}
    for text in texts:
        case, sep, when = text.rpartition("=")
        name = case.strip() if sep else None
        try:
            date = dt.date.fromisoformat(when.strip())
        except ValueError:
            raise CalibrationError(f"--until {text!r}: give a date YYYY-MM-DD (every case) or "
                                   f"CASE=YYYY-MM-DD, e.g. --until liberia=2020-01-01") from None
        if name in out:
            raise CalibrationError(f"--until given twice for {name or 'every case'}")
        out[name] = date
    return out


def load_cases(
    cases: Sequence[str | Path],
    *,
    until: Mapping[str | None, dt.date] | None = None,
    overrides: Sequence[str] = (),
    data: Mapping[str, str | Path] | None = None,
) -> list[Case]:
    """Load each case's scenario and observations and split its points at the cut-off.

    Args:
        cases: case names (`liberia`, looked up as `scenarios/liberia.yaml`) or scenario files.
        until: cut-off dates: per case name, or under None for every case without its own.
        overrides: `path=value` changes (as `--set`) applied to every case.
        data: observation files per case name (default `data/cases/<name>.csv`).

    Raises:
        CalibrationError: an unknown case, a case named twice, a cut-off for a case not
            calibrated, or a case with no fitted point.
        CaseDataError, ScenarioError: a bad observation file, scenario or override.

    """
    until = dict(until or {})
    loaded = [_load_case(scenario_file(str(c)), until, overrides, data or {}) for c in cases]
    names = [c.name for c in loaded]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CalibrationError(f"--cases: case(s) named twice: {', '.join(twice)}")
    stray = sorted(str(n) for n in until if n is not None and n not in names)
    if stray:
        raise CalibrationError(f"--until given for {', '.join(stray)}, which is not among the "
                               f"cases ({', '.join(names)})")
    if not loaded:
        raise CalibrationError("--cases: name at least one case, e.g. --cases liberia,mali")
    return loaded


def _load_case(path: Path, until: Mapping[str | None, dt.date], overrides: Sequence[str],
               data: Mapping[str, str | Path]) -> Case:
    experiment = load_experiment(path, overrides=overrides)
    policy = "status_quo" if "status_quo" in experiment.policy_names else NO_POLICY
    scenario = experiment.scenario(None if policy == NO_POLICY else policy)
    name = scenario.name
    source = Path(data[name]) if name in data else data_path(path, scenario)
    observations = read_observations(source, scenario)
    mapped = observations[observations["measure"] != OBSERVED_ONLY]
    cut = until.get(name, until.get(None))
    points = mapped[mapped["in_run"]].copy()
    points["step"] = points["step"].astype(int)
    points["key"] = [point_key(name, m, d) for m, d in zip(points["measure"], points["date"],
                                                           strict=True)]
    repeated = sorted(set(points["key"][points["key"].duplicated()]))
    if repeated:
        raise CalibrationError(f"{source}: two observations of one measure on one date "
                               f"({', '.join(repeated)}); the calibration needs one value per "
                               f"measure and date (average them, or move one)")
    points["fitted"] = [cut is None or d <= cut for d in points["date"]]
    if not points["fitted"].any():
        why = (f"none is dated on or before the cut-off {cut}" if len(points)
               else "none has a model measure inside the run")
        raise CalibrationError(f"nothing to fit in case {name!r} ({source}): of "
                               f"{len(observations)} observations, {why}")
    columns = ["key", "date", "measure", "step", "value", "indicator", "source", "fitted"]
    return Case(name=name, path=path, scenario=scenario, policy=policy, data_path=source,
                points=points[columns].reset_index(drop=True),
                outside=mapped[~mapped["in_run"]].reset_index(drop=True), until=cut)


def observed_data(cases: Sequence[Case]) -> dict[str, float]:
    """The observed values of the fitted points only, by key: pyabc's `x_0`.

    The distance compares exactly these keys, so a held-out point never enters it.
    """
    return {key: float(value) for case in cases
            for key, value in zip(case.fitted["key"], case.fitted["value"], strict=True)}
