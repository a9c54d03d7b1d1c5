"""Posterior draws as a batch's design: each point is one plausible world from a calibration.

`ssrsim calibrate --cases` writes the last generation's weighted particles to
`posterior.parquet`: one column per parameter (shared ones by path, per-case ones as
`case:path`) and `weight`. A batch of one case's scenario takes the shared columns and its own
case's, draws K particles with probability equal to their weights (with replacement, from the
batch's design stream, so the same command draws the same worlds), and runs every policy at
every draw. The runs of one draw and replicate share their seed across policies, so options are
compared within a world (see `ssrsim.analysis.compare`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario, ScenarioError, apply_changes
from ..scenario._yaml import read_bytes_limit
from .design import DesignError, design_rng, parquet_table

POSTERIOR_FILE = "posterior.parquet"
"""The posterior a calibration folder holds."""

SETTINGS_FILE = "settings.json"
"""What the calibration asked, beside its posterior (its `--set` changes among them)."""

WEIGHT = "weight"
"""The particles' weight column."""

CASE_SEPARATOR = ":"
"""Separates a per-case parameter's case from its path (`liberia:population.initial_trust.mean`)."""

MAX_DRAWS = 10_000
"""Most draws a batch takes (each is a design point run by every policy and replicate)."""

MAX_POSTERIOR_BYTES = 64 * 1024**2
"""Largest posterior file read."""


@dataclass(frozen=True)
class Posterior:
    """A calibration's particles for one scenario: parameter columns by path, and weights.

    `ignored` names the columns that belong to other cases; `overrides` are the `--set`
    changes the calibration ran with (empty when its settings are not beside the file).
    """

    path: Path
    sha256: str
    values: pd.DataFrame
    weights: np.ndarray
    ignored: tuple[str, ...]
    overrides: tuple[str, ...]

    def record(self, draws: int) -> dict[str, Any]:
        """What the manifest keeps of it: where it came from and how it was drawn."""
        return {"posterior": str(self.path), "sha256": self.sha256,
                "particles": len(self.values), "draws": draws,
                "ignored": list(self.ignored), "calibration_overrides": list(self.overrides)}


def read_posterior(path: str | Path, case: str) -> Posterior:
    """A posterior file (or a calibration folder holding one) as it applies to `case`.

    Raises:
        DesignError: the file cannot be read, has no usable weights, or has no parameter
            shared by every case or belonging to `case`.

    """
    path = Path(path)
    if path.is_dir():
        path = path / POSTERIOR_FILE
    try:
        data = read_bytes_limit(path, MAX_POSTERIOR_BYTES)
        table = parquet_table(data)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DesignError(f"cannot read posterior {path}: {reason} (give the posterior.parquet "
                          f"`ssrsim calibrate --cases` wrote, or its folder)") from exc
    if WEIGHT not in table.columns or len(table) == 0:
        raise DesignError(f"posterior {path} needs rows and a {WEIGHT!r} column; it has "
                          f"{len(table)} rows and columns {', '.join(map(str, table.columns))}")
    weights = _weights(table[WEIGHT], path)
    mine, ignored = _columns_for(table.drop(columns=WEIGHT), case, path)
    return Posterior(path, hashlib.sha256(data).hexdigest(), mine, weights, ignored,
                     _overrides(path.parent / SETTINGS_FILE))


def posterior_design(posterior: Posterior, scenario: Scenario, draws: int, root_seed: int
                     ) -> pd.DataFrame:
    """`draws` particles drawn by weight, one row per draw; each checked on `scenario`.

    Raises:
        DesignError: `draws` out of range, or a drawn world the scenario does not allow.

    """
    if not 1 <= draws <= MAX_DRAWS:
        raise DesignError(f"--draws must be 1 to {MAX_DRAWS:,}, got {draws}")
    chosen = design_rng(root_seed).choice(len(posterior.values), size=draws,
                                          p=posterior.weights)
    design = posterior.values.iloc[chosen].reset_index(drop=True)
    for row in design.drop_duplicates().to_dict("records"):
        try:
            apply_changes(scenario, {k: float(v) for k, v in row.items()},
                          source=str(posterior.path))
        except ScenarioError as exc:
            raise DesignError(f"a draw of posterior {posterior.path} does not fit scenario "
                              f"{scenario.name!r}:\n{exc}") from exc
    return design


def _weights(column: pd.Series, path: Path) -> np.ndarray:
    weights = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise DesignError(f"posterior {path}: weights must be finite, 0 or more, and not all "
                          f"0")
    return weights / weights.sum()


def _columns_for(table: pd.DataFrame, case: str, path: Path
                 ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The shared columns and `case`'s own (renamed to their paths); others' names."""
    keep: dict[str, str] = {}
    ignored: list[str] = []
    for column in map(str, table.columns):
        owner, _, rest = column.rpartition(CASE_SEPARATOR)
        if not owner:
            keep[column] = column
        elif owner == case:
            keep[column] = rest
        else:
            ignored.append(column)
    if not keep:
        cases = sorted({c.rpartition(CASE_SEPARATOR)[0] for c in ignored})
        raise DesignError(f"posterior {path} has no shared parameter and none of scenario "
                          f"{case!r}; it fits {', '.join(cases)} (a case's parameters are "
                          f"named CASE{CASE_SEPARATOR}PATH, CASE being the scenario's name)")
    values = table[list(keep)].rename(columns=keep)
    numeric = values.apply(pd.to_numeric, errors="coerce")
    bad = [c for c in numeric.columns if not np.isfinite(numeric[c].to_numpy(float)).all()]
    if bad:
        raise DesignError(f"posterior {path}: column {bad[0]} holds a blank or a value that is "
                          f"not a finite number")
    return numeric.astype(float), tuple(ignored)


def _overrides(settings: Path) -> tuple[str, ...]:
    """The calibration's `--set` changes, from its settings.json if it is there and readable."""
    try:
        found = json.loads(read_bytes_limit(settings, 1024**2)).get("overrides", [])
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(str(o) for o in found) if isinstance(found, list) else ()
