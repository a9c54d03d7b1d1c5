"""ssrsim: agent-based simulation of civil-military operations in security sector reform.

The public API: load a scenario file, build or run the model, write the results.

    >>> from ssrsim import load_scenario, run
    >>> result = run(load_scenario("scenarios/baseline.yaml"))
    >>> result.timeseries[["step", "trust", "stability"]].tail()
"""

from .model import SSRModel
from .run import RunResult, run, write_run
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = ["RunResult", "SSRModel", "Scenario", "ScenarioError", "load_scenario", "run",
           "write_run"]
