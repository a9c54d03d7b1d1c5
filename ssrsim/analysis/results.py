"""Reading a batch's results folder: the one thing analysis knows about runs.

Analysis never reaches into a model or reruns one; it reads `manifest.json`,
`summary.parquet` and, for time series, the `timeseries/` Parquet shards, in the format of
`ssrsim.results_format`. Labels, better directions and the headline measures come from the
manifest, as the batch that wrote the folder recorded them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..results_format import (
    BATCH_ID_COLUMNS,
    DRAW,
    JOURNAL,
    MANIFEST,
    POSTERIOR,
    SHARDS,
    STATISTICS,
    STEP_COLUMNS,
    SUMMARY,
    Manifest,
    MeasureInfo,
    ResultsError,
    summary_column,
)

__all__ = ["DRAW", "Results", "ResultsError", "load_results"]

@dataclass(frozen=True)
class Results:
    """A batch results folder, read lazily."""

    root: Path
    manifest: Manifest

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per finished run: ids, design values, final_<m> and mean_<m>."""
        return pd.read_parquet(self.root / SUMMARY)

    @property
    def policies(self) -> list[str]:
        """Policies in the batch, in manifest order."""
        return list(self.manifest.policies)

    @property
    def design_parameters(self) -> list[str]:
        """The design's parameter paths (empty without a design)."""
        return list(self.manifest.design.parameters)

    @property
    def drawn(self) -> bool:
        """Whether the design's points are posterior draws (plausible worlds)."""
        return self.manifest.design.method == POSTERIOR

    @property
    def design_method(self) -> str:
        """How the design was made: none, grid, lhs, sobol, saltelli, morris or file."""
        return self.manifest.design.method

    @property
    def measures(self) -> list[str]:
        """Measure names available in the summary."""
        prefix = summary_column("final", "")
        return [c.removeprefix(prefix) for c in self.summary.columns if c.startswith(prefix)]

    @property
    def headline(self) -> list[str]:
        """The headline measures the batch recorded (and its summary has)."""
        known = set(self.measures)
        return [m for m in self.manifest.headline if m in known]

    def info(self, measure: str) -> MeasureInfo:
        """Label, unit and better direction of a measure, as the batch recorded them."""
        return self.manifest.measure(measure)

    def values(self, measure: str, statistic: str = "final", burn_in: int = 0
               ) -> pd.DataFrame:
        """Per-run values of one measure: ids, design values and a `value` column.

        Args:
            measure: a measure name (see `measures`).
            statistic: "final" (value at the last step) or "mean" (average over the run).
            burn_in: with "mean", leave out steps up to and including this one (the start-up
                transient); read from the per-step series when above 0.

        """
        self.check_measure(measure)
        if statistic not in STATISTICS:
            raise ResultsError(f"statistic must be 'final' or 'mean', got {statistic!r}")
        if burn_in < 0:
            raise ResultsError(f"burn-in must be 0 or more steps, got {burn_in}")
        keep = [*BATCH_ID_COLUMNS, *self.design_parameters]
        table = self.summary[keep].copy()
        if self.drawn:
            table.insert(len(BATCH_ID_COLUMNS), DRAW, table["point"])
        if statistic == "mean" and burn_in > 0:
            series = self.timeseries([measure])
            after = series[series["step"] > burn_in]
            if after.empty:
                raise ResultsError(f"burn-in {burn_in} leaves no steps: the runs end at step "
                                   f"{int(series['step'].max())}")
            means = after.groupby("run_id")[measure].mean()
            table["value"] = table["run_id"].map(means).astype(float)
        else:
            table["value"] = self.summary[summary_column(statistic, measure)].astype(float)
        return table

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The per-step table of all runs (only `columns` plus ids when given)."""
        if columns is not None:
            for column in columns:
                if column not in STEP_COLUMNS:
                    self.check_measure(column)
            columns = [*BATCH_ID_COLUMNS, "step", *[c for c in columns if c != "step"]]
        if not (self.root / SHARDS).is_dir():
            raise ResultsError(f"{self.root} has no time series ({SHARDS}/ is missing); rerun "
                               "the batch command that made it to redo them")
        return pd.read_parquet(self.root / SHARDS, columns=columns)

    def check_measure(self, measure: str) -> None:
        """Raise a ResultsError naming the available measures if `measure` is not one."""
        if measure not in self.measures:
            raise ResultsError(f"no measure {measure!r} in {self.root}; available: "
                               f"{', '.join(self.measures)}")

    def check_policy(self, policy: str) -> None:
        """Raise a ResultsError naming the batch's policies if `policy` is not one."""
        if policy not in self.policies:
            raise ResultsError(f"no policy {policy!r} in {self.root}; the batch has: "
                               f"{', '.join(self.policies)}")


def load_results(folder: str | Path) -> Results:
    """Open a batch results folder; a clear ResultsError if it is not one."""
    root = Path(folder)
    if not root.is_dir():
        raise ResultsError(f"{root} is not a folder")
    manifest_path = root / MANIFEST
    if not manifest_path.exists():
        found = ", ".join(sorted(p.name for p in root.iterdir())[:8]) or "nothing"
        raise ResultsError(f"{root} is not a batch results folder: no {MANIFEST} "
                           f"(found {found}); make one with `ssrsim batch`")
    manifest = Manifest.read(manifest_path)
    if not (root / SUMMARY).exists():
        raise ResultsError(f"{root} has no {SUMMARY} yet (see {JOURNAL}); "
                           f"rerun the batch command to finish it")
    results = Results(root, manifest)
    if results.summary.empty:
        raise ResultsError(f"no run of the batch in {root} has finished yet "
                           f"(status: {manifest.status}); rerun the batch command")
    _check_agreement(results)
    return results


def _check_agreement(results: Results) -> None:
    """Refuse a folder whose summary and time series do not hold the same runs once each.

    A deleted or damaged shard, or a batch stopped before it rewrote its summary, would
    otherwise give tables and charts made from different runs without a word. A folder with
    no timeseries/ at all holds summaries only and has nothing to disagree with.
    """
    if not (results.root / SHARDS).is_dir():
        return
    shards = sorted((results.root / SHARDS).glob("*.parquet"))
    steps = (pd.read_parquet(shards, columns=["run_id", "step"]) if shards
             else pd.DataFrame({"run_id": [], "step": []}))
    in_summary = set(results.summary["run_id"])
    in_series = set(steps["run_id"])
    problems = []
    for what, runs in (("in summary.parquet have no rows in timeseries/",
                        in_summary - in_series),
                       ("in timeseries/ are missing from summary.parquet",
                        in_series - in_summary),
                       ("have some steps twice in timeseries/",
                        set(steps.loc[steps.duplicated(["run_id", "step"]), "run_id"]))):
        if runs:
            shown = ", ".join(sorted(runs)[:3]) + (", ..." if len(runs) > 3 else "")
            problems.append(f"{len(runs)} run(s) {what} ({shown})")
    if problems:
        raise ResultsError(
            f"the summary and the time series in {results.root} disagree: "
            f"{'; '.join(problems)}. Rerun the batch command that made the folder: it checks "
            "the folder, repairs it and redoes the missing runs")
