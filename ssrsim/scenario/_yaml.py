"""Reading scenario YAML into located trees, following `extends:` chains.

Only the safe YAML subset is read (plain mappings, lists and the standard scalar types, as
`yaml.safe_load` does). Mapping keys are kept as written (always text), duplicate keys are
reported, and every problem becomes an `Issue` with its file and line.

Reading is bounded, so no input can exhaust memory or time: a file must be a regular file of
at most `MAX_FILE_BYTES`; `extends:` names only `.yaml`/`.yml` files; nesting deeper than
`MAX_DEPTH`, a list or mapping of more than `MAX_ITEMS` entries, and a document that expands
(aliases followed) to more than `MAX_VALUES` values are refused with the line where the limit
was crossed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ._tree import Node, Where, merge
from .errors import NO_VALUE, Issue, ScenarioError, describe, show_value

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted (aliases can make recursive data)."""

MAX_VALUES = 100_000
"""Most values a document may expand to once aliases are followed (a scenario has ~400)."""

MAX_ITEMS = 10_000
"""Most entries of one list or mapping once aliases are followed."""

MAX_FILE_BYTES = 1_048_576
"""Largest scenario file read, in bytes (1 MiB; the shipped scenarios are under 40 KiB)."""

SCENARIO_SUFFIXES = (".yaml", ".yml")
"""What the name of a file that `extends:` names must end with."""

_TAG_EXPECTS = {
    "!!timestamp": "a date like 2004-01-05 or a date and time like 2004-01-05 12:30:00",
    "!!int": "a whole number like 12",
    "!!float": "a number like 0.5",
    "!!bool": "true or false",
    "!!binary": "base64 text",
}
"""What each standard tag reads, for the message when its value cannot be read."""

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _TooLarge(Exception):
    """The document expands to too many values, or one list or mapping has too many."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def read_tree(path: Path) -> Node:
    """Read a scenario file and the files it extends, merged into one tree.

    Raises:
        ScenarioError: if any file in the chain cannot be read or parsed, or the chain loops.

    """
    return _read_chain(path, (), None)


def parse_value(text: str, source: str) -> Any:
    """Parse one value written in YAML (a `--set` value) as plain data.

    Raises:
        ScenarioError: if the text is not valid YAML.

    """
    root = _compose(text, source)
    if root is None:
        return None
    return _to_tree(root, source).plain()


def _read_chain(
    path: Path, chain: tuple[tuple[Path, str], ...], referrer: Node | None
) -> Node:
    name = os.path.normpath(path)
    real = _real(path)
    if real in (seen for seen, _ in chain):
        loop = " -> ".join([*(seen_name for _, seen_name in chain), name])
        raise _error(referrer, "extends", referrer.value if referrer else name,
                     f"extends loops back: {loop}")
    tree = _read_file(path, name, referrer)
    parent = tree.value.get("extends")
    if parent is None or parent.value is None:
        return tree
    if not isinstance(parent.value, str) or not parent.value.strip():
        raise _error(parent, "extends", parent.plain(),
                     "must be the path of one scenario file, written as text")
    if not parent.value.lower().endswith(SCENARIO_SUFFIXES):
        raise _error(parent, "extends", parent.value,
                     "must name a scenario file ending in .yaml or .yml")
    target = path.parent / parent.value
    if not _is_scenario_name(target):
        raise _error(parent, "extends", parent.value,
                     "is a link to a file whose name does not end in .yaml or .yml; extends "
                     "reaches only scenario files")
    base = _read_chain(target, (*chain, (real, name)), parent)
    return merge(base, tree)


def _is_scenario_name(path: Path) -> bool:
    """Whether a file's name, and the name of what it links to, end in .yaml or .yml."""
    return all(str(p).lower().endswith(SCENARIO_SUFFIXES) for p in (path, _real(path)))


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, ValueError):
        return path.absolute()


def _error(at: Node | None, path: str, value: Any, message: str) -> ScenarioError:
    where = at.where if at is not None else Where("<scenario>", None)
    return ScenarioError([Issue(where.file, where.line, path, value, message)])


def _read_file(path: Path, name: str, referrer: Node | None) -> Node:
    try:
        data = read_bounded(path)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        if referrer is not None:
            message = f"cannot read {name}: {reason}"
            raise _error(referrer, "extends", referrer.value, message) from None
        issue = Issue(name, None, "", NO_VALUE, f"cannot read file: {reason}")
        raise ScenarioError([issue]) from None
    root = _compose(_decode(data, name), name)
    if root is None:
        raise ScenarioError([Issue(name, None, "", NO_VALUE, "the file is empty")])
    tree = _to_tree(root, name)
    if not isinstance(tree.value, dict):
        got = (describe(tree.plain()) if _is_scenario_name(path)
               else _kind(tree.value))  # never quote a file that is not a scenario file
        message = f"the top level must be a mapping of keys to values, got {got}"
        raise ScenarioError([Issue(name, tree.where.line, "", NO_VALUE, message)])
    return tree


def _kind(value: Any) -> str:
    """Name the kind of a value without showing it."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return "a single value" if value is not None else "nothing"


def read_bytes_limit(path: Path, limit: int) -> bytes:
    """Read a regular file of at most `limit` bytes, never blocking on a device or a pipe.

    Raises:
        OSError: if the file cannot be read, or (with a readable reason) it is not a regular
            file or it is larger than `limit`.

    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file (devices, pipes and folders are not read)")
        if info.st_size > limit:
            raise OSError(0, f"larger than {limit} bytes ({info.st_size} bytes)")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(0, f"larger than {limit} bytes")
    return data


def read_bounded(path: Path) -> bytes:
    """Read a scenario file: a regular file of at most `MAX_FILE_BYTES` (see read_bytes_limit)."""
    return read_bytes_limit(path, MAX_FILE_BYTES)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded"
        raise ScenarioError([Issue(name, line, "", NO_VALUE, message)]) from None


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader that refuses nesting deeper than `MAX_DEPTH` while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                mark = self.peek_event().start_mark
                raise _TooDeep(mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooDeep(Exception):
    """Nesting deeper than MAX_DEPTH, found at a line."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _compose(text: str, name: str) -> yaml.Node | None:
    loader = None
    try:
        loader = _BoundedLoader(text)
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_issue(exc, name)]) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError([_reader_issue(exc, text, name)]) from None
    except _TooDeep as exc:
        message = f"values are nested more than {MAX_DEPTH} levels deep"
        raise ScenarioError([Issue(name, exc.line, "", NO_VALUE, message)]) from None
    except RecursionError:
        line = loader.get_mark().line + 1 if loader is not None else None
        message = "YAML syntax error: nesting is too deep"
        raise ScenarioError([Issue(name, line, "", NO_VALUE, message)]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _reader_issue(exc: yaml.reader.ReaderError, text: str, name: str) -> Issue:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - text.rfind("\n", 0, exc.position)
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    message = f"YAML syntax error at column {column}: {exc.reason} (found #x{code:04x})"
    return Issue(name, line, "", NO_VALUE, message)


def _syntax_issue(exc: yaml.MarkedYAMLError, name: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    message = f"YAML syntax error at column {mark.column + 1}: {problem}" if mark else problem
    if exc.context and exc.problem and exc.context_mark is not None:
        same_line = mark is not None and exc.context_mark.line == mark.line
        message += f" ({exc.context})" if same_line else (
            f" ({exc.context} on line {exc.context_mark.line + 1})")
    return Issue(name, mark.line + 1 if mark else None, "", NO_VALUE, message)


def _to_tree(root: yaml.Node, name: str) -> Node:
    builder = _Builder(name)
    try:
        tree = builder.node(root, root.start_mark.line + 1, 0)
    except _TooLarge as exc:
        raise ScenarioError([Issue(name, exc.line, "", NO_VALUE, str(exc))]) from None
    if builder.issues:
        raise ScenarioError(builder.issues)
    return tree


class _Builder:
    """Turns composed YAML nodes into located trees, collecting problems as issues."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.constructor = yaml.SafeLoader("")
        self.issues: list[Issue] = []
        self.count = 0
        self.own_keys: dict[int, set[int]] = {}
        self.too_deep = False

    def node(self, yaml_node: yaml.Node, line: int, depth: int) -> Node:
        """Build the tree of one YAML node whose value starts (or whose key is) on `line`."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge(f"the document expands to more than {MAX_VALUES} values once "
                            f"aliases are followed (the limit is reached here)", line)
        if isinstance(yaml_node, yaml.SequenceNode | yaml.MappingNode) and (
                len(yaml_node.value) > MAX_ITEMS):
            kind = "list" if isinstance(yaml_node, yaml.SequenceNode) else "mapping"
            raise _TooLarge(f"a {kind} of {len(yaml_node.value)} entries; at most "
                            f"{MAX_ITEMS} are allowed", yaml_node.start_mark.line + 1)
        where = Where(self.name, line)
        if depth > MAX_DEPTH:
            if not self.too_deep:
                self.too_deep = True
                self._issue(line, f"values are nested more than {MAX_DEPTH} levels deep "
                                  "(or an alias refers to itself)")
            return Node(None, where)
        if isinstance(yaml_node, yaml.MappingNode) and yaml_node.tag == _MAP_TAG:
            return Node(self._mapping(yaml_node, depth), where)
        if isinstance(yaml_node, yaml.SequenceNode) and yaml_node.tag == _SEQ_TAG:
            items = [self.node(item, item.start_mark.line + 1, depth + 1)
                     for item in yaml_node.value]
            return Node(items, where)
        if isinstance(yaml_node, yaml.ScalarNode):
            return Node(self._scalar(yaml_node, line), where)
        tag = yaml_node.tag.replace("tag:yaml.org,2002:", "!!")
        self._issue(line, f"unsupported YAML tag {tag}")
        return Node(None, where)

    def _mapping(self, yaml_node: yaml.MappingNode, depth: int) -> dict[str, Node]:
        own = self._flatten(yaml_node)
        items: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        for key, value in yaml_node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode):
                self._issue(line, "a mapping key must be plain text, not a mapping or a list")
                continue
            if key.value in first_line and id(key) in own:
                self._issue(line, f"duplicate key {key.value!r} (first on line "
                                  f"{first_line[key.value]})")
                continue
            if id(key) in own:
                first_line[key.value] = line
            items[key.value] = self.node(value, line, depth + 1)
        return items

    def _flatten(self, yaml_node: yaml.MappingNode) -> set[int]:
        """Resolve merge keys (`<<: *base`) once per node; return the ids of its own keys."""
        if id(yaml_node) not in self.own_keys:
            self.own_keys[id(yaml_node)] = {id(key) for key, _ in yaml_node.value}
            try:
                self.constructor.flatten_mapping(yaml_node)
            except yaml.MarkedYAMLError as exc:
                self.issues.append(_syntax_issue(exc, self.name))
                yaml_node.value = []
        return self.own_keys[id(yaml_node)]

    def _scalar(self, yaml_node: yaml.ScalarNode, line: int) -> Any:
        try:
            return self.constructor.construct_object(yaml_node, deep=True)
        except Exception as exc:  # any failure to construct a scalar is bad input
            tag = yaml_node.tag.replace("tag:yaml.org,2002:", "!!")
            expected = _TAG_EXPECTS.get(tag)
            if isinstance(exc, yaml.MarkedYAMLError):
                reason = str(exc.problem)
            elif isinstance(exc, ValueError):  # e.g. "month must be in 1..12"
                reason = str(exc)
            else:  # the constructor's own failure, meaningless to a user
                reason = f"not a valid {tag} value"
            if expected is not None:
                reason += f" ({tag} expects {expected})"
            self._issue(line, f"cannot read {show_value(yaml_node.value)}: {reason}")
            return None

    def _issue(self, line: int, message: str) -> None:
        self.issues.append(Issue(self.name, line, "", NO_VALUE, message))
