"""Running a batch: check everything first, then stream runs to disk, resumably.

`prepare_batch` resolves the scenario for each policy, builds the design and the run plan,
and opens the results folder, refusing a folder that holds a different batch; every input
error surfaces here, before any run starts. `execute_batch` runs what is not done yet on an
executor, writing each finished chunk at once, so an interruption keeps every finished run
and running the same command again finishes only what is missing. Chunks hold about
`CHUNK_SECONDS` of work, so a killed worker loses little; when a local worker process dies
(killed for memory, say), the pool is started afresh and the batch goes on, up to
`POOL_STARTS` times.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import platform
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from ..model.measures import measure_info
from ..results_format import (
    FORMAT_VERSION,
    NO_POLICY,
    POSTERIOR,
    Counts,
    DesignRecord,
    EventMarker,
    FormatVersionError,
    Manifest,
    PolicyRecord,
    ResultsError,
    RunRecord,
)
from ..scenario import (
    Experiment,
    Scenario,
    ScenarioError,
    apply_changes,
    load_experiment,
    scenario_hash,
)
from ..workload import Workload, WorkloadError, check, estimate
from .design import DesignError, design_size, read_design_file, salib_problem, sweep_design
from .executors import open_executor
from .plan import RunSpec, plan_runs
from .posterior import posterior_design, read_posterior
from .store import ResultsStore, StoreError
from .worker import execute_chunk

ProgressCallback = Callable[[int, int, int], None]
"""Called with (runs done, runs failed, runs to do) as chunks finish."""

CHUNK_SECONDS = 5.0
"""About this much work (estimated, `ssrsim.workload`) per chunk of runs sent to a worker: long
enough that sending it costs little, short enough that a dead worker loses little."""

MAX_CHUNK = 50
"""Most runs in a chunk, however short they are."""

POOL_STARTS = 3
"""Times a local pool is started in one call: after a worker dies, twice more."""

WORKER_DIED = "a worker process died"

LOG = logging.getLogger(__name__)
"""Restarts are told here (with no logging set up, Python prints warnings on stderr)."""


class BatchInputError(ValueError):
    """Bad batch input, found before any run starts."""


@dataclass
class Batch:
    """A prepared batch: scenarios per policy, design, plan and results folder."""

    source: str
    base: Scenario
    scenarios: dict[str, Scenario]
    design: pd.DataFrame
    design_method: str
    design_source: dict[str, Any] | None
    """Where the design came from beyond the scenario: a posterior's file and draws."""
    replicates: int
    runs: list[RunSpec]
    store: ResultsStore
    identity: dict[str, str]
    workload: Workload
    """The estimate for the batch's largest run, times its number of runs."""


@dataclass
class BatchReport:
    """What a call to `execute_batch` did."""

    planned: int
    already_done: int
    done: int = 0
    failed: int = 0
    interrupted: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)
    """What checking the results folder found and repaired before running."""
    restarts: int = 0
    """Times the local pool was started afresh after a worker process died."""


def prepare_batch(
    scenario: str | Path | Experiment,
    *,
    out: str | Path,
    replicates: int = 1,
    policies: Sequence[str] | str | None = None,
    overrides: Sequence[str] = (),
    design_file: str | Path | None = None,
    posterior: str | Path | None = None,
    draws: int = 20,
    force_new: bool = False,
    allow_large: bool = False,
) -> Batch:
    """Resolve and check a batch; raises ScenarioError or BatchInputError on bad input.

    Work over the ceiling (`ssrsim.workload`: too many runs, or a run too long or too big
    for memory) is bad input too, unless `allow_large`; the number of runs is checked before
    the design is built.

    Args:
        scenario: the scenario file, or the file already read with `load_experiment` (then
            with its own overrides, and `overrides` must be empty).
        out: the results folder.
        replicates: runs per policy and design point.
        policies: policy names, "all", or None (all policies, or the scenario as written
            when it has none).
        overrides: `path=value` changes applied to every run (as `ssrsim run --set`).
        design_file: a CSV/Parquet table of parameter rows, instead of the `sweep:` block.
        posterior: a calibration's posterior.parquet (or its folder): the design is `draws`
            worlds drawn from it by weight (see `ssrsim.batch.posterior`).
        draws: how many posterior draws (with `posterior` only).
        force_new: delete an earlier, different batch in `out` instead of refusing.
        allow_large: run work over the ceiling anyway.

    """
    if replicates < 1:
        raise BatchInputError(f"--replicates must be at least 1, got {replicates}")
    experiment = _experiment(scenario, overrides)
    base = experiment.base
    names = _policy_names(base, policies)
    scenarios = {name: base if name == NO_POLICY else experiment.scenario(name)
                 for name in names}
    if design_file is None:  # a sweep's size is known before its points are built
        points = draws if posterior is not None else design_size(base.sweep)
        _check_workload([estimate(base, points * len(names) * replicates)], allow_large)
    design, method, source = _design(base, design_file, posterior, draws)
    workloads = _largest_run(scenarios.values(), design, len(design) * len(names) * replicates)
    _check_workload(workloads, allow_large)
    _check_policies_against_design(base, names, design)
    store = ResultsStore(out)
    identity = {"scenario_hash": scenario_hash(base), "design_hash": _frame_hash(design),
                "model_code_hash": model_code_hash()}
    _check_folder(store, identity, force_new)
    runs = plan_runs(names, design, replicates, base.seed)
    return Batch(experiment.source, base, scenarios, design, method, source, replicates, runs,
                 store, identity, max(workloads, key=lambda w: w.run_seconds))


def _largest_run(scenarios: Iterable[Scenario], design: pd.DataFrame, runs: int
                 ) -> list[Workload]:
    """Estimates for each policy's scenario, with each design column at its largest."""
    highest = {k: (v.item() if hasattr(v, "item") else v)
               for k, v in design.max(numeric_only=True).items()}
    found = []
    for scenario in scenarios:
        try:
            scenario = apply_changes(scenario, highest, source="design") if highest else scenario
        except ScenarioError:
            pass  # maxima that do not fit together (shares): the scenario as it stands
        found.append(estimate(scenario, runs))
    return found


def _check_workload(workloads: list[Workload], allow_large: bool) -> None:
    try:
        for workload in workloads:
            check(workload, allow_large=allow_large)
    except WorkloadError as exc:
        raise BatchInputError(str(exc)) from exc


def _experiment(scenario: str | Path | Experiment, overrides: Sequence[str]) -> Experiment:
    """The scenario file read once (or as the caller read it)."""
    if not isinstance(scenario, Experiment):
        return load_experiment(scenario, overrides=overrides)
    if overrides:
        raise BatchInputError("overrides go to load_experiment when a batch is given an "
                              "experiment already read")
    return scenario


def _policy_names(base: Scenario, policies: Sequence[str] | str | None) -> list[str]:
    available = list(base.policies)
    if policies is None or policies == "all":
        return available or [NO_POLICY]
    names = [policies] if isinstance(policies, str) else list(policies)
    unknown = [n for n in names if n not in available and n != NO_POLICY]
    if unknown:
        listed = ", ".join([*available, NO_POLICY])
        raise BatchInputError(f"unknown policy {', '.join(map(repr, unknown))}; "
                              f"available: {listed} ('{NO_POLICY}' = the scenario as written)")
    return names


def _design(base: Scenario, design_file: str | Path | None, posterior: str | Path | None,
            draws: int) -> tuple[pd.DataFrame, str, dict[str, Any] | None]:
    """The design's points, its method, and its source beyond the scenario (a posterior)."""
    given = [name for name, value in (("the scenario's sweep", base.sweep),
                                      ("--design-file", design_file),
                                      ("--posterior", posterior)) if value is not None]
    if len(given) > 1:
        raise BatchInputError(f"a batch takes one design; this one has {' and '.join(given)} "
                              f"(drop the sweep with --set sweep=null, or one of the options)")
    try:
        if posterior is not None:
            drawn = read_posterior(posterior, base.name)
            return (posterior_design(drawn, base, draws, base.seed), POSTERIOR,
                    drawn.record(draws))
        if design_file is None:
            method = base.sweep.method if base.sweep else "none"
            return sweep_design(base, base.seed), method, None
        design = read_design_file(design_file, base)
    except DesignError as exc:
        raise BatchInputError(str(exc)) from exc
    first = {k: (v.item() if hasattr(v, "item") else v)
             for k, v in design.iloc[0].to_dict().items()}
    try:
        apply_changes(base, first, source=str(design_file))
    except ScenarioError as exc:
        raise BatchInputError(f"design file {design_file}, first row:\n{exc}") from exc
    return design, "file", None


def _check_policies_against_design(base: Scenario, names: list[str],
                                   design: pd.DataFrame) -> None:
    """Refuse a policy that sets a parameter the design varies (the design would win)."""
    varied = set(design.columns)
    for name in names:
        clash = sorted(varied & set(base.policies[name].set)) if name in base.policies else []
        if clash:
            raise BatchInputError(
                f"policy {name!r} sets {', '.join(clash)}, which the design also varies, so "
                f"the policy would have no effect there; drop the parameter from the design "
                f"or run that policy separately")


def model_code_hash() -> str:
    """SHA-256 of the source of everything that decides a run's numbers.

    A results folder resumed by a different version of the model would mix runs of two
    models; the hash makes such a folder "different" (refused unless --force-new).
    """
    root = Path(__file__).resolve().parents[1]
    files = sorted([*(root / "model").glob("*.py"), *(root / "scenario").glob("*.py"),
                    root / "single_run.py", Path(__file__).with_name("worker.py")])
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _frame_hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def _check_folder(store: ResultsStore, identity: dict[str, str], force_new: bool) -> None:
    try:
        store.prepare()
        difference = _difference(store, identity)
        if difference:
            if not force_new:
                raise BatchInputError(
                    f"{store.root} holds results of a different scenario, design or model "
                    f"version ({difference}); choose another --out, or add --force-new to "
                    f"delete those results and start again")
            store.clear()
            store.prepare()
    except StoreError as exc:
        raise BatchInputError(str(exc)) from exc


def _difference(store: ResultsStore, identity: dict[str, str]) -> str:
    """Why the folder's batch is not this one, in words; empty when it is or there is none."""
    try:
        old = store.read_manifest()
    except FormatVersionError as exc:
        return f"results format {exc.found}, now {FORMAT_VERSION}"
    except ResultsError as exc:
        return str(exc)
    if old is None or old.identity == identity:
        return ""
    return _differences(old.identity, identity)


def _differences(old: dict[str, str], new: dict[str, str]) -> str:
    """Which identity hashes differ, e.g. `scenario hash 1a2b3c4d5e6f, now 9f8e7d6c5b4a`."""
    return "; ".join(f"{key.removesuffix('_hash').replace('_', ' ')} hash "
                     f"{str(old.get(key, '?'))[:12]}, now {value[:12]}"
                     for key, value in new.items() if old.get(key) != value)


def execute_batch(
    batch: Batch,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    chunk_size: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> BatchReport:
    """Run every planned run not yet done; see `open_executor` for where they run.

    The executor is started before anything is written, so an unreachable scheduler leaves
    the results folder as it was. A negative `workers` or a `chunk_size` below 1 is a
    BatchInputError.
    """
    if workers is not None and workers < 0:
        raise BatchInputError(f"--workers must be 0 (run in this process) or more, got "
                              f"{workers}")
    if chunk_size is not None and chunk_size < 1:
        raise BatchInputError(f"--chunk-size must be at least 1, got {chunk_size}")
    def attempt(earlier: BatchReport | None) -> BatchReport:
        with open_executor(workers, scheduler, scheduler_file) as (executor, slots):
            return _execute(batch, executor, slots, chunk_size, on_progress, earlier)

    report = attempt(None)
    while report.interrupted == WORKER_DIED and report.restarts < POOL_STARTS - 1:
        report.interrupted, report.restarts = None, report.restarts + 1
        LOG.warning("ssrsim batch: a worker process died; the finished runs are kept and the "
                    "pool starts afresh (%d of %d)", report.restarts, POOL_STARTS - 1)
        report = attempt(report)
    return report


def chunk_runs(todo: int, slots: int, run_seconds: float) -> int:
    """Runs per chunk: about CHUNK_SECONDS of work and at most MAX_CHUNK.

    At least four chunks per slot, so that the workers share the batch evenly.
    """
    by_time = int(CHUNK_SECONDS / max(run_seconds, 1e-3))
    return max(1, min(MAX_CHUNK, todo // (4 * slots), by_time))


def _execute(batch: Batch, executor: Executor, slots: int, chunk_size: int | None,
             on_progress: ProgressCallback | None,
             earlier: BatchReport | None = None) -> BatchReport:
    """Run what the journal says is not done; `earlier`: this call's report so far."""
    store = batch.store
    records = store.journal()
    store.remove_duplicates(records)
    store.check_rows(records)
    store.compact_journal()
    store.remove_orphans(records)
    failed_now = earlier.errors if earlier else {}  # failed in this call: not tried again
    todo = [r for r in batch.runs if records.get(r.run_id, {}).get("status") != "done"
            and r.run_id not in failed_now]
    report = earlier or BatchReport(planned=len(batch.runs),
                                    already_done=len(batch.runs) - len(todo))
    report.repairs += [r for r in store.repairs if r not in report.repairs]
    started = _now()
    store.write_manifest(_manifest(batch, records, started, None, "running"))
    size = chunk_size or chunk_runs(len(todo), slots, batch.workload.model_seconds)
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    try:
        _drain(executor, slots, chunks, batch, records, report, on_progress)
    except KeyboardInterrupt:
        report.interrupted = "interrupted"
    except BrokenProcessPool:
        report.interrupted = WORKER_DIED
    except StoreError as exc:
        report.interrupted = str(exc)
    finally:
        try:
            store.write_summary()
            store.write_manifest(_manifest(batch, records, started, _now(),
                                           report.interrupted))
        except OSError as exc:
            if report.interrupted is None:
                raise
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror
            report.interrupted += (f" (summary.parquet and manifest.json could not be "
                                   f"updated either: {reason}; they are rebuilt on resume)")
    return report


def _drain(executor: Executor, slots: int, chunks: list[list[RunSpec]], batch: Batch,
           records: dict[str, dict[str, Any]], report: BatchReport,
           on_progress: ProgressCallback | None) -> None:
    """Keep at most two chunks per slot in flight; record each as it finishes."""
    pending = list(reversed(chunks))
    running: set[Future] = set()
    total = report.planned - report.already_done
    try:
        while pending or running:
            while pending and len(running) < 2 * slots:
                chunk = pending.pop()
                scenarios = {s.policy: batch.scenarios[s.policy] for s in chunk}
                running.add(executor.submit(execute_chunk, scenarios, chunk))
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            broken = [f for f in finished if isinstance(f.exception(), BrokenProcessPool)]
            for future in finished - set(broken):  # keep what finished before the pool broke
                for record in batch.store.record(future.result()):
                    records[record["run_id"]] = _slim(record)
                    if record["status"] == "done":
                        report.done += 1
                    else:
                        report.failed += 1
                        report.errors[record["run_id"]] = record["error"]
                if on_progress is not None:
                    on_progress(report.done, report.failed, total)
            for future in broken:
                future.result()  # raises the BrokenProcessPool, once the rest is kept
    except BaseException:
        for future in running:
            future.cancel()
        if hasattr(executor, "shutdown"):
            executor.shutdown(wait=False, cancel_futures=True)
        raise


def _slim(record: dict[str, Any]) -> dict[str, Any]:
    """A journal record without its measures (what the manifest needs)."""
    return {k: v for k, v in record.items() if k not in ("final", "mean")}


def _manifest(batch: Batch, records: dict[str, dict[str, Any]], started: str,
              finished: str | None, status: str | None) -> Manifest:
    """The manifest of the batch as far as it got; status None: complete or failed runs."""
    runs = tuple(_run_record(spec, records.get(spec.run_id, {})) for spec in batch.runs)
    counts = Counts(len(runs), *(sum(r.status == s for r in runs)
                                 for s in ("done", "failed", "pending")))
    return Manifest(
        scenario_file=batch.source,
        identity=batch.identity,
        status=status or ("complete" if counts.done == counts.planned else "failed runs"),
        started=started,
        finished=finished,
        root_seed=batch.base.seed,
        replicates=batch.replicates,
        policies={name: PolicyRecord(scenario_hash(s), _changes(batch.base, name))
                  for name, s in batch.scenarios.items()},
        design=_design_record(batch),
        measures=tuple(measure_info([d.name for d in batch.base.districts])),
        events=_event_markers(batch.scenarios),
        versions=_versions(),
        counts=counts,
        scenario=batch.base.model_dump(mode="json"),
        runs=runs,
    )


def _changes(base: Scenario, policy: str) -> dict[str, Any]:
    """What a policy sets, as JSON (dates as text); nothing for the scenario as written."""
    if policy not in base.policies:
        return {}
    return base.policies[policy].model_dump(mode="json")["set"]


def _run_record(spec: RunSpec, record: dict[str, Any]) -> RunRecord:
    return RunRecord(spec.run_id, spec.policy, spec.point, spec.replicate, spec.seed,
                     spec.changes, record.get("status", "pending"), record.get("error"),
                     record.get("seconds"))


def _design_record(batch: Batch) -> DesignRecord:
    """The design, with the SALib problem its points were sampled from (a sweep only)."""
    sweep = batch.base.sweep
    problem = salib_problem(sweep) if sweep and batch.design_method == sweep.method else None
    return DesignRecord(batch.design_method, tuple(batch.design.columns),
                        tuple(batch.design.to_dict("records")), problem, batch.design_source)


def _event_markers(scenarios: dict[str, Scenario]) -> tuple[EventMarker, ...]:
    """Each policy's scheduled events, once each with the policies that have it, by date."""
    found: dict[str, EventMarker] = {}
    for policy, scenario in scenarios.items():
        for event in scenario.events:
            fields = event.model_dump(mode="json")
            step = scenario.event_step(event)
            if step > scenario.time.steps:
                continue  # after the run's end: it never happens
            date = fields["date"] or scenario.step_date(step).isoformat()
            key = json.dumps(fields, sort_keys=True) + date
            seen = found[key].policies if key in found else ()
            details = {k: v for k, v in fields.items()
                       if k not in ("type", "step", "date", "label", "district")}
            found[key] = EventMarker(step, date, fields["type"], fields["label"],
                                     fields["district"], details, (*seen, policy))
    return tuple(sorted(found.values(), key=lambda e: e.date))


def _versions() -> dict[str, str]:
    packages = ("ssrsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic")
    return {"python": platform.python_version(), **{p: version(p) for p in packages}}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
