"""The results format: what a run or a batch writes, owned in one place.

Both sides depend on this module and on nothing else of each other: the model and the batch
layer write tables and a manifest in this format; analysis reads them without importing Mesa
or the model. Each measure travels with its label, unit and which way is better, so an old
results folder is read as it was written, not as today's code would describe it.

Standard library only, so that reading a results folder loads nothing of the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, is_dataclass
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]

STEP_COLUMNS = ("step", "date")
"""Columns of a run's per-step table that say which step a row is; the rest are measures."""

BATCH_ID_COLUMNS = ("run_id", "policy", "point", "replicate", "seed")
"""Columns that say which run of a batch a row belongs to (shards and summary start so)."""

POSTERIOR = "posterior"
"""The design method of a batch whose points are draws from a calibration's posterior."""

DRAW = "draw"
"""The column of a run's posterior draw (its design point) in a posterior batch's values.

Analysis adds it from the design method; comparisons pair runs by draw and replicate, so
parameter uncertainty enters the intervals beside seed noise.
"""

NO_POLICY = "none"
"""The policy label of runs of the scenario as written."""

MANIFEST = "manifest.json"
"""A batch folder's description: scenario, policies, design, measures, events, runs."""

JOURNAL = "runs.jsonl"
"""A batch folder's journal: one line per finished run, the truth when resuming."""

SHARDS = "timeseries"
"""A batch folder's subfolder of per-step Parquet shards, one per finished chunk."""

SUMMARY = "summary.parquet"
"""A batch folder's table of one row per finished run: ids, design, final and mean values."""

FORMAT = "ssrsim-batch"
FORMAT_VERSION = 2
"""Version of the manifest layout; analysis refuses any other, naming the version found."""


STATISTICS = ("final", "mean")
"""Per-run statistics of each measure in the summary: value at the last step, run average."""


def summary_column(statistic: str, measure: str) -> str:
    """The summary column of a statistic of a measure, e.g. `final_trust`."""
    return f"{statistic}_{measure}"


class ResultsError(ValueError):
    """A folder that is not a usable results folder, or a bad request of one."""


class FormatVersionError(ResultsError):
    """A manifest written in another version of the results format."""

    def __init__(self, source: str, found: int, written_by: str,
                 scenario_file: str | None) -> None:
        self.found = found
        if found > FORMAT_VERSION:
            advice = "upgrade ssrsim to read it"
        else:
            advice = (f"run the batch again with this ssrsim: ssrsim batch "
                      f"{scenario_file or 'SCENARIO'} --out {Path(source).parent} --force-new")
        super().__init__(f"{source} is in results format {found} (written by ssrsim "
                         f"{written_by}); this ssrsim reads format {FORMAT_VERSION}: {advice}")


@dataclass(frozen=True)
class MeasureInfo:
    """What a recorded measure means: its column name, label, unit and better direction."""

    name: str
    label: str
    unit: str
    better: Better | None
    description: str
    headline: bool = False

    @classmethod
    def unknown(cls, name: str) -> MeasureInfo:
        """A measure the manifest does not describe: its name as label, no direction."""
        return cls(name, name.replace("_", " ").capitalize(), "", None, "")


@dataclass(frozen=True)
class EventMarker:
    """A scheduled event as charts mark it: when, what, where, in which policies' runs.

    `date` is the event's own date when it was given as a date, else its step's start date
    (ISO format); `details` holds the event's other fields.
    """

    step: int
    date: str
    type: str
    label: str
    district: str | None
    details: dict[str, Any]
    policies: tuple[str, ...]


@dataclass(frozen=True)
class PolicyRecord:
    """A policy of the batch: the hash of its resolved scenario and the changes it makes."""

    scenario_hash: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class DesignRecord:
    """The batch's design: method, parameter paths, points, and the SALib problem if any.

    `source` says where points came from beyond the scenario: for method "posterior", the
    calibration's posterior file (path, sha256, particles, draws, columns of other cases left
    out, the calibration's `--set` changes).
    """

    method: str
    parameters: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    problem: dict[str, Any] | None = None
    source: dict[str, Any] | None = None


@dataclass(frozen=True)
class RunRecord:
    """One planned run: ids, design values, and how it went (pending, done or failed)."""

    run_id: str
    policy: str
    point: int
    replicate: int
    seed: int
    design: dict[str, Any]
    status: str
    error: str | None
    seconds: float | None


@dataclass(frozen=True)
class Counts:
    """How many runs are planned, done, failed and pending."""

    planned: int
    done: int
    failed: int
    pending: int


@dataclass(frozen=True)
class Manifest:
    """A batch folder's manifest.json: everything analysis needs besides the tables.

    `identity` (scenario, design and model code hashes) decides whether a folder may be
    resumed; `scenario` is the resolved base scenario as JSON, for the report's text.
    """

    scenario_file: str
    identity: dict[str, str]
    status: str
    started: str
    finished: str | None
    root_seed: int
    replicates: int
    policies: dict[str, PolicyRecord]
    design: DesignRecord
    measures: tuple[MeasureInfo, ...]
    events: tuple[EventMarker, ...]
    versions: dict[str, str]
    counts: Counts
    scenario: dict[str, Any]
    runs: tuple[RunRecord, ...]
    format_version: int = FORMAT_VERSION

    def measure(self, name: str) -> MeasureInfo:
        """The info of a measure (a plain one for a name the manifest does not list)."""
        return next((m for m in self.measures if m.name == name), None) or \
            MeasureInfo.unknown(name)

    @property
    def headline(self) -> list[str]:
        """The headline measures, in recorded order."""
        return [m.name for m in self.measures if m.headline]

    def to_json(self) -> str:
        """The manifest as strict JSON (no NaN or infinity), format and version first."""
        body = {k: v for k, v in vars(self).items() if k != "format_version"}
        document = {"format": FORMAT, "format_version": self.format_version, **body}
        return json.dumps(document, indent=2, allow_nan=False, default=_fields) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> Manifest:
        """Read a manifest; a ResultsError names `source` when it is not one of this format."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{source} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not str(data.get("format", "")).startswith(FORMAT):
            raise ResultsError(f"{source} is not an ssrsim batch manifest")
        version = _version(data, source)
        if version != FORMAT_VERSION:
            written_by = str((data.get("versions") or {}).get("ssrsim", "unknown"))
            raise FormatVersionError(source, version, written_by, data.get("scenario_file"))
        try:
            return _manifest(data)
        except (KeyError, TypeError) as exc:
            raise ResultsError(f"{source} lacks or garbles {exc}: the manifest is damaged; "
                               f"run the batch again") from exc

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read manifest.json from a path (see `from_json`)."""
        return cls.from_json(path.read_text(), str(path))


def _fields(value: object) -> dict[str, Any]:
    """A record's fields, for json.dumps (faster than dataclasses.asdict on many runs)."""
    if is_dataclass(value) and not isinstance(value, type):
        return vars(value)
    raise TypeError(f"{type(value).__name__} is not part of the results format")


def _version(data: dict[str, Any], source: str) -> int:
    """The manifest's format version; version 1 wrote it only as `ssrsim-batch/1`."""
    if "format_version" not in data:
        _, _, suffix = str(data["format"]).partition("/")
        return int(suffix) if suffix.isdigit() else 1
    version = data["format_version"]
    if not isinstance(version, int):
        raise ResultsError(f"{source}: format_version {version!r} is not a whole number")
    return version


def _manifest(data: dict[str, Any]) -> Manifest:
    design = data["design"]
    return Manifest(
        scenario_file=data["scenario_file"], identity=data["identity"],
        status=data["status"], started=data["started"], finished=data["finished"],
        root_seed=data["root_seed"], replicates=data["replicates"],
        policies={k: PolicyRecord(**v) for k, v in data["policies"].items()},
        design=DesignRecord(design["method"], tuple(design["parameters"]),
                            tuple(design["points"]), design.get("problem"),
                            design.get("source")),
        measures=tuple(MeasureInfo(**m) for m in data["measures"]),
        events=tuple(EventMarker(**{**e, "policies": tuple(e["policies"])})
                     for e in data["events"]),
        versions=data["versions"], counts=Counts(**data["counts"]),
        scenario=data["scenario"], runs=tuple(RunRecord(**r) for r in data["runs"]),
        format_version=data["format_version"],
    )
