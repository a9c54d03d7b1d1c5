"""The step length changes no answer beyond discretisation (docs/validation.md, step length).

The baseline over the same two years with 1-, 7- and 14-day steps, three seeds each: every
state measure's mean at the end must lie within 3 standard errors plus 0.02 of the weekly
run's. Before rates were converted to the step length this failed by far (final trust 0.85
with daily steps against 0.50 weekly).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.validation

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "validation" / "step_length.py"


def _script():
    spec = importlib.util.spec_from_file_location("step_length", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["step_length"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> tuple[object, pd.DataFrame]:
    sl = _script()
    return sl, sl.compare(range(3))


def test_state_measures_agree_across_step_lengths(table):
    sl, runs = table
    diffs = sl.differences(runs, int(runs["day"].max()))
    assert set(diffs["step_days"]) == {1, 14}
    bad = diffs[~diffs["within"]]
    assert bad.empty, f"beyond 3 se + {sl.TOLERANCE}:\n{bad.to_string()}"


def test_the_runs_cover_the_same_calendar(table):
    _, runs = table
    last = runs.groupby("step_days")["day"].max()
    assert last.nunique() == 1 and last.iloc[0] == 728
