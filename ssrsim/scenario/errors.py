"""Problems found in a scenario, each tied to a file, a line and a parameter path."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


class _NoValue:
    """Marker for an issue about no single value, e.g. a missing key."""

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __reduce__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final[Any] = _NoValue()
"""The `value` of an issue that concerns no single value (a missing key, a syntax error)."""

_MAX_SHOWN = 80


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario.

    Attributes:
        file: the file (or `--set`, `--policy`, `<dict>`) where the problem is.
        line: 1-based line in that file, or None when there is no line.
        path: the parameter path, like `districts[0].hardship.mean`; empty for the whole file.
        value: the offending value, or `NO_VALUE`.
        message: what is wrong and what is allowed.

    """

    file: str
    line: int | None
    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = self.path
        if subject and self.value is not NO_VALUE and not isinstance(self.value, Mapping):
            subject += f" = {show_value(self.value)}"
        return ": ".join(part for part in (where, subject, self.message) if part)


class ScenarioError(Exception):
    """A scenario could not be loaded; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[Issue], source: str | None = None) -> None:
        self.issues: list[Issue] = list(issues)
        self.source = source if source is not None else self._first_file()
        super().__init__(str(self))

    def _first_file(self) -> str:
        return self.issues[0].file if self.issues else "<scenario>"

    def __str__(self) -> str:
        count = len(self.issues)
        header = f"invalid scenario {self.source} ({count} problem{'' if count == 1 else 's'}):"
        return "\n".join([header, *(f"  {issue}" for issue in self.issues)])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.issues, self.source))


def show_value(value: Any) -> str:
    """Write a value the way it would appear in YAML, shortened if long."""
    text = _yaml_like(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _yaml_like(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_yaml_like(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml_like(v) for v in value) + "]"
    return repr(value)


def describe(value: Any) -> str:
    """Name a value for a message like "expected a number, got ..."."""
    if isinstance(value, Mapping):
        return "a mapping"
    return show_value(value)


def format_path(parts: Iterable[str | int]) -> str:
    """Write a path in data, e.g. ("districts", 0, "police") as `districts[0].police`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "." in part or not part:
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Find the choice closest to a misspelt word, if any is close enough."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
