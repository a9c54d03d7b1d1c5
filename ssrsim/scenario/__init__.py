"""Scenarios: the parameter schema, the YAML loader and its error reports.

>>> from ssrsim.scenario import load_scenario
>>> scenario = load_scenario("scenarios/baseline.yaml", overrides=["budget.per_week=12"])
"""

from .errors import Issue, ScenarioError
from .loader import (
    Experiment,
    apply_changes,
    check_overrides_used,
    load_experiment,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
)
from .paths import (
    ACTIVITY_INDEX,
    Bounds,
    PathError,
    allocation_vector,
    bounds_of,
    field_of,
    get_value,
    number_type,
    numeric_paths,
    split_path,
)
from .schema import ModelParams, Scenario

__all__ = [
    "ACTIVITY_INDEX",
    "Bounds",
    "Experiment",
    "Issue",
    "ModelParams",
    "PathError",
    "Scenario",
    "ScenarioError",
    "allocation_vector",
    "apply_changes",
    "bounds_of",
    "check_overrides_used",
    "field_of",
    "get_value",
    "load_experiment",
    "load_scenario",
    "number_type",
    "numeric_paths",
    "scenario_from_dict",
    "scenario_hash",
    "split_path",
]
