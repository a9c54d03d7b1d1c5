"""Joint calibration of case studies with pyabc's ABC-SMC (`ssrsim calibrate --cases`).

`calibrate_cases` loads the cases (`targets`), builds the parameters, model, distance and
sampler (`smc`), runs pyabc into `<out>/history.db` (or resumes the run stored there), and
reads back the last generation: the weighted particles (`posterior.parquet`), the model's value
at every point for each particle (`predictive.parquet`), and from them the report
(`joint_report`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .result import CalibrationError
from .smc import (
    CaseSimulator,
    Parameter,
    build_parameters,
    parse_params,
    pyabc_distance,
    pyabc_prior,
    pyabc_sampler,
)
from .targets import Case, load_cases, observed_data, shown

HISTORY = "history.db"
"""pyabc's SQLite history in the output folder."""

SETTINGS = "settings.json"
"""What the stored run was asked to fit; a resumed run must ask the same."""


@dataclass(frozen=True)
class JointCalibration:
    """The result of `calibrate_cases`.

    Attributes:
        cases: the cases, with their fitted and held-out points.
        params: the fitted parameters with their priors.
        posterior: the last generation's particles: one column per parameter and `weight`.
        predictive: the model's value per particle (rows, as in `posterior`) and point
            (columns, by key), fitted and held-out points alike.
        populations: per generation `t`: `epsilon`, `particles`, `samples` (particles
            proposed, each one model call), `runs` (samples x cases x replicates), `seconds`;
            t = -1 is pyabc's sample from the prior that sets the first epsilon and scales.
        population_size: particles per generation.
        replicates: runs per case and particle (their median is compared).
        out: the output folder.
        files: every file written, by kind.
        seconds: wall time of this call.
        resumed: generations found in the history before this call.
        overrides: the `--set` changes every case ran with.

    """

    cases: list[Case]
    params: list[Parameter]
    posterior: pd.DataFrame
    predictive: pd.DataFrame
    populations: pd.DataFrame
    population_size: int
    replicates: int
    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    resumed: int = 0
    overrides: tuple[str, ...] = ()

    @property
    def weights(self) -> np.ndarray:
        """The particles' normalised weights."""
        w = self.posterior["weight"].to_numpy(dtype=float)
        return w / w.sum()


def calibrate_cases(
    cases: Sequence[str | Path],
    params: str | Sequence[str] = (),
    case_params: str | Sequence[str] = (),
    *,
    population: int = 24,
    generations: int = 4,
    replicates: int = 1,
    until: Mapping[str | None, dt.date] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    overrides: Sequence[str] = (),
    data: Mapping[str, str | Path] | None = None,
    force_new: bool = False,
    progress: Callable[[str], None] | None = None,
) -> JointCalibration:
    """Fit shared and per-case parameters to several cases' observations with ABC-SMC.

    Args:
        cases: case names (`liberia`: `scenarios/liberia.yaml`) or scenario files.
        params: shared parameters, `path` or `path=LO:HI` (prior range; default the schema's).
        case_params: per-case parameters, same form; `CASE:path=LO:HI` for one case only.
        population: particles per generation.
        generations: generations in all (a resumed run adds what is missing).
        replicates: runs per case and particle; their median is compared.
        until: cut-off dates, per case name or under None for all: later points are held out.
        workers: local processes (None: all cores; 0 or 1: this process).
        scheduler: a Dask scheduler's address instead of workers.
        scheduler_file: a Dask scheduler file, instead of an address.
        out: the output folder (default `results/calibrate-<cases>`).
        seed: root seed of the runs' seeds and of pyabc's proposals (`sampler.SeededSampler`):
            the same seed gives the same posterior in this process, on a pool or a cluster.
        overrides: `path=value` changes (as `--set`) applied to every case.
        data: observation files per case name (default `data/cases/<name>.csv`).
        force_new: delete a stored run that asked for something else instead of refusing.
        progress: called with a line as each generation starts and ends (see `GenerationLog`).

    Raises:
        CalibrationError: bad arguments, a stored run of another calibration in `out`, or no
            particle accepted; all but the last before any run.

    """
    started = time.perf_counter()
    if population < 2 or generations < 1 or replicates < 1:
        raise CalibrationError(f"need --population >= 2, --generations >= 1 and --replicates "
                               f">= 1; got {population}, {generations}, {replicates}")
    loaded = load_cases(cases, until=until, overrides=overrides, data=data)
    fitted = build_parameters(loaded, parse_params(params, "--params"),
                              parse_params(case_params, "--case-params"))
    folder = Path(out) if out is not None else (
        Path("results") / f"calibrate-{'-'.join(c.name for c in loaded)}")
    folder.mkdir(parents=True, exist_ok=True)
    settings = _settings(loaded, fitted, population, replicates, seed, overrides)
    done = _stored_generations(folder, settings, force_new)
    history = _run(loaded, fitted, settings, folder, done, generations,
                   (workers, scheduler, scheduler_file), progress)
    posterior, predictive = _last_generation(history, fitted)
    result = JointCalibration(
        cases=loaded, params=fitted, posterior=posterior, predictive=predictive,
        populations=_populations(history, len(loaded) * replicates),
        population_size=population, replicates=replicates, out=folder, resumed=done,
        overrides=tuple(overrides))
    return _write(result, started)


def _settings(cases: Sequence[Case], params: Sequence[Parameter], population: int,
              replicates: int, seed: int, overrides: Sequence[str]) -> dict[str, Any]:
    return {
        "cases": {c.name: {"scenario": shown(c.path), "data": shown(c.data_path),
                           "until": c.until.isoformat() if c.until else None,
                           "fitted": c.fitted["key"].tolist(),
                           "held_out": c.held_out["key"].tolist()} for c in cases},
        "params": {p.name: [p.prior.low, p.prior.high] for p in params},
        "population": population, "replicates": replicates, "seed": seed,
        "overrides": list(overrides),
    }


def _stored_generations(folder: Path, settings: dict[str, Any], force_new: bool) -> int:
    """Generations of a stored run that asked the same (0 if none); refuse another's."""
    db, stored = folder / HISTORY, folder / SETTINGS
    if not db.exists():
        stored.write_text(json.dumps(settings, indent=1))
        return 0
    same = stored.exists() and json.loads(stored.read_text()) == settings
    if not same and not force_new:
        raise CalibrationError(f"{folder} holds a calibration run that asked for something "
                               f"else (see {stored}); give another --out, or --force-new to "
                               f"delete it")
    if not same:
        db.unlink()
        stored.write_text(json.dumps(settings, indent=1))
        return 0
    import pyabc

    history = pyabc.History(_db_url(folder))
    return int(history.max_t + 1) if history.id is not None else 0


def _db_url(folder: Path) -> str:
    return f"sqlite:///{(folder / HISTORY).resolve()}"


def _run(cases: Sequence[Case], params: Sequence[Parameter], settings: dict[str, Any],
         folder: Path, done: int, generations: int,
         where: tuple[int | None, str | None, str | None],
         progress: Callable[[str], None] | None) -> Any:
    """Start or resume pyabc's run; returns its History."""
    import pyabc

    model = CaseSimulator(cases, params, settings["seed"], settings["replicates"])
    log = GenerationLog(progress, generations, len(cases) * settings["replicates"])
    with (pyabc_sampler(*where) as sampler, _seeded(settings["seed"], done),
          log.listening()):
        abc = pyabc.ABCSMC(model, pyabc_prior(params), pyabc_distance(),
                           population_size=settings["population"], sampler=sampler)
        if done:
            abc.load(_db_url(folder), 1)
        else:
            abc.new(_db_url(folder), observed_data(cases))
        if generations > done:
            abc.run(max_nr_populations=generations - done)
    history = pyabc.History(_db_url(folder))
    if history.max_t < 0:
        raise CalibrationError(f"no generation of the calibration in {folder} was completed")
    return history


class GenerationLog(logging.Handler):
    """Progress lines from the records pyabc logs as each generation starts and ends.

    pyabc logs at INFO on its `ABC` logger; while listening, that logger's own handlers are
    set aside (they would print every timing) and its generation records become lines such as
    `generation 2 of 4 done: 24 accepted of 61 proposed (61 x 3 runs), 4 min 10 s`.
    """

    STARTED = re.compile(r"t: (-?\d+), eps: (\S+?)\.?$")
    ACCEPTED = re.compile(r"Accepted: (\d+) / (\d+) ")

    def __init__(self, progress: Callable[[str], None] | None, generations: int,
                 runs_per_sample: int) -> None:
        super().__init__(logging.INFO)
        self.progress = progress
        self.generations = generations
        self.runs_per_sample = runs_per_sample
        self.started = time.monotonic()
        self.generation = 0

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        """Turn pyabc's INFO records into lines (none without `progress`) while inside."""
        logger = logging.getLogger("ABC")
        level, propagate, handlers = logger.level, logger.propagate, list(logger.handlers)
        for handler in handlers:  # pyabc's own, which prints every record
            logger.removeHandler(handler)
        logger.setLevel(logging.INFO if self.progress else logging.WARNING)
        logger.propagate = False
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)
            for handler in handlers:
                logger.addHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate

    def emit(self, record: logging.LogRecord) -> None:
        """Say a generation started (with its epsilon) or ended (with what it took)."""
        if self.progress is None:
            return
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            self.progress(f"pyabc: {message}")
        elif started := self.STARTED.match(message):
            self.generation = int(started.group(1)) + 1
            self.progress(f"generation {self.generation} of {self.generations}: sampling "
                          f"with epsilon {float(started.group(2)):.3g}")
        elif accepted := self.ACCEPTED.match(message):
            accept, proposed = int(accepted.group(1)), int(accepted.group(2))
            self.progress(f"generation {self.generation} of {self.generations} done: "
                          f"{accept} accepted of {proposed} proposed ({proposed} x "
                          f"{self.runs_per_sample} runs), {_elapsed(self.started)}")
        elif message.startswith("Calibration sample"):
            self.progress("sampling the prior to set the distance's scales")


def _elapsed(since: float) -> str:
    seconds = int(time.monotonic() - since)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


@contextlib.contextmanager
def _seeded(seed: int, done: int) -> Iterator[None]:
    """Seed the global generators pyabc draws from in this process; restore them after.

    The stream depends on the generations already stored, so a resumed run draws afresh.
    """
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    entropy = np.random.SeedSequence([seed, done]).generate_state(1)[0]
    np.random.seed(int(entropy))  # noqa: NPY002 (pyabc draws from the legacy global state)
    random.seed(int(entropy))
    try:
        yield
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)


def _last_generation(history: Any, params: Sequence[Parameter]
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last generation's weighted particles and their model values at every point."""
    particles = history.get_population(t=history.max_t).particles
    posterior = pd.DataFrame([{p.name: float(particle.parameter[p.name]) for p in params}
                              for particle in particles])
    posterior["weight"] = [float(particle.weight) for particle in particles]
    predictive = pd.DataFrame([particle.sum_stat for particle in particles]).astype(float)
    return posterior, predictive


def _populations(history: Any, runs_per_sample: int) -> pd.DataFrame:
    table = history.get_all_populations()
    table["seconds"] = table["population_end_time"].diff().dt.total_seconds()
    table = table[table["t"] >= -1].reset_index(drop=True)  # -1: pyabc's prior sample
    return pd.DataFrame({
        "t": table["t"].astype(int), "epsilon": table["epsilon"].astype(float),
        "particles": table["particles"].astype(int), "samples": table["samples"].astype(int),
        "runs": table["samples"].astype(int) * runs_per_sample,
        "seconds": table["seconds"],
    })


def _write(result: JointCalibration, started: float) -> JointCalibration:
    """Write the posterior, the predictions, the report and the figure; set files, seconds."""
    from dataclasses import replace

    from ..analysis.figures import save
    from .joint_report import joint_figure, joint_markdown, write_case_scenario

    folder = result.out
    files = {"history": folder / HISTORY, "settings": folder / SETTINGS,
             "posterior": folder / "posterior.parquet",
             "predictive": folder / "predictive.parquet"}
    result.posterior.to_parquet(files["posterior"], index=False)
    result.predictive.to_parquet(files["predictive"], index=False)
    for path in save({"calibration": joint_figure(result)}, folder):
        files[path.suffix.lstrip(".")] = path
    for case in result.cases:
        files[f"scenario_{case.name}"] = write_case_scenario(
            result, case, folder / f"{case.name}-calibrated.yaml", files["posterior"])
    files["report"] = folder / "calibration.md"
    done = replace(result, files=files, seconds=time.perf_counter() - started)
    files["report"].write_text(joint_markdown(done))
    return done
