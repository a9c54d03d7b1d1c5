"""Parameter paths: one place to name, read, set and bound scenario parameters.

A dotted path (`budget.allocation.training`, `districts.north.police`) names mapping keys
by name and list items by index or, for lists of named items (districts), by their `name`.
Here a path is read from a scenario (`get_value`), set in a scenario tree (`set_path`, for
the loader), resolved to its schema field (`field_of`) and that field's range (`bounds_of`),
and the numeric parameters are listed (`numeric_paths`). Bad paths raise `PathError` with a
did-you-mean hint. The budget's allocation vector, in `ACTIVITIES` order, is built here too.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args, get_origin

import numpy as np
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ._tree import Key, Node, Where, from_plain, merge
from ._types import constraints, is_model, strip, tagged_union, union_fields
from .errors import did_you_mean, format_path
from .schema import ACTIVITIES, Allocation, Scenario

ACTIVITY_INDEX: Mapping[str, int] = {name: index for index, name in enumerate(ACTIVITIES)}
"""Position of each budget activity in the allocation vector; activities are keyed by name."""

_NOT_PARAMETERS = ("sweep",)
"""Top-level sections that describe a design of the scenario, not a parameter of the model."""


class PathError(ValueError):
    """A dotted path that does not name a scenario parameter."""


def split_path(dotted: str) -> list[str]:
    """Split a dotted path into its keys; raises PathError for an empty key."""
    keys = dotted.split(".")
    if "" in keys:
        raise PathError(f"{dotted!r} is not a parameter path like budget.allocation.training")
    return keys


# --- reading --------------------------------------------------------------------------------

def get_value(data: BaseModel | Mapping[str, Any], dotted: str) -> Any:
    """Return the value at a dotted path of a scenario (or a section, or its plain data).

    Raises:
        PathError: if the path names nothing there (with a did-you-mean hint).

    """
    return _walk(data, split_path(dotted))


def field_of(dotted: str, scenario: BaseModel | None = None) -> FieldInfo:
    """Return the schema field a dotted path names, e.g. `cmo.coordination`.

    The path is followed through `scenario` (default: `Scenario()`), so list items must exist
    there and an event's fields are those of its type.

    Raises:
        PathError: if the path names nothing, or a list item or mapping entry, not a field.

    """
    keys = split_path(dotted)
    parent = _walk(_root(scenario), keys[:-1])
    _step(parent, keys, len(keys) - 1)  # reports an unknown key
    if not isinstance(parent, BaseModel):
        raise PathError(f"{dotted!r} names an item of {'.'.join(keys[:-1])!r}, "
                        f"not a parameter")
    return type(parent).model_fields[keys[-1]]


def number_type(field: FieldInfo) -> type[int] | type[float] | None:
    """Return int or float for a numeric field (`X | None` included), else None."""
    bare, _ = strip(field.annotation)
    if bare is int:
        return int
    return float if bare is float else None


def numeric_paths(scenario: BaseModel | None = None) -> list[str]:
    """List every numeric parameter of a scenario (default: `Scenario()`) as a dotted path.

    These are the paths a design, a calibration or a lever may vary: list items are named by
    `name` when they have one (`districts.north.police`), else by index (`events.0.factor`).
    The `sweep` (a design of the scenario, not a parameter) and mappings (`policies`) are
    left out.
    """
    root = _root(scenario)
    return [path for path in _numeric(root, "")
            if path.split(".", 1)[0] not in _NOT_PARAMETERS]


def _root(scenario: BaseModel | None) -> BaseModel:
    return scenario if scenario is not None else _default_scenario()


@functools.cache
def _default_scenario() -> Scenario:
    return Scenario()


def _numeric(section: BaseModel, prefix: str) -> Iterator[str]:
    for name, field in type(section).model_fields.items():
        path, value = prefix + name, getattr(section, name)
        if number_type(field) is not None:
            yield path
        elif isinstance(value, BaseModel):
            yield from _numeric(value, path + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    key = _item_name(item)
                    yield from _numeric(item, f"{path}.{index if key is None else key}.")


def _walk(node: Any, keys: Sequence[str]) -> Any:
    for depth in range(len(keys)):
        node = _step(node, keys, depth)
    return node


def _step(node: Any, keys: Sequence[str], depth: int) -> Any:
    """Return the child `keys[depth]` of a node reached by `keys[:depth]`."""
    key = keys[depth]
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        if key not in fields:
            raise PathError(_unknown_key(keys, depth, list(fields)))
        return getattr(node, key)
    if isinstance(node, Mapping):
        if key not in node:
            raise PathError(_unknown_key(keys, depth, [str(k) for k in node]))
        return node[key]
    if isinstance(node, list | tuple):
        return node[_item_index(keys, depth, [_item_name(item) for item in node])]
    written = ".".join(keys[:depth])
    if node is None:
        raise PathError(f"{written!r} is not set; it has no key {key!r}")
    raise PathError(f"{written!r} is a single value; it has no key {key!r}")


def _item_name(item: Any) -> str | None:
    """The `name` of a list item (a district), if it has one."""
    name = item.get("name") if isinstance(item, Mapping) else getattr(item, "name", None)
    return name if isinstance(name, str) else None


def _unknown_key(keys: Sequence[str], depth: int, choices: list[str]) -> str:
    """Say that `keys[depth]` is not among `choices`, with the closest as a full path."""
    key = keys[depth]
    inside = f" in {'.'.join(keys[:depth])!r}" if depth else ""
    hint = did_you_mean(key, choices)
    if hint is not None:
        guess = ".".join([*keys[:depth], hint])
        return f"unknown key {key!r}{inside}; did you mean {guess!r}?"
    allowed = ", ".join(choices) if choices else "none (it is empty)"
    return f"unknown key {key!r}{inside}; allowed: {allowed}"


def _item_index(keys: Sequence[str], depth: int, names: list[str | None]) -> int:
    """Find the item `keys[depth]` names, by index or by name, among items with `names`."""
    key, where = keys[depth], ".".join(keys[:depth])
    if key.isascii() and key.isdigit():
        if int(key) < len(names):
            return int(key)
        raise PathError(f"index {key} is out of range: {where!r} has {len(names)} items")
    if key in names:
        return names.index(key)
    known = [name for name in names if name is not None]
    if not known:
        count = len(names)
        indices = f"0 to {count - 1}" if count > 1 else "0" if count else "none"
        raise PathError(f"{where!r} is a list: use an item index ({indices}), not {key!r}")
    hint = did_you_mean(key, known)
    tail = f"did you mean {hint!r}?" if hint else f"names are: {', '.join(known)}"
    raise PathError(f"{where!r} has no item named {key!r}; {tail}")


# --- ranges ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bounds:
    """The numbers a parameter accepts, between two ends each inclusive or exclusive.

    A missing end is an exclusive infinite one, so `Bounds(-inf, inf, False, False)` is any
    number.
    """

    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool

    def contains(self, value: float) -> bool:
        """Whether the schema accepts `value` (an exclusive end is not accepted)."""
        above_low = value > self.low or (value == self.low and self.low_inclusive)
        below_high = value < self.high or (value == self.high and self.high_inclusive)
        return above_low and below_high

    @property
    def finite(self) -> bool:
        """Whether both ends are finite numbers."""
        return math.isfinite(self.low) and math.isfinite(self.high)

    def words(self) -> str:
        """The range in words: "0 to 1", ">= 0", "> 0 and <= 1" or "any finite number"."""
        if self.finite and self.low_inclusive and self.high_inclusive:
            return f"{self.low:g} to {self.high:g}"
        parts = []
        if math.isfinite(self.low):
            parts.append(f"{'>=' if self.low_inclusive else '>'} {self.low:g}")
        if math.isfinite(self.high):
            parts.append(f"{'<=' if self.high_inclusive else '<'} {self.high:g}")
        return " and ".join(parts) or "any finite number"

    def closed(self, step: float) -> Bounds:
        """The same range with inclusive finite ends, each exclusive one moved `step` inside.

        What a sampler or a slider may use: for whole numbers `step` is 1, for reals a step
        small against the range, so no value drawn or shown sits on a forbidden end.
        """
        low, low_inclusive = _closed_end(self.low, self.low_inclusive, step)
        high, high_inclusive = _closed_end(self.high, self.high_inclusive, -step)
        return Bounds(low, high, low_inclusive, high_inclusive)


def _closed_end(end: float, inclusive: bool, inward: float) -> tuple[float, bool]:
    if inclusive or not math.isfinite(end):
        return end, inclusive
    return end + inward, True


def bounds_of(field: FieldInfo) -> Bounds:
    """Return the range of a field, from its ge/gt/le/lt constraints (or its type's)."""
    limits = constraints(field, strip(field.annotation)[1])
    low, low_inclusive = _end(limits, "ge", "gt", -math.inf)
    high, high_inclusive = _end(limits, "le", "lt", math.inf)
    return Bounds(low, high, low_inclusive, high_inclusive)


def _end(limits: Mapping[str, Any], inclusive: str, exclusive: str, missing: float
         ) -> tuple[float, bool]:
    """One end of a range and whether it is inclusive; `missing` (exclusive) if none.

    The end is kept as the schema gives it: a whole-number end like 2**63 - 1 stays exact.
    """
    if inclusive in limits and math.isfinite(limits[inclusive]):
        return limits[inclusive], True
    if exclusive in limits and math.isfinite(limits[exclusive]):
        return limits[exclusive], False
    return missing, False


# --- the allocation vector ------------------------------------------------------------------

def allocation_vector(allocation: Allocation) -> np.ndarray:
    """Return the budget shares as a float64 vector in `ACTIVITIES` order."""
    return np.array([getattr(allocation, name) for name in ACTIVITIES], dtype=np.float64)


# --- setting, in a scenario tree ------------------------------------------------------------

def set_path(tree: Node, dotted: str, value: Node) -> tuple[Node, str]:
    """Return a copy of a scenario tree with `value` placed at a dotted path.

    Missing sections on the way are filled with their schema defaults, so setting one key of
    a section the data omits keeps that section's other defaults. A mapping set on a section
    merges into it, as `extends:` does (`budget={per_week: 20}` keeps the file's allocation);
    any other value, lists and events included, replaces what was there.

    Returns:
        The new tree and the path in the style of error messages (`districts[0].police`).

    Raises:
        PathError: if the path does not name a parameter (with a did-you-mean hint).

    """
    setter = _Setter(split_path(dotted), value)
    return setter.set(tree, Scenario, 0), format_path(setter.trail)


class _Setter:
    """One edit: walks the schema and the tree along the keys, rebuilding the nodes it passes."""

    def __init__(self, keys: list[str], value: Node) -> None:
        self.keys = keys
        self.value = value
        self.trail: list[Key] = []

    def set(self, node: Node | None, annotation: Any, depth: int) -> Node:
        """Return the node (of schema type `annotation`) with the value set at `keys[depth:]`."""
        if depth == len(self.keys):
            if node is not None and is_model(strip(annotation)[0]):
                return merge(node, self.value)  # a section merges, as in `extends:`
            return self.value
        key = self.keys[depth]
        where = node.where if node is not None else self.value.where
        fields = _fields(annotation, node)
        if fields is not None:
            if key not in fields:
                raise PathError(_unknown_key(self.keys, depth, list(fields)))
            self.trail.append(key)
            child = _child(node, key)
            if child is None and depth + 1 < len(self.keys):
                child = _default(fields[key], self.value.where)
            return _with_key(node, where, key, self.set(child, fields[key].annotation, depth + 1))
        bare, _ = strip(annotation)
        origin = get_origin(bare)
        if origin in (list, tuple):
            items = node.value if node is not None and isinstance(node.value, list) else []
            if origin is tuple:
                items = items[: len(get_args(bare))]
            index = _item_index(self.keys, depth, [_name(item) for item in items])
            self.trail.append(index)
            item_type = get_args(bare)[0] if origin is list else get_args(bare)[index]
            new_items = list(items)
            new_items[index] = self.set(items[index], item_type, depth + 1)
            return Node(new_items, where)
        if origin is dict or bare is Any:
            self.trail.append(key)
            child_type = get_args(bare)[1] if origin is dict else Any
            return _with_key(node, where, key, self.set(_child(node, key), child_type, depth + 1))
        written = ".".join(self.keys[:depth])
        raise PathError(f"{written!r} is a single value; it has no key {key!r}")


def _fields(annotation: Any, node: Node | None) -> dict[str, FieldInfo] | None:
    """List the fields a mapping of this schema type may have (None: not a section)."""
    bare, _ = strip(annotation)
    if is_model(bare):
        return bare.model_fields
    union = tagged_union(annotation)
    if union is None:
        return None
    tag_key, members = union
    tag = _child(node, tag_key)
    if tag is not None and isinstance(tag.value, str) and tag.value in members:
        return members[tag.value].model_fields
    return union_fields(members)


def _child(node: Node | None, key: Key) -> Node | None:
    return node.child(key) if node is not None else None


def _name(item: Node) -> str | None:
    name = item.child("name")
    return name.value if name is not None and isinstance(name.value, str) else None


def _with_key(node: Node | None, where: Where, key: str, child: Node) -> Node:
    items = dict(node.value) if node is not None and isinstance(node.value, dict) else {}
    items[key] = child
    return Node(items, where)


def _default(field: FieldInfo, where: Where) -> Node | None:
    """Build a field's schema default as a tree, or None if it has none."""
    default = field.get_default(call_default_factory=True)
    if default is PydanticUndefined or default is None or field.annotation is None:
        return None
    return from_plain(TypeAdapter(field.annotation).dump_python(default), where)
