"""Analysis of batch results: policy comparison, sensitivity, figures and reports.

Reads results folders only (see `load_results`); never runs or touches a model.
"""

from .brief import Brief, make_brief
from .compare import Comparison, compare
from .report import write_report
from .results import Results, ResultsError, load_results
from .sensitivity import Sensitivity, sensitivity

__all__ = ["Brief", "Comparison", "Results", "ResultsError", "Sensitivity", "compare",
           "load_results", "make_brief", "sensitivity", "write_report"]
