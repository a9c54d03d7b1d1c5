"""Scenario data as a tree whose every value remembers the file and line that defined it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Key = str | int


@dataclass(frozen=True)
class Where:
    """Where a value was defined: a file (or `--set`, `<dict>`) and a 1-based line if known."""

    file: str
    line: int | None


@dataclass(frozen=True)
class Node:
    """A value with its origin; mappings hold `dict[str, Node]`, lists `list[Node]`.

    Nodes are never changed in place: edits build new nodes along the edited path.
    """

    value: Any
    where: Where

    def plain(self) -> Any:
        """Return the value as plain Python data (dicts, lists, scalars)."""
        if isinstance(self.value, dict):
            return {key: node.plain() for key, node in self.value.items()}
        if isinstance(self.value, list):
            return [node.plain() for node in self.value]
        return self.value

    def child(self, key: Key) -> Node | None:
        """Return the value under a mapping key or at a list index, or None."""
        found: Node | None = None  # `value` is Any: a dict of nodes, a list of nodes or a scalar
        if isinstance(self.value, dict) and isinstance(key, str):
            found = self.value.get(key)
        elif isinstance(self.value, list) and isinstance(key, int) and 0 <= key < len(self.value):
            found = self.value[key]
        return found


def from_plain(data: Any, where: Where) -> Node:
    """Wrap plain data (mappings, sequences, scalars) in nodes that all share one origin.

    Numpy scalars become the Python numbers they hold (the schema's types are strict).
    """
    if getattr(data, "ndim", None) == 0 and hasattr(data, "item"):
        data = data.item()
    if isinstance(data, Mapping):
        return Node({key: from_plain(value, where) for key, value in data.items()}, where)
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return Node([from_plain(value, where) for value in data], where)
    return Node(data, where)


def merge(base: Node, override: Node) -> Node:
    """Deep-merge two trees: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base.value, dict) and isinstance(override.value, dict)):
        return override
    merged = dict(base.value)
    for key, node in override.value.items():
        merged[key] = merge(merged[key], node) if key in merged else node
    return Node(merged, override.where)


def locate(tree: Node, parts: Sequence[Key]) -> tuple[Node, bool]:
    """Follow a path into a tree.

    Returns:
        The node at the path and True, or the deepest node on the way and False.

    """
    node = tree
    for part in parts:
        child = node.child(part)
        if child is None:
            return node, False
        node = child
    return node, True
