"""The results folder of a batch, written so that an interruption loses nothing finished.

Layout:
    manifest.json        the resolved scenario, design, seeds, versions, times, and per run:
                         id, policy, replicate, design point, seed, status, error, wall time
    runs.jsonl           the journal: one line per finished run, appended and synced as runs
                         finish (the truth when resuming)
    timeseries/*.parquet per-step series in long format, one shard per finished chunk
    summary.parquet      one row per finished run: final and time-averaged measures

Every file is written atomically (write to a temporary name, then rename); a shard is
renamed into place before its runs are journalled, and shards no journal line names are
removed on resume, so a run is never counted twice.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .worker import Outcome

MANIFEST = "manifest.json"
JOURNAL = "runs.jsonl"
SHARDS = "timeseries"
SUMMARY = "summary.parquet"


class StoreError(OSError):
    """The results folder cannot be used."""


class ResultsStore:
    """Reads and writes one batch's results folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

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

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None when the folder holds no batch."""
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text())

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write manifest.json atomically."""
        _atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2) + "\n")

    def journal(self) -> dict[str, dict[str, Any]]:
        """The latest journal record of each run (a later success replaces a failure)."""
        path = self.root / JOURNAL
        records: dict[str, dict[str, Any]] = {}
        if not path.exists():
            return records
        with path.open() as lines:
            for line in lines:
                if not line.endswith("\n"):
                    break  # a line cut short by a crash: that run is redone
                record = json.loads(line)
                records[record["run_id"]] = record
        return records

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
            _atomic_write(self.root / SHARDS / shard,
                          lambda tmp: pq.write_table(table, tmp))
        records = [_record(o, shard if o.status == "done" else None) for o in outcomes]
        with (self.root / JOURNAL).open("a") as journal:
            journal.writelines(json.dumps(r) + "\n" for r in records)
            journal.flush()
            os.fsync(journal.fileno())
        return records

    def write_summary(self, records: dict[str, dict[str, Any]]) -> int:
        """Write summary.parquet from the done runs; returns the number of rows."""
        rows = [_summary_row(r) for r in records.values() if r["status"] == "done"]
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame = frame.sort_values("run_id", kind="stable").reset_index(drop=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        _atomic_write(self.root / SUMMARY, lambda tmp: pq.write_table(table, tmp))
        return len(rows)


def _record(outcome: Outcome, shard: str | None) -> dict[str, Any]:
    spec = outcome.spec
    return {"run_id": spec.run_id, "policy": spec.policy, "point": spec.point,
            "replicate": spec.replicate, "seed": spec.seed, "changes": spec.changes,
            "status": outcome.status, "error": outcome.error,
            "seconds": round(outcome.seconds, 3), "shard": shard,
            "final": outcome.final, "mean": outcome.mean}


def _summary_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record[k] for k in ("run_id", "policy", "point", "replicate", "seed")}
    row.update(record["changes"])
    row.update({f"final_{k}": v for k, v in record["final"].items()})
    row.update({f"mean_{k}": v for k, v in record["mean"].items()})
    return row


def _atomic_write(path: Path, write) -> None:
    """Write through `write(tmp_path)` to a temporary name, then rename into place."""
    tmp = path.parent / f".{path.name}.tmp"
    write(tmp)
    os.replace(tmp, path)


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(text))
