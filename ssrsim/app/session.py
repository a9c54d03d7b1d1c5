"""One browser tab's simulation: the scenario, its run or two compared runs, levers, shocks.

Plain Python, no UI: the page calls these methods and redraws. Everything that loads a
scenario catches `ScenarioError` and keeps its message in `error`, so a bad file shows the
same clear text in the page and the server keeps running.

Modes:

- single: one run of the scenario file, with an optional policy from its `policies:`;
- compare: one run per policy of a pair, built with the same seed, stepped together and
  given the same shocks.

Levers act live: moving a lever the model can change while it runs (`SSRModel.set_levers`,
`LIVE_LEVERS`) changes every run from its next step. A lever the model reads only when it
is built waits for Reset. `reset()` re-reads the file (so edits on disk are picked up),
applies the policy (the file is read once, `load_experiment`), then all the trainer's lever
edits with `apply_changes`, and builds new models: a run from step 0 with those values.
Choosing a scenario or a policy resets at once and clears lever edits (a preset replaces
manual changes).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..model.agents import CMOUnit
from ..model.ledger import DDR, ENGAGEMENT, SERVICES, TRAINING
from ..model.model import SSRModel
from ..scenario import Experiment, ScenarioError, apply_changes, get_value, load_experiment
from ..scenario.schema import Scenario
from . import levers as lv
from . import story as narrative
from .charts import Calendar
from .shocks import effects, make_shock
from .story import Note, StoryEvent

SCENARIO_SUFFIXES = (".yaml", ".yml")
LEVER_SOURCE = "app levers"
"""Where lever changes come from, in error messages."""


@dataclass
class Run:
    """One model in the page: its label (policy name), scenarios and model.

    `preset` is the file with the policy; `scenario` adds the lever edits the model was
    built with (live lever changes go to the model only).
    """

    label: str
    policy: str | None
    preset: Scenario
    scenario: Scenario
    model: SSRModel


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files in a folder, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix in SCENARIO_SUFFIXES and p.is_file())


def build_runs(experiment: Experiment, policies: Sequence[str | None],
               edits: dict[str, float]) -> list[Run]:
    """Build one run per policy of a scenario file read once, lever edits applied over each.

    With more than one policy, every model gets the seed of the first run's scenario, so
    compared runs differ only by policy.

    Raises:
        ScenarioError: when the file, a policy or the edits do not validate.

    """
    runs: list[Run] = []
    for policy in policies:
        preset = experiment.scenario(policy)
        scenario = (apply_changes(preset, lv.changes(edits), source=LEVER_SOURCE) if edits
                    else preset)
        seed = runs[0].scenario.seed if runs else scenario.seed
        label = policy or scenario.name
        runs.append(Run(label, policy, preset, scenario, SSRModel(scenario, rng=seed)))
    return runs


class Session:
    """The state behind one page: scenario file, mode, levers, runs, last error.

    Lever state: `edits` are the trainer's lever values (all go into Reset);
    `applied_edits` those the runs have, from their build or live; `live_from` the step
    from which each live edit acts; `lever_note` the last live change, in words.

    Args:
        path: the scenario file; the picker offers the scenario files of its folder.
        policy: in single mode, a policy of the scenario to start with (or None).
        compare: two policy names for side-by-side mode (or None for single mode).

    """

    def __init__(self, path: str | Path, *, policy: str | None = None,
                 compare: tuple[str, str] | None = None) -> None:
        self.path = Path(path)
        self.policy = policy
        self.compare = tuple(compare) if compare else None
        self.edits: dict[str, float] = {}
        self.applied_edits: dict[str, float] = {}
        self.live_from: dict[str, int] = {}
        self.lever_note: str | None = None
        self.base: Scenario | None = None
        self.runs: list[Run] = []
        self.error: str | None = None
        self.messages: list[tuple[int, str]] = []
        self.generation = 0
        self.lock = threading.RLock()
        self.reset()

    # -- what the page shows ----------------------------------------------------------------

    @property
    def folder(self) -> Path:
        """The folder whose scenario files the picker offers."""
        return self.path.parent

    def scenario_files(self) -> list[Path]:
        """The scenario files next to the current one."""
        return scenario_files(self.folder)

    def policies(self) -> dict[str, str]:
        """The current scenario's policies: name -> description."""
        if self.base is None:
            return {}
        return {name: p.description for name, p in self.base.policies.items()}

    @property
    def steps(self) -> int:
        """Steps taken so far (all runs step together)."""
        return self.runs[0].model.steps if self.runs else 0

    @property
    def horizon(self) -> int:
        """The scenario's run length (`time.steps`)."""
        return self.runs[0].scenario.time.steps if self.runs else 0

    def date(self) -> str:
        """The current step's date in scenario time, ISO format."""
        return self.runs[0].scenario.step_date(self.steps).isoformat() if self.runs else ""

    def levers(self) -> list[lv.Lever]:
        """The levers, with ranges that hold the current values."""
        return lv.levers_for(self.base)

    def lever_values(self) -> dict[str, float]:
        """Each lever's value: the trainer's edit, else the scenario's value."""
        if self.base is None:
            return {}
        return {**lv.lever_values(self.base), **self.edits}

    @property
    def pending(self) -> list[str]:
        """The levers whose edits wait for Reset: Reset-only ones, or any without a run."""
        paths = self.edits.keys() | self.applied_edits.keys()
        return [p for p in lv.LEVER_PATHS
                if p in paths and self.edits.get(p) != self.applied_edits.get(p)]

    @property
    def scenario(self) -> Scenario | None:
        """The first run's scenario (its calendar, events and teaching notes)."""
        return self.runs[0].scenario if self.runs else None

    @property
    def at_end(self) -> bool:
        """Whether the runs have reached the scenario's last step."""
        return bool(self.runs) and self.steps >= self.horizon

    def calendar(self) -> Calendar:
        """The runs' calendar, for the charts (the file's, before any run exists)."""
        scenario = self.scenario or self.base
        if scenario is None:
            return Calendar(dt.date(2000, 1, 1), 7, 1)
        return Calendar(scenario.time.start_date, scenario.time.step_days,
                        scenario.time.steps, tuple(d.name for d in scenario.districts))

    def story(self) -> list[StoryEvent]:
        """What has happened in the (first) run: scheduled events, shocks, lever moves."""
        if not self.runs or self.scenario is None:
            return []
        return narrative.happened(self.runs[0].model, self.scenario,
                              {kind: effects(kind) for kind in self._shock_kinds()})

    def _shock_kinds(self) -> set[str]:
        return {kind for _, kind, _ in self.runs[0].model.event_log} if self.runs else set()

    def ahead(self) -> list[StoryEvent]:
        """The scheduled events still to come."""
        return narrative.ahead(self.scenario, self.steps) if self.scenario else []

    def note(self) -> Note | None:
        """The teaching note of the current step (the last one reached)."""
        return narrative.current_note(self.scenario, self.steps) if self.scenario else None

    def waiting(self) -> list[str]:
        """Shocks injected but not yet acted (they act at the start of the next step)."""
        return [text for acts, text in self.messages if acts > self.steps]

    def target_step(self, text: str) -> int:
        """The step a "run to" entry means: a step number, or a date (YYYY-MM-DD).

        A date means the first step that starts on or after it.

        Raises:
            ValueError: for anything else, or a step not after the current one or past
                the run's end, with what is allowed.

        """
        scenario = self.scenario
        if scenario is None:
            raise ValueError("no run to advance")
        text = text.strip()
        last = scenario.step_date(self.horizon)
        allowed = (f"a step {self.steps + 1} to {self.horizon}, or a date "
                   f"{scenario.step_date(self.steps + 1)} to {last}")
        try:
            step = int(text)
        except ValueError:
            try:
                date = dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text!r} is neither a step nor a date; give {allowed}"
                                 ) from None
            step = -(-(date - scenario.time.start_date).days // scenario.time.step_days)
        if not self.steps < step <= self.horizon:
            raise ValueError(f"{text} is step {step}; give {allowed}")
        return step

    def stops(self) -> set[int]:
        """Steps at which play pauses when asked to: scheduled events and teaching notes."""
        return narrative.stops(self.scenario) if self.scenario else set()

    def unspent(self) -> list[str]:
        """Why money went unspent this step, per run (empty when it was all spent)."""
        reasons = []
        for run in self.runs:
            ledger = run.model.ledger
            left = ledger.available - ledger.total_spent
            if self.steps == 0 or left <= 0.01 * max(ledger.available, 1e-9):
                continue
            why = []
            cmo_pot = sum(ledger.pot(a) for a in (ENGAGEMENT, SERVICES, TRAINING))
            units = len(run.model.of_type(CMOUnit))
            capacity = units * ledger.cmo_budget_per_unit
            if cmo_pot > capacity + 1e-9:
                why.append(f"the {units} CMO units can deliver at most {capacity:.1f} of the "
                           f"{cmo_pot:.1f} for engagement, services and training (cmo."
                           "throughput per unit)" if units else
                           f"no CMO unit is left to spend the {cmo_pot:.1f} for engagement, "
                           "services and training")
            if ledger.spent[DDR] < ledger.pot(DDR) - 1e-9:
                why.append("the DDR money finds no ex-combatants left to fund")
            whose = f"{run.label}: " if len(self.runs) > 1 else ""
            reasons.append(f"{whose}{left:.1f} of {ledger.available:.1f} unspent this step"
                           + (f": {'; '.join(why)}" if why else ""))
        return reasons

    def table(self) -> pd.DataFrame:
        """The runs' per-step tables (step, date, every measure); a `run` column if two."""
        tables = [run.model.timeseries() for run in self.runs]
        if len(tables) == 1:
            return tables[0]
        for run, table in zip(self.runs, tables, strict=True):
            table.insert(0, "run", run.label)
        return pd.concat(tables, ignore_index=True)

    def budgets(self) -> list[tuple[str, float, float]]:
        """Each run's label, programme budget and spending of the current step."""
        return [(r.label, r.model.ledger.available, r.model.ledger.total_spent)
                for r in self.runs]

    # -- what the trainer does ----------------------------------------------------------------

    def move_lever(self, path: str, value: float) -> None:
        """Move one lever (budget shares rescale to sum to 1, on the slider's step grid).

        A live lever changes every run from its next step; a Reset-only one waits for Reset.
        A move smaller than half the lever's step is ignored: it is a slider rounding a
        value that is off its step grid.
        """
        if self.base is None:
            return
        lever = lv.make_lever(path, self.base)
        current = self.lever_values()
        if abs(float(value) - current[path]) < lever.step / 2:
            return  # a slider rounding the value it was shown, not the trainer
        values = lv.set_lever(current, path, lever.clamp(value),
                              lever.step if lv.is_share(path) else None)
        touched = [p for p in values if lv.is_share(p)] if lv.is_share(path) else [path]
        with self.lock:
            self.edits.update({p: values[p] for p in touched})
            live = {p: values[p] for p in touched if lv.is_live(p)}
            if live and self.runs:
                for run in self.runs:
                    run.model.set_levers(lv.changes(live))
                self.applied_edits.update(live)
                self.live_from.update(dict.fromkeys(live, self.steps + 1))
                self.lever_note = (f"{_what(path, values[path])}: applied from step "
                                   f"{self.steps + 1}{self._to_all()}")

    def revert_levers(self) -> None:
        """Forget the lever edits.

        Live levers go back to each run's own values (file and policy) from the next step;
        Reset-only ones on Reset.
        """
        with self.lock:
            self.edits = {}
            live = [p for p in self.applied_edits if lv.is_live(p)]
            if live and self.runs:
                for run in self.runs:
                    run.model.set_levers(
                        lv.changes({p: get_value(run.preset, p) for p in live}))
                for path in live:
                    del self.applied_edits[path]
                    self.live_from.pop(path, None)
                self.lever_note = (f"levers back to the scenario's values from step "
                                   f"{self.steps + 1}{self._to_all()}")

    def _to_all(self) -> str:
        """The end of a lever note in compare mode."""
        return " (both runs)" if len(self.runs) > 1 else ""

    def open(self, path: str | Path) -> None:
        """Switch to another scenario file and reset (lever edits are cleared)."""
        with self.lock:
            self.path = Path(path)
            self.policy = None
            self.edits = {}
            self.reset()

    def choose_policy(self, policy: str | None) -> None:
        """Single mode: apply a policy preset (None: the file as written) and reset."""
        with self.lock:
            self.policy = policy or None
            self.edits = {}
            self.reset()

    def choose_compare(self, first: str, second: str) -> None:
        """Compare mode: the two policies to run side by side; reset."""
        with self.lock:
            self.compare = (first, second)
            self.edits = {}
            self.reset()

    def reset(self) -> None:
        """Re-read the file and rebuild the model(s) with the policy and lever edits."""
        with self.lock:
            self.generation += 1
            self.messages = []
            self.runs = []
            self.error = None
            try:
                experiment = load_experiment(self.path)
                self.base = experiment.scenario(None if self.compare else self.policy)
            except ScenarioError as err:
                self.base = None
                self.error = str(err)
            if self.base is not None:
                policies = self.compare if self.compare else (self.policy,)
                try:
                    self.runs = build_runs(experiment, policies, self.edits)
                except ScenarioError as err:
                    self.error = str(err)
            self.applied_edits = dict(self.edits) if self.runs else {}
            self.live_from = {}
            self.lever_note = None

    def step(self) -> None:
        """Advance every run by one step."""
        with self.lock:
            for run in self.runs:
                run.model.step()

    def shock(self, event_type: str) -> None:
        """Inject an event with the schema's defaults into every run, at the current step.

        The model applies an injected event at the start of its next step, as it would a
        scheduled event of that step.
        """
        with self.lock:
            for run in self.runs:
                run.model.inject_event(make_shock(event_type, run.model.steps))
            if self.runs:
                self.messages.append((self.steps + 1, (
                    f"{event_type.replace('_', ' ')}: injected at step {self.steps}, acts at "
                    f"the start of step {self.steps + 1}")))


def _what(path: str, value: float) -> str:
    """A lever change in words, as the model's event log has it."""
    rest = " (the other shares rescaled)" if lv.is_share(path) else ""
    return f"{path} = {value:g}{rest}"
