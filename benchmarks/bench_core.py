"""Core performance benchmark: ssrsim against Mesa's Epstein civil violence example.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_core.py           # full run, about 1.5-3 minutes
    .venv/bin/python benchmarks/bench_core.py --quick   # smoke check, about 40 s

Each configuration runs in a fresh subprocess, so its peak resident memory (``ru_maxrss``)
is its own. benchmarks/README.md explains what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from common import format_table, machine_lines, run_child  # benchmarks/common.py

SCENARIO_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "epstein.yaml"
SMALL, LARGE = 120, 378  # grid sides: 10,080 and 100,019 civilians at density 0.7
RATIO_TARGET = 100.0
MEMORY_TARGET_MIB = 1024.0
TARGET_STEPS = 100

Engine = Literal["ssrsim", "mesa"]
Builder = Callable[[int], tuple[Callable[[], None], int, int]]


@dataclass(frozen=True)
class Config:
    """One benchmark run: model, grid side, warm-up steps (timed apart), timed steps."""

    engine: Engine
    side: int
    warmup: int
    steps: int


@dataclass(frozen=True)
class Result:
    """What a child process measured for one `Config`."""

    engine: Engine
    side: int
    civilians: int
    cops: int
    build_s: float
    warmup: int
    warmup_s: float
    steps: int
    step_s: float
    base_rss_mib: float
    peak_rss_mib: float

    @property
    def rate(self) -> float:
        """Civilian-steps per second over the timed steps."""
        return self.civilians * self.steps / self.step_s


def configs(quick: bool) -> list[Config]:
    """The runs of a full or quick benchmark (Mesa gets few steps at 100k: 10-20 s each)."""
    if quick:
        return [Config("ssrsim", SMALL, 0, 5), Config("mesa", SMALL, 0, 2),
                Config("ssrsim", LARGE, 0, 5), Config("mesa", LARGE, 0, 1)]
    return [Config("ssrsim", SMALL, 1, TARGET_STEPS), Config("mesa", SMALL, 1, 20),
            Config("ssrsim", LARGE, 1, TARGET_STEPS), Config("mesa", LARGE, 1, 3)]


def epstein_data() -> dict[str, Any]:
    """The parameters of scenarios/epstein.yaml, as loaded by yaml.safe_load."""
    return yaml.safe_load(SCENARIO_FILE.read_text())


def cop_density(data: dict[str, Any]) -> float:
    """Police per cell in the scenario file (0.04 in Epstein's Run 1)."""
    return data["districts"][0]["police"] / (data["space"]["width"] * data["space"]["height"])


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def ssrsim_builder() -> Builder:
    """Import ssrsim; return a builder of the Epstein scenario on a side x side torus."""
    from ssrsim.model import SecurityForceUnit, SSRModel
    from ssrsim.scenario.schema import Scenario

    def build(side: int) -> tuple[Callable[[], None], int, int]:
        data = epstein_data()
        police = round(cop_density(data) * side * side)
        data["space"].update(width=side, height=side)
        data["districts"][0]["police"] = police
        data["time"]["steps"] = TARGET_STEPS
        model = SSRModel(Scenario.model_validate(data))
        return model.step, model.population.size, len(model.agents_by_type[SecurityForceUnit])

    return build


def mesa_builder() -> Builder:
    """Import Mesa's Epstein example; return a builder with the scenario file's parameters."""
    from mesa.examples.advanced.epstein_civil_violence.agents import Citizen, Cop
    from mesa.examples.advanced.epstein_civil_violence.model import (
        EpsteinCivilViolence,
        EpsteinScenario,
    )

    def build(side: int) -> tuple[Callable[[], None], int, int]:
        data = epstein_data()
        act = data["activation"]
        scenario = EpsteinScenario(
            rng=data["seed"], citizen_density=data["population"]["density"],
            cop_density=cop_density(data), legitimacy=data["legitimacy"]["fixed_value"],
            max_jail_term=round(act["max_jail_days"] / 7), citizen_vision=act["vision"],
            cop_vision=data["security"]["vision"], active_threshold=act["threshold"],
            arrest_prob_constant=act["arrest_constant"], movement=False)
        model = EpsteinCivilViolence(width=side, height=side, scenario=scenario)
        return model.step, len(model.agents_by_type[Citizen]), len(model.agents_by_type[Cop])

    return build


def run_one(config: Config) -> Result:
    """Build and step one model in this process, timing each phase (child side)."""
    build = ssrsim_builder() if config.engine == "ssrsim" else mesa_builder()
    base_rss = peak_rss_mib()
    t0 = time.perf_counter()
    step, civilians, cops = build(config.side)
    t1 = time.perf_counter()
    for _ in range(config.warmup):
        step()
    t2 = time.perf_counter()
    for _ in range(config.steps):
        step()
    t3 = time.perf_counter()
    return Result(config.engine, config.side, civilians, cops, t1 - t0, config.warmup,
                  t2 - t1, config.steps, t3 - t2, base_rss, peak_rss_mib())


def run_in_subprocess(config: Config) -> Result:
    """Run one configuration in a fresh Python process and parse its JSON line."""
    return Result(**run_child(__file__, asdict(config)))


def results_table(results: list[Result]) -> str:
    """One row per run: sizes, build/warm-up/step times, throughput, peak memory."""
    headers = ["model", "grid", "civilians", "cops", "build s", "warm-up s", "timed steps",
               "steps s", "civ-steps/s", "base MiB", "peak MiB"]
    rows = [[r.engine if r.engine == "ssrsim" else "mesa-epstein", f"{r.side}x{r.side}",
             f"{r.civilians:,}", f"{r.cops:,}", f"{r.build_s:.2f}",
             f"{r.warmup_s:.2f}" if r.warmup else "-", f"{r.steps}", f"{r.step_s:.2f}",
             f"{r.rate:,.0f}", f"{r.base_rss_mib:.0f}", f"{r.peak_rss_mib:.0f}"]
            for r in results]
    return format_table(headers, rows)


def target_lines(results: list[Result]) -> list[str]:
    """The ssrsim/Mesa ratios and the 100k x 100 steps memory check, against targets."""
    by_key = {(r.engine, r.side): r for r in results}
    lines = []
    for side in (SMALL, LARGE):
        ours, mesa = by_key[("ssrsim", side)], by_key[("mesa", side)]
        ratio = ours.rate / mesa.rate
        verdict = "PASS" if ratio >= RATIO_TARGET else "FAIL"
        lines.append(f"{side}x{side} ({ours.civilians:,} civilians): ssrsim/Mesa = "
                     f"{ratio:,.0f}x  (target >= {RATIO_TARGET:.0f}x)  {verdict}")
    big = by_key[("ssrsim", LARGE)]
    if big.steps == TARGET_STEPS:
        verdict = "PASS" if big.peak_rss_mib < MEMORY_TARGET_MIB else "FAIL"
        lines.append(f"ssrsim {big.civilians:,} civilians x {big.steps} steps: "
                     f"{big.step_s:.1f} s stepping (+{big.build_s:.1f} s build, "
                     f"+{big.warmup_s:.1f} s warm-up), peak RSS {big.peak_rss_mib:.0f} MiB  "
                     f"(target < {MEMORY_TARGET_MIB:.0f} MiB)  {verdict}")
    else:
        lines.append(f"ssrsim 100k x {TARGET_STEPS} steps memory target: not checked "
                     f"(this run times {big.steps} steps)")
    return lines


NOTES = """\
notes:
- civ-steps/s = civilians x timed steps / wall time of the timed steps. Construction
  ("build") and warm-up steps are timed separately and excluded. For Mesa only citizens
  are counted, not cops, so the two figures are like for like.
- Same torus, densities, vision, legitimacy, J_max, threshold, k and seed (scenarios/
  epstein.yaml); movement off in both. The random draws and trajectories differ.
  cops = Mesa's Cop agents / ssrsim's police units; Mesa's counts vary a little because
  it draws each cell's occupant at random.
- Mesa runs only a few timed steps at 100k (10-20 s per step on 2 cores): its figure
  there is a mean over those few steps. Its step includes the example's DataCollector
  (model and agent-level reporters every step), as shipped; ssrsim's step includes its
  own model-level DataCollector.
- peak MiB = ru_maxrss of a fresh process per row (interpreter and imports included;
  base MiB is the peak after imports, before construction).
- The machine may be shared and noisy: repeat before quoting small differences."""


def main() -> None:
    """Parse arguments; run one configuration (child) or the whole benchmark (parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few steps, no warm-up: a smoke check, not figures to quote")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asdict(run_one(Config(**json.loads(args.one))))))
        return
    print("\n".join(["ssrsim core benchmark" + (" (--quick)" if args.quick else ""),
                     *machine_lines(("numpy", "scipy", "mesa")), ""]))
    results: list[Result] = []
    plan = configs(args.quick)
    for i, config in enumerate(plan, 1):
        print(f"[{i}/{len(plan)}] {config.engine} {config.side}x{config.side}: "
              f"{config.warmup} warm-up + {config.steps} timed steps ...", flush=True)
        results.append(run_in_subprocess(config))
    print("\n".join(["", results_table(results), "", "targets:",
                     *(f"  {ln}" for ln in target_lines(results)), "", NOTES]))
    if args.quick:
        print("- --quick: no warm-up step and few timed steps; a smoke check only.")


if __name__ == "__main__":
    main()
