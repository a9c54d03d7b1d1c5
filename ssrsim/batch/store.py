"""The results folder of a batch, written so that an interruption loses nothing finished.

Layout (file names and the manifest's shape are owned by `ssrsim.results_format`):
    manifest.json        the resolved scenario, policies, design, measures, events, seeds,
                         versions, times, and per run: id, policy, replicate, design point,
                         seed, status, error, wall time
    runs.jsonl           the journal: one line per finished run (with its measures),
                         appended and synced as chunks finish (the truth when resuming)
    timeseries/*.parquet per-step series in long format, one shard per finished chunk
    summary.parquet      one row per finished run: final and time-averaged measures

Every file is written atomically (write to a temporary name, then rename); a shard is
renamed into place before its runs are journalled, each journal line says how many runs its
shard holds, and on resume a shard not fully journalled is removed with its runs redone, so a
run is never counted twice. The parent's memory barely grows with the number of runs (under
1 KiB per run): the journal is read without the measures, and the summary is written from it
in batches.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..results_format import (
    BATCH_ID_COLUMNS,
    JOURNAL,
    MANIFEST,
    SHARDS,
    STATISTICS,
    SUMMARY,
    Manifest,
    summary_column,
)
from .worker import Outcome

SUMMARY_BATCH = 1000


class StoreError(OSError):
    """The results folder cannot be used."""


class ResultsStore:
    """Reads and writes one batch's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.repairs: list[str] = []
        """What checking the folder found and repaired (unreadable lines, missing shards)."""

    @property
    def manifest_path(self) -> Path:
        """Where manifest.json lives."""
        return self.root / MANIFEST

    def prepare(self) -> None:
        """Create the folder and check it is writable."""
        try:
            (self.root / SHARDS).mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-test-{uuid.uuid4().hex}"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"cannot write to the output folder {self.root}: "
                             f"{exc.strerror or exc}") from exc

    def clear(self) -> None:
        """Delete an earlier batch's results (for --force-new)."""
        for name in (MANIFEST, JOURNAL, SUMMARY):
            (self.root / name).unlink(missing_ok=True)
        shutil.rmtree(self.root / SHARDS, ignore_errors=True)

    def read_manifest(self) -> Manifest | None:
        """The manifest, or None when the folder holds no batch.

        Raises ResultsError (FormatVersionError for another format version) when the file
        is not a manifest this ssrsim reads.
        """
        if not self.manifest_path.exists():
            return None
        return Manifest.read(self.manifest_path)

    def write_manifest(self, manifest: Manifest) -> None:
        """Write manifest.json atomically."""
        _atomic_write_text(self.manifest_path, manifest.to_json())

    def journal(self) -> dict[str, dict[str, Any]]:
        """The latest valid record of each run, without its measures (kept small).

        A record is valid when its line is complete and every run of its shard was
        journalled; a crash can leave neither a half line (it is cut off here, so later
        appends start clean) nor a shard whose runs are only partly journalled (those runs
        are redone and the shard is removed as an orphan).
        """
        lines = list(self._lines())
        named = Counter(r["shard"] for _, r in lines if r.get("shard"))
        present = {p.name for p in (self.root / SHARDS).glob("*.parquet")}
        records: dict[str, dict[str, Any]] = {}
        for index, record in lines:
            shard = record.get("shard")
            if shard and named[shard] != record.get("shard_runs"):
                continue
            if shard and shard not in present:
                self._repaired(f"{JOURNAL} line {index + 1}: run {record['run_id']} is in "
                               f"shard {shard}, which is missing; the run is redone")
                continue
            record.pop("final", None)
            record.pop("mean", None)
            records[record["run_id"]] = {**record, "line": index}
        return records

    def compact_journal(self) -> None:
        """Rewrite the journal without lines that cannot be read (so each is reported once)."""
        path = self.root / JOURNAL
        if not path.exists():
            return
        data = path.read_bytes()
        good = [line for line in data.splitlines(keepends=True)
                if line.endswith(b"\n") and _valid_record(line) is not None]
        if len(good) != data.count(b"\n"):
            _atomic_write(path, lambda tmp: tmp.write_bytes(b"".join(good)))

    def _repaired(self, message: str) -> None:
        if message not in self.repairs:
            self.repairs.append(message)

    def duplicated(self, records: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
        """Shards holding rows of runs whose valid record names another shard, by shard."""
        latest = {run_id: r.get("shard") for run_id, r in records.items()}
        stale: dict[str, set[str]] = {}
        for _, record in self._lines():
            shard, run_id = record.get("shard"), record["run_id"]
            if shard and run_id in latest and latest[run_id] != shard:
                stale.setdefault(shard, set()).add(run_id)
        return stale

    def remove_duplicates(self, records: dict[str, dict[str, Any]]) -> int:
        """Drop from each shard the rows of runs that a later record puts elsewhere."""
        removed = 0
        for shard, run_ids in self.duplicated(records).items():
            path = self.root / SHARDS / shard
            if not path.exists():
                continue
            table = pq.read_table(path)
            mask = [r not in run_ids for r in table.column("run_id").to_pylist()]
            dropped = mask.count(False)
            if dropped:
                _write_table(path, table.filter(pa.array(mask)))
                removed += dropped
                self._repaired(f"shard {shard}: {dropped} rows of {len(run_ids)} runs "
                               f"stored again in a later shard were removed")
        return removed

    def check_rows(self, records: dict[str, dict[str, Any]]) -> None:
        """Hold each shard to the journal's records (runs forgotten here are redone).

        Steps stored twice are dropped from the shard; a run with no rows in the shard its
        record names is forgotten.
        """
        by_shard: dict[str, set[str]] = {}
        for run_id, record in records.items():
            if record.get("shard"):
                by_shard.setdefault(record["shard"], set()).add(run_id)
        for shard, run_ids in by_shard.items():
            path = self.root / SHARDS / shard
            if not path.exists():  # `journal` has reported it and left its runs out
                continue
            keys = pq.read_table(path, columns=["run_id", "step"]).to_pandas()
            repeated = keys.duplicated().to_numpy()
            if repeated.any():
                _write_table(path, pq.read_table(path).filter(pa.array(~repeated)))
                self._repaired(f"shard {shard}: {int(repeated.sum())} rows stored twice were "
                               f"removed")
            for run_id in sorted(run_ids - set(keys["run_id"])):
                del records[run_id]
                self._repaired(f"run {run_id} has no rows in its shard {shard}; it is redone")

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Complete journal lines, numbered; a partial last line is cut off the file."""
        path = self.root / JOURNAL
        if not path.exists():
            return
        data = path.read_bytes()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            with path.open("r+b") as journal:
                journal.truncate(complete)
        for index, line in enumerate(data[:complete].splitlines()):
            record = _valid_record(line)
            if record is None:
                self._repaired(f"{JOURNAL} line {index + 1} cannot be read (not a run record "
                               f"of this format); its run and the rest of its chunk are "
                               f"redone")
                continue
            yield index, record

    def remove_orphans(self, records: dict[str, dict[str, Any]]) -> int:
        """Delete shards and temporary files no journal record names; returns how many."""
        named = {r["shard"] for r in records.values() if r.get("shard")}
        orphans = [p for p in (self.root / SHARDS).iterdir() if p.name not in named]
        orphans += list(self.root.glob(".*.tmp"))
        for path in orphans:
            path.unlink()
        return len(orphans)

    def record(self, outcomes: list[Outcome]) -> list[dict[str, Any]]:
        """Write a chunk's tables as one shard, then journal every run of the chunk."""
        tables = [o.table for o in outcomes if o.table is not None]
        shard = None
        if tables:
            shard = f"part-{uuid.uuid4().hex}.parquet"
            table = pa.Table.from_pandas(pd.concat(tables, ignore_index=True),
                                         preserve_index=False)
            try:
                _atomic_write(self.root / SHARDS / shard,
                              lambda tmp: pq.write_table(table, tmp))
            except OSError as exc:
                raise self._write_error(exc, f"the time series of {len(outcomes)} runs") from exc
        records = [_record(o, shard if o.status == "done" else None, len(tables))
                   for o in outcomes]
        text = "".join(json.dumps(_finite(r), allow_nan=False) + "\n" for r in records)
        path = self.root / JOURNAL
        size = path.stat().st_size if path.exists() else 0
        try:
            with path.open("a") as journal:
                journal.write(text)
                journal.flush()
                os.fsync(journal.fileno())
        except OSError as exc:
            with open(path, "r+b") as journal:  # no half chunk in the journal
                journal.truncate(size)
            raise self._write_error(exc, f"the journal lines of {len(outcomes)} runs") from exc
        return records

    def _write_error(self, exc: OSError, what: str) -> StoreError:
        """A clear error for a failed write, saying what is kept."""
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        error = StoreError(f"cannot write {what} to {self.root}: {reason}. Every run finished "
                           f"before is kept in {self.root / JOURNAL} and {self.root / SHARDS}; "
                           f"the runs not written are redone when the same command is run "
                           f"again")
        error.errno = exc.errno
        return error

    def write_summary(self) -> int:
        """Write summary.parquet from the done runs, streaming the journal; returns the rows.

        Rows are sorted by run id. The journal is read in batches and rows are kept only as
        compact Arrow columns, so memory grows little with the number of runs.
        """
        wanted = {r["line"] for r in self.journal().values() if r["status"] == "done"}
        rows: list[dict[str, Any]] = []
        count = 0
        with _SummaryWriter(self.root / SUMMARY) as writer:
            for index, record in self._lines():
                if index in wanted:
                    rows.append(_summary_row(record))
                if len(rows) == SUMMARY_BATCH:
                    count += writer.write(rows)
                    rows = []
            count += writer.write(rows)
        return count


_STATUSES = ("done", "failed")


def _valid_record(line: bytes) -> dict[str, Any] | None:
    """A journal line as a record, or None when it is not one this format writes."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("run_id"), str):
        return None
    if record.get("status") not in _STATUSES:
        return None
    shard = record.get("shard")
    if shard is not None and not (isinstance(shard, str) and shard.startswith("part-")
                                  and "/" not in shard and isinstance(
                                      record.get("shard_runs"), int)):
        return None
    if record["status"] == "done" and not (shard and isinstance(record.get("final"), dict)
                                           and isinstance(record.get("mean"), dict)):
        return None
    return record


def _finite(data: Any) -> Any:
    """Data with NaN and infinite floats as None (the journal is strict JSON)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def _record(outcome: Outcome, shard: str | None, shard_runs: int) -> dict[str, Any]:
    spec = outcome.spec
    return {"run_id": spec.run_id, "policy": spec.policy, "point": spec.point,
            "replicate": spec.replicate, "seed": spec.seed, "changes": spec.changes,
            "status": outcome.status, "error": outcome.error,
            "seconds": round(outcome.seconds, 3), "shard": shard,
            "shard_runs": shard_runs if shard else 0,
            "final": outcome.final, "mean": outcome.mean}


def _summary_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record[k] for k in BATCH_ID_COLUMNS}
    row.update(record["changes"])
    for statistic in STATISTICS:
        row.update({summary_column(statistic, k): _number(v)
                    for k, v in record[statistic].items()})
    return row


def _number(value: Any) -> float:
    """Measures as floats (a missing value, e.g. an empty district's trust, as NaN)."""
    return float("nan") if value is None else float(value)


class _SummaryWriter:
    """Writes summary rows in batches to a temporary Parquet file, renamed when closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.parent / f".{path.name}.tmp"
        self.writer: pq.ParquetWriter | None = None

    def __enter__(self) -> _SummaryWriter:
        return self

    def write(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        frame = pd.DataFrame(rows)
        if self.writer is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self.writer = pq.ParquetWriter(self.tmp, table.schema)
        else:
            table = pa.Table.from_pandas(frame, schema=self.writer.schema,
                                         preserve_index=False)
        self.writer.write_table(table)
        return len(rows)

    def __exit__(self, *exc: object) -> None:
        if self.writer is None:
            pq.write_table(pa.table({}), self.tmp)
        else:  # sorted by run id (compact Arrow columns), so any executor gives one file
            self.writer.close()
            pq.write_table(pq.read_table(self.tmp).sort_by("run_id"), self.tmp)
        if exc[0] is None:
            os.replace(self.tmp, self.path)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write through `write(tmp_path)` to a temporary name, then rename into place."""
    tmp = path.parent / f".{path.name}.tmp"
    write(tmp)
    os.replace(tmp, path)


def _write_table(path: Path, table: pa.Table) -> None:
    _atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(text))
