"""How to repeat any run of a batch alone: its `ssrsim run` command line.

A run is its policy's scenario with the design point's values and the replicate's seed
(`batch.worker.run_scenario`); `ssrsim run` applies the policy, then the `--set` values, the
same way. What the batch's own `--set` changed is found by comparing the batch's resolved
scenario (in the manifest) with the scenario file as written, resolved the same way: the
caller reads the file (analysis does not load scenarios) and hands it in.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

from ..results_format import NO_POLICY, Manifest, RunRecord

NOT_OVERRIDES = ("seed", "time.steps", "policies", "sweep")
"""Paths the command gives otherwise (--seed, --steps, --policy, design values)."""


def batch_overrides(written: Mapping[str, Any], resolved: Mapping[str, Any]) -> list[str]:
    """`PATH=VALUE` settings that turn the file as written into the batch's scenario."""
    mine = dict(_leaves(written))
    return [f"{path}={_yaml(value)}" for path, value in _leaves(resolved)
            if not path.startswith(NOT_OVERRIDES) and mine.get(path, object()) != value]


def repeat_command(manifest: Manifest, run: RunRecord, overrides: list[str]) -> str:
    """The `ssrsim run` command line that repeats one run of the batch."""
    steps = (manifest.scenario.get("time") or {}).get("steps")
    words = ["ssrsim", "run", manifest.scenario_file]
    if run.policy != NO_POLICY:
        words += ["--policy", run.policy]
    words += ["--seed", str(run.seed)]
    if steps is not None:
        words += ["--steps", str(steps)]
    settings = [*(f"{k}={_yaml(v)}" for k, v in run.design.items()), *overrides]
    for setting in settings:
        words += ["--set", setting]
    return shlex.join(words)


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every value that is not a mapping (lists are values)."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def _yaml(value: Any) -> str:
    """A value as `--set` reads it back (JSON, which is YAML; text stays text)."""
    return json.dumps(value)
