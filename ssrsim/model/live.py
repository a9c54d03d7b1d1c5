"""Live policy levers: parameter changes a running model takes from the start of its next step.

The browser app moves levers while a run plays. A lever change is validated at once and
queued with the app's shocks (the model's `inject_event`), so both act at the start of the
next step in the order they were made. The model reads the coordination levers and
`budget.per_week` afresh every step, so a change replaces the parameters; the budget shares
and two institutional levels are initial values of state the model keeps, so a change sets
that state now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..scenario import allocation_vector, apply_changes, get_value, split_path
from ..scenario.schema import ACTIVITIES, EventBase, ModelParams, model_params
from .world import World

LIVE_LEVERS: tuple[str, ...] = (
    "cmo.coordination",
    "ngo.coordination",
    "budget.per_week",
    *(f"budget.allocation.{a}" for a in ACTIVITIES),
    "institutions.oversight",
    "institutions.political_resistance",
)
"""Parameters a running model can change; the rest apply only when a model is built."""

BUILD_ONLY_REASONS: dict[str, str] = {
    "institutions.institutional_resistance": (
        "each security unit draws its resistance to reform from it when the unit is created, "
        "so in a running model it would only slow the judiciary"),
}
"""Why parameters one might expect to be live apply only when a model is built."""

LEVER_SOURCE = "live lever change"
"""Where lever values come from, in validation messages."""


@dataclass(frozen=True)
class LeverChange:
    """Lever changes waiting for the next step, and the parameters validated with them."""

    changes: dict[str, Any]
    params: ModelParams


def queue_levers(queue: list[EventBase | LeverChange], params: ModelParams,
                 changes: Mapping[str, Any]) -> None:
    """Validate lever changes and add them to a model's queue of shocks and levers.

    They are validated over the parameters with any changes still waiting. Changes made with
    nothing queued after them merge into the last waiting change (the last value wins).

    Raises:
        ValueError: for a parameter that is not live (it applies only when a model is built).
        ScenarioError: for a value the schema refuses (e.g. shares not summing to 1).

    """
    for path in changes:
        if path not in LIVE_LEVERS:
            reason = BUILD_ONLY_REASONS.get(path, "the model reads it only when it is built")
            raise ValueError(
                f"{path} cannot change in a running model: {reason}; it applies only to a "
                f"new model (Reset in the browser app). Live: {', '.join(LIVE_LEVERS)}")
    base = next((c.params for c in reversed(queue) if isinstance(c, LeverChange)), params)
    changed = model_params(apply_changes(base, changes, source=LEVER_SOURCE))
    if queue and isinstance(queue[-1], LeverChange):
        queue[-1] = LeverChange({**queue[-1].changes, **changes}, changed)
    else:
        queue.append(LeverChange(dict(changes), changed))


def apply_levers(model: World, change: LeverChange) -> None:
    """Make waiting lever changes act now, and log each as a "lever" event.

    `params` becomes the changed parameters; the budget shares set the current allocation
    (adaptive management may go on to change it); institutions.oversight and
    institutions.political_resistance set the current level, which then evolves as usual.
    """
    params = change.params
    model.params = params
    inst = model.institutions
    if any(path.startswith("budget.allocation.") for path in change.changes):
        inst.allocation = allocation_vector(params.budget.allocation)
    for path in change.changes:
        value = get_value(params, path)
        section, *rest = split_path(path)
        if section == "institutions":
            setattr(inst, rest[0], value)
        model.event_log.append((model.steps, "lever", f"{path}={value:g}"))
