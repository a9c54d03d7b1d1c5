"""The pieces pyabc's ABC-SMC needs: parameters and their prior, the model, distance, sampler.

- Parameters are *shared* (one value for every case: a mechanism such as `trust.abuse_loss`)
  or *per case* (one value per case: initial trust, force conduct, programme intensity). pyabc
  names a shared one by its path and a per-case one `case:path`.
- The prior of each is uniform over its schema range or the range given (`path=LO:HI`).
- The model (`CaseSimulator`) runs every case once with its parameters and returns the model's
  value at every point of every case, fitted and held out; the observed data (`x_0`) hold the
  fitted points only, and the distance reads the keys of `x_0`, so held-out values are stored
  with each particle (for the predictions) but never compared.
- The distance is pyabc's adaptive 2-norm (Prangle 2017) with one scale per measure: each
  generation, the median over the measure's points of the median absolute deviation of the
  model's values among the particles (`measure_scale`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scenario import ScenarioError, apply_changes
from ..single_run import run
from .prior import check_together, parameter_prior, parse_bounds
from .result import CalibrationError, Prior
from .targets import Case, key_measure

CASE_MARK = ":"
"""Joins case and path in a per-case parameter's name: `liberia:population.initial_trust.mean`."""


@dataclass(frozen=True)
class Parameter:
    """One fitted parameter: shared by every case (`case` None) or one case's own."""

    name: str
    path: str
    case: str | None
    prior: Prior


def parse_params(text: str | Sequence[str], option: str = "--params"
                 ) -> list[tuple[str | None, str, tuple[float, float] | None]]:
    """Read `path[=LO:HI]` items (comma-separated, optionally `CASE:` first) into tuples.

    Returns:
        (case or None, path, (low, high) or None) per item, in the order given.

    Raises:
        CalibrationError: an empty item or a range not of the form LO:HI.

    """
    texts = [text] if isinstance(text, str) else list(text)
    items = [i for t in texts if t.strip() for i in t.split(",")]  # "" names none
    out: list[tuple[str | None, str, tuple[float, float] | None]] = []
    for item in (i.strip() for i in items):
        if not item:
            raise CalibrationError(f"{option}: an empty parameter in {text!r}; name parameters "
                                   f"as path or path=LO:HI, comma-separated")
        case, mark, rest = item.partition(CASE_MARK)
        if not mark or "=" in case:  # the colon of a range LO:HI, not a case's
            case, rest = "", item
        path, _, _ = rest.partition("=")
        bounds = parse_bounds([rest])[path.strip()] if "=" in rest else None
        out.append((case.strip() or None, path.strip(), bounds))
    return out


def build_parameters(
    cases: Sequence[Case],
    shared: Sequence[tuple[str | None, str, tuple[float, float] | None]],
    per_case: Sequence[tuple[str | None, str, tuple[float, float] | None]],
) -> list[Parameter]:
    """The fitted parameters with their priors, checked against every case's scenario.

    A per-case item without `CASE:` gives one parameter per case.

    Raises:
        CalibrationError: a case prefix in --params, an unknown case, a parameter named twice
            or as both shared and per case, a non-numeric or whole-number parameter, a range
            outside the schema's, or midpoints that do not give a valid scenario.

    """
    names = [c.name for c in cases]
    params: list[Parameter] = []
    for case, path, bounds in shared:
        if case is not None:
            raise CalibrationError(f"--params {case}:{path}: a shared parameter has one value "
                                   f"for every case; put a case's own under --case-params")
        params.append(Parameter(path, path, None, _prior(cases, path, bounds)))
    for case, path, bounds in per_case:
        if case is not None and case not in names:
            raise CalibrationError(f"--case-params {case}:{path}: {case!r} is not among the "
                                   f"cases ({', '.join(names)})")
        for target in [c for c in cases if case in (None, c.name)]:
            params.append(Parameter(f"{target.name}{CASE_MARK}{path}", path, target.name,
                                    _prior([target], path, bounds)))
    if not params:
        raise CalibrationError("name the parameters to fit with --params (shared by every "
                               "case) and/or --case-params (one per case)")
    _check_distinct(params)
    for case_ in cases:
        mine = {p.path: p.prior for p in params if p.case in (None, case_.name)}
        check_together(case_.scenario, mine)
    return params


def _prior(cases: Sequence[Case], path: str, bounds: tuple[float, float] | None) -> Prior:
    priors = [parameter_prior(c.scenario, path, bounds) for c in cases]
    prior = priors[0]
    if prior.integer:
        raise CalibrationError(f"{path} is a whole number; the joint calibration fits real "
                               f"parameters only (pyabc's kernels move continuously)")
    return prior


def _check_distinct(params: Sequence[Parameter]) -> None:
    names = [p.name for p in params]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CalibrationError(f"parameter(s) named twice: {', '.join(twice)}")
    shared = {p.path for p in params if p.case is None}
    both = sorted({p.path for p in params if p.case is not None} & shared)
    if both:
        raise CalibrationError(f"{', '.join(both)}: fitted both as shared (--params) and per "
                               f"case (--case-params); choose one")


def pyabc_prior(params: Sequence[Parameter]) -> Any:
    """The prior as pyabc's Distribution: independent uniforms (scipy's loc, scale)."""
    import pyabc

    return pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.prior.low, p.prior.width)
                                 for p in params})


class CaseSimulator:
    """pyabc's model: every case run once (or `replicates` times) with a particle's values.

    Picklable, so pyabc's multicore and Dask samplers can ship it to their workers. A run's
    seed comes from the root seed, the case's position and the particle's values, so a
    particle is reproducible whichever worker runs it.
    """

    def __init__(self, cases: Sequence[Case], params: Sequence[Parameter], root_seed: int,
                 replicates: int = 1) -> None:
        self.scenarios = {c.name: c.scenario for c in cases}
        self.points = {c.name: list(zip(c.points["key"], c.points["measure"], c.points["step"],
                                        strict=True)) for c in cases}
        self.params = list(params)
        self.root_seed = root_seed
        self.replicates = replicates

    def __call__(self, values: Mapping[str, float]) -> dict[str, float]:
        """The model's value at every point of every case (NaN for a failed case)."""
        out: dict[str, float] = {}
        for index, (case, scenario) in enumerate(self.scenarios.items()):
            changes = {p.path: float(values[p.name]) for p in self.params
                       if p.case in (None, case)}
            out.update(self.run_case(case, scenario, changes, index, values))
        return out

    def run_case(self, case: str, scenario: Any, changes: dict[str, Any], index: int,
                 values: Mapping[str, float]) -> dict[str, float]:
        """One case's points: the median over replicates at each point's step."""
        points = self.points[case]
        found = np.full((self.replicates, len(points)), np.nan)
        for r, seed in enumerate(self.seeds(index, values)):
            try:
                changed = apply_changes(scenario, {**changes, "seed": seed},
                                        source="calibration particle")
            except ScenarioError:
                break
            table = run(changed).timeseries.set_index("step")
            found[r] = [table.at[step, measure] for _, measure, step in points]
        with np.errstate(all="ignore"):
            medians = np.median(found, axis=0)
        return {key: float(v) for (key, _, _), v in zip(points, medians, strict=True)}

    def seeds(self, index: int, values: Mapping[str, float]) -> list[int]:
        """The replicates' seeds of one case for one particle."""
        bits = np.array([values[p.name] for p in self.params], dtype=np.float64).view(np.uint32)
        sequence = np.random.SeedSequence([self.root_seed, index, *bits.tolist()])
        return [int(s) for s in sequence.generate_state(self.replicates, dtype=np.uint32)]


def measure_scale(*, samples: np.ndarray, s_ids: Sequence[str], **kwargs: Any) -> np.ndarray:
    """One scale per measure for pyabc's adaptive distance, given to each of its points.

    A point's spread is the median absolute deviation of the particles' values there; a
    measure's scale is the median of its points' spreads, so measures in different units
    weigh alike and the points of one measure share a scale.
    """
    with np.errstate(all="ignore"):
        spread = np.nanmedian(np.abs(samples - np.nanmedian(samples, axis=0)), axis=0)
    measures = [key_measure(k) for k in s_ids]
    scales = np.empty(len(measures))
    for measure in set(measures):
        mine = np.array([m == measure for m in measures])
        finite = spread[mine][np.isfinite(spread[mine])]
        scales[mine] = float(np.median(finite)) if finite.size else 0.0
    return scales


def pyabc_distance() -> Any:
    """The adaptive 2-norm over the fitted points, scaled per measure (`measure_scale`)."""
    import pyabc

    return pyabc.distance.AdaptivePNormDistance(p=2, scale_function=measure_scale)


@contextlib.contextmanager
def pyabc_sampler(workers: int | None, scheduler: str | None = None,
                  scheduler_file: str | None = None) -> Iterator[Any]:
    """The pyabc sampler: seeded tasks (`sampler.SeededSampler`) on the batch's executors.

    A Dask scheduler, else a local pool of `workers` processes (None: all cores; 0 or 1: this
    process). Every choice gives the same populations from the same seed.
    """
    from ..batch.executors import ExecutorError, open_executor
    from .sampler import SeededSampler

    if workers is not None and workers < 0:
        raise CalibrationError(f"--workers must be 0 (this process) or more, got {workers}")
    local = 0 if workers is not None and workers <= 1 else workers
    with contextlib.ExitStack() as stack:
        try:
            executor, _ = stack.enter_context(open_executor(local, scheduler, scheduler_file))
        except ExecutorError as exc:
            raise CalibrationError(str(exc)) from exc
        yield SeededSampler(executor.map)
