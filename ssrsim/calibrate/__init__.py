"""Calibration of case scenarios to their observed data (`ssrsim calibrate`).

Two methods. `calibrate_cases` (`ssrsim calibrate --cases liberia,colombia,mali`) fits
shared and per-case parameters to several cases together with pyabc's ABC-SMC, optionally
holding out the points after a cut-off date to check its predictions (`joint`, `smc`,
`targets`, `joint_report`; docs/calibration.md). `calibrate` (`ssrsim calibrate SCENARIO`),
below, fits one case by rejection over one Latin hypercube batch.

Approximate Bayesian computation (ABC) by rejection, over one batch of runs:

1. **Prior.** Each named parameter is uniform between its schema bounds, or between the
   bounds given (which must lie inside the schema's). Integer parameters are drawn uniformly
   over the whole numbers of their range.
2. **Simulation.** `samples` points are drawn by Latin hypercube sampling
   (`scipy.stats.qmc.LatinHypercube`, seeded from the root seed), written as a design CSV and
   run as one batch (`replicates` runs per point, the scenario's `status_quo` policy or the
   scenario as written) into `<out>/runs`, so runs stream to disk and an interrupted
   calibration resumes. Every point of a replicate shares its seed (common random numbers).
3. **Summary statistics.** For each observation with a model measure inside the run (as
   `ssrsim.cases` maps them: the same measure names and date-to-step rule), the model's median
   over a point's replicates at the observation's step.
4. **Distance.** Per point, the root mean squared difference between those medians and the
   observed values, every observation weighted equally in its own unit.
5. **Acceptance.** The `accept` fraction of points with the smallest distance (rounded; at
   least one) is the posterior sample.

Writes `points.csv` (every point and its distance), `posterior.csv` (the accepted points),
`calibration.md`, `calibration.png`/`.svg` and `fitted.yaml` (a scenario that `extends:` the
original and sets each parameter to its posterior median) to `out`.

>>> cal = calibrate("scenarios/liberia.yaml", ["trust.engagement_gain"], samples=32)
>>> print(format_calibration(cal))
"""

from .fit import calibrate
from .fitted import write_fitted
from .joint import JointCalibration, calibrate_cases
from .joint_report import format_joint, parameter_summary, point_table
from .prior import parse_bounds, prior_design
from .report import calibration_figure, calibration_markdown, conclusions, format_calibration
from .result import Calibration, CalibrationError, Prior
from .targets import load_cases, parse_until

__all__ = [
    "Calibration",
    "CalibrationError",
    "JointCalibration",
    "Prior",
    "calibrate",
    "calibrate_cases",
    "calibration_figure",
    "calibration_markdown",
    "conclusions",
    "format_calibration",
    "format_joint",
    "load_cases",
    "parameter_summary",
    "parse_bounds",
    "parse_until",
    "point_table",
    "prior_design",
    "write_fitted",
]
