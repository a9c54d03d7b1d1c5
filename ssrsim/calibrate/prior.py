"""The prior: parameter bounds from the schema or the command line, and the design."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic.fields import FieldInfo
from scipy.stats import qmc

from ..batch.design import design_rng
from ..scenario import (
    PathError,
    Scenario,
    ScenarioError,
    apply_changes,
    bounds_of,
    field_of,
    number_type,
)
from ..scenario._types import strip
from .result import CalibrationError, Prior


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


def parameter_prior(scenario: Scenario, path: str, given: tuple[float, float] | None) -> Prior:
    """The uniform prior of one parameter; raises CalibrationError for a bad path or range."""
    target = _field_of(scenario, path)
    kind = number_type(target)
    if kind is None:
        bare, _ = strip(target.annotation)
        name = getattr(bare, "__name__", str(bare))
        raise CalibrationError(f"cannot calibrate {path}: it is a {name} parameter, not a number")
    integer = kind is int
    bounds = bounds_of(target)
    schema = bounds.words()
    if given is None:
        if not bounds.finite:
            raise CalibrationError(
                f"{path} has no finite prior range: the schema allows {schema}; give one with "
                f"--bounds {path}=LO:HI")
        # An exclusive end: pull the prior in (by a hair for a real) so no draw sits on it.
        inner = bounds.closed(1.0 if integer else 1e-9 * (bounds.high - bounds.low))
        low, high = float(inner.low), float(inner.high)
    else:
        low, high = (float(given[0]), float(given[1]))
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise CalibrationError(f"--bounds {path}={low:g}:{high:g}: need finite LO < HI")
        if not (bounds.contains(low) and bounds.contains(high)):
            raise CalibrationError(f"--bounds {path}={low:g}:{high:g} lies outside the "
                                   f"parameter's allowed range ({schema})")
        if integer:
            low, high = float(math.ceil(low)), float(math.floor(high))
    if integer and high - low < 1:
        raise CalibrationError(f"{path} is a whole number and its prior range holds only "
                               f"{low:g}; widen --bounds")
    return Prior(path, low, high, integer, schema)


def _field_of(scenario: Scenario, path: str) -> FieldInfo:
    """The pydantic field a dotted path names; a CalibrationError if it names none."""
    try:
        return field_of(path, scenario)
    except PathError as exc:
        raise CalibrationError(f"--params: cannot calibrate {path}: {exc}") from exc


def check_together(scenario: Scenario, priors: dict[str, Prior]) -> None:
    """Every parameter at its prior midpoint must give a valid scenario (e.g. shares)."""
    mid = {p: (int(prior.midpoint) if prior.integer else prior.midpoint)
           for p, prior in priors.items()}
    try:
        apply_changes(scenario, mid, source="calibration prior midpoint")
    except ScenarioError as exc:
        raise CalibrationError(f"the parameters at their prior midpoints do not give a valid "
                               f"scenario (a design of them would fail):\n{exc}") from exc


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
