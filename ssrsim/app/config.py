"""How `ssrsim serve` tells the page what to show: environment variables of the server child.

`ssrsim.app.server` sets them only in the Solara child process's environment; the page
reads them with `app_config()`. The model never reads the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_SCENARIO = "SSRSIM_APP_SCENARIO"
"""Absolute path of the scenario file."""
ENV_COMPARE = "SSRSIM_APP_COMPARE"
"""JSON list of the two policies of side-by-side mode (absent: single mode)."""
ENV_POLICY = "SSRSIM_APP_POLICY"
"""Policy to start with in single mode (absent: the file as written)."""
DEFAULT_SCENARIO = "scenarios/baseline.yaml"


@dataclass(frozen=True)
class AppConfig:
    """What the server tells the page: the scenario file and the mode."""

    scenario: str
    policy: str | None = None
    compare: tuple[str, str] | None = None


def app_config(environ: Mapping[str, str] | None = None) -> AppConfig:
    """The page's configuration, from the environment `ssrsim serve` gave its child."""
    env = os.environ if environ is None else environ
    compare = json.loads(env.get(ENV_COMPARE) or "null")
    pair = (str(compare[0]), str(compare[1])) if compare else None
    return AppConfig(env.get(ENV_SCENARIO) or DEFAULT_SCENARIO, env.get(ENV_POLICY) or None,
                     pair)
