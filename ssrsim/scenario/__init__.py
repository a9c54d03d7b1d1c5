"""Scenarios: the parameter schema, the YAML loader and its error reports.

>>> from ssrsim.scenario import load_scenario
>>> scenario = load_scenario("scenarios/baseline.yaml", overrides=["budget.per_step=12"])
"""

from .errors import Issue, ScenarioError
from .loader import apply_changes, load_scenario, scenario_from_dict, scenario_hash
from .schema import ModelParams, Scenario

__all__ = [
    "Issue",
    "ModelParams",
    "Scenario",
    "ScenarioError",
    "apply_changes",
    "load_scenario",
    "scenario_from_dict",
    "scenario_hash",
]
