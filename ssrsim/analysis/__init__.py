"""Analysis of batch results: policy comparison, sensitivity, figures and reports.

Reads results folders only (see `load_results`); never runs or touches a model.
"""

from .compare import Comparison, compare
from .results import Results, ResultsError, load_results

__all__ = ["Comparison", "Results", "ResultsError", "compare", "load_results"]
