"""Shock buttons: schema events built with their defaults, to inject at the current step.

The event classes, their fields, defaults and help come from `ssrsim.scenario.schema`; a
shock is the same event a scenario file can schedule, applied now through
`SSRModel.inject_event`.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from ..scenario import schema

SHOCK_TYPES: tuple[str, ...] = (
    "abuse_scandal", "budget_cut", "coup", "troop_drawdown", "donor_surge", "community_policing")
"""The event types offered as shock buttons, in display order."""

SHOCK_LABEL = "shock (app)"
"""The label shocks carry in the model's event log."""


def _event_classes() -> dict[str, type[schema.EventBase]]:
    union = typing.get_args(schema.Event)[0]
    classes = {}
    for cls in typing.get_args(union):
        (name,) = typing.get_args(cls.model_fields["type"].annotation)
        classes[name] = cls
    return classes


EVENT_CLASSES: dict[str, type[schema.EventBase]] = _event_classes()
"""Event class of every event type in the schema."""


@dataclass(frozen=True)
class Shock:
    """A shock button: its event type, title and help text (from the schema)."""

    type: str
    title: str
    help: str


def effects(event_type: str) -> str:
    """A shock's own fields and defaults, e.g. `trust shock -0.2, crisis 0.2`."""
    return _effects(EVENT_CLASSES[event_type]) if event_type in EVENT_CLASSES else ""


def _effects(cls: type[schema.EventBase]) -> str:
    """The event's own fields and defaults, e.g. `trust shock -0.2, crisis 0.2`."""
    parts = []
    for name, info in cls.model_fields.items():
        if name in schema.EventBase.model_fields or name == "type":
            continue
        default = info.get_default(call_default_factory=True)
        shown = f"{default:g}" if isinstance(default, int | float) else str(default)
        parts.append(f"{name.replace('_', ' ')} {shown}")
    return ", ".join(parts)


def shocks() -> list[Shock]:
    """The shock buttons, with help from each event class's docstring and defaults."""
    result = []
    for name in SHOCK_TYPES:
        cls = EVENT_CLASSES[name]
        doc = " ".join((cls.__doc__ or "").split())
        result.append(Shock(name, name.replace("_", " ").capitalize(),
                            f"{doc} Defaults: {_effects(cls)}."))
    return result


def make_shock(event_type: str, step: int) -> schema.EventBase:
    """The event of a shock button, with the schema's defaults, happening at `step`."""
    try:
        cls = EVENT_CLASSES[event_type]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}; "
                         f"allowed: {', '.join(EVENT_CLASSES)}") from None
    # validated like the constructor would; through a dict because EventBase itself has no
    # `type` field (each concrete event class declares its own Literal)
    return cls.model_validate({"type": event_type, "step": step, "label": SHOCK_LABEL})
