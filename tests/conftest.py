"""Shared fixtures: small scenarios built in code, and a helper that runs a model.

The builder fixtures are session-scoped (they return pure functions), so hypothesis tests may
use them.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ssrsim.model.model import SSRModel
from ssrsim.scenario.schema import Scenario

FOUR_DISTRICTS: list[dict[str, Any]] = [
    {"name": "north", "police": 4, "army": 3, "cmo_units": 1, "ngos": 1,
     "insurgency": 0.3, "ex_combatants": 0.05, "access": 0.8},
    {"name": "east", "police": 3, "army": 5, "cmo_units": 1, "ngos": 0,
     "insurgency": 0.6, "ex_combatants": 0.1, "access": 0.5,
     "hardship": {"mean": 0.6, "concentration": 2.0}},
    {"name": "south", "police": 5, "army": 2, "cmo_units": 1, "ngos": 1},
    {"name": "west", "police": 2, "army": 6, "cmo_units": 1, "ngos": 0,
     "insurgency": 0.5, "ex_combatants": 0.08},
]
"""A 2x2 layout with every kind of agent, insurgency and ex-combatants."""


def base_scenario() -> dict[str, Any]:
    """A small (24x24, 2x2 districts, 12 steps) scenario as a plain dict."""
    return {
        "name": "test",
        "seed": 7,
        "time": {"steps": 12},
        "space": {"width": 24, "height": 24, "torus": False, "district_grid": [2, 2]},
        "districts": copy.deepcopy(FOUR_DISTRICTS),
    }


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with `changes` merged in (nested dicts merged, anything else replaced)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def build_scenario(changes: dict[str, Any] | None = None) -> Scenario:
    """The base scenario with `changes` merged in, validated."""
    return Scenario.model_validate(deep_merge(base_scenario(), changes or {}))


def run_model(scenario: Scenario, steps: int | None = None, *, rng: int | None = None
              ) -> SSRModel:
    """Build a model and step it `steps` times (default: the scenario's `time.steps`)."""
    model = SSRModel(scenario, rng=rng)
    for _ in range(scenario.time.steps if steps is None else steps):
        model.step()
    return model


@pytest.fixture(scope="session")
def make_scenario() -> Callable[..., Scenario]:
    """Build a validated small scenario: `make_scenario({"budget": {"per_week": 0}})`."""
    return build_scenario


@pytest.fixture(scope="session")
def run() -> Callable[..., SSRModel]:
    """Build and step a model: `run(scenario, steps=None, rng=None)`."""
    return run_model


@pytest.fixture
def small_scenario() -> Scenario:
    """The base small scenario, unchanged."""
    return build_scenario()


@pytest.fixture
def scenario_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every scenario file read from now on (resolved paths, in order): load-once checks."""
    from ssrsim.scenario import loader

    reads: list[Path] = []
    read_tree = loader.read_tree

    def counting(path: Path) -> Any:
        reads.append(Path(path).resolve())
        return read_tree(path)

    monkeypatch.setattr(loader, "read_tree", counting)
    return reads


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A real scheduler and two workers from the dask CLI, on loopback only."""
    dask = shutil.which("dask") or str(Path(sys.executable).parent / "dask")
    file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                               str(file)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        procs.append(subprocess.Popen(
            [dask, "worker", "--scheduler-file", str(file), "--host", "127.0.0.1",
             "--nworkers", "2", "--nthreads", "1", "--dashboard-address", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client
        with Client(scheduler_file=str(file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield str(file)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
