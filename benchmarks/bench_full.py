"""Speed of the full model: baseline runs on a process pool, and a million civilians.

Two measurements, each in fresh Python processes so that imports, caches and peak memory
are their own:

- baseline: `scenarios/baseline.yaml` (about 7,000 civilians, 156 weekly steps), N runs
  with seeds 1..N on a pool of W worker processes; each worker imports ssrsim and loads
  the scenario once, then builds and steps one model per run. Reports wall time per run
  (pool start-up included) against the target of 0.6 s per run on 2 workers.
- million: the same scenario on a 1196 x 1196 grid (about 10^6 civilians): build time,
  100 steps, peak RSS, against the targets < 10 s, < 60 s and < 2 GiB.

    .venv/bin/python benchmarks/bench_full.py            # both (about 2-3 minutes)
    .venv/bin/python benchmarks/bench_full.py --quick    # a smoke check (small sizes)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from common import format_table, machine_lines, run_child  # benchmarks/common.py

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
PER_RUN_TARGET_S = 0.6
MILLION_SIDE = 1196
BUILD_TARGET_S, STEPS_TARGET_S, RSS_TARGET_MIB = 10.0, 60.0, 2048.0

_scenario: Any = None


def _load() -> None:
    """Pool initializer: import and load once per worker."""
    global _scenario
    from ssrsim import load_scenario
    _scenario = load_scenario(BASELINE)


def _one_run(seed: int) -> float:
    """Build and step one baseline model; returns its final mean trust."""
    from ssrsim.model import SSRModel
    model = SSRModel(_scenario, rng=seed)
    for _ in range(_scenario.params.time.steps):
        model.step()
    return float(model.population.trust.mean())


def baseline(runs: int, workers: int) -> dict[str, float]:
    """N baseline runs on a pool of W workers: wall time, pool start-up included."""
    start = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_load) as pool:
        list(pool.map(_one_run, range(1, runs + 1)))
    wall = time.perf_counter() - start
    return {"runs": runs, "workers": workers, "wall_s": wall, "per_run_s": wall / runs}


def million(side: int, steps: int) -> dict[str, float]:
    """The baseline on a side x side grid: build, steps and peak memory."""
    from ssrsim import load_scenario
    from ssrsim.model import SSRModel
    params = load_scenario(BASELINE).params
    params = params.model_copy(update={"space": params.space.model_copy(
        update={"width": side, "height": side})})
    t0 = time.perf_counter()
    model = SSRModel(params)
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mib = peak / 1024**2 if sys.platform == "darwin" else peak / 1024
    return {"civilians": model.population.size, "build_s": t1 - t0, "steps": steps,
            "steps_s": t2 - t1, "peak_mib": peak_mib}


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def main() -> None:
    """Parse arguments; run one measurement (child) or all of them (parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: a smoke check, not figures to quote")
    parser.add_argument("--runs", type=int, default=12, help="baseline runs (default 12)")
    parser.add_argument("--workers", type=int, default=2, help="pool size (default 2)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        config = json.loads(args.one)
        kind = config.pop("kind")
        print(json.dumps(baseline(**config) if kind == "baseline" else million(**config)))
        return
    runs, side, steps = (2, 200, 5) if args.quick else (args.runs, MILLION_SIDE, 100)
    print("\n".join(["ssrsim full-model benchmark" + (" (--quick)" if args.quick else ""),
                     *machine_lines(("numpy", "mesa")), ""]), flush=True)
    print(f"[1/3] baseline, {runs} runs on 1 worker ...", flush=True)
    one = run_child(__file__, {"kind": "baseline", "runs": runs, "workers": 1})
    print(f"[2/3] baseline, {runs} runs on {args.workers} workers ...", flush=True)
    pool = run_child(__file__, {"kind": "baseline", "runs": runs, "workers": args.workers})
    print(f"[3/3] baseline on {side} x {side}, build and {steps} steps ...", flush=True)
    big = run_child(__file__, {"kind": "million", "side": side, "steps": steps})
    rows = [[f"baseline x {r['runs']}", f"{r['workers']:.0f}", f"{r['wall_s']:.1f}",
             f"{r['per_run_s']:.2f}"] for r in (one, pool)]
    print("\n" + format_table(["what", "workers", "wall s", "s per run"], rows))
    print(f"\n{big['civilians']:,.0f} civilians: build {big['build_s']:.1f} s, "
          f"{big['steps']:.0f} steps {big['steps_s']:.1f} s "
          f"({big['steps_s'] / big['steps']:.2f} s per step), peak RSS {big['peak_mib']:.0f} MiB")
    if args.quick:
        print("\n--quick: small sizes; a smoke check only, no targets.")
        return
    print("\ntargets:")
    print(f"  baseline on {args.workers} workers: {pool['per_run_s']:.2f} s per run "
          f"(target <= {PER_RUN_TARGET_S} s)  {verdict(pool['per_run_s'] <= PER_RUN_TARGET_S)}")
    print(f"  10^6 civilians: build {big['build_s']:.1f} s (target < {BUILD_TARGET_S:.0f} s)  "
          f"{verdict(big['build_s'] < BUILD_TARGET_S)}; 100 steps {big['steps_s']:.1f} s "
          f"(target < {STEPS_TARGET_S:.0f} s)  {verdict(big['steps_s'] < STEPS_TARGET_S)}; "
          f"peak RSS {big['peak_mib']:.0f} MiB (target < {RSS_TARGET_MIB:.0f} MiB)  "
          f"{verdict(big['peak_mib'] < RSS_TARGET_MIB)}")
    print("\nThe machine may be shared: the load line above says how busy it was.")


if __name__ == "__main__":
    main()
