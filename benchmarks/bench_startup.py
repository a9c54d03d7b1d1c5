"""Start-up benchmark: `ssrsim run --steps 1`, importing the CLI, and a batch's fixed cost.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/bench_startup.py               # about 1-2 minutes
    .venv/bin/python benchmarks/bench_startup.py --repeats 3   # quicker, noisier
    .venv/bin/python benchmarks/bench_startup.py --code /tmp/before --code .   # two versions

Every figure is the wall time of a fresh Python process started by this script (best and
median of `--repeats`); `--code` runs the commands against another checkout (as the working
directory and PYTHONPATH), alternating the checkouts so that machine load hits both.
benchmarks/README.md explains what is measured and how to read the output.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import format_table, machine_lines  # benchmarks/common.py

REPO = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/baseline.yaml"
RUN_TARGET_S = 3.0
FIXED_COST_TARGET_S = 3.0
IMPORT_CLI = ("import time; t = time.perf_counter(); import ssrsim.cli; "
              "print(time.perf_counter() - t)")


def commands(out: Path) -> dict[str, list[str]]:
    """What is timed: each a fresh process (`python ...`), run in the checkout's folder.

    `out` must be a new folder each time: a batch into a folder that holds it already
    would only find its runs done.
    """
    cli = [sys.executable, "-m", "ssrsim.cli"]
    batch = [*cli, "batch", SCENARIO, "--steps", "5", "--replicates", "2",
             "--policies", "status_quo", "--quiet"]
    return {
        "import ssrsim.cli": [sys.executable, "-c", IMPORT_CLI],
        "run --steps 1": [*cli, "run", SCENARIO, "--steps", "1", "--out", str(out / "run")],
        "batch --workers 0": [*batch, "--workers", "0", "--out", str(out / "batch0")],
        "batch --workers 2": [*batch, "--workers", "2", "--out", str(out / "batch2")],
    }


def timed(command: list[str], code: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one process; for the import, the time it measured itself.

    CPU is user + system time of the process and the children it waited for (a pool's
    spawned workers, but not a fork server and its workers, which it does not wait for).
    """
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or ("batch" in command and "(2 now, 0 before)" not in proc.stdout):
        sys.exit(f"failed in {code}: {' '.join(command)}\n{proc.stdout}{proc.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return (float(proc.stdout.strip()), cpu) if command[1] == "-c" else (wall, cpu)


def label(code: Path) -> str:
    """The checkout's commit, `+` if it has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(code), *args], capture_output=True,
                              text=True, check=False).stdout.strip()
    dirty = "+" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (git("rev-parse", "--short", "HEAD") or code.name) + dirty


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (Linux /proc/stat), 0 elsewhere."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = map(
        int, stat.read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--code", action="append", type=Path,
                        help="a checkout to measure (repeatable; default this repository)")
    args = parser.parse_args()
    codes = [c.resolve() for c in args.code or [REPO]]
    names = [label(c) for c in codes]
    print("ssrsim start-up benchmark")
    print("\n".join(machine_lines(("ssrsim", "mesa", "numpy", "scipy", "pandas",
                                   "matplotlib", "pyarrow", "pydantic"))))
    times: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for code in codes:  # untimed round: bytecode compiled, files in the page cache
            for command in commands(Path(tmp) / f"warm-up-{code.name}").values():
                timed(command, code)
        busy, started = machine_busy(), time.perf_counter()
        for repeat in range(args.repeats):
            for i, (code, name) in enumerate(zip(codes, names, strict=True)):
                for what, command in commands(Path(tmp) / f"{repeat}-{i}").items():
                    wall, cpu = timed(command, code)
                    times.setdefault((name, what), []).append(wall)
                    cpus.setdefault((name, what), []).append(cpu)
        busy_cores = (machine_busy() - busy) / (time.perf_counter() - started)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load:    {load} (after the benchmark); machine busy {busy_cores:.2f} cores on "
          f"average while it ran (this benchmark's processes included)\n")
    rows = [[name, what, f"{min(ts):.2f}", f"{statistics.median(ts):.2f}",
             f"{max(ts):.2f}", f"{min(cpus[name, what]):.2f}", str(len(ts))]
            for (name, what), ts in times.items()]
    print(format_table(["code", "what", "best s", "median s", "worst s", "best CPU s", "n"],
                       rows))
    print("(import: the time `import ssrsim.cli` took inside its process; the others: wall "
          "time of the whole process.\n CPU: of the process and the children it waited "
          "for; a fork server's workers are not counted)")
    print("\ntargets (best of each):")
    for name in names:
        run = min(times[name, "run --steps 1"])
        fixed = min(times[name, "batch --workers 2"]) - min(times[name, "batch --workers 0"])
        print(f"  {name}: run --steps 1 {run:.2f} s (target < {RUN_TARGET_S:.0f} s) "
              f"{'PASS' if run < RUN_TARGET_S else 'FAIL'}; batch fixed cost "
              f"{fixed:+.2f} s (2 workers minus in-process; target <= "
              f"{FIXED_COST_TARGET_S:.0f} s) {'PASS' if fixed <= FIXED_COST_TARGET_S else 'FAIL'}")


if __name__ == "__main__":
    main()
