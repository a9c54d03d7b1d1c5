"""Results folders that were damaged or filled up, and workers whose parent died (issue #14)."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from ssrsim.batch import ResultsStore, execute_batch, prepare_batch, runner
from ssrsim.batch import store as store_module
from ssrsim.batch.executors import InProcessExecutor, _watch
from ssrsim.batch.runner import POOL_STARTS, WORKER_DIED, chunk_runs
from ssrsim.cli import batch_summary

SMALL = ["space.width=20", "space.height=20", "time.steps=4"]


def small_batch(out: Path, replicates: int = 2):
    return prepare_batch("scenarios/baseline.yaml", out=out, overrides=SMALL,
                         replicates=replicates, policies=["status_quo", "coordinated"])


def check_once(out: Path, runs: int, rows: int = 5) -> None:
    """Every run once in the time series (`rows` rows each) and the summary."""
    series = pd.read_parquet(out / "timeseries")
    summary = pd.read_parquet(out / "summary.parquet")
    assert series["run_id"].nunique() == runs
    assert (series.groupby("run_id").size() == rows).all(), "a run is stored twice"
    assert len(summary) == runs == summary["run_id"].nunique()


@pytest.fixture
def finished(tmp_path):
    out = tmp_path / "b"
    execute_batch(small_batch(out), workers=0, chunk_size=1)
    return out


def test_a_garbage_last_journal_line_is_reported_and_its_run_redone(finished):
    journal = finished / "runs.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([*lines[:-1], "}}garbage{{"]) + "\n")
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 1 and report.already_done == 3
    assert any("line 4 cannot be read" in r for r in report.repairs)
    check_once(finished, 4)
    assert "garbage" not in journal.read_text()
    again = execute_batch(small_batch(finished), workers=0)
    assert (again.done, again.repairs) == (0, [])


def test_an_altered_status_word_does_not_store_a_run_twice(finished):
    journal = finished / "runs.jsonl"
    lines = journal.read_text().splitlines()
    last = json.loads(lines[-1])
    last["status"] = "dune"
    journal.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 1 and report.repairs
    check_once(finished, 4)


def test_a_run_journalled_in_two_shards_is_repaired(finished):
    journal = finished / "runs.jsonl"
    lines = journal.read_text().splitlines()
    first = json.loads(lines[0])
    shards = sorted((finished / "timeseries").glob("*.parquet"))
    own = next(p for p in shards if p.name == first["shard"])
    other = next(p for p in shards if p.name != first["shard"])
    both = pd.concat([pd.read_parquet(other), pd.read_parquet(own)], ignore_index=True)
    both.to_parquet(other, index=False)  # the run's rows now also in another shard
    records = [json.loads(line) for line in lines]
    for record in records:
        if record["shard"] == other.name:
            record["shard_runs"] = 2
    records.append({**first, "shard": other.name, "shard_runs": 2})
    journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 0
    assert any("stored again" in r for r in report.repairs)
    check_once(finished, 4)


def test_a_deleted_shard_is_found_and_its_runs_redone(finished):
    shard = sorted((finished / "timeseries").glob("*.parquet"))[0]
    shard.unlink()
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 1
    assert any("missing" in r for r in report.repairs)
    check_once(finished, 4)


def test_analysis_refuses_a_folder_whose_summary_and_time_series_disagree(finished):
    from ssrsim.analysis import load_results
    from ssrsim.results_format import ResultsError

    shards = sorted((finished / "timeseries").glob("*.parquet"))
    first = pd.read_parquet(shards[0])
    pd.concat([first, first]).to_parquet(shards[0], index=False)  # a run's steps twice
    with pytest.raises(ResultsError, match="steps twice"):
        load_results(finished)
    shards[0].unlink()
    with pytest.raises(ResultsError, match=r"1 run\(s\) in summary.parquet have no rows.*"
                                           r"Rerun the batch command"):
        load_results(finished)
    execute_batch(small_batch(finished), workers=0, chunk_size=1)  # the repair
    assert len(load_results(finished).summary) == 4


def test_compare_on_a_damaged_folder_exits_2_without_a_traceback(finished, capsys):
    from ssrsim.cli import main

    sorted((finished / "timeseries").glob("*.parquet"))[-1].unlink()
    assert main(["compare", str(finished), "--baseline", "status_quo"]) == 2
    err = capsys.readouterr().err
    assert "disagree" in err and "Traceback" not in err


def test_a_full_disk_is_a_clear_error_that_keeps_finished_runs(tmp_path, monkeypatch):
    out = tmp_path / "b"
    real = store_module.pq.write_table
    writes = {"n": 0}

    def fill_up(table, where, *args, **kwargs):
        if "part-" in str(where):
            writes["n"] += 1
            if writes["n"] > 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(store_module.pq, "write_table", fill_up)
    report = execute_batch(small_batch(out), workers=0, chunk_size=1)
    assert report.done == 2
    assert "the disk is full" in report.interrupted and "kept" in report.interrupted
    monkeypatch.undo()
    resumed = execute_batch(small_batch(out), workers=0, chunk_size=1)
    assert (resumed.already_done, resumed.done) == (2, 2)
    check_once(out, 4)


def test_a_full_disk_in_the_cli_exits_1_with_a_message(tmp_path, monkeypatch, capsys):
    from ssrsim.cli import main

    monkeypatch.setattr(store_module.ResultsStore, "record", lambda self, outcomes: (
        _ for _ in ()).throw(store_module.StoreError("cannot write: the disk is full; kept")))
    code = main(["batch", "scenarios/baseline.yaml", "--set", "space.width=20", "--set",
                 "space.height=20", "--steps", "3", "--policies", "status_quo",
                 "--workers", "0", "--out", str(tmp_path / "b")])
    assert code == 1
    captured = capsys.readouterr()
    assert "the disk is full" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


def test_journal_lines_are_strict_json(tmp_path):
    from ssrsim.batch.plan import RunSpec
    from ssrsim.batch.worker import Outcome

    store = ResultsStore(tmp_path)
    store.prepare()
    spec = RunSpec("r0", "p", 0, 0, 1, {})
    table = pd.DataFrame({"run_id": ["r0"], "step": [0], "trust": [float("inf")]})
    store.record([Outcome(spec, "done", 0.1, table, {"trust": float("inf")},
                          {"trust": float("nan")})])
    line = (tmp_path / "runs.jsonl").read_text()
    assert "Infinity" not in line and "NaN" not in line
    assert json.loads(line)["final"]["trust"] is None


def test_the_watchdog_exits_when_the_parent_is_gone(monkeypatch):
    exits = []
    monkeypatch.setattr(os, "_exit", exits.append)
    sentinel, parent_end = os.pipe()
    os.close(parent_end)  # the parent's end closed, as when it dies: returns at once
    _watch(sentinel)
    os.close(sentinel)
    assert exits == [1]


@pytest.mark.slow  # starts a parent with a process pool, kills it with SIGKILL
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_kill_9_of_the_parent_ends_its_workers(tmp_path):
    code = ("import os, time\n"
            "from ssrsim.batch.executors import open_executor\n"
            "with open_executor(2) as (pool, _):\n"
            "    pids = [pool.submit(os.getpid).result() for _ in range(8)]\n"
            "    print(' '.join(map(str, sorted(set(pids)))), flush=True)\n"
            "    time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert workers
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.1)
    alive = [p for p in workers if Path(f"/proc/{p}").exists()
             and "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]]
    assert alive == []


def test_rows_stored_twice_in_one_shard_are_removed(finished):
    shard = sorted((finished / "timeseries").glob("*.parquet"))[0]
    table = pd.read_parquet(shard)
    pd.concat([table, table]).to_parquet(shard, index=False)
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 0 and any("stored twice" in r for r in report.repairs)
    check_once(finished, 4)


def test_a_run_whose_rows_were_deleted_from_its_shard_is_redone(finished):
    journal = [json.loads(line) for line in (finished / "runs.jsonl").read_text().splitlines()]
    shard = finished / "timeseries" / journal[0]["shard"]
    table = pd.read_parquet(shard)
    table[table["run_id"] != journal[0]["run_id"]].to_parquet(shard, index=False)
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 1 and any("has no rows in its shard" in r for r in report.repairs)
    check_once(finished, 4)


def test_a_deleted_time_series_folder_is_a_clear_error_and_rerunning_redoes_it(finished):
    import shutil

    from ssrsim.analysis import load_results
    from ssrsim.results_format import ResultsError

    shutil.rmtree(finished / "timeseries")
    with pytest.raises(ResultsError, match="no time series"):
        load_results(finished).timeseries()
    report = execute_batch(small_batch(finished), workers=0, chunk_size=1)
    assert report.done == 4
    check_once(finished, 4)


class DyingPool(InProcessExecutor):
    """Runs chunks in this process, but its worker 'dies' at the `dies_at`-th submission of
    each of the first `deaths` pools opened (what a pool does when a worker is killed)."""

    opened = 0

    def __init__(self, deaths: int, dies_at: int = 2) -> None:
        type(self).opened += 1
        self.dying = type(self).opened <= deaths
        self.dies_at, self.submitted = dies_at, 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        if self.dying and self.submitted == self.dies_at:
            future = Future()
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            return future
        return super().submit(fn, *args, **kwargs)


def dying_pools(monkeypatch, deaths: int) -> None:
    DyingPool.opened = 0

    @contextmanager
    def opener(workers, scheduler, scheduler_file):
        yield DyingPool(deaths), 1

    monkeypatch.setattr(runner, "open_executor", opener)


def test_a_dead_worker_restarts_the_pool_and_the_batch_finishes(tmp_path, monkeypatch):
    dying_pools(monkeypatch, deaths=1)
    out = tmp_path / "b"
    report = execute_batch(small_batch(out, replicates=3), chunk_size=1)
    assert report.interrupted is None and report.restarts == 1
    assert (report.done, report.failed, report.planned) == (6, 0, 6)
    check_once(out, 6)
    assert "started afresh (1 time)" in batch_summary(report, str(out))


def test_a_worker_that_keeps_dying_stops_the_batch_after_three_pools(tmp_path, monkeypatch):
    dying_pools(monkeypatch, deaths=10)
    out = tmp_path / "b"
    report = execute_batch(small_batch(out, replicates=3), chunk_size=1)
    assert report.interrupted == WORKER_DIED and report.restarts == POOL_STARTS - 1
    assert DyingPool.opened == POOL_STARTS
    assert report.done == POOL_STARTS  # each pool finished one chunk of one run before dying
    assert len(ResultsStore(out).journal()) == POOL_STARTS
    assert "run the same command to resume" in batch_summary(report, str(out))


@pytest.mark.parametrize(("todo", "slots", "seconds", "size"), [
    (1000, 2, 0.6, 8),     # the baseline: about 5 s of work per chunk
    (1000, 2, 0.01, 50),   # tiny runs: at most 50
    (1000, 2, 30.0, 1),    # long runs: one each
    (20, 2, 0.01, 2),      # few runs: at least four chunks per worker
    (3, 4, 0.01, 1),
])
def test_chunks_hold_about_five_seconds_of_work(todo, slots, seconds, size):
    assert chunk_runs(todo, slots, seconds) == size


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow  # a real pool whose worker is killed
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_mid_batch_is_replaced_and_every_run_is_kept_once(tmp_path):
    out = tmp_path / "b"
    exe = str(Path(sys.executable).parent / "ssrsim")
    cmd = [exe, "batch", "scenarios/baseline.yaml", "--replicates", "10", "--policies",
           "status_quo", "--out", str(out), "--workers", "2", "--chunk-size", "1",
           *[a for s in SMALL for a in ("--set", s)], "--set", "time.steps=60"]
    batch = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    journal, deadline, killed = out / "runs.jsonl", time.monotonic() + 120, None
    while killed is None and time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 2:
            workers = [w for server in _children(batch.pid) for w in _children(server)]
            if workers:
                killed = workers[0]
                os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    output = batch.communicate(timeout=180)[0]
    assert killed is not None, "no worker was found to kill"
    assert batch.returncode == 0, output
    assert "10/10 runs done" in output and "started afresh (1 time)" in output
    assert "a worker process died; the finished runs are kept and the pool starts afresh " \
           "(1 of 2)" in output  # said when it happens, in a terminal and in logs
    check_once(out, 10, rows=61)

