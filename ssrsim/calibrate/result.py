"""Shared definitions of a calibration: its result, a parameter's prior, and thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.results import ResultsError

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
