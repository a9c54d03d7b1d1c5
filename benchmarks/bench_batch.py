"""Batch benchmark: throughput with 1 and 2 local workers, and the parent's memory.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_batch.py           # full run, about 3-4 minutes
    .venv/bin/python benchmarks/bench_batch.py --quick   # smoke check, about 30 s

Each configuration runs in a fresh subprocess (`--one ...`), so its peak resident memory is
its own; each writes its batch into its own temporary folder, deleted afterwards.
benchmarks/README.md explains what is measured and how to read the output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from common import format_table, machine_lines, run_child  # benchmarks/common.py

SCENARIO_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
THROUGHPUT_OVERRIDES = ["space.width=40", "space.height=40", "time.steps=30"]
MEMORY_OVERRIDES = ["space.width=10", "space.height=10", "time.steps=2"]
POLICIES = len(yaml.safe_load(SCENARIO_FILE.read_text())["policies"])
"""baseline.yaml's policies; a batch runs all of them."""
RATIO_TARGET = 1.8
MEMORY_TARGET_MIB = 300.0
SAMPLE_EVERY_S = 0.2
MILESTONES = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Config:
    """One batch: its purpose, local workers, replicates (x every policy) and overrides."""

    kind: str  # "throughput" or "memory"
    workers: int
    replicates: int
    overrides: list[str]


@dataclass
class Result:
    """What a child process measured for one `Config`."""

    kind: str
    workers: int
    runs: int
    done: int
    failed: int
    shards: int
    wall_s: float
    prepare_s: float
    run_s_mean: float
    parent_cpu_s: float
    workers_cpu_s: float
    rss_before_mib: float
    rss_after_mib: float
    rss_peak_sampled_mib: float
    ru_maxrss_mib: float
    samples: int
    machine_busy_cores: float
    steal_cores: float
    milestones: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Runs per second over the whole `execute_batch` call."""
        return self.runs / self.wall_s

    @property
    def our_cores(self) -> float:
        """Cores this batch used on average: (parent + workers CPU) / wall."""
        return (self.parent_cpu_s + self.workers_cpu_s) / self.wall_s

    @property
    def other_cores(self) -> float:
        """Cores used meanwhile by other processes on the machine (from /proc/stat)."""
        return max(0.0, self.machine_busy_cores - self.our_cores)

    @property
    def utilisation(self) -> float:
        """Time inside runs (workers' own timers) over wall time x workers."""
        return self.run_s_mean * self.runs / (self.wall_s * self.workers)


def vm_rss_mib() -> float:
    """Current resident set size of this process, in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ru_maxrss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size (`ru_maxrss`), in MiB."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def machine_cpu() -> tuple[float, float, float]:
    """Machine-wide busy, steal and total CPU seconds since boot (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    tick = os.sysconf("SC_CLK_TCK")
    busy = user + nice + system + irq + softirq
    return busy / tick, steal / tick, (busy + idle + iowait + steal) / tick


def cpu_s(who: int) -> float:
    """User + system CPU seconds of this process or of its waited-for children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class RssSampler(threading.Thread):
    """Samples this process's VmRSS every `SAMPLE_EVERY_S` seconds until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.count = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            self.peak = max(self.peak, vm_rss_mib())
            self.count += 1
            if self._stop_event.wait(SAMPLE_EVERY_S):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, vm_rss_mib())


def run_one(config: Config) -> Result:
    """Prepare and execute one batch in this process, measuring it (child side)."""
    from ssrsim.batch import execute_batch, prepare_batch

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as folder:
        sampler = RssSampler()
        sampler.start()
        t0 = time.perf_counter()
        batch = prepare_batch(SCENARIO_FILE, out=Path(folder) / "batch",
                              replicates=config.replicates, policies="all",
                              overrides=config.overrides)
        prepare_s = time.perf_counter() - t0
        rss_before = vm_rss_mib()
        milestones: dict[str, float] = {}

        def on_progress(done: int, failed: int, total: int) -> None:
            for share in MILESTONES:
                key = f"{share:.0%}"
                if key not in milestones and done + failed >= share * total:
                    milestones[key] = vm_rss_mib()

        cpu0, children0 = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
        busy0, steal0, _ = machine_cpu()
        t1 = time.perf_counter()
        report = execute_batch(batch, workers=config.workers, on_progress=on_progress)
        wall = time.perf_counter() - t1
        busy1, steal1, _ = machine_cpu()
        parent_cpu = cpu_s(resource.RUSAGE_SELF) - cpu0
        workers_cpu = cpu_s(resource.RUSAGE_CHILDREN) - children0
        rss_after = vm_rss_mib()
        sampler.stop()
        records = batch.store.journal()
        seconds = [r["seconds"] for r in records.values()]
        shards = len({r["shard"] for r in records.values() if r["shard"]})
    return Result(config.kind, config.workers, len(batch.runs), report.done, report.failed,
                  shards, wall, prepare_s, sum(seconds) / max(1, len(seconds)), parent_cpu,
                  workers_cpu, rss_before, rss_after, sampler.peak, ru_maxrss_mib(),
                  sampler.count, (busy1 - busy0) / wall, (steal1 - steal0) / wall, milestones)


def run_in_subprocess(config: Config) -> Result:
    """Run one configuration in a fresh Python process and parse its JSON line."""
    return Result(**run_child(__file__, asdict(config)))


def configs(quick: bool, repeats: int) -> list[Config]:
    """Throughput with 1 and 2 workers (same batch, alternated), then the memory batch."""
    replicates, memory_replicates = (4, 40) if quick else (32, 400)
    pairs = [Config("throughput", w, replicates, THROUGHPUT_OVERRIDES)
             for _ in range(repeats) for w in (1, 2)]
    return [*pairs, Config("memory", 2, memory_replicates, MEMORY_OVERRIDES)]


def throughput_table(results: list[Result]) -> str:
    """One row per throughput batch."""
    headers = ["workers", "runs", "chunks", "wall s", "runs/s", "s/run in worker",
               "utilisation", "parent CPU s", "workers CPU s", "our cores", "other cores",
               "steal", "parent peak MiB"]
    rows = [[str(r.workers), f"{r.runs:,}", str(r.shards), f"{r.wall_s:.1f}",
             f"{r.rate:.2f}", f"{r.run_s_mean:.3f}", f"{r.utilisation:.0%}",
             f"{r.parent_cpu_s:.1f}", f"{r.workers_cpu_s:.1f}", f"{r.our_cores:.2f}",
             f"{r.other_cores:.2f}", f"{r.steal_cores:.2f}", f"{r.ru_maxrss_mib:.0f}"]
            for r in results]
    return format_table(headers, rows)


def memory_lines(r: Result) -> list[str]:
    """The parent's RSS through the memory batch."""
    steps = "  ".join(f"{k}: {v:.0f}" for k, v in r.milestones.items())
    return [
        f"{r.runs:,} runs ({r.done:,} done, {r.failed} failed) with {r.workers} workers in "
        f"{r.wall_s:.1f} s ({r.rate:.0f} runs/s, {r.shards} chunks)",
        f"parent RSS MiB: after prepare_batch {r.rss_before_mib:.0f};  {steps};  "
        f"after execute_batch {r.rss_after_mib:.0f}",
        f"parent peak: sampled VmRSS {r.rss_peak_sampled_mib:.0f} MiB ({r.samples} samples "
        f"every {SAMPLE_EVERY_S} s), ru_maxrss {r.ru_maxrss_mib:.0f} MiB",
    ]


def target_lines(throughput: list[Result], memory: Result, quick: bool) -> list[str]:
    """The 2-worker speed-up (best of each) and the parent's memory, against targets."""
    one = max((r for r in throughput if r.workers == 1), key=lambda r: r.rate)
    two = max((r for r in throughput if r.workers == 2), key=lambda r: r.rate)
    ratio = two.rate / one.rate
    verdict = "PASS" if ratio >= RATIO_TARGET else "FAIL"
    pairs = ", ".join(f"{b.rate / a.rate:.2f}x"
                      for a, b in zip(throughput[::2], throughput[1::2], strict=True))
    lines = [f"2 workers / 1 worker = {ratio:.2f}x best runs/s of each "
             f"(each pair in turn: {pairs})  (target >= {RATIO_TARGET}x)  {verdict}"]
    values = list(memory.milestones.values())
    growth = values[-1] - values[0] if values else float("nan")
    per_run_kib = growth * 1024 / (0.75 * memory.runs)
    peak = max(memory.rss_peak_sampled_mib, memory.ru_maxrss_mib)
    verdict = "PASS" if peak < MEMORY_TARGET_MIB else "FAIL"
    lines.append(f"parent peak RSS {peak:.0f} MiB over {memory.runs:,} runs "
                 f"(target < {MEMORY_TARGET_MIB:.0f} MiB)  {verdict}")
    lines.append(f"parent RSS growth from 25% to 100% of runs: {growth:+.1f} MiB "
                 f"({per_run_kib:+.1f} KiB per run)")
    failed = sum(r.failed for r in [*throughput, memory])
    if failed:
        lines.append(f"FAILED RUNS: {failed}")
    if quick:
        lines.append("(--quick: small batches dominated by start-up; not figures to quote)")
    return lines


NOTES = """\
notes:
- runs/s = runs / wall time of execute_batch (worker start-up, every chunk, the journal,
  summary.parquet and manifest.json included; prepare_batch excluded).
- s/run in worker: mean of the runs' own wall times as journalled by the workers. If it
  grows from 1 to 2 workers, the two processes slow each other (shared cores, memory
  bandwidth); utilisation = runs x s/run / (wall x workers) shows time lost to start-up,
  to the parent and to the last chunk finishing alone.
- parent CPU s: the batch parent's own CPU (collecting results, writing shards and the
  journal); on 2 cores it competes with the 2 workers. workers CPU s: rusage of the
  children this process has waited for. Under the `forkserver` start method (what the
  batch uses on Linux) the workers are the fork server's children, and the fork server
  lives until this process exits, so their CPU is NOT counted there (the column reads
  about 0): it shows up in "other cores" instead, which then holds the workers as well as
  other processes. Only `--workers 0` rows and `spawn` pools are exact.
- our cores = (parent + workers CPU) / wall; other cores = machine-wide busy CPU from
  /proc/stat over the same wall time minus ours; steal = CPU the hypervisor gave to other
  guests. A 2-worker batch can only be 2x faster if its processes get about 2 cores.
- memory: the parent process only (the one that calls execute_batch); workers are
  separate processes and not included. ru_maxrss covers the whole process life,
  imports and prepare_batch included."""


def main() -> None:
    """Parse arguments; run one configuration (child) or the whole benchmark (parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small batches: a smoke check, not figures to quote")
    parser.add_argument("--repeats", type=int, default=None,
                        help="1-worker/2-worker throughput pairs, alternated "
                             "(default 2; 1 with --quick)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asdict(run_one(Config(**json.loads(args.one))))))
        return
    print("\n".join(["ssrsim batch benchmark" + (" (--quick)" if args.quick else ""),
                     *machine_lines(("ssrsim", "mesa", "numpy", "pandas", "pyarrow")), ""]))
    results = []
    plan = configs(args.quick, args.repeats or (1 if args.quick else 2))
    for i, config in enumerate(plan, 1):
        overrides = " ".join(config.overrides)
        print(f"[{i}/{len(plan)}] {config.kind}: {config.replicates * POLICIES:,} runs "
              f"({POLICIES} policies x {config.replicates} replicates; {overrides}), "
              f"{config.workers} worker(s) ...", flush=True)
        results.append(run_in_subprocess(config))
    *throughput, memory = results
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print("\n".join([f"load:    {load} (after the benchmark)", "",
                     "throughput (same batch, baseline.yaml 40x40, 30 steps):",
                     throughput_table(throughput), "",
                     "parent memory (baseline.yaml 10x10, 2 steps):",
                     *(f"  {ln}" for ln in memory_lines(memory)), "", "targets:",
                     *(f"  {ln}" for ln in target_lines(throughput, memory, args.quick)), "",
                     NOTES]))


if __name__ == "__main__":
    main()
