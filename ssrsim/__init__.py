"""ssrsim: agent-based simulation of civil-military operations in security sector reform.

The public API: load a scenario file, build or run the model, write the results.

    >>> from ssrsim import load_scenario, run
    >>> result = run(load_scenario("scenarios/baseline.yaml"))
    >>> result.timeseries[["step", "trust", "stability"]].tail()

The model and run functions are imported on first use (PEP 562), so commands that only read
scenarios (`ssrsim validate`, `ssrsim schema`) do not load Mesa and pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from .model import SSRModel
    from .single_run import RunResult, run, write_run

__all__ = ["RunResult", "SSRModel", "Scenario", "ScenarioError", "load_scenario", "run",
           "write_run"]

_LAZY = {"SSRModel": ".model", "RunResult": ".single_run", "run": ".single_run",
         "write_run": ".single_run"}
"""Public names imported on first access, and the module that defines each."""


def __getattr__(name: str) -> Any:
    """Import a lazy public name on first access and keep it as a module attribute."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the lazy names too, as if they had been imported."""
    return sorted({*globals(), *__all__})
