"""The story of a run: what happened (the event log), what is scheduled ahead, and the notes.

Read from the model's event log (`(step, type, label)` for every scheduled event, shock and
lever move that acted) and from the scenario: its `events` say where a scheduled event
struck and its `teaching:` section what to tell the class. Plain Python, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..scenario.schema import EventBase, Scenario, TeachingNote
from .shocks import SHOCK_LABEL

if TYPE_CHECKING:
    from ..model.model import SSRModel

Source = Literal["scheduled", "shock", "lever"]
SHORT = 14
"""Most characters of an event's short label on the charts."""
EVERYWHERE = "everywhere"


@dataclass(frozen=True)
class StoryEvent:
    """One event of a run's story, numbered in the order it acted (or will act)."""

    number: int
    step: int
    date: str
    kind: str
    source: Source
    label: str
    where: str
    details: str = ""

    @property
    def what(self) -> str:
        """The event in words: its label, or its type for an unlabelled event or a shock."""
        kind = self.kind.replace("_", " ")
        if self.source == "shock":
            return f"{kind} (shock)"
        if self.source == "lever":
            return f"lever: {self.label}"
        return f"{kind}: {self.label}" if self.label else kind

    @property
    def short(self) -> str:
        """The chart label: its number and the first words of what it is."""
        word = self.label if self.source == "lever" else self.kind.replace("_", " ")
        word = word if len(word) <= SHORT else word[: SHORT - 1] + "…"
        return f"{self.number} {word}"

    @property
    def text(self) -> str:
        """The full text shown on hover: date, step, what, where and the event's sizes."""
        sizes = f" ({self.details})" if self.details else ""
        number = f"{self.number}. " if self.number else ""
        return f"{number}{self.date} (step {self.step}): {self.what}{sizes}; {self.where}"


def _details(event: EventBase) -> str:
    """An event's own fields in words, e.g. `factor 0.6, duration days 182`."""
    skip = set(EventBase.model_fields)
    parts = []
    for name, value in event.model_dump(exclude=skip).items():
        shown = f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) \
            else str(value)
        parts.append(f"{name.replace('_', ' ')} {shown}")
    return ", ".join(parts)


def _where(event: EventBase) -> str:
    return event.district if event.district is not None else EVERYWHERE


def schedule(scenario: Scenario) -> list[StoryEvent]:
    """The scenario's scheduled events in the order they act (unnumbered: number 0).

    They get their numbers when they act (`happened`), among shocks and lever moves.
    """
    ordered = sorted(scenario.events, key=scenario.event_step)
    return [StoryEvent(0, step := scenario.event_step(e), scenario.step_date(step).isoformat(),
                       e.type, "scheduled", e.label, _where(e), _details(e))
            for e in ordered]


def happened(model: SSRModel, scenario: Scenario,
             shock_details: dict[str, str] | None = None) -> list[StoryEvent]:
    """The events that acted in a run so far, from its event log, numbered from 1.

    A scheduled event is matched to the scenario's event of that step, type and label for
    where it struck and its sizes; shocks act everywhere and lever moves on the whole
    programme. `shock_details` gives a shock type's sizes (the shock buttons' defaults).
    """
    planned: dict[tuple[int, str, str], list[EventBase]] = {}
    for event in scenario.events:
        planned.setdefault((scenario.event_step(event), event.type, event.label),
                           []).append(event)
    story = []
    for number, (step, kind, label) in enumerate(model.event_log, 1):
        date = scenario.step_date(step).isoformat()
        if kind == "lever":
            story.append(StoryEvent(number, step, date, kind, "lever", label, "national"))
        elif label == SHOCK_LABEL:
            story.append(StoryEvent(number, step, date, kind, "shock", "", EVERYWHERE,
                                    (shock_details or {}).get(kind, "")))
        else:
            matches = planned.get((step, kind, label), [])
            found = (matches.pop(0) if len(matches) > 1 else matches[0]) if matches else None
            where = _where(found) if found is not None else EVERYWHERE
            details = _details(found) if found is not None else ""
            story.append(StoryEvent(number, step, date, kind, "scheduled", label, where,
                                    details))
    return story


def ahead(scenario: Scenario, step: int) -> list[StoryEvent]:
    """The scheduled events still to come after `step`, within the run."""
    return [e for e in schedule(scenario) if step < e.step <= scenario.time.steps]


@dataclass(frozen=True)
class Note:
    """A teaching note placed in the run: the step it is shown from, and its content."""

    step: int
    title: str
    text: str
    questions: tuple[str, ...]


def notes(scenario: Scenario) -> list[Note]:
    """The scenario's teaching notes that its run reaches, in the order they are shown."""
    if scenario.teaching is None:
        return []
    placed = []
    for note in scenario.teaching.notes:
        step = scenario.teaching_step(note)
        if step is not None and 0 <= step <= scenario.time.steps:
            placed.append(Note(step, _title(note, scenario), note.text.strip(),
                               tuple(note.questions)))
    return sorted(placed, key=lambda n: n.step)


def _title(note: TeachingNote, scenario: Scenario) -> str:
    when = scenario.step_date(scenario.teaching_step(note) or 0).isoformat()
    return f"{when}: {note.title or note.event or 'note'}"


def current_note(scenario: Scenario, step: int) -> Note | None:
    """The note to show at `step`: the last one reached, or None before the first."""
    reached = [n for n in notes(scenario) if n.step <= step]
    return reached[-1] if reached else None


def stops(scenario: Scenario) -> set[int]:
    """The steps at which play may pause: scheduled events and teaching notes in the run."""
    return ({e.step for e in schedule(scenario) if 0 < e.step <= scenario.time.steps}
            | {n.step for n in notes(scenario) if n.step > 0})
