"""Case studies: observed data set beside the model's runs (`ssrsim check-case`).

- `observed`: a case's observation file: where it is, reading and checking it, `step_of`.
- `check`: `check_case`, which runs the scenario and sets the model's bands beside the data.
- `figure`: `case_figure`, the model's bands over time and the observed points.
- `report`: the comparison as a terminal table (`format_case_table`).

>>> check = check_case("scenarios/mali.yaml", replicates=10)
>>> print(format_case_table(check))
"""

from .check import CaseCheck, check_case
from .figure import case_figure
from .observed import (
    DATA_COLUMNS,
    OBSERVED_ONLY,
    CaseDataError,
    data_path,
    load_observations,
    model_measure_names,
    read_observations,
    step_of,
)
from .report import case_rows, case_summary, format_case_table

__all__ = ["DATA_COLUMNS", "OBSERVED_ONLY", "CaseCheck", "CaseDataError", "case_figure",
           "case_rows", "case_summary", "check_case", "data_path", "format_case_table",
           "load_observations", "model_measure_names", "read_observations", "step_of"]
