"""The `ssrsim` command: thin subcommands over the library functions.

Bad input (a scenario that does not validate, an unknown policy, a bad --set) prints a
clear message and exits with code 2; it never shows a traceback. Each command imports the
model, batch and analysis code it needs when it runs, so `--help`, `validate` and `schema`
start without loading Mesa, pandas or Solara.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .app.server import add_arguments as add_serve_arguments
from .app.server import serve_from_args
from .argtypes import positive, whole
from .results_format import ResultsError
from .scenario import (
    Scenario,
    ScenarioError,
    check_overrides_used,
    load_experiment,
    load_scenario,
)
from .scenario.reference import json_schema, parameter_table
from .workload import (
    LONG_SECONDS,
    MAX_RUN_BYTES,
    MAX_RUN_SECONDS,
    MAX_RUNS,
    Workload,
    WorkloadError,
    duration,
    estimate,
    gigabytes,
)
from .workload import check as check_workload

if TYPE_CHECKING:
    from .analysis.brief import Brief
    from .analysis.compare import Verdict
    from .analysis.discovery import Region
    from .analysis.results import Results
    from .batch.runner import BatchReport

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
MIN_BAND_REPLICATES = 10
"""Fewest check-case runs whose 90% band is worth reading."""

DEFAULT_DRAWS = 20
"""Posterior draws of `--posterior` when `--draws` is not given."""


def _scenario_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every command that loads one scenario."""
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--steps", type=int, help="number of steps (overrides time.steps)")
    parser.add_argument("--seed", type=int, help="random seed (overrides seed; in a batch, "
                                                 "the root seed)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a parameter, e.g. --set budget.per_week=20 (repeatable)")
    _allow_large_arg(parser)


def _allow_large_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-large", action="store_true",
        help=f"run work over the ceiling anyway: more than {MAX_RUNS:,} runs, or a run "
             f"estimated at over {duration(MAX_RUN_SECONDS)} or {gigabytes(MAX_RUN_BYTES)}")


def announce(workload: Workload, command: str, workers: int = 1) -> None:
    """Say up front, on stderr, that work will take long (see `ssrsim.workload`)."""
    if workload.seconds / max(1, workers) > LONG_SECONDS:
        print(f"ssrsim {command}: this will take a while: {workload.describe(workers)}",
              file=sys.stderr, flush=True)


def _overrides(args: argparse.Namespace) -> list[str]:
    """--set values, with --steps and --seed as the overrides they stand for."""
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"time.steps={args.steps}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    return overrides


def _version() -> str:
    """The installed package's version (`unknown` when run from a tree not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ssrsim")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all subcommands."""
    parser = argparse.ArgumentParser(
        prog="ssrsim",
        description="Agent-based simulation of civil-military operations in security sector "
                    "reform.")
    parser.add_argument("--version", action="version", version=f"ssrsim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write its tables, summary and chart")
    _scenario_args(run)
    run.add_argument("--policy", help="name of a policy in the scenario's `policies:`")
    run.add_argument("--out", help="output folder (default runs/<name>[-<policy>]-seed<seed>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    run.set_defaults(handler=cmd_run)

    batch = sub.add_parser(
        "batch", help="run replicates x policies x design points, streamed to disk, resumable")
    _scenario_args(batch)
    batch.add_argument("--replicates", type=whole(1), default=1,
                       help="runs per option (default 1)")
    batch.add_argument("--policies", default="all",
                       help="'all' (default), or comma-separated policy names "
                            "('none' = the scenario as written)")
    batch.add_argument("--design-file", help="CSV/Parquet table of parameter rows "
                                             "(instead of the scenario's sweep:)")
    _posterior_args(batch)
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole(0),
                       help="local worker processes (default: all cores; 0: in this process)")
    where.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--scheduler-file", help="a Dask scheduler file")
    batch.add_argument("--chunk-size", type=whole(1), help="runs per task (default: automatic)")
    batch.add_argument("--out", help="results folder (default results/<name>)")
    batch.add_argument("--resume", action="store_true",
                       help="finish an interrupted batch (also what re-running does anyway)")
    batch.add_argument("--force-new", action="store_true",
                       help="delete results of a different scenario, design or model version in "
                            "--out and start again")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(handler=cmd_batch)

    comp = sub.add_parser("compare", help="compare a batch's policies with a baseline")
    comp.add_argument("results", help="a batch results folder")
    comp.add_argument("--baseline", required=True, help="the policy to compare with")
    _analysis_args(comp, default_out="compare")
    _burn_in_arg(comp)
    comp.add_argument("--table", action="store_true",
                      help="also print the full table (intervals, P(better), effect sizes)")
    comp.add_argument("--precision", type=positive,
                      help="target half-width of difference intervals, for the replicates-"
                           "needed estimate (default: 5%% of the baseline's mean)")
    comp.add_argument("--no-discovery", action="store_true",
                      help="leave out where each option loses (PRIM over the design points "
                           "or draws; a few seconds)")
    comp.set_defaults(handler=cmd_compare)

    sens = sub.add_parser("sensitivity", help="Morris or Sobol indices of a design batch")
    sens.add_argument("results", help="a batch results folder with a Morris or Saltelli design")
    sens.add_argument("--policy", help="the policy to analyse (when the batch has several)")
    _analysis_args(sens, default_out="sensitivity")
    sens.set_defaults(handler=cmd_sensitivity)

    rep = sub.add_parser("report", help="one self-contained HTML report of a batch")
    rep.add_argument("results", help="a batch results folder")
    rep.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    rep.add_argument("--baseline", help="policy to compare with (default status_quo or first)")
    rep.add_argument("--measures", help="comma-separated measures, the first the brief's "
                                        "outcome (default: headline ones, trust first)")
    _burn_in_arg(rep)
    rep.set_defaults(handler=cmd_report)

    case = sub.add_parser("check-case",
                          help="run a case-study scenario's replicates against its observed data")
    _case_args(case, replicates=20, out="check")
    case.add_argument("--policy", help="policy to run (default status_quo, if there is one)")
    _posterior_args(case)
    case.set_defaults(handler=cmd_check_case)

    cal = sub.add_parser("calibrate",
                         help="fit parameters to case studies' observed data (ABC-SMC with "
                              "--cases; ABC rejection for one SCENARIO)")
    _case_args(cal, replicates=None, out="calibrate", scenario_optional=True)
    cal.add_argument("--cases", help="cases to fit together with pyabc's ABC-SMC, comma-"
                                     "separated names (scenarios/NAME.yaml) or files")
    cal.add_argument("--params", help="parameters to fit, comma-separated PATH or PATH=LO:HI "
                                      "(prior range; default the schema's); shared by the "
                                      "cases with --cases")
    cal.add_argument("--case-params", default="", metavar="PARAMS",
                     help="with --cases: parameters fitted per case, PATH[=LO:HI] or "
                          "CASE:PATH[=LO:HI] for one case")
    cal.add_argument("--until", action="append", default=[], metavar="[CASE=]DATE",
                     help="with --cases: fit the points up to DATE, predict the later ones "
                          "(repeatable, per case)")
    cal.add_argument("--population", type=int, default=24,
                     help="with --cases: particles per generation (default 24)")
    cal.add_argument("--generations", type=int, default=4,
                     help="with --cases: generations in all; a stored run is resumed "
                          "(default 4)")
    where = cal.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="with --cases: a Dask scheduler's address")
    where.add_argument("--scheduler-file", help="with --cases: a Dask scheduler file")
    cal.add_argument("--samples", type=int, default=64,
                     help="one SCENARIO: prior points (default 64)")
    cal.add_argument("--accept", type=float, default=0.1,
                     help="one SCENARIO: share of points kept, the closest (default 0.1)")
    cal.add_argument("--bounds", action="append", default=[], metavar="PATH=LO:HI",
                     help="one SCENARIO: prior range of a parameter (default: schema range)")
    cal.set_defaults(handler=cmd_calibrate)

    serve = sub.add_parser("serve", help="serve the trainers' browser app (127.0.0.1)")
    add_serve_arguments(serve)
    serve.set_defaults(handler=lambda args, console: serve_from_args(args))

    validate = sub.add_parser("validate", help="check scenario files (and all their policies)")
    validate.add_argument("files", nargs="+", help="scenario YAML files")
    validate.set_defaults(handler=cmd_validate)

    schema = sub.add_parser("schema", help="print the scenario schema")
    schema.add_argument("--format", choices=("json", "markdown"), default="json",
                        help="JSON Schema for editors, or the Markdown parameter table")
    schema.set_defaults(handler=cmd_schema)
    return parser


def load_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario a command's flags describe: file, then policy, then the other overrides.

    Overrides under `policies` apply before the policy (see `load_scenario`).
    """
    return load_scenario(args.scenario, policy=args.policy, overrides=_overrides(args))


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim run`: run one scenario and write its outputs."""
    check_overrides_used(args.scenario, args.overrides, policies={args.policy}, sweep=False,
                         command="ssrsim run")
    scenario = load_from_args(args)
    workload = estimate(scenario)
    check_workload(workload, allow_large=args.allow_large)
    announce(workload, "run")
    from .single_run import run, write_run  # Mesa and pandas only for a run that will happen

    out = Path(args.out or default_run_folder(scenario, args.policy))
    steps = scenario.time.steps
    if args.quiet:
        result = run(scenario, policy=args.policy)
    elif not console.is_terminal:  # logs, CI, notebooks: plain lines instead of a bar
        log = ProgressLog(f"run {scenario.name}", unit="steps")
        result = run(scenario, policy=args.policy, on_step=lambda step: log(step, 0, steps))
    else:
        columns = (TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total} steps"), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(scenario.name, total=steps)
            result = run(scenario, policy=args.policy,
                         on_step=lambda _: progress.advance(task))
    paths = write_run(result, out)
    if not args.quiet:
        console.print(summary_table(result.summary))
        console.print(f"wrote {', '.join(str(p) for p in paths.values())}", soft_wrap=True)
    return 0


def default_run_folder(scenario: Scenario, policy: str | None) -> Path:
    """`runs/<name>[-<policy>]-seed<seed>`, names made safe so it stays inside `runs/`."""
    from .single_run import safe_folder_name

    suffix = f"-{safe_folder_name(policy, 'policy')}" if policy else ""
    return Path("runs") / f"{safe_folder_name(scenario.name)}{suffix}-seed{scenario.seed}"


def summary_table(summary: dict) -> Table:
    """The headline measures at the start, the end and on average."""
    from .model.measures import HEADLINE

    policy = f", policy {summary['policy']}" if summary["policy"] else ""
    table = Table(title=f"{summary['scenario']}{policy}, seed {summary['seed']}",
                  caption=f"{summary['steps']} steps, {summary['start_date']} to "
                          f"{summary['end_date']}")
    for column in ("measure", "final", "mean over run"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for name in (*HEADLINE, "active_share", "arrests", "abuses", "incidents"):
        final, mean = summary["final"][name], summary["mean"][name]
        table.add_row(name, _fmt(final), _fmt(mean))
    return table


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def cmd_batch(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim batch`: check everything, then run what is not done yet."""
    from .batch import BatchInputError, ExecutorError, execute_batch, prepare_batch

    policies = "all" if args.policies == "all" else [p.strip() for p in args.policies.split(",")]
    draws = _draws(args, "batch")
    if draws is None:
        return EXIT_BAD_INPUT
    try:
        experiment = load_experiment(args.scenario, overrides=_overrides(args))
        out = args.out or str(Path("results") / _safe_name(experiment.base.name))
        batch = prepare_batch(experiment, out=out, replicates=args.replicates,
                              policies=policies, design_file=args.design_file,
                              posterior=args.posterior, draws=draws,
                              force_new=args.force_new, allow_large=args.allow_large)
        _note_calibration_overrides(batch.design_source, list(args.overrides),
                                    set(batch.design.columns))
        announce(batch.workload, "batch", _workers(args.workers))
        planned = len(batch.runs)
        columns = (TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total} runs, {task.fields[failed]} failed"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        terminal = console.is_terminal and not args.quiet
        with Progress(*columns, console=console, transient=True, disable=not terminal) as bar:
            task = bar.add_task(str(out), total=planned, failed=0)
            log = None if terminal or args.quiet else ProgressLog(f"batch {out}")

            def progress(done: int, failed: int, todo: int) -> None:
                bar.update(task, completed=planned - todo + done + failed, failed=failed)
                if log is not None:
                    log(done, failed, todo)

            report = execute_batch(batch, workers=args.workers, scheduler=args.scheduler,
                                   scheduler_file=args.scheduler_file,
                                   chunk_size=args.chunk_size, on_progress=progress)
    except (BatchInputError, ExecutorError) as err:
        print(f"ssrsim batch: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for repair in report.repairs:
        print(f"ssrsim batch: repaired {out}: {repair}", file=sys.stderr)
    print(batch_summary(report, out))
    for run_id, error in list(report.errors.items())[:3]:
        print(f"failed {run_id}: {error.strip().splitlines()[-1]}", file=sys.stderr)
    if report.interrupted == "interrupted":
        return EXIT_INTERRUPTED
    return 1 if report.failed or report.interrupted else 0


def _note_calibration_overrides(source: dict[str, Any] | None, given: list[str],
                                drawn: set[str]) -> None:
    """Say which `--set` changes the posterior was fitted under that this batch lacks.

    A change of a parameter the draws set is not missing: every draw sets it anyway.
    """
    missing = [o for o in (source or {}).get("calibration_overrides", [])
               if o not in given and o.partition("=")[0].strip() not in drawn]
    if missing:
        print(f"ssrsim batch: note: the posterior was fitted with --set {' --set '.join(missing)};"
              f" without them these runs are not the model it fitted", file=sys.stderr)


def _safe_name(name: str) -> str:
    from .single_run import safe_folder_name

    return safe_folder_name(name)


class ProgressLog:
    """Progress as plain lines, for output that is not a terminal (logs, CI, notebooks).

    Called like a batch's `on_progress` with (runs done, runs failed, runs to do); prints a
    line when `every` seconds have passed or another tenth of the work has finished, and
    when the last piece finishes: done, failed, total, percent, elapsed time and an ETA.
    With `unit="steps"` it counts a run's steps, which cannot fail (`failed` is left out).
    """

    def __init__(self, label: str, *, unit: str = "runs", every: float = 5.0,
                 stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.unit = unit
        self.every = every
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.last_time = self.started
        self.last_tenth = 0

    def __call__(self, done: int, failed: int, todo: int) -> None:
        """Print a line if it is time (see the class)."""
        now = self.clock()
        finished = done + failed
        tenth = finished * 10 // todo if todo else 10
        if finished < todo and now - self.last_time < self.every and tenth <= self.last_tenth:
            return
        self.last_time, self.last_tenth = now, tenth
        elapsed = now - self.started
        eta = elapsed / finished * (todo - finished) if finished else None
        percent = 100 * finished / todo if todo else 100.0
        counts = f", {done} done, {failed} failed" if self.unit == "runs" else ""
        line = (f"{self.label}: {finished}/{todo} {self.unit} ({percent:.0f}%){counts}, "
                f"elapsed {_duration(elapsed)}, "
                f"ETA {_duration(eta) if eta is not None else '?'}")
        print(line, file=self.stream if self.stream is not None else sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    """`42 s`, `3 min 5 s`, `2 h 4 min`."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    return f"{total // 3600} h {total % 3600 // 60} min"


def _log_progress(label: str, console: Console) -> ProgressLog | None:
    """A progress logger when the output is not a terminal (a terminal has the bar)."""
    return None if console.is_terminal else ProgressLog(label)


def batch_summary(report: BatchReport, out: str) -> str:
    """One line on what a batch call did and where its results are."""
    kept = report.already_done + report.done
    text = (f"{out}: {kept}/{report.planned} runs done ({report.done} now, "
            f"{report.already_done} before), {report.failed} failed")
    if report.restarts:
        text += (f"; a worker process died and the pool was started afresh "
                 f"({report.restarts} time{'s' * (report.restarts > 1)})")
    if report.interrupted:
        text += f"; {report.interrupted}: finished runs are kept, run the same command to resume"
    return text


def _case_args(parser: argparse.ArgumentParser, replicates: int | None, out: str,
               scenario_optional: bool = False) -> None:
    """Flags shared by the case-study commands (they run a batch of a case scenario)."""
    parser.add_argument("scenario", nargs="?" if scenario_optional else None,
                        help="a case-study scenario (with data/cases/<name>.csv)")
    parser.add_argument("--replicates", type=whole(1), default=replicates,
                        help=f"runs per point (default {replicates})" if replicates else
                        "runs per point (default 3) or per case and particle (--cases: 1)")
    parser.add_argument("--seed", type=int, help="root seed (overrides seed)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE", help="override a parameter (repeatable)")
    parser.add_argument("--workers", type=whole(0),
                        help="local worker processes (default all cores)")
    parser.add_argument("--out", help=f"results folder (default results/<name>-{out})")
    parser.add_argument("--force-new", action="store_true",
                        help="delete earlier results of a different batch in --out")
    _allow_large_arg(parser)


def _posterior_args(parser: argparse.ArgumentParser) -> None:
    """--posterior and --draws: run in plausible worlds drawn from a calibration."""
    parser.add_argument("--posterior", metavar="FILE",
                        help="a calibration's posterior.parquet (or its folder): run in --draws "
                             "plausible worlds drawn from it by weight")
    parser.add_argument("--draws", type=whole(1), metavar="K",
                        help=f"posterior draws with --posterior (default {DEFAULT_DRAWS})")


def _draws(args: argparse.Namespace, command: str) -> int | None:
    """The posterior draws asked for; None (after saying why) if --draws lacks --posterior."""
    if args.draws is not None and args.posterior is None:
        print(f"ssrsim {command}: --draws needs --posterior FILE", file=sys.stderr)
        return None
    return args.draws or DEFAULT_DRAWS


def _analysis_args(parser: argparse.ArgumentParser, default_out: str) -> None:
    """Flags shared by the analysis commands."""
    parser.add_argument("--measures", help="comma-separated measures (default: headline ones)")
    parser.add_argument("--statistic", choices=("mean", "final"), default="mean",
                        help="per run: its average over the steps (default) or final value")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level")
    parser.add_argument("--out", help=f"folder for tables and figures "
                                      f"(default RESULTS/{default_out})")


def _burn_in_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--burn-in", type=int, default=0, metavar="STEPS",
                        help="with --statistic mean, leave out the first STEPS steps of each "
                             "run (default 0: runs start settled by the model's spin-up, "
                             "time.spin_up_days; a batch without one is warned about)")


def _measure_list(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


def _text_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, show_lines=False)
    for column in header:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim compare`: the brief in the terminal; CSV, Markdown and figures on disk."""
    from .analysis import brief_text, compare, discovery, figures, load_results, make_brief, tables

    results = load_results(args.results)
    measures = _measure_list(args.measures)
    comparison = compare(results, args.baseline, measures=measures, statistic=args.statistic,
                         confidence=args.confidence, precision=args.precision,
                         burn_in=args.burn_in)
    brief = make_brief(results, comparison)
    out = Path(args.out or Path(args.results) / "compare")
    regions, note = (([], None) if args.no_discovery else
                     _where_options_lose(results, args, comparison.burn_in))
    preface = brief_text.brief_markdown(brief)
    if regions:
        preface += ["", *discovery.discovery_markdown(results, regions)]
    paths = list(tables.write_comparison(comparison, out, preface).values())
    if regions:
        paths.append(discovery.write_discovery(regions, out))
    paths += figures.fan_charts(results, measures, out, args.baseline)
    paths += figures.final_distributions(results, measures, args.statistic, out)
    paths += figures.cost_vs_outcome(results, out, outcome=brief.outcome.name,
                                     statistic=args.statistic, confidence=args.confidence)
    _print_brief(brief, console)
    _print_discovery(results, regions, note, console)
    if args.table:
        burn = f" after step {comparison.burn_in}" if comparison.burn_in else ""
        title = (f"policies vs {args.baseline} ({args.statistic} of each run{burn}; "
                 f"{args.confidence:.0%} t intervals, paired by replicate)")
        rows = [[*row[:-1], _short_verdict(*verdict)] for row, verdict in
                zip(tables.comparison_rows(comparison), tables.comparison_verdicts(comparison),
                    strict=True)]
        console.print(_text_table(title, tables.comparison_header(), rows))
    for warning in comparison.warnings:
        console.print(f"warning: {warning}", style="yellow", soft_wrap=True, markup=False)
    console.print(f"wrote {len(paths)} files to {out} (the full table: comparison.md)",
                  soft_wrap=True)
    return 0


def _print_brief(brief: Brief, console: Console) -> None:
    """The planner's brief in short: question, bottom line, matrix, how sure."""
    from .analysis import brief_text

    def say(text: str, style: str = "") -> None:
        console.print(text.replace("**", ""), soft_wrap=True, markup=False, style=style)

    say("The planner's brief", "bold")
    say(brief_text.question(brief))
    for sentence in brief_text.bottom_line(brief):
        say(f"- {sentence}")
    header, rows = brief_text.matrix(brief)
    table = _text_table("Trade-offs", header, rows)
    table.columns[0].no_wrap = True
    console.print(table)
    say(brief_text.matrix_legend(brief), "dim")
    for sentence in [brief_text.caution(brief), *brief_text.robustness(brief)]:
        say(sentence, "dim")


def _where_options_lose(results: Results, args: argparse.Namespace, burn_in: int
                        ) -> tuple[list[Region], str | None]:
    """Where each option loses (PRIM), and a one-line note when it cannot be told.

    Nothing (no regions, no note) for a batch without design points or draws; a note instead
    of regions when the design has too few points or ema_workbench is not installed.
    """
    from .analysis import discovery

    if not discovery.has_points(results):
        return [], None
    if discovery.point_count(results) < discovery.MIN_POINTS:
        return [], discovery.too_few_words(results)
    try:
        return discovery.discover(results, args.baseline,
                                  measures=_measure_list(args.measures),
                                  statistic=args.statistic, burn_in=burn_in), None
    except discovery.DiscoveryUnavailable as missing:
        return [], f"Where each option loses: not shown; {missing}"


def _print_discovery(results: Results, regions: list[Region], note: str | None,
                     console: Console) -> None:
    """The "where each option loses" section in short: one sentence per option and measure."""
    from .analysis import discovery

    if note:
        console.print(note, style="dim", soft_wrap=True, markup=False)
    if not regions:
        return
    console.print(discovery.heading(results), style="bold", soft_wrap=True, markup=False)
    for region in regions:
        console.print(f"- {region.sentence}", soft_wrap=True, markup=False)
    console.print(discovery.method_words(regions[0].dense_at) + " Boxes: discovery.csv.",
                  style="dim", soft_wrap=True, markup=False)


def _short_verdict(verdict: Verdict, small: bool) -> str:
    """A verdict in one or two words for the terminal table (the sentences say it in full)."""
    from .analysis.compare import Verdict

    words = {Verdict.TOO_FEW: "?", Verdict.INDISTINGUISHABLE: "≈ baseline"}.get(verdict, verdict)
    return words + (" (small)" if small else "")


def cmd_sensitivity(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim sensitivity`: indices in the terminal; CSV, Markdown and bar charts on disk."""
    from .analysis import figures, load_results, sensitivity, tables

    results = load_results(args.results)
    sens = sensitivity(results, measures=_measure_list(args.measures), policy=args.policy,
                       statistic=args.statistic, confidence=args.confidence)
    out = Path(args.out or Path(args.results) / "sensitivity")
    paths = list(tables.write_sensitivity(sens, out).values()) + figures.sensitivity_bars(
        sens, out)
    console.print(_text_table(f"{sens.method} sensitivity, policy {sens.policy}",
                              tables.sensitivity_header(sens), tables.sensitivity_rows(sens)))
    for warning in sens.warnings:
        console.print(f"warning: {warning}", style="yellow", soft_wrap=True)
    console.print(f"wrote {len(paths)} files to {out}", soft_wrap=True)
    return 0


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim report`: one self-contained HTML file."""
    from .analysis import load_results, write_report

    results = load_results(args.results)
    path = write_report(results, args.output, baseline=args.baseline,
                        measures=_measure_list(args.measures), burn_in=args.burn_in,
                        written=_as_written(results.manifest.scenario_file))
    console.print(f"wrote {path}", soft_wrap=True)
    return 0


def _as_written(scenario_file: str) -> dict | None:
    """A batch's scenario file, resolved as the manifest holds it (None if unreadable)."""
    try:
        return load_scenario(scenario_file).model_dump(mode="json")
    except (ScenarioError, OSError):
        return None


def cmd_check_case(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim check-case`: observed values beside the model's median and 90% band."""
    from .batch import BatchInputError
    from .cases import check_case, format_case_table

    draws = _draws(args, "check-case")
    if draws is None:
        return EXIT_BAD_INPUT
    runs = args.replicates * (draws if args.posterior else 1)
    _announce_case(args, "check-case", runs)
    try:
        case = check_case(args.scenario, replicates=args.replicates, workers=args.workers,
                          out=args.out, seed=args.seed, overrides=args.overrides,
                          policy=args.policy, posterior=args.posterior, draws=draws,
                          force_new=args.force_new,
                          allow_large=args.allow_large,
                          on_progress=_log_progress(f"check-case {args.scenario}", console))
    except BatchInputError as err:
        print(f"ssrsim check-case: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(format_case_table(case))
    if runs < MIN_BAND_REPLICATES:
        print(f"warning: a 90% band from {runs} run(s) is not meaningful "
              f"(its edges are single runs, or the one run); make {MIN_BAND_REPLICATES} or "
              f"more (--replicates, times --draws with --posterior)", file=sys.stderr)
    return 0


def cmd_calibrate(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim calibrate`: ABC-SMC over --cases, or ABC rejection over one SCENARIO's batch."""
    from .calibrate import (
        CalibrationError,
        calibrate,
        calibrate_cases,
        format_calibration,
        format_joint,
        parse_bounds,
        parse_until,
    )

    if bool(args.cases) == bool(args.scenario):
        raise CalibrationError("give either --cases (several cases, ABC-SMC) or one SCENARIO "
                               "(ABC rejection), not both or neither")
    if args.cases:
        cases = [c for c in args.cases.split(",") if c.strip()]
        _announce_joint(args, cases)
        joint = calibrate_cases(
            cases, args.params or (),
            args.case_params, population=args.population, generations=args.generations,
            replicates=args.replicates or 1, until=parse_until(args.until),
            workers=args.workers, scheduler=args.scheduler,
            scheduler_file=args.scheduler_file, out=args.out,
            seed=args.seed if args.seed is not None else 0, overrides=args.overrides,
            force_new=args.force_new,
            progress=lambda line: console.print(f"calibrate: {line}", soft_wrap=True,
                                                highlight=False))
        print(format_joint(joint))
        return 0
    if not args.params:
        raise CalibrationError("name the parameters to fit with --params")
    check_overrides_used(args.scenario, args.overrides, policies=None, sweep=False,
                         command="ssrsim calibrate")
    _announce_case(args, "calibrate", args.samples * (args.replicates or 3))
    result = calibrate(args.scenario, args.params, samples=args.samples,
                       replicates=args.replicates or 3, accept=args.accept,
                       bounds=parse_bounds(args.bounds), workers=args.workers, out=args.out,
                       seed=args.seed, overrides=args.overrides, force_new=args.force_new,
                       allow_large=args.allow_large,
                       on_progress=_log_progress(f"calibrate {args.scenario}", console))
    print(format_calibration(result))
    return 0


def _announce_case(args: argparse.Namespace, command: str, runs: int) -> None:
    """Announce a long case-study batch (the library refuses one over the ceiling)."""
    scenario = load_scenario(args.scenario, overrides=args.overrides)
    announce(estimate(scenario, runs), command, _workers(args.workers))


def _announce_joint(args: argparse.Namespace, cases: list[str]) -> None:
    """Refuse a case over the work ceiling; say up front that a joint fit will take long.

    pyabc proposes more particles than it accepts (here often 1.5 to 4 times), so the runs
    counted are a floor: the prior sample and each generation's accepted particles.
    """
    from .calibrate.targets import scenario_file

    workloads = [estimate(load_scenario(scenario_file(c), overrides=args.overrides))
                 for c in cases]
    for workload in workloads:
        check_workload(workload, allow_large=args.allow_large)
    replicates = args.replicates or 1
    particles = args.population * (args.generations + 1)
    seconds = particles * replicates * sum(w.run_seconds for w in workloads)
    workers = _workers(args.workers)
    if seconds / workers > LONG_SECONDS:
        print(f"ssrsim calibrate: this will take a while: at least {particles:,} particles x "
              f"{len(cases)} cases x {replicates} run(s) = {particles * len(cases) * replicates:,}"
              f" runs, about {duration(seconds / workers)} on {workers} core(s); pyabc proposes "
              f"more particles than it keeps (often 1.5 to 4 times)", file=sys.stderr,
              flush=True)


def _workers(requested: int | None) -> int:
    """The cores a batch gets: as asked, or all (0 runs in this process: one)."""
    if requested == 0:
        return 1
    return requested or os.cpu_count() or 1


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim validate`: report every file's problems; exit 2 if any file is invalid."""
    bad = 0
    for file in args.files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as err:
            bad += 1
            print(err)
            continue
        counts = ", ".join(_count(len(items), noun) for items, noun in (
            (scenario.districts, "district"), (scenario.events, "event"),
            (scenario.policies, "policy")))
        print(f"ok: {file} ({scenario.name}: {counts})")
    return EXIT_BAD_INPUT if bad else 0


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim schema`: print the JSON Schema or the Markdown parameter table."""
    text = json.dumps(json_schema(), indent=2) if args.format == "json" else parameter_table()
    sys.stdout.write(text + "\n")
    return 0


def _count(n: int, noun: str) -> str:
    """`1 event`, `2 events`, `0 policies`."""
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ssrsim` command."""
    args = build_parser().parse_args(argv)
    width = None if sys.stdout.isatty() else 140  # files and pipes get a readable width
    console = Console(stderr=True) if args.command == "schema" else Console(width=width)
    try:
        return args.handler(args, console)
    except (ScenarioError, ResultsError) as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    except WorkloadError as err:
        print(f"ssrsim {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # a full disk, a folder that cannot be written: no traceback
        where = f" {err.filename}" if err.filename else ""
        print(f"ssrsim {args.command}: cannot write{where}: {err.strerror or err}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
