"""Policy levers: the parameters a trainer can move, derived from the scenario schema.

Each lever is a dotted parameter path; its label, range, unit and help text come from the
schema's pydantic Field (`ssrsim/scenario/schema.py`), never written here a second time.
Only what the schema does not say is decided here: a slider needs an upper end for a
parameter with no upper bound (`budget.per_week`), taken as `OPEN_RANGE_FACTOR` times the
larger of the schema default and the scenario's value.

The five budget shares must sum to 1: moving one share rescales the others in proportion
(`renormalise`).

Most levers act live, from the next step of a running model (`SSRModel.set_levers`); the
model decides which (`LIVE_LEVERS`) and why the others apply only when it is built
(`BUILD_ONLY_REASONS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model.live import BUILD_ONLY_REASONS, LIVE_LEVERS
from ..scenario import Scenario, bounds_of, field_of, get_value, number_type
from ..scenario.schema import ACTIVITIES

ALLOCATION = "budget.allocation"
"""Prefix of the budget-share levers; together they always sum to 1."""

LEVER_PATHS: tuple[str, ...] = (
    "cmo.coordination",
    "ngo.coordination",
    "budget.per_week",
    *(f"{ALLOCATION}.{a}" for a in ACTIVITIES),
    "institutions.oversight",
    "institutions.political_resistance",
    "institutions.institutional_resistance",
)
"""The parameters shown as levers, in display order."""

LEVEL_NOTE = "Moved during a run, it sets the current level, which then evolves as usual."
SHARE_NOTE = ("Moved during a run, the shares replace the current allocation (which adaptive "
              "management may change again).")
STATE_NOTES: dict[str, str] = {
    "institutions.oversight": LEVEL_NOTE,
    "institutions.political_resistance": LEVEL_NOTE,
    **{f"{ALLOCATION}.{a}": SHARE_NOTE for a in ACTIVITIES},
}
"""What a live move does to levers that are initial values of model state."""

OPEN_RANGE_FACTOR = 4.0
"""A lever with no upper bound in the schema goes up to this times max(default, value)."""

SLIDER_STEPS = 100
"""A float lever moves in steps of about 1/SLIDER_STEPS of its range (rounded to 1, 2, 5)."""


@dataclass(frozen=True)
class Lever:
    """One parameter as a slider: where it lives, what it means, how far it goes."""

    path: str
    section: str
    section_help: str
    label: str
    help: str
    unit: str
    minimum: float
    maximum: float
    step: float
    default: float
    is_int: bool
    reset_only: str | None
    """None for a live lever; else why it applies only on Reset."""
    note: str
    """For a lever that is an initial value of model state, what a move during a run does."""

    def clamp(self, value: float) -> float:
        """The value limited to the lever's range (and rounded for an integer lever)."""
        value = min(max(float(value), self.minimum), self.maximum)
        return float(round(value)) if self.is_int else value


def _nice_step(span: float) -> float:
    """A round slider step near span / SLIDER_STEPS: 1, 2 or 5 times a power of ten."""
    raw = span / SLIDER_STEPS
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * power * 1.0000001:
            return factor * power
    return 10.0 * power  # pragma: no cover


def _nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if value <= factor * power * 1.0000001:
            return factor * power
    return 10.0 * power  # pragma: no cover


ACRONYMS = {"cmo": "CMO", "ddr": "DDR", "ngo": "NGO", "ngos": "NGOs"}


def _label(path: str) -> str:
    *_, name = path.split(".")
    words = [ACRONYMS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def section_help(section: str) -> str:
    """The first sentence of the docstring of a schema section, e.g. `budget.allocation`."""
    doc = " ".join((field_of(section).annotation.__doc__ or "").split())
    return doc.split(". ")[0].rstrip(".") + "." if doc else ""


def make_lever(path: str, scenario: Scenario | None = None) -> Lever:
    """The lever for one parameter path, its range widened to hold the scenario's value.

    An exclusive end of the schema's range is not a slider position: the slider stops one
    step inside it, so every position is a value the schema accepts.
    """
    info = field_of(path)
    schema = bounds_of(info)
    default = info.get_default(call_default_factory=True)
    is_int = number_type(info) is int
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    current = get_value(scenario, path) if scenario is not None else default
    low = schema.low if math.isfinite(schema.low) else min(0.0, float(current))
    high = schema.high if math.isfinite(schema.high) else _nice_ceil(
        OPEN_RANGE_FACTOR * max(float(default), float(current), 1e-9))
    step = 1.0 if is_int else _nice_step(high - low)
    inside = schema.closed(step)
    section = path.rsplit(".", 1)[0]
    return Lever(
        path=path, section=section, section_help=section_help(section), label=_label(path),
        help=info.description or "",
        unit=str(extra.get("unit", "")), minimum=float(max(low, inside.low)),
        maximum=float(min(high, inside.high)), step=step,
        default=float(default), is_int=is_int, reset_only=_reset_only(path),
        note=STATE_NOTES.get(path, ""))


def is_live(path: str) -> bool:
    """Whether a lever changes a running model (from its next step)."""
    return path in LIVE_LEVERS


def _reset_only(path: str) -> str | None:
    """Why a lever applies only on Reset (None for a live one); each such lever needs one."""
    return None if is_live(path) else f"Applies on Reset: {BUILD_ONLY_REASONS[path]}."


def levers_for(scenario: Scenario | None = None) -> list[Lever]:
    """All levers, in display order; ranges hold the scenario's values when given."""
    return [make_lever(path, scenario) for path in LEVER_PATHS]


def lever_values(scenario: Scenario) -> dict[str, float]:
    """The scenario's value of every lever."""
    return {path: float(get_value(scenario, path)) for path in LEVER_PATHS}


def is_share(path: str) -> bool:
    """Whether a lever is one of the budget shares."""
    return path.startswith(ALLOCATION + ".")


def renormalise(shares: Mapping[str, float], changed: str, value: float,
                resolution: float | None = None) -> dict[str, float]:
    """Set one budget share and rescale the others so that all sum to 1.

    Args:
        shares: the current shares by activity name (`engagement`, ..., `ddr`).
        changed: the activity the trainer moved.
        value: its new share, clipped to [0, 1].
        resolution: if given (e.g. 0.01), every share is a multiple of it: the moved one
            rounded, the others by largest remainder so the sum stays exactly 1. Sliders
            need this: a slider shown a value off its step grid rounds it and sends the
            rounded value back as if the trainer had moved it.

    Returns:
        New shares: `changed` at `value`, the others in their old proportions (equal parts
        when they were all zero), summing to 1.

    """
    value = min(max(float(value), 0.0), 1.0)
    others = [k for k in shares if k != changed]
    if resolution:
        value = round(value / resolution) * resolution
    rest = sum(max(float(shares[k]), 0.0) for k in others)
    weights = {k: (max(float(shares[k]), 0.0) / rest if rest > 0 else 1.0 / len(others))
               for k in others}
    result = {changed: value}
    if resolution:
        units = round(1.0 / resolution)
        left = units - round(value / resolution)
        exact = {k: w * left for k, w in weights.items()}
        whole = {k: math.floor(v) for k, v in exact.items()}
        by_remainder = sorted(others, key=lambda k: exact[k] - whole[k], reverse=True)
        for k in by_remainder[: left - sum(whole.values())]:
            whole[k] += 1
        result.update({k: whole[k] / units for k in others})
        result[changed] = round(value / resolution) / units
    else:
        result.update({k: w * (1.0 - value) for k, w in weights.items()})
    return {k: result[k] for k in shares}


def set_lever(values: Mapping[str, float], path: str, value: float,
              resolution: float | None = None) -> dict[str, float]:
    """New lever values after moving one lever (budget shares stay summing to 1).

    `resolution` is passed on to `renormalise` for the budget shares.
    """
    result = dict(values)
    if is_share(path):
        keys = [p for p in values if is_share(p)]
        shares = {p.rsplit(".", 1)[1]: float(values[p]) for p in keys}
        new = renormalise(shares, path.rsplit(".", 1)[1], value, resolution)
        result.update({f"{ALLOCATION}.{k}": v for k, v in new.items()})
    else:
        result[path] = float(value)
    return result


def changes(edits: Mapping[str, float]) -> dict[str, Any]:
    """The `apply_changes` mapping of lever edits: integers as int, floats as float."""
    out: dict[str, Any] = {}
    for path, value in edits.items():
        out[path] = round(value) if number_type(field_of(path)) is int else float(value)
    return out
