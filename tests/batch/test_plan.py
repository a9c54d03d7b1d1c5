"""The run plan: replicate seeds, run ids, common random numbers."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssrsim.batch.plan import plan_runs, replicate_seeds
from ssrsim.results_format import NO_POLICY


@given(root=st.integers(0, 2**63 - 1), n=st.integers(1, 200))
@settings(max_examples=50, deadline=None)
def test_replicate_seeds_distinct_in_range(root, n):
    seeds = replicate_seeds(root, n)
    assert len(seeds) == n
    assert len(set(seeds)) == n
    assert all(type(s) is int and 0 <= s < 2**63 for s in seeds)


@given(root=st.integers(0, 2**63 - 1), k=st.integers(1, 40), extra=st.integers(1, 40))
@settings(max_examples=50, deadline=None)
def test_extending_a_batch_keeps_earlier_seeds(root, k, extra):
    assert replicate_seeds(root, k + extra)[:k] == replicate_seeds(root, k)


def test_different_roots_give_different_seeds():
    a, b, c = replicate_seeds(0, 20), replicate_seeds(1, 20), replicate_seeds(42, 20)
    assert not set(a) & set(b)
    assert not set(a) & set(c)
    assert not set(b) & set(c)
    assert replicate_seeds(42, 20) == c  # and the same root, the same seeds


def test_replicate_seeds_spread_over_63_bits():
    seeds = np.array(replicate_seeds(7, 500), dtype=np.uint64)
    # the top bit of a 63-bit number is set about half the time
    top = (seeds >> np.uint64(62)) & np.uint64(1)
    assert 150 < int(top.sum()) < 350


def design_table() -> pd.DataFrame:
    return pd.DataFrame({"cmo.coordination": [0.1, 0.5, 0.9],
                         "districts.capital.police": np.array([10, 20, 30], dtype=np.int64)})


@pytest.mark.parametrize("policies", [["status_quo", "coordinated"], [NO_POLICY]])
def test_plan_is_policies_times_points_times_replicates(policies):
    table = design_table()
    runs = plan_runs(policies, table, replicates=4, root_seed=9)
    assert len(runs) == len(policies) * len(table) * 4
    assert len({r.run_id for r in runs}) == len(runs)
    combos = Counter((r.policy, r.point, r.replicate) for r in runs)
    assert set(combos) == {(p, i, r) for p in policies for i in range(3) for r in range(4)}
    assert set(combos.values()) == {1}
    rows = table.to_dict("records")
    for run in runs:
        assert run.changes == rows[run.point]


def test_every_policy_and_point_of_a_replicate_shares_its_seed():
    runs = plan_runs(["a", "b", "c"], design_table(), replicates=5, root_seed=123)
    seeds = replicate_seeds(123, 5)
    by_replicate: dict[int, set[int]] = {}
    for run in runs:
        by_replicate.setdefault(run.replicate, set()).add(run.seed)
        assert run.seed == seeds[run.replicate]
    assert all(len(s) == 1 for s in by_replicate.values())
    assert len({next(iter(s)) for s in by_replicate.values()}) == 5


def test_extending_replicates_keeps_run_ids_and_seeds():
    table = design_table()
    small = plan_runs(["a", "b"], table, replicates=2, root_seed=5)
    large = plan_runs(["a", "b"], table, replicates=6, root_seed=5)
    old = {r.run_id: r for r in small}
    new = {r.run_id: r for r in large}
    assert set(old) <= set(new)
    for run_id, run in old.items():
        assert new[run_id] == run


def test_plan_is_replicate_major():
    runs = plan_runs(["a", "b"], design_table(), replicates=3, root_seed=1)
    first = runs[: 2 * 3]
    assert {r.replicate for r in first} == {0}
    assert {(r.policy, r.point) for r in first} == {(p, i) for p in "ab" for i in range(3)}
    assert [r.replicate for r in runs] == sorted(r.replicate for r in runs)


def test_changes_are_plain_python_numbers():
    # numpy scalars held in object columns, as a design read from a file may hold them
    table = pd.DataFrame({
        "time.steps": pd.Series([np.int64(10), np.int64(20)], dtype=object),
        "cmo.coordination": pd.Series([np.float64(0.25), np.float32(0.5)], dtype=object),
        "budget.per_week": np.array([1.5, 2.5]),
        "districts.capital.police": np.array([3, 4], dtype=np.int64),
    })
    runs = plan_runs(["a"], table, replicates=2, root_seed=3)
    for run in runs:
        for key, value in run.changes.items():
            assert not isinstance(value, np.generic), (key, type(value))
            assert type(value) in (int, float), (key, type(value))
        assert type(run.seed) is int
        assert type(run.changes["time.steps"]) is int
    assert runs[0].changes["time.steps"] == 10
    assert runs[1].changes["cmo.coordination"] == 0.5


def test_no_design_gives_one_point_with_no_changes():
    runs = plan_runs([NO_POLICY], pd.DataFrame(index=range(1)), replicates=3, root_seed=0)
    assert [r.changes for r in runs] == [{}, {}, {}]
    assert [r.point for r in runs] == [0, 0, 0]
