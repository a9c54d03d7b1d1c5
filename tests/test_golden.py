"""Byte-identical outputs: a few runs hashed before a refactor must hash the same after it.

A change that is meant to move the model's numbers regenerates the hashes, and its commit says
so: `python tests/test_golden.py` rewrites tests/data/golden.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from ssrsim import load_scenario, run
from ssrsim.app.shocks import make_shock
from ssrsim.model import SSRModel
from ssrsim.scenario import apply_changes

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "data" / "golden.json"
RUNS = {  # key: (scenario, policy, steps, seed)
    "baseline": ("baseline", None, 40, 7),
    "baseline_coordinated": ("baseline", "coordinated", 30, 7),
    "baseline_adaptive": ("baseline", "adaptive", 40, 3),
    "liberia": ("liberia", None, 60, 7),
    "mali": ("mali", None, 40, 7),
    "colombia": ("colombia", None, 40, 7),
    "community_policing_visits": ("community_policing", "visits", 40, 7),
    "epstein": ("epstein", None, 60, 7),
}
SHOCKS = {8: "abuse_scandal", 12: "budget_cut", 15: "coup", 18: "troop_drawdown",
          21: "donor_surge", 24: "community_policing"}
"""The live session: one shock of every button at these steps, after lever moves at step 5."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def run_hash(key: str) -> str:
    """Hash of the per-step table (as CSV) of one of `RUNS`."""
    name, policy, steps, seed = RUNS[key]
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", policy=policy)
    scenario = apply_changes(scenario, {"time.steps": steps, "seed": seed}, source="golden")
    return _digest(run(scenario, policy=policy).timeseries.to_csv(index=False))


def live_session_hash() -> str:
    """Hash of a 30-step app-like session: lever moves, then every shock button."""
    model = SSRModel(apply_changes(load_scenario(ROOT / "scenarios" / "baseline.yaml"),
                                   {"seed": 5}, source="golden"))
    for step in range(1, 31):
        if step == 5:
            model.set_levers({"cmo.coordination": 0.8, "budget.allocation.engagement": 0.3,
                              "budget.allocation.services": 0.2, "institutions.oversight": 0.5})
        if step in SHOCKS:
            model.inject_event(make_shock(SHOCKS[step], model.steps))
        model.step()
    return _digest(model.timeseries().to_csv(index=False) + repr(model.event_log))


def all_hashes() -> dict[str, str]:
    """Every golden hash, by key."""
    return {**{key: run_hash(key) for key in RUNS}, "live_session": live_session_hash()}


@pytest.fixture(scope="module")
def golden() -> dict[str, str]:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("key", list(RUNS))
def test_run_is_byte_identical_to_the_recorded_one(golden: dict[str, str], key: str) -> None:
    assert run_hash(key) == golden[key], (
        f"{key}: the per-step table changed; if the change is meant, regenerate "
        "tests/data/golden.json with `python tests/test_golden.py` and say so in the commit")


def test_live_session_is_byte_identical_to_the_recorded_one(golden: dict[str, str]) -> None:
    assert live_session_hash() == golden["live_session"]


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(all_hashes(), indent=1) + "\n")
    sys.stdout.write(f"wrote {GOLDEN}\n")
