"""Case studies: observed data set beside the model's runs (`ssrsim check-case`)."""

from .check import (
    DATA_COLUMNS,
    OBSERVED_ONLY,
    CaseCheck,
    CaseDataError,
    case_figure,
    case_rows,
    case_summary,
    check_case,
    data_path,
    format_case_table,
    load_observations,
    model_measure_names,
    step_of,
)

__all__ = ["DATA_COLUMNS", "OBSERVED_ONLY", "CaseCheck", "CaseDataError", "case_figure",
           "case_rows", "case_summary", "check_case", "data_path", "format_case_table",
           "load_observations", "model_measure_names", "step_of"]
