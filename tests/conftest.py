"""Shared fixtures: small scenarios built in code, and a helper that runs a model.

The builder fixtures are session-scoped (they return pure functions), so hypothesis tests may
use them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
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
