"""Time consistency: the baseline over the same calendar span with 1-, 7- and 14-day steps.

Rates are per week and compounded over the step (docs/model.md, "Time"), so the step length
should change no answer beyond discretisation. This script runs scenarios/baseline.yaml
(events on dates) on a smaller grid for the same two years with each step length and several
seeds, samples the state measures every four weeks, and draws them.

Run from the repository root:

    python docs/validation/step_length.py             # 6 seeds: the figure and table of the doc
    python docs/validation/step_length.py --seeds 2  # a quick look (figure to a temp folder)

`tests/test_step_length.py` runs `compare` with fewer seeds and checks the tolerance.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ssrsim import load_scenario
from ssrsim.model import SSRModel
from ssrsim.scenario import apply_changes

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
STEP_DAYS = (1, 7, 14)
SPAN_DAYS = 728  # two years: the baseline's four events fall inside
SAMPLE_DAYS = 28
GRID = 60  # cells per side: about 2,500 civilians, so daily steps stay quick
MEASURES = ("trust", "police_trust", "army_trust", "reform_uptake", "service_coverage",
            "oversight", "legitimacy", "cooperation", "stability")
TOLERANCE = 0.02
"""Discretisation allowed on top of seed noise, in the measures' own units (all 0-1)."""


def run(step_days: int, seed: int) -> pd.DataFrame:
    """One run's state measures every SAMPLE_DAYS days, indexed by day since the start."""
    changes = {"time.step_days": step_days, "time.steps": SPAN_DAYS // step_days,
               "seed": seed, "space.width": GRID, "space.height": GRID}
    scenario = apply_changes(load_scenario(BASELINE), changes, source="step_length")
    model = SSRModel(scenario)
    for _ in range(scenario.time.steps):
        model.step()
    table = model.timeseries()
    table["day"] = table["step"] * step_days
    sampled = table[table["day"] % SAMPLE_DAYS == 0].set_index("day")
    return sampled[list(MEASURES)]


def compare(seeds: range) -> pd.DataFrame:
    """Long table: step_days, seed, day, measure, value."""
    frames = []
    for step_days in STEP_DAYS:
        for seed in seeds:
            wide = run(step_days, seed)
            long = wide.reset_index().melt(id_vars="day", var_name="measure")
            frames.append(long.assign(step_days=step_days, seed=seed))
    return pd.concat(frames, ignore_index=True)


def differences(table: pd.DataFrame, day: int) -> pd.DataFrame:
    """Per measure and step length, the mean against 7-day steps on `day`, with its noise.

    `se` is the standard error of the difference of the two means over seeds; a difference
    is within the tolerance when |diff| <= 3 se + TOLERANCE.
    """
    at = table[table["day"] == day]
    stats = at.groupby(["measure", "step_days"])["value"].agg(["mean", "std", "count"])
    rows = []
    for measure in MEASURES:
        weekly = stats.loc[(measure, 7)]
        for step_days in STEP_DAYS:
            if step_days == 7:
                continue
            other = stats.loc[(measure, step_days)]
            se = float(np.sqrt(weekly["std"] ** 2 / weekly["count"]
                               + other["std"] ** 2 / other["count"]))
            diff = float(other["mean"] - weekly["mean"])
            rows.append({"measure": measure, "step_days": step_days,
                         "weekly_mean": float(weekly["mean"]), "mean": float(other["mean"]),
                         "diff": diff, "se": se,
                         "within": abs(diff) <= 3 * se + TOLERANCE})
    return pd.DataFrame(rows)


def figure(table: pd.DataFrame, out: Path) -> Path:
    """Mean and range over seeds of each measure over time, one line per step length."""
    names = [m for m in MEASURES if m != "cooperation"]
    fig, axes = plt.subplots(2, 4, figsize=(13, 6), sharex=True, layout="constrained")
    colours = {1: "#0072B2", 7: "#E69F00", 14: "#009E73"}
    for ax, measure in zip(axes.flat, names, strict=True):
        mine = table[table["measure"] == measure]
        for step_days, group in mine.groupby("step_days"):
            by_day = group.groupby("day")["value"]
            days = by_day.mean().index / 7
            ax.fill_between(days, by_day.min(), by_day.max(), color=colours[step_days],
                            alpha=0.2, linewidth=0)
            ax.plot(days, by_day.mean(), color=colours[step_days], linewidth=1.4,
                    label=f"{step_days}-day steps")
        ax.set_title(measure.replace("_", " "))
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("weeks")
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.suptitle("Baseline over the same two years with 1-, 7- and 14-day steps "
                 "(mean and range over seeds)")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "step_length.png"
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def markdown(diffs: pd.DataFrame) -> str:
    """The table of docs/validation.md."""
    lines = ["| measure | 7-day mean | 1-day: diff (se) | 14-day: diff (se) |",
             "|---|---|---|---|"]
    for measure, group in diffs.groupby("measure", sort=False):
        cells = {int(r.step_days): f"{r.diff:+.3f} ({r.se:.3f}){'' if r.within else ' !'}"
                 for r in group.itertuples()}
        lines.append(f"| {measure} | {group['weekly_mean'].iloc[0]:.3f} | {cells[1]} | "
                     f"{cells[14]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run, print the table of the last sampled day, write the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args(argv)
    table = compare(range(args.seeds))
    out = HERE if args.seeds >= 6 else Path(tempfile.mkdtemp())
    path = figure(table, out)
    last = int(table["day"].max())
    print(f"Day {last} ({last // 7} weeks), {args.seeds} seeds; '!' marks a difference "
          f"beyond 3 se + {TOLERANCE}:\n")
    print(markdown(differences(table, last)))
    print(f"\nfigure: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
