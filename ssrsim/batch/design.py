"""Parameter designs: the points of a batch, one row per point, one column per parameter path.

A design comes from the scenario's `sweep:` block (grid, Latin hypercube, Sobol sequence,
Saltelli or Morris) or from a CSV/Parquet table of parameter rows. Sampling is seeded from the
batch's root seed, so the same command gives the same design.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter
from scipy.stats import qmc

from ..scenario import PathError, Scenario, bounds_of, field_of, get_value, number_type
from ..scenario._yaml import read_bytes_limit
from ..scenario.schema import Sweep, SweepRange

DESIGN_STREAM = 2**32 - 1
"""Spawn key of the design's random stream (replicates use keys 0, 1, 2, ...)."""


_PLAIN = TypeAdapter(Any)
"""Dumps a value of a scenario as plain data."""


class DesignError(ValueError):
    """A design that cannot be built or read."""


def design_rng(root_seed: int) -> np.random.Generator:
    """The design's own random stream, independent of the replicates' streams."""
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(DESIGN_STREAM,)))


def salib_problem(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem dictionary of a sweep of ranges."""
    names = list(sweep.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [[r.min, r.max] for r in sweep.parameters.values()]}


def design_size(sweep: Sweep | None) -> int:
    """How many points a sweep gives (`sweep_design`'s rows), without building them."""
    if sweep is None:
        return 1
    d = len(sweep.parameters)
    if sweep.method == "grid":
        return math.prod(len(r.values) if r.values is not None else sweep.levels
                         for r in sweep.parameters.values())
    if sweep.method == "saltelli":
        return sweep.samples * (2 * d + 2 if sweep.second_order else d + 2)
    if sweep.method == "morris":
        return sweep.samples * (d + 1)
    return sweep.samples


def sweep_design(scenario: Scenario, root_seed: int) -> pd.DataFrame:
    """The points of the scenario's sweep; one empty point when there is no sweep."""
    sweep = scenario.sweep
    if sweep is None:
        return pd.DataFrame(index=range(1))
    rng = design_rng(root_seed)
    names = list(sweep.parameters)
    if sweep.method == "grid":
        axes = [_grid_axis(r, sweep.levels) for r in sweep.parameters.values()]
        table = pd.DataFrame(list(itertools.product(*axes)), columns=names)
    else:
        table = pd.DataFrame(_unit_or_scaled(sweep, rng), columns=names)
    return _round_integers(table, scenario)


def _grid_axis(values: SweepRange, levels: int) -> Sequence[Any] | np.ndarray:
    """The values a grid tries for one parameter: those listed, or `levels` evenly spaced."""
    if values.values is not None:
        return values.values
    if values.min is None or values.max is None:  # the schema allows neither
        raise DesignError("a sweep range needs both min and max")
    return np.linspace(values.min, values.max, levels)


def _unit_or_scaled(sweep: Sweep, rng: np.random.Generator) -> np.ndarray:
    """Sampled points within the ranges, for the sampling methods."""
    problem = salib_problem(sweep)
    bounds = np.array(problem["bounds"], dtype=float)
    d = problem["num_vars"]
    if sweep.method == "lhs":
        unit = qmc.LatinHypercube(d=d, rng=rng).random(sweep.samples)
    elif sweep.method == "sobol":
        unit = qmc.Sobol(d=d, scramble=True, rng=rng).random(sweep.samples)
    else:
        seed = int(rng.integers(2**31 - 1))
        if sweep.method == "saltelli":
            from SALib.sample import sobol as saltelli

            return saltelli.sample(problem, sweep.samples,
                                   calc_second_order=sweep.second_order, seed=seed)
        from SALib.sample import morris

        return morris.sample(problem, sweep.samples, num_levels=sweep.levels, seed=seed)
    return qmc.scale(unit, bounds[:, 0], bounds[:, 1])


MAX_DESIGN_BYTES = 256 * 1024**2
"""Largest design file read (a regular file; devices and pipes are refused)."""


def parquet_table(data: bytes) -> pd.DataFrame:
    """A Parquet file's table from its bytes, read by Arrow from an Arrow buffer.

    Not `pd.read_parquet(io.BytesIO(...))`: Arrow then reads the Python file object from its
    own threads, and about one process in three aborted at exit ("terminate called without an
    active exception", exit code 134), even after a clean error or a finished batch.
    """
    return pq.read_table(pa.BufferReader(data)).to_pandas()


def read_design_file(path: str | Path, scenario: Scenario) -> pd.DataFrame:
    """A design given as a CSV or Parquet table: one column per parameter path.

    Every cell is checked against its parameter's range (a blank cell, text, NaN or an
    infinity is refused with its column and row).
    """
    path = Path(path)
    try:
        data = read_bytes_limit(path, MAX_DESIGN_BYTES)
        table = (parquet_table(data) if path.suffix == ".parquet"
                 else pd.read_csv(io.BytesIO(data)))
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DesignError(f"cannot read design file {path}: {reason}") from exc
    if table.empty or table.columns.empty:
        raise DesignError(f"design file {path} has no rows or no columns")
    try:
        table = table.reset_index(drop=True)
        _check_cells(table, scenario)
        return _round_integers(table, scenario)
    except DesignError as exc:
        raise DesignError(f"design file {path}: {exc}") from exc


def _check_cells(table: pd.DataFrame, scenario: Scenario) -> None:
    """Refuse a blank cell, or a number its parameter does not allow, in any row.

    The batch checks the first row against the whole scenario; this finds the rest before
    any run starts (a NaN or an infinity would also make the manifest invalid JSON).
    """
    for column in table.columns:
        try:
            field = field_of(str(column), scenario)
        except PathError as exc:
            raise DesignError(f"column {column}: {exc}") from exc
        cells = table[column]
        if number_type(field) is None:
            bad = cells.isna()
            allowed = "a value"
        else:
            bounds = bounds_of(field)
            numbers = pd.to_numeric(cells, errors="coerce")
            bad = ~numbers.map(lambda x, b=bounds: bool(b.contains(x)))
            allowed = f"a number the parameter allows ({bounds.words()})"
        if bad.any():
            row = int(bad.to_numpy().argmax())
            value = cells.iloc[row]
            found = "a blank cell" if pd.isna(value) else repr(
                value.item() if isinstance(value, np.generic) else value)
            raise DesignError(f"column {column}, data row {row + 1}: {found}; "
                              f"expected {allowed}")


def _round_integers(table: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Round the columns of integer parameters (a design samples reals)."""
    for column in table.columns:
        current = current_value(scenario, column)
        if isinstance(current, int) and not isinstance(current, bool):
            try:
                table[column] = np.rint(table[column].astype(float)).astype(np.int64)
            except (TypeError, ValueError) as exc:
                raise DesignError(f"design column {column} needs whole numbers (the "
                                  f"parameter is an integer); a cell is blank or not a "
                                  f"number: {exc}") from exc
    return table


def current_value(scenario: Scenario, path: str) -> Any:
    """The value at a dotted path as plain data (sections as dicts), or None if absent."""
    try:
        return _PLAIN.dump_python(get_value(scenario, path))
    except PathError:
        return None
