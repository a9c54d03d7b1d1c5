"""The fitted scenario: a YAML file that extends the case and sets the posterior medians."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..scenario import (
    Scenario,
    ScenarioError,
    apply_changes,
    get_value,
    load_scenario,
    split_path,
)
from .report import plural
from .result import DISTANCE, Calibration, CalibrationError, Prior


def write_fitted(cal: Calibration, target: str | Path, *, base: Scenario | None = None) -> Path:
    """Write a scenario that extends the calibrated one with each posterior median.

    Each calibrated value carries the comment "calibrated: ABC rejection, N=…, accepted …,
    90% interval [a, b]". The calibration's overrides are written too (its runs used them).
    Values inside a list (`districts.north.police`) are written by giving the whole list,
    since `extends:` replaces lists. The file is loaded back to check it is valid.

    Args:
        cal: the calibration.
        target: the file to write.
        base: the calibrated scenario with the calibration's overrides, when the caller has
            loaded it already (default: load `cal.scenario_path` with `cal.overrides`).

    Raises:
        CalibrationError: if the written file does not validate.

    """
    values = {row.parameter: _written_value(cal.priors[row.parameter], row.posterior_median)
              for row in cal.summary.itertuples(index=False)}
    comments = {}
    for row in cal.summary.itertuples(index=False):
        comments[row.parameter] = (
            f"calibrated: ABC rejection, N={cal.samples} points x "
            f"{plural(cal.replicates, 'replicate')}, "
            f"accepted {len(cal.posterior)} of {len(cal.points)}, 90% interval "
            f"[{row.p05:.4g}, {row.p95:.4g}] (prior [{row.prior_low:g}, {row.prior_high:g}])")
    header = [
        f"# {cal.name}, calibrated by ssrsim calibrate (ABC rejection); see calibration.md",
        f"# Distance: {DISTANCE}.",
        f"# {cal.samples} Latin hypercube points x {plural(cal.replicates, 'replicate')}, the best "
        f"{len(cal.posterior)} accepted.",
        "# Each calibrated parameter is set to its posterior median.",
    ]
    base = base or load_scenario(cal.scenario_path, overrides=cal.overrides)
    return write_extension(target, cal.scenario_path, base, values, comments, header,
                           cal.overrides, cal.name + "_calibrated", cal.name)


def write_extension(target: str | Path, parent: Path, base: Scenario,
                    values: Mapping[str, int | float], comments: Mapping[str, str],
                    header: Sequence[str], overrides: Sequence[str], name: str,
                    case: str) -> Path:
    """Write a scenario named `name` extending `parent` (case `case`) that sets `values`.

    Each value carries its comment. `base` is `parent` read with `overrides`; the paths those
    set are written too (the calibration's runs used them), then the file is loaded back to
    check it is valid.
    """
    target = Path(target)
    set_paths = [o.partition("=")[0].strip() for o in overrides]
    notes = {**{path: "set for the calibration's runs (--set)" for path in set_paths},
             **comments}
    fitted = apply_changes(base, dict(values), source="calibration")
    relative = os.path.relpath(parent.resolve(), target.resolve().parent)
    lines = [
        *header,
        f"extends: {json.dumps(Path(relative).as_posix())}",
        f"name: {json.dumps(name)}",
        f"description: {json.dumps('calibrated to observed data: ' + case)}",
        *_yaml_lines(fitted, [*set_paths, *values], notes),
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    try:
        load_scenario(target)
    except ScenarioError as exc:
        raise CalibrationError(f"the fitted scenario {target} does not validate:\n{exc}") from exc
    return target


def _written_value(prior: Prior, median: float) -> int | float:
    """The posterior median as written: a whole number, or 4 significant digits in the prior."""
    if prior.integer:
        return int(np.rint(median))
    return min(max(float(f"{median:.4g}"), prior.low), prior.high)


def _yaml_lines(scenario: Scenario, paths: Sequence[str], comments: Mapping[str, str]
                ) -> list[str]:
    """YAML for the values at `paths`, nested; a list on the way is written whole."""
    tree: dict[str, Any] = {}
    notes: dict[str, list[str]] = {}
    dumped = scenario.model_dump(mode="json", exclude_none=True)
    for path in dict.fromkeys(paths):
        keys = split_path(path)
        where = tree
        for depth, key in enumerate(keys):
            prefix = ".".join(keys[:depth + 1])
            node = get_value(dumped, prefix)
            if isinstance(node, list):
                where[key] = node
                notes.setdefault(prefix, []).append(f"# {path} {comments.get(path, '')}".rstrip())
                break
            if depth == len(keys) - 1:
                where[key] = _Leaf(node, comments.get(path, ""))
            else:
                where = where.setdefault(key, {})
    return _emit(tree, notes, "")


@dataclass(frozen=True)
class _Leaf:
    value: Any
    comment: str


def _emit(tree: dict[str, Any], notes: dict[str, list[str]], prefix: str) -> list[str]:
    pad = "  " * prefix.count(".")
    lines = []
    for key, value in tree.items():
        here = prefix + key
        if isinstance(value, _Leaf):
            comment = f"  # {value.comment}" if value.comment else ""
            lines.append(f"{pad}{key}: {json.dumps(value.value)}{comment}")
        elif isinstance(value, list):
            lines += [pad + note for note in notes.get(here, [])]
            lines.append(f"{pad}{key}:")
            lines += [f"{pad}  - {json.dumps(item)}" for item in value]
        else:
            lines.append(f"{pad}{key}:")
            lines += _emit(value, notes, here + ".")
    return lines


# --- report ---------------------------------------------------------------------------------
