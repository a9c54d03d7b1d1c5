"""The prior: parameter bounds from the schema or the command line, and the design."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy.stats import qmc

from ..batch.design import current_value, design_rng
from ..scenario import Scenario, ScenarioError, apply_changes
from ..scenario._types import constraints, strip
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
    annotation, metadata = strip(target.annotation)
    if annotation not in (int, float):
        kind = getattr(annotation, "__name__", str(annotation))
        raise CalibrationError(f"cannot calibrate {path}: it is a {kind} parameter, not a number")
    integer = annotation is int
    limits = constraints(target, metadata)
    schema_low, low_open = _limit(limits, "ge", "gt")
    schema_high, high_open = _limit(limits, "le", "lt")
    schema = _range_text(schema_low, low_open, schema_high, high_open)
    if given is None:
        if schema_low is None or schema_high is None:
            raise CalibrationError(
                f"{path} has no finite prior range: the schema allows {schema}; give one with "
                f"--bounds {path}=LO:HI")
        low, high = schema_low, schema_high
        if integer:
            low, high = low + low_open, high - high_open
        elif low_open or high_open:
            # An open end: pull the prior in by a hair so no draw sits on a forbidden value.
            eps = 1e-9 * (high - low)
            low, high = low + eps * low_open, high - eps * high_open
    else:
        low, high = (float(given[0]), float(given[1]))
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise CalibrationError(f"--bounds {path}={low:g}:{high:g}: need finite LO < HI")
        below = schema_low is not None and (low < schema_low or (low_open and low == schema_low))
        above = schema_high is not None and (high > schema_high
                                             or (high_open and high == schema_high))
        if below or above:
            raise CalibrationError(f"--bounds {path}={low:g}:{high:g} lies outside the "
                                   f"parameter's allowed range ({schema})")
        if integer:
            low, high = float(math.ceil(low)), float(math.floor(high))
    if integer and high - low < 1:
        raise CalibrationError(f"{path} is a whole number and its prior range holds only "
                               f"{low:g}; widen --bounds")
    return Prior(path, float(low), float(high), integer, schema)


def _field_of(scenario: Scenario, path: str):
    """The pydantic field a dotted path names; a CalibrationError if it names none."""
    try:
        apply_changes(scenario, {path: current_value(scenario, path)}, source="--params")
    except ScenarioError as exc:
        why = "; ".join(issue.message for issue in exc.issues) or str(exc)
        raise CalibrationError(f"--params: cannot calibrate {path}: {why}") from exc
    keys = path.split(".")
    node: Any = scenario
    for key in keys[:-1]:
        if isinstance(node, BaseModel):
            node = getattr(node, key)
        elif isinstance(node, list | tuple):
            node = node[int(key)] if key.isdigit() else next(
                item for item in node if getattr(item, "name", None) == key)
        else:
            node = None
            break
    if not isinstance(node, BaseModel) or keys[-1] not in type(node).model_fields:
        raise CalibrationError(f"cannot calibrate {path}: it is not a single numeric parameter")
    return type(node).model_fields[keys[-1]]


def _limit(limits: dict[str, Any], closed: str, open_: str) -> tuple[float | None, bool]:
    """A bound of the schema's range and whether it is open; None if there is none."""
    if closed in limits:
        value, is_open = limits[closed], False
    elif open_ in limits:
        value, is_open = limits[open_], True
    else:
        return None, False
    value = float(value)
    return (value, is_open) if math.isfinite(value) else (None, False)


def _range_text(low: float | None, low_open: bool, high: float | None, high_open: bool) -> str:
    if low is None and high is None:
        return "any number"
    if low is not None and high is not None and not (low_open or high_open):
        return f"{low:g} to {high:g}"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


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
