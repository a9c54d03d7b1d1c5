"""Calibration of a case scenario to its observed data (`ssrsim calibrate`).

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
from .prior import parse_bounds, prior_design
from .report import calibration_figure, calibration_markdown, conclusions, format_calibration
from .result import Calibration, CalibrationError, Prior

__all__ = [
    "Calibration",
    "CalibrationError",
    "Prior",
    "calibrate",
    "calibration_figure",
    "calibration_markdown",
    "conclusions",
    "format_calibration",
    "parse_bounds",
    "prior_design",
    "write_fitted",
]
