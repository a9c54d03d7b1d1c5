"""Scenario batches: replicates × policies × parameter designs, streamed to disk, resumable.

>>> from ssrsim.batch import prepare_batch, execute_batch
>>> batch = prepare_batch("scenarios/baseline.yaml", out="results/base", replicates=10)
>>> report = execute_batch(batch, workers=2)
"""

from ..results_format import NO_POLICY
from .design import current_value, salib_problem, sweep_design
from .executors import ExecutorError, open_executor
from .plan import RunSpec, plan_runs, replicate_seeds
from .runner import Batch, BatchInputError, BatchReport, execute_batch, prepare_batch
from .store import ResultsStore
from .worker import run_scenario

__all__ = ["NO_POLICY", "Batch", "BatchInputError", "BatchReport", "ExecutorError",
           "ResultsStore", "RunSpec", "current_value", "execute_batch", "open_executor",
           "plan_runs", "prepare_batch", "replicate_seeds", "run_scenario", "salib_problem",
           "sweep_design"]
