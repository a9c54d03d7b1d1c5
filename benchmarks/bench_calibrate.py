"""Calibration benchmark: wall time and runs per generation of a joint ABC-SMC calibration.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_calibrate.py                    # tiny problem, ~1 min
    .venv/bin/python benchmarks/bench_calibrate.py --workers 2
    .venv/bin/python benchmarks/bench_calibrate.py --cases liberia,colombia,mali \\
        --set space.width=40 --set space.height=40 --population 12 --generations 2

Without --cases it fits `trust.abuse_loss` to data the model made on a 16 x 16 grid over 40
steps (the known-answer test's problem). With --cases it fits the named case studies'
observations (shared `trust.abuse_loss`, per-case initial trust), which is what a real
calibration costs. Per generation it prints the particles proposed (model calls), the runs
(calls x cases x replicates), the wall time and the seconds per run; then the total.
benchmarks/README.md explains how to read it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import format_table, machine_lines  # benchmarks/common.py

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "calibrate"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help="case studies to fit (default: the tiny problem)")
    parser.add_argument("--population", type=int, default=16)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="0: in this process")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()

    from ssrsim.calibrate import calibrate_cases

    print("\n".join(machine_lines(("numpy", "pandas", "pyabc", "mesa"))))
    with tempfile.TemporaryDirectory() as tmp:
        if args.cases:
            cases = args.cases.split(",")
            per_case = ",".join(
                f"{c}:population.initial_army_trust.mean=0.5:0.95" if c == "mali"
                else f"{c}:population.initial_trust.mean=0.1:0.9" for c in cases)
            kwargs: dict = {"case_params": per_case}
        else:
            from test_joint import tiny_case  # tests/calibrate/test_joint.py

            scenario, data = tiny_case(Path(tmp))
            cases, kwargs = [str(scenario)], {"data": {"tiny": data}}
        started = time.perf_counter()
        cal = calibrate_cases(cases, "trust.abuse_loss=0:0.9", population=args.population,
                              generations=args.generations, workers=args.workers,
                              out=Path(tmp) / "out", overrides=args.overrides, **kwargs)
        wall = time.perf_counter() - started
    pops = cal.populations
    rows = [[("prior sample" if r.t < 0 else str(r.t)), str(r.samples), str(r.runs),
             f"{r.seconds:.1f}" if r.t >= 0 else "-",
             f"{r.seconds / r.runs:.2f}" if r.t >= 0 and r.runs else "-"]
            for r in pops.itertuples(index=False)]
    print(f"\n{', '.join(c.name for c in cal.cases)}: population {args.population}, "
          f"{args.generations} generations, workers {args.workers}, set {args.overrides}")
    print(format_table(["generation", "model calls", "runs", "seconds", "s per run"], rows))
    print(f"total: {int(pops['runs'].sum())} runs in {wall:.1f} s wall "
          f"({wall / pops['runs'].sum():.2f} s per run, all overheads included)")


if __name__ == "__main__":
    main()
