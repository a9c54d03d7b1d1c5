"""Fixtures for analysis tests: synthetic results folders, and real tiny batches.

Synthetic folders hold just what analysis reads (manifest.json, summary.parquet and, when
given, timeseries/), with known answers built in. The real batches are run once per session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ssrsim.batch import execute_batch, prepare_batch, salib_problem
from ssrsim.results_format import (
    Counts,
    DesignRecord,
    Manifest,
    MeasureInfo,
    PolicyRecord,
)
from ssrsim.scenario.schema import Sweep

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["space.width=20", "space.height=20", "time.steps=10"]
MORRIS = ("sweep={method: morris, samples: 2, levels: 4, parameters: "
          "{cmo.coordination: {min: 0.1, max: 0.9}, budget.per_week: {min: 5, max: 20}}}")


BETTER = {"trust": "higher", "stability": "higher", "abuses": "lower", "spent": "lower"}
"""Better directions the synthetic folders record (other measures have none)."""

HEADLINE = ("trust", "stability")
"""Headline measures the synthetic folders record."""


def measure_infos(summary: pd.DataFrame) -> tuple[MeasureInfo, ...]:
    """What a batch would record of each measure in a synthetic summary."""
    names = [c.removeprefix("final_") for c in summary.columns if c.startswith("final_")]
    return tuple(MeasureInfo(n, n.capitalize(), "", BETTER.get(n), "", n in HEADLINE)
                 for n in names)


def write_results(
    root: Path,
    summary: pd.DataFrame,
    *,
    policies: Sequence[str],
    method: str = "none",
    points: list[dict[str, float]] | None = None,
    sweep: dict[str, Any] | None = None,
    description: str = "synthetic",
    timeseries: pd.DataFrame | None = None,
    measures: Sequence[MeasureInfo] | None = None,
) -> Path:
    """Write a minimal results folder; ids default to one point and the row's replicate."""
    root.mkdir(parents=True, exist_ok=True)
    points = points or [{}]
    parameters = list(points[0])
    summary = summary.copy()
    if "point" not in summary:
        summary["point"] = 0
    summary["run_id"] = [f"{p}-p{pt:05d}-r{r:05d}" for p, pt, r in
                         zip(summary["policy"], summary["point"], summary["replicate"],
                             strict=True)]
    summary["seed"] = summary["replicate"] + 1000
    for name in parameters:
        summary[name] = [points[pt][name] for pt in summary["point"]]
    runs = len(summary)
    problem = salib_problem(Sweep.model_validate(sweep)) if sweep else None
    manifest = Manifest(
        scenario_file="synthetic.yaml", identity={}, status="complete", started="",
        finished=None, root_seed=1, replicates=int(summary["replicate"].max()) + 1,
        policies={p: PolicyRecord("x", {}) for p in policies},
        design=DesignRecord(method, tuple(parameters), tuple(points), problem),
        measures=tuple(measures) if measures is not None else measure_infos(summary),
        events=(), versions={}, counts=Counts(runs, runs, 0, 0),
        scenario={"name": "synthetic", "description": description, "sweep": sweep}, runs=())
    (root / "manifest.json").write_text(manifest.to_json())
    summary.to_parquet(root / "summary.parquet", index=False)
    if timeseries is not None:
        (root / "timeseries").mkdir(exist_ok=True)
        timeseries.to_parquet(root / "timeseries" / "part-0.parquet", index=False)
    return root


def paired_summary(values: dict[str, np.ndarray], measures: dict[str, str] | None = None
                   ) -> pd.DataFrame:
    """One row per policy and replicate: final_<m> and mean_<m> equal to the given values.

    `values` maps policy -> array (replicates,) for measure "trust", or policy ->
    array (replicates, k) for the k measures named in `measures` order.
    """
    names = list(measures or {"trust": ""})
    rows = []
    for policy, array in values.items():
        array = np.asarray(array, dtype=float).reshape(len(array), -1)
        for replicate, row in enumerate(array):
            record: dict[str, Any] = {"policy": policy, "replicate": replicate}
            for name, value in zip(names, row, strict=True):
                record[f"final_{name}"] = record[f"mean_{name}"] = value
            rows.append(record)
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def synthetic() -> Callable[..., Path]:
    """`synthetic(root, summary, policies=..., ...)` writes a synthetic results folder."""
    return write_results


@pytest.fixture(scope="session")
def paired() -> Callable[..., pd.DataFrame]:
    """`paired({policy: values})` builds a summary table of paired replicates."""
    return paired_summary


@pytest.fixture(scope="session")
def tiny_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real batch: 2 policies x 3 replicates on a 20x20 grid for 10 steps."""
    out = tmp_path_factory.mktemp("analysis") / "tiny"
    batch = prepare_batch(BASELINE, out=out, replicates=3,
                          policies=["status_quo", "coordinated"],
                          overrides=[*TINY, "events=[{type: election, step: 4, label: vote}]"])
    execute_batch(batch, workers=0)
    return out


@pytest.fixture(scope="session")
def tiny_morris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Morris batch: 2 parameters, 2 trajectories, 2 replicates, one policy."""
    out = tmp_path_factory.mktemp("analysis") / "morris"
    batch = prepare_batch(BASELINE, out=out, replicates=2, policies=["status_quo"],
                          overrides=[*TINY, MORRIS])
    execute_batch(batch, workers=0)
    return out
