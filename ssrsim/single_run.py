"""Running one scenario and writing its results.

`run` builds the model from a validated scenario, steps it, and returns the tidy per-step
table with a summary; `write_run` puts them on disk as timeseries.parquet, timeseries.csv,
summary.json and chart.png. The same scenario (seed included) gives byte-identical tables.
The summary lists every measure's label, unit and better direction, so a run folder
describes itself.
"""

from __future__ import annotations

import json
import math
import platform
import re
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .model import SSRModel
from .model.measures import measure_info
from .results_format import STEP_COLUMNS
from .scenario import Scenario, scenario_hash


@dataclass(frozen=True)
class RunResult:
    """What one run produced: the per-step table and its summary."""

    scenario: Scenario
    policy: str | None
    timeseries: pd.DataFrame
    summary: dict[str, Any]


def run(
    scenario: Scenario,
    *,
    policy: str | None = None,
    on_step: Callable[[int], None] | None = None,
) -> RunResult:
    """Run a scenario for `scenario.time.steps` steps with `scenario.seed`.

    Args:
        scenario: a validated scenario, policy and overrides already applied.
        policy: the name of the applied policy, recorded in the summary.
        on_step: called with the step number after every step (progress display).

    """
    started = time.perf_counter()
    model = SSRModel(scenario)
    for step in range(1, scenario.time.steps + 1):
        model.step()
        if on_step is not None:
            on_step(step)
    table = model.timeseries()
    summary = summarise(table, scenario, policy)
    summary["events_applied"] = [
        {"step": s, "type": t, "label": label} for s, t, label in model.event_log]
    summary["provenance"]["wall_seconds"] = round(time.perf_counter() - started, 3)
    return RunResult(scenario, policy, table, summary)


def measure_columns(table: pd.DataFrame) -> list[str]:
    """The measure columns of a per-step table (everything but step and date)."""
    return [c for c in table.columns if c not in STEP_COLUMNS]


def summarise(table: pd.DataFrame, scenario: Scenario, policy: str | None) -> dict[str, Any]:
    """Final and time-averaged value of every measure, with what identifies the run."""
    measures = measure_columns(table)
    after_start = table.iloc[1:] if len(table) > 1 else table
    return {
        "scenario": scenario.name,
        "policy": policy,
        "seed": scenario.seed,
        "steps": int(table["step"].iloc[-1]),
        "start_date": table["date"].iloc[0],
        "end_date": table["date"].iloc[-1],
        "scenario_hash": scenario_hash(scenario),
        "final": {m: _plain(table[m].iloc[-1]) for m in measures},
        "mean": {m: _plain(after_start[m].mean()) for m in measures},
        "measures": [asdict(m) for m in measure_info([d.name for d in scenario.districts])],
        "provenance": {
            "ssrsim": version("ssrsim"),
            "mesa": version("mesa"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }


def _plain(value: Any) -> float | int | None:
    """A JSON-safe number (NaN and infinities become null)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


MAX_FOLDER_NAME = 100
"""Longest folder name derived from a scenario or policy name (file systems allow 255 bytes)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_folder_name(name: str, fallback: str = "scenario") -> str:
    """A folder name made from a scenario (or policy) name: one path part, never `..`.

    Letters, digits and `. _ + -` are kept; anything else (slashes, null bytes, spaces,
    control characters) becomes `_`; dots and `_` at either end are dropped and it is cut to
    `MAX_FOLDER_NAME` characters. An empty result gives `fallback`.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    safe = _UNSAFE.sub("_", ascii_name).strip("._")[:MAX_FOLDER_NAME].strip("._")
    return safe or fallback


def strict_json(data: Any, where: str = "") -> tuple[Any, list[str]]:
    """Data with every NaN or infinite float replaced by None, and where each one was.

    JSON has no NaN or Infinity; strict readers refuse them, so they become null.
    """
    if isinstance(data, float | np.floating):
        return (float(data), []) if math.isfinite(data) else (None, [where or "value"])
    if isinstance(data, dict):
        found: list[str] = []
        clean: dict[Any, Any] = {}
        for key, value in data.items():
            clean[key], more = strict_json(value, f"{where}.{key}" if where else str(key))
            found += more
        return clean, found
    if isinstance(data, list | tuple):
        items, found = [], []
        for index, value in enumerate(data):
            item, more = strict_json(value, f"{where}[{index}]")
            items.append(item)
            found += more
        return items, found
    return data, []


def dumps_strict(data: Any, *, what: str, **kwargs: Any) -> str:
    """JSON text of `data` with non-finite numbers written as null, with a warning naming them."""
    clean, found = strict_json(data)
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        warnings.warn(f"{what}: {len(found)} value(s) were not finite numbers (NaN or "
                      f"infinite) and are written as null: {shown}", RuntimeWarning,
                      stacklevel=2)
    return json.dumps(clean, allow_nan=False, **kwargs)


def write_run(result: RunResult, out_dir: str | Path) -> dict[str, Path]:
    """Write the run's files into `out_dir` (created if needed); returns their paths."""
    from .plots import headline_chart  # matplotlib only when writing

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in
             ("timeseries.parquet", "timeseries.csv", "summary.json", "chart.png")}
    table = pa.Table.from_pandas(result.timeseries, preserve_index=False)
    pq.write_table(table, paths["timeseries.parquet"])
    result.timeseries.to_csv(paths["timeseries.csv"], index=False)
    text = dumps_strict(result.summary, what=str(paths["summary.json"]), indent=2)
    paths["summary.json"].write_text(text + "\n")
    headline_chart(result.timeseries, result.scenario, result.policy, paths["chart.png"])
    return paths
