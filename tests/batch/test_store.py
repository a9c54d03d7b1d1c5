"""The results folder: atomic shards, the journal, orphans, the summary, crash safety."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssrsim.batch.plan import RunSpec
from ssrsim.batch.store import JOURNAL, SHARDS, SUMMARY, ResultsStore, StoreError
from ssrsim.batch.worker import Outcome

STEPS = 3


def spec(run_id: str, point: int = 0, replicate: int = 0, coordination: float = 0.5) -> RunSpec:
    return RunSpec(run_id, "pol", point, replicate, 1000 + replicate,
                   {"cmo.coordination": coordination})


def done(run_id: str, trust: float = 0.4, **kwargs) -> Outcome:
    s = spec(run_id, **kwargs)
    table = pd.DataFrame({"run_id": [run_id] * (STEPS + 1), "policy": s.policy,
                          "step": range(STEPS + 1),
                          "trust": [trust + 0.01 * i for i in range(STEPS + 1)]})
    return Outcome(s, "done", 0.25, table, {"trust": trust + 0.03, "stability": 0.9},
                   {"trust": trust + 0.015, "stability": 0.8})


def failed(run_id: str) -> Outcome:
    return Outcome(spec(run_id), "failed", 0.01, error="Traceback ...\nValueError: boom")


def new_store(root: Path) -> ResultsStore:
    store = ResultsStore(root)
    store.prepare()
    return store


def shard_files(store: ResultsStore) -> list[Path]:
    return sorted((store.root / SHARDS).iterdir())


def all_tmp(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def journal_lines(store: ResultsStore) -> list[dict]:
    text = (store.root / JOURNAL).read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# --- prepare ----------------------------------------------------------------------------

def test_prepare_creates_folder_and_leaves_no_probe(tmp_path):
    store = new_store(tmp_path / "a" / "b")
    assert (store.root / SHARDS).is_dir()
    assert list(store.root.iterdir()) == [store.root / SHARDS]


def test_prepare_unwritable_path_raises_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot write to the output folder"):
        ResultsStore(blocker / "results").prepare()
    assert issubclass(StoreError, OSError)


# --- record -----------------------------------------------------------------------------

def test_record_writes_one_shard_and_journals_every_run(tmp_path):
    store = new_store(tmp_path)
    records = store.record([done("a"), failed("b"), done("c", trust=0.7)])
    shards = shard_files(store)
    assert len(shards) == 1
    assert all_tmp(tmp_path) == []
    table = pq.read_table(shards[0]).to_pandas()
    assert sorted(table["run_id"].unique()) == ["a", "c"]
    assert len(table) == 2 * (STEPS + 1)
    lines = journal_lines(store)
    assert lines == records
    assert [r["run_id"] for r in lines] == ["a", "b", "c"]
    assert [r["status"] for r in lines] == ["done", "failed", "done"]
    assert lines[0]["shard"] == lines[2]["shard"] == shards[0].name
    assert lines[1]["shard"] is None
    assert "boom" in lines[1]["error"]
    assert lines[0]["final"]["trust"] == pytest.approx(0.43)
    assert lines[0]["changes"] == {"cmo.coordination": 0.5}


def test_record_appends_and_each_chunk_gets_its_own_shard(tmp_path):
    store = new_store(tmp_path)
    store.record([done("a")])
    store.record([done("b"), done("c")])
    assert len(shard_files(store)) == 2
    lines = journal_lines(store)
    assert [r["run_id"] for r in lines] == ["a", "b", "c"]
    assert lines[0]["shard"] != lines[1]["shard"] == lines[2]["shard"]


def test_record_only_failures_writes_no_shard(tmp_path):
    store = new_store(tmp_path)
    store.record([failed("a"), failed("b")])
    assert shard_files(store) == []
    assert [r["shard"] for r in journal_lines(store)] == [None, None]


# --- journal ----------------------------------------------------------------------------

def test_journal_of_empty_folder_is_empty(tmp_path):
    assert new_store(tmp_path).journal() == {}


def test_journal_keeps_latest_record_per_run(tmp_path):
    store = new_store(tmp_path)
    store.record([failed("a"), done("b")])
    store.record([done("a", trust=0.6)])
    records = store.journal()
    assert set(records) == {"a", "b"}
    assert records["a"]["status"] == "done"
    assert "final" not in records["a"]  # the journal is read without measures (memory)
    store.write_summary()
    summary = pd.read_parquet(store.root / SUMMARY).set_index("run_id")
    assert summary.loc["a", "final_trust"] == pytest.approx(0.63)


def test_journal_ignores_last_line_cut_short(tmp_path):
    store = new_store(tmp_path)
    store.record([done("a")])
    store.record([done("b")])
    path = store.root / JOURNAL
    data = path.read_bytes()
    path.write_bytes(data[:-25])  # the crash cut the last line short
    assert set(store.journal()) == {"a"}
    path.write_bytes(data[:-1])  # only the final newline is missing
    assert set(store.journal()) == {"a"}


def test_record_after_crash_mid_line_keeps_journal_readable(tmp_path):
    """Resume after a crash that cut the journal mid-line, as the runner does it."""
    store = new_store(tmp_path)
    store.record([done("a")])
    store.record([done("b")])
    path = store.root / JOURNAL
    path.write_bytes(path.read_bytes()[:-40])  # crash while "b" was being journalled
    records = store.journal()
    store.remove_orphans(records)
    assert set(records) == {"a"}
    store.record([done("b")])  # the resumed batch redoes "b" and journals it
    records = store.journal()
    assert set(records) == {"a", "b"}
    assert all(r["status"] == "done" for r in records.values())


# --- orphans ----------------------------------------------------------------------------

def test_remove_orphans_deletes_unnamed_shards_and_tmp_files(tmp_path):
    store = new_store(tmp_path)
    store.record([done("a")])
    store.record([done("b")])
    kept = shard_files(store)
    named = {r["shard"] for r in store.journal().values()}
    assert {p.name for p in kept} == named
    orphan = store.root / SHARDS / "part-deadbeef.parquet"
    orphan.write_bytes(kept[0].read_bytes())
    tmp_shard = store.root / SHARDS / ".part-cafe.parquet.tmp"
    tmp_shard.write_bytes(b"half a parquet file")
    tmp_summary = store.root / f".{SUMMARY}.tmp"
    tmp_summary.write_bytes(b"half a summary")
    tmp_manifest = store.root / ".manifest.json.tmp"
    tmp_manifest.write_text("{")

    removed = store.remove_orphans(store.journal())
    assert removed == 4
    assert shard_files(store) == kept
    assert all_tmp(tmp_path) == []
    assert (store.root / JOURNAL).exists()


def test_remove_orphans_drops_shard_whose_runs_were_all_replaced(tmp_path):
    store = new_store(tmp_path)
    store.record([done("a")])
    first = shard_files(store)
    # a record naming no shard for "a" (a later failure) leaves the first shard unnamed
    store.record([failed("a")])
    assert store.remove_orphans(store.journal()) == 1
    assert not first[0].exists()


# --- summary ----------------------------------------------------------------------------

def test_write_summary_one_row_per_done_run(tmp_path):
    store = new_store(tmp_path)
    store.record([done("r2", trust=0.2, point=1, coordination=0.9), failed("r9")])
    store.record([done("r1", trust=0.1, replicate=3, coordination=0.1)])
    assert store.write_summary() == 2
    assert all_tmp(tmp_path) == []
    summary = pd.read_parquet(store.root / SUMMARY)
    assert summary["run_id"].tolist() == ["r1", "r2"]  # sorted by run id, failures left out
    for column in ("run_id", "policy", "point", "replicate", "seed", "cmo.coordination",
                   "final_trust", "final_stability", "mean_trust", "mean_stability"):
        assert column in summary.columns, column
    assert summary["cmo.coordination"].tolist() == [0.1, 0.9]
    assert summary["final_trust"].tolist() == pytest.approx([0.13, 0.23])
    assert summary["mean_trust"].tolist() == pytest.approx([0.115, 0.215])
    assert summary["replicate"].tolist() == [3, 0]
    assert summary["point"].tolist() == [0, 1]


def test_write_summary_with_no_done_runs_writes_an_empty_table(tmp_path):
    store = new_store(tmp_path)
    store.record([failed("a")])
    assert store.write_summary() == 0
    assert len(pd.read_parquet(store.root / SUMMARY)) == 0


# --- crash safety -----------------------------------------------------------------------

def test_crash_between_journal_lines_of_a_chunk_counts_no_run_twice(tmp_path):
    """A crash after some of a chunk's journal lines: its shard must not hold unjournalled runs.

    record() writes one shard for the whole chunk and then one journal line per run. If the
    journal keeps only the first lines, the shard is still named (so not removed) but also
    holds the rows of the runs the journal lost; those runs are redone, and their rows then
    sit in two shards.
    """
    store = new_store(tmp_path)
    store.record([done("a"), done("b"), done("c")])
    path = store.root / JOURNAL
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]))  # "c" was never journalled
    records = store.journal()
    store.remove_orphans(records)
    store.record([done("c")])  # the resumed batch redoes "c"
    records = store.journal()
    store.remove_orphans(records)
    assert_consistent(store, records)


def assert_consistent(store: ResultsStore, records: dict[str, dict]) -> None:
    """Every shard holds exactly the runs whose (latest, done) record names it, and back."""
    files = {p.name for p in (store.root / SHARDS).iterdir()}
    assert all_tmp(store.root) == []
    named: dict[str, set[str]] = {}
    for run_id, record in records.items():
        if record["status"] == "done":
            assert record["shard"] in files, (run_id, record["shard"])
            named.setdefault(record["shard"], set()).add(run_id)
        else:
            assert record["shard"] is None
    assert files == set(named)
    for name in files:
        runs = set(pq.read_table(store.root / SHARDS / name, columns=["run_id"])
                   .column("run_id").to_pylist())
        assert runs == named[name], name


RUN_IDS = [f"r{i}" for i in range(8)]

record_op = st.tuples(
    st.just("record"),
    st.lists(st.tuples(st.integers(0, len(RUN_IDS) - 1), st.booleans()), min_size=1,
             max_size=4, unique_by=lambda t: t[0]),
)
crash_op = st.tuples(
    st.just("crash"),
    st.tuples(st.floats(0, 1), st.booleans(), st.booleans()),
)


@given(ops=st.lists(st.one_of(record_op, crash_op), min_size=1, max_size=8),
       final_cut=st.floats(0, 1))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_any_records_and_crashes_leave_a_consistent_folder(ops, final_cut):
    """Record chunks as the runner does, crash anywhere, resume; the folder stays consistent.

    A crash truncates the journal at a random byte offset (possibly mid-line), may leave a
    half-written shard or summary behind, and is followed by the runner's resume steps
    (journal(), then remove_orphans()) before more chunks are recorded. Like the runner, only
    runs not already done are recorded again.
    """
    with tempfile.TemporaryDirectory() as folder:
        store = new_store(Path(folder))
        records: dict[str, dict] = {}

        def crash(cut: float, tmp_shard: bool, tmp_summary: bool) -> None:
            path = store.root / JOURNAL
            if path.exists():
                size = path.stat().st_size
                with path.open("r+b") as journal:
                    journal.truncate(int(cut * size))
            if tmp_shard:
                (store.root / SHARDS / ".part-0123.parquet.tmp").write_bytes(b"PAR1")
            if tmp_summary:
                (store.root / f".{SUMMARY}.tmp").write_bytes(b"PAR1")
            records.clear()
            records.update(store.journal())
            store.remove_orphans(records)

        for op, arg in ops:
            if op == "record":
                chunk = [(RUN_IDS[i], ok) for i, ok in arg
                         if records.get(RUN_IDS[i], {}).get("status") != "done"]
                if chunk:
                    outcomes = [done(r) if ok else failed(r) for r, ok in chunk]
                    for record in store.record(outcomes):
                        records[record["run_id"]] = record
            else:
                crash(*arg)
        crash(final_cut, True, True)
        assert_consistent(store, records)
        assert records == store.journal()
