"""What both benchmark scripts print: the machine they ran on, and plain-text tables."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from importlib.metadata import version
from pathlib import Path


def cpu_name() -> str:
    """The CPU model (from /proc/cpuinfo where there is one)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]
        if names:
            return names[0]
    return platform.processor() or platform.machine()


def machine_lines(packages: tuple[str, ...]) -> list[str]:
    """Date, CPUs (and how many this process may use), load, Python and package versions."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    libs = ", ".join(f"{n} {version(n)}" for n in packages)
    return [f"date:    {datetime.now().astimezone().isoformat(timespec='seconds')}",
            f"machine: {os.cpu_count()} CPUs ({usable} usable; {cpu_name()}), "
            f"{platform.system()} {platform.release()}",
            f"load:    {load} (1, 5, 15 min, before the benchmark)",
            f"python:  {platform.python_version()}; {libs}"]


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def run_child(script: str, config: dict) -> dict:
    """Run `script --one CONFIG` in a fresh Python process; its last stdout line as JSON.

    Each configuration gets its own process so that its peak memory is its own.
    """
    proc = subprocess.run([sys.executable, script, "--one", json.dumps(config)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"benchmark {config} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
