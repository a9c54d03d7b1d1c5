"""The `ssrsim` command: thin subcommands over the library functions.

Bad input (a scenario that does not validate, an unknown policy, a bad --set) prints a
clear message and exits with code 2; it never shows a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .scenario import ScenarioError, load_scenario
from .scenario.reference import json_schema, parameter_table

EXIT_BAD_INPUT = 2


def _scenario_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every command that loads one scenario."""
    parser.add_argument("scenario", help="scenario YAML file")
    parser.add_argument("--steps", type=int, help="number of steps (overrides time.steps)")
    parser.add_argument("--seed", type=int, help="random seed (overrides seed)")
    parser.add_argument("--policy", help="name of a policy in the scenario's `policies:`")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a parameter, e.g. --set budget.per_step=20 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all subcommands."""
    parser = argparse.ArgumentParser(
        prog="ssrsim",
        description="Agent-based simulation of civil-military operations in security sector "
                    "reform.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write its tables, summary and chart")
    _scenario_args(run)
    run.add_argument("--out", help="output folder (default runs/<name>[-<policy>]-seed<seed>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    run.set_defaults(handler=cmd_run)

    validate = sub.add_parser("validate", help="check scenario files (and all their policies)")
    validate.add_argument("files", nargs="+", help="scenario YAML files")
    validate.set_defaults(handler=cmd_validate)

    schema = sub.add_parser("schema", help="print the scenario schema")
    schema.add_argument("--format", choices=("json", "markdown"), default="json",
                        help="JSON Schema for editors, or the Markdown parameter table")
    schema.set_defaults(handler=cmd_schema)
    return parser


def load_from_args(args: argparse.Namespace):
    """The scenario a command's flags describe: file, then policy, then overrides."""
    overrides = list(args.overrides)
    if args.steps is not None:
        overrides.append(f"time.steps={args.steps}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    return load_scenario(args.scenario, policy=args.policy, overrides=overrides)


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim run`: run one scenario and write its outputs."""
    from .run import run, write_run

    scenario = load_from_args(args)
    suffix = f"-{args.policy}" if args.policy else ""
    out = Path(args.out or f"runs/{scenario.name}{suffix}-seed{scenario.seed}")
    steps = scenario.time.steps
    if args.quiet:
        result = run(scenario, policy=args.policy)
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


def summary_table(summary: dict) -> Table:
    """The headline measures at the start, the end and on average."""
    from .model.measures import HEADLINE

    policy = f", policy {summary['policy']}" if summary["policy"] else ""
    table = Table(title=f"{summary['scenario']}{policy}: {summary['steps']} steps "
                        f"({summary['start_date']} to {summary['end_date']}), "
                        f"seed {summary['seed']}")
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
        print(f"ok: {file} ({scenario.name}: {len(scenario.districts)} districts, "
              f"{len(scenario.events)} events, {len(scenario.policies)} policies)")
    return EXIT_BAD_INPUT if bad else 0


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    """`ssrsim schema`: print the JSON Schema or the Markdown parameter table."""
    text = json.dumps(json_schema(), indent=2) if args.format == "json" else parameter_table()
    sys.stdout.write(text + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ssrsim` command."""
    args = build_parser().parse_args(argv)
    console = Console(stderr=True) if args.command == "schema" else Console()
    try:
        return args.handler(args, console)
    except ScenarioError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
