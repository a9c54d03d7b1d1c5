"""Parameter designs: grid, Latin hypercube, Sobol, Saltelli, Morris, and design files."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ssrsim.batch.design import DesignError, current_value, read_design_file, sweep_design
from ssrsim.scenario import load_scenario, scenario_from_dict

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"

DISTRICTS = [
    {"name": "capital", "police": 40, "army": 10, "cmo_units": 2, "ngos": 2},
    {"name": "highlands", "police": 15, "army": 20, "insurgency": 0.4},
    {"name": "delta", "police": 25, "army": 5},
    {"name": "border", "police": 10, "army": 30, "ngos": 0},
]

COORD = {"min": 0.1, "max": 0.9}
BUDGET = {"min": 2.0, "max": 20.0}
RANGES = {"cmo.coordination": COORD, "budget.per_week": BUDGET,
          "institutions.political_resistance": {"min": 0.0, "max": 0.8}}


def scenario(sweep: dict[str, Any] | None = None, seed: int = 42, **extra: Any):
    data: dict[str, Any] = {
        "name": "design-test", "seed": seed, "time": {"steps": 20},
        "space": {"width": 30, "height": 30, "district_grid": [2, 2]},
        "districts": DISTRICTS, **extra,
    }
    if sweep is not None:
        data["sweep"] = sweep
    return scenario_from_dict(data)


def design(method: str, parameters: dict[str, Any], seed: int = 42, **options: Any):
    sweep = {"method": method, "parameters": parameters, **options}
    return sweep_design(scenario(sweep, seed=seed), seed)


def assert_within(table: pd.DataFrame, parameters: dict[str, dict[str, float]]) -> None:
    for name, bounds in parameters.items():
        column = table[name].to_numpy(dtype=float)
        assert np.all(column >= bounds["min"]), name
        assert np.all(column <= bounds["max"]), name


# --- no sweep ---------------------------------------------------------------------------

def test_no_sweep_gives_one_empty_point():
    table = sweep_design(scenario(), 42)
    assert len(table) == 1
    assert list(table.columns) == []


# --- grid -------------------------------------------------------------------------------

def test_grid_size_is_product_of_levels_and_values_and_covers_corners():
    parameters = {
        "cmo.coordination": COORD,
        "budget.per_week": BUDGET,
        "institutions.political_resistance": {"values": [0.1, 0.3, 0.5, 0.7]},
    }
    table = design("grid", parameters, levels=3)
    assert len(table) == 3 * 3 * 4
    assert list(table.columns) == list(parameters)
    # every point is distinct (a full factorial, no repeats)
    assert not table.duplicated().any()
    points = set(map(tuple, table.to_numpy().round(12)))
    for corner in itertools.product((0.1, 0.9), (2.0, 20.0), (0.1, 0.7)):
        assert corner in points
    # each range axis has exactly `levels` evenly spaced values
    assert np.allclose(np.sort(table["cmo.coordination"].unique()), [0.1, 0.5, 0.9])
    assert np.allclose(np.sort(table["budget.per_week"].unique()), [2.0, 11.0, 20.0])


def test_grid_values_only_axis_keeps_values_in_order():
    table = design("grid", {"districts.border.army": {"values": [5, 50, 20]}})
    assert table["districts.border.army"].tolist() == [5, 50, 20]


# --- Latin hypercube --------------------------------------------------------------------

def test_lhs_rows_bounds_and_latin_property():
    n = 12
    table = design("lhs", RANGES, samples=n)
    assert len(table) == n
    assert_within(table, RANGES)
    for name, bounds in RANGES.items():
        unit = (table[name].to_numpy() - bounds["min"]) / (bounds["max"] - bounds["min"])
        strata = np.floor(unit * n).astype(int)
        # exactly one point in each of the n equal strata of every dimension
        assert sorted(strata.tolist()) == list(range(n)), name


def test_lhs_same_seed_same_design_other_seed_other_design():
    first = design("lhs", RANGES, seed=11, samples=10)
    again = design("lhs", RANGES, seed=11, samples=10)
    other = design("lhs", RANGES, seed=12, samples=10)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first.to_numpy(), other.to_numpy())


# --- Sobol sequence ---------------------------------------------------------------------

def test_sobol_rows_and_bounds():
    table = design("sobol", RANGES, samples=16)
    assert len(table) == 16
    assert_within(table, RANGES)
    assert not table.duplicated().any()


def test_sobol_same_seed_same_design_other_seed_other_design():
    first = design("sobol", RANGES, seed=5, samples=8)
    again = design("sobol", RANGES, seed=5, samples=8)
    other = design("sobol", RANGES, seed=6, samples=8)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first.to_numpy(), other.to_numpy())


# --- Saltelli (SALib) -------------------------------------------------------------------

@pytest.mark.parametrize("second_order", [True, False])
def test_saltelli_layout(second_order):
    n, d = 8, len(RANGES)
    table = design("saltelli", RANGES, samples=n, second_order=second_order)
    expected = n * (2 * d + 2) if second_order else n * (d + 2)
    assert len(table) == expected
    assert_within(table, RANGES)
    # SALib's block layout: rows A, AB_1..AB_d, [BA_1..BA_d,] B per base sample; AB_i is A
    # with column i taken from B, so it differs from A in column i only
    block = 2 * d + 2 if second_order else d + 2
    values = table.to_numpy()
    for start in range(0, len(values), block):
        a, b = values[start], values[start + block - 1]
        for i in range(d):
            ab = values[start + 1 + i]
            expected_ab = a.copy()
            expected_ab[i] = b[i]
            assert np.allclose(ab, expected_ab)


# --- Morris (SALib) ---------------------------------------------------------------------

def test_morris_rows_on_level_grid():
    n, d, levels = 6, len(RANGES), 4
    table = design("morris", RANGES, samples=n, levels=levels)
    assert len(table) == n * (d + 1)
    assert_within(table, RANGES)
    for name, bounds in RANGES.items():
        step = (bounds["max"] - bounds["min"]) / (levels - 1)
        k = (table[name].to_numpy() - bounds["min"]) / step
        assert np.allclose(k, np.rint(k)), name
        assert set(np.rint(k).astype(int)) <= set(range(levels)), name
    # each trajectory of d+1 points moves one parameter at a time
    values = table.to_numpy()
    for start in range(0, len(values), d + 1):
        for row in range(start, start + d):
            changed = ~np.isclose(values[row], values[row + 1])
            assert changed.sum() == 1


# --- integer parameters -----------------------------------------------------------------

INTEGERS = {"districts.capital.police": {"min": 5, "max": 50},
            "time.steps": {"min": 3, "max": 40},
            "cmo.coordination": COORD}


@pytest.mark.parametrize("method,options", [
    ("grid", {"levels": 4}), ("lhs", {"samples": 9}), ("sobol", {"samples": 8}),
    ("saltelli", {"samples": 4}), ("morris", {"samples": 3, "levels": 6}),
])
def test_integer_parameters_come_out_as_integers(method, options):
    table = design(method, INTEGERS, **options)
    for name in ("districts.capital.police", "time.steps"):
        assert pd.api.types.is_integer_dtype(table[name]), (method, name, table[name].dtype)
        assert table[name].between(INTEGERS[name]["min"], INTEGERS[name]["max"]).all()
    assert pd.api.types.is_float_dtype(table["cmo.coordination"])
    # rows as the plan reads them hold whole numbers for the integer parameters
    for row in table.to_dict("records"):
        assert float(row["time.steps"]).is_integer()
        assert float(row["districts.capital.police"]).is_integer()


# --- current_value ----------------------------------------------------------------------

def test_current_value_paths():
    base = load_scenario(BASELINE, overrides=["cmo.coordination=0.35", "districts.border.army=33"])
    assert current_value(base, "cmo.coordination") == 0.35
    assert current_value(base, "budget.allocation.training") == pytest.approx(0.2)
    assert current_value(base, "time.steps") == 156
    # list items by index and by district name, the same item either way
    assert current_value(base, "districts.0.name") == "capital"
    assert current_value(base, "districts.3.army") == 33
    assert current_value(base, "districts.border.army") == 33
    assert current_value(base, "districts.capital.police") == current_value(
        base, "districts.0.police")
    assert isinstance(current_value(base, "districts.capital.police"), int)
    # a whole section is returned as plain data
    assert isinstance(current_value(base, "budget.allocation"), dict)


@pytest.mark.parametrize("path", [
    "nope", "cmo.nope", "districts.nowhere.police", "districts.9.police",
    "time.steps.more", "districts.capital.police.x",
])
def test_current_value_absent_paths_give_none(path):
    base = load_scenario(BASELINE)
    assert current_value(base, path) is None


# --- design files -----------------------------------------------------------------------

def design_rows() -> pd.DataFrame:
    return pd.DataFrame({"cmo.coordination": [0.2, 0.6, 0.8],
                         "districts.capital.police": [10.4, 20.6, 30.0],
                         "time.steps": [12, 24, 36]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_design_file_csv_and_parquet(tmp_path, suffix):
    path = tmp_path / f"design{suffix}"
    rows = design_rows()
    if suffix == ".csv":
        rows.to_csv(path, index=False)
    else:
        rows.to_parquet(path, index=False)
    table = read_design_file(path, scenario())
    assert list(table.columns) == list(rows.columns)
    assert len(table) == 3
    assert list(table.index) == [0, 1, 2]
    assert np.allclose(table["cmo.coordination"], [0.2, 0.6, 0.8])
    # integer parameters are rounded to integers
    assert pd.api.types.is_integer_dtype(table["districts.capital.police"])
    assert table["districts.capital.police"].tolist() == [10, 21, 30]
    assert pd.api.types.is_integer_dtype(table["time.steps"])


def test_read_design_file_missing_gives_design_error(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DesignError, match=r"nowhere\.csv"):
        read_design_file(path, scenario())
    with pytest.raises(DesignError, match=r"nowhere\.parquet"):
        read_design_file(tmp_path / "nowhere.parquet", scenario())


@pytest.mark.parametrize("content", ["", "cmo.coordination,time.steps\n"])
def test_read_design_file_empty_gives_design_error(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(DesignError, match=r"empty\.csv"):
        read_design_file(path, scenario())


def test_read_design_file_empty_parquet_gives_design_error(tmp_path):
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"cmo.coordination": pd.Series([], dtype=float)}).to_parquet(path)
    with pytest.raises(DesignError, match=r"no rows"):
        read_design_file(path, scenario())


@pytest.mark.parametrize("cell", ["", "abc"])
def test_read_design_file_bad_cell_in_integer_column_gives_design_error(tmp_path, cell):
    # a blank or non-numeric cell where an integer parameter (time.steps) is expected
    path = tmp_path / "holes.csv"
    path.write_text(f"time.steps,cmo.coordination\n10,0.2\n{cell},0.4\n")
    with pytest.raises(DesignError, match=r"holes\.csv"):
        read_design_file(path, scenario())


@pytest.mark.parametrize(("text", "words"), [
    ("cmo.coordination\n0.2\ninf\n", "data row 2: inf; expected a number the parameter allows "
                                     "(0 to 1)"),
    ("cmo.coordination,time.steps\n0.2,3\n,4\n", "data row 2: a blank cell"),
    ("cmo.coordination\n0.2\n1.5\n", "data row 2: 1.5"),
    ("cmo.coordination\n0.2\nabc\n", "data row 2: 'abc'"),
    ("budget.per_week\n1\nnan\n", "data row 2: a blank cell"),
    ("nowhere.at_all\n1\n", "column nowhere.at_all"),
])
def test_every_cell_of_a_design_file_is_checked_before_any_run(tmp_path, text, words):
    """Issue #14: a later row's inf reached the manifest and json.dumps raised."""
    path = tmp_path / "cells.csv"
    path.write_text(text)
    with pytest.raises(DesignError, match=re.escape(words)):
        read_design_file(path, scenario())


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_as_design_file_is_refused_at_once():
    with pytest.raises(DesignError, match="not a regular file"):
        read_design_file("/dev/zero", scenario())
