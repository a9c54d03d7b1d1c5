"""Dotted parameter paths (`budget.allocation.training`, `districts.north.police`).

A path names mapping keys by name and list items by index or, for lists of named items
(districts), by their `name`. Paths are checked against the schema, so a typo is reported
with the closest valid key, and keys the data leaves at their defaults can still be set.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from pydantic import TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ._tree import Key, Node, Where, from_plain, merge
from ._types import is_model, strip, tagged_union, union_fields
from .errors import did_you_mean, format_path
from .schema import Scenario


class PathError(ValueError):
    """A dotted path that does not name a scenario parameter."""


def set_path(tree: Node, dotted: str, value: Node) -> tuple[Node, str]:
    """Return a copy of a scenario tree with `value` placed at a dotted path.

    Missing sections on the way are filled with their schema defaults, so setting one key of
    a section the data omits keeps that section's other defaults. A mapping set on a section
    merges into it, as `extends:` does (`budget={per_step: 20}` keeps the file's allocation);
    any other value, lists and events included, replaces what was there.

    Returns:
        The new tree and the path in the style of error messages (`districts[0].police`).

    Raises:
        PathError: if the path does not name a parameter (with a did-you-mean hint).

    """
    keys = dotted.split(".")
    if "" in keys:
        raise PathError(f"{dotted!r} is not a parameter path like budget.allocation.training")
    setter = _Setter(keys, value)
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
                raise PathError(self._unknown_key(key, list(fields), depth))
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
            index = self._index(key, items, depth)
            self.trail.append(index)
            item_type = get_args(bare)[0] if origin is list else get_args(bare)[index]
            new_items = list(items)
            new_items[index] = self.set(items[index], item_type, depth + 1)
            return Node(new_items, where)
        if origin is dict or bare is Any:
            self.trail.append(key)
            child_type = get_args(bare)[1] if origin is dict else Any
            return _with_key(node, where, key, self.set(_child(node, key), child_type, depth + 1))
        raise PathError(f"{self._written(depth)!r} is a single value; it has no key {key!r}")

    def _written(self, depth: int) -> str:
        return ".".join(self.keys[:depth])

    def _unknown_key(self, key: str, choices: list[str], depth: int) -> str:
        inside = f" in {self._written(depth)!r}" if depth else ""
        hint = did_you_mean(key, choices)
        if hint is None:
            return f"unknown key {key!r}{inside}; allowed: {', '.join(choices)}"
        guess = ".".join([*self.keys[:depth], hint])
        return f"unknown key {key!r}{inside}; did you mean {guess!r}?"

    def _index(self, key: str, items: list[Node], depth: int) -> int:
        """Find the item a key names, by index or by the item's `name`."""
        where = self._written(depth)
        if key.isascii() and key.isdigit():
            if int(key) < len(items):
                return int(key)
            raise PathError(f"index {key} is out of range: {where!r} has {len(items)} items")
        names = [_name(item) for item in items]
        if key in names:
            return names.index(key)
        known = [name for name in names if name is not None]
        if not known:
            indices = f"0 to {len(items) - 1}" if len(items) > 1 else "0" if items else "none"
            raise PathError(f"{where!r} is a list: use an item index ({indices}), "
                            f"not {key!r}")
        hint = did_you_mean(key, known)
        tail = f"did you mean {hint!r}?" if hint else f"names are: {', '.join(known)}"
        raise PathError(f"{where!r} has no item named {key!r}; {tail}")


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
    if default is PydanticUndefined or default is None:
        return None
    return from_plain(TypeAdapter(field.annotation).dump_python(default), where)
