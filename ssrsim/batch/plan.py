"""The runs of a batch: policies × design points × replicates, each with its own seed.

Seeds follow numpy's `SeedSequence.spawn` from one root seed: replicate i always gets the same
seed, however many replicates the batch has (so a batch can be extended), and every policy and
design point of a replicate shares it (common random numbers: comparisons are paired).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RunSpec:
    """One run: which policy, design point and replicate, its seed and its design values."""

    run_id: str
    policy: str
    point: int
    replicate: int
    seed: int
    changes: dict[str, Any]


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seed of each replicate: the first 63 bits of the i-th spawned SeedSequence's state."""
    children = np.random.SeedSequence(root_seed).spawn(replicates)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for child in children]


def run_id(policy: str, point: int, replicate: int) -> str:
    """A run's identifier, stable when a batch is extended."""
    return f"{policy}-p{point:05d}-r{replicate:05d}"


def plan_runs(
    policies: list[str], design: pd.DataFrame, replicates: int, root_seed: int
) -> list[RunSpec]:
    """Every run of the batch, replicate-major so early results span all options."""
    seeds = replicate_seeds(root_seed, replicates)
    points = [{k: _plain(v) for k, v in row.items()} for row in design.to_dict("records")]
    return [
        RunSpec(run_id(policy, p, r), policy, p, r, seeds[r], changes)
        for r in range(replicates) for policy in policies for p, changes in enumerate(points)
    ]


def _plain(value: Any) -> Any:
    """Numpy scalars as Python numbers (for JSON and pydantic)."""
    return value.item() if isinstance(value, np.generic) else value
