"""A case check as text: the comparison table and a summary, for the terminal."""

from __future__ import annotations

import pandas as pd

from .check import CaseCheck
from .observed import OBSERVED_ONLY


def case_rows(check: CaseCheck) -> tuple[list[str], list[list[str]]]:
    """The comparison as a terminal table: (header, rows of strings), one row per observation.

    Columns: date, measure, indicator, observed, model median, model 90% band, median minus
    observed, and whether the observation is inside the band ("yes", "no", or "outside run").
    """
    header = ["date", "measure", "indicator", "observed", "model median", "model 90% band",
              "median - obs", "in band"]
    rows = []
    for row in check.table.itertuples(index=False):
        if row.in_run and not pd.isna(row.model_median):
            model = [f"{row.model_median:.2f}", f"{row.model_p05:.2f}-{row.model_p95:.2f}",
                     f"{row.difference:+.2f}", "yes" if row.in_band else "no"]
        else:
            model = ["-", "-", "-", "outside run"]
        rows.append([str(row.date), row.measure, row.indicator, f"{row.observed:.2f}", *model])
    return header, rows


def case_summary(check: CaseCheck) -> str:
    """A few lines on what was compared and where the files are."""
    compared = check.compared
    inside = int(compared["in_band"].sum()) if len(compared) else 0
    only = int((check.observations["measure"] == OBSERVED_ONLY).sum())
    worlds = f" over {check.worlds} posterior draws" if check.worlds else ""
    lines = [
        f"{check.name}: {check.runs} runs of policy {check.policy!r}{worlds} "
        f"({check.out}{'; ' + str(check.failed) + ' failed' if check.failed else ''})",
        f"{len(compared)} of {len(check.table)} observations with a model measure fall inside "
        f"the run; {inside} of them inside the model's 90% band",
        f"{only} observations have no model measure (observed_only; listed in "
        f"{check.data_path})",
        "figure: " + ", ".join(str(p) for p in check.figures),
        ("the bands are posterior predictive (fitted parameters' uncertainty and seed noise); "
         "points the fit used are not a test of it: hold later ones out with `ssrsim "
         "calibrate --until` (docs/calibration.md)") if check.worlds else
        ("the model is not calibrated: read differences as where it misses, not as errors "
         "to tune away (docs/cases.md)"),
    ]
    return "\n".join(lines)


def format_case_table(check: CaseCheck) -> str:
    """The comparison as plain text: an aligned table, then `case_summary`."""
    header, rows = case_rows(check)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    right = {3, 4, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    text = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if not rows:
        text.append("(no observation with a model measure)")
    return "\n".join([*text, "", case_summary(check)])
