"""Validating a scenario tree and turning pydantic's errors into located, readable issues."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from ._tree import Key, Node, locate
from ._types import (
    constraints,
    describe_range,
    is_model,
    literal_choices,
    strip,
    tagged_union,
    union_fields,
)
from .errors import NO_VALUE, Issue, describe, did_you_mean, format_path
from .schema import Scenario

_LEADING_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*")
_PATH_PART = re.compile(r"[A-Za-z_]\w*|\[\d+\]")

_EXPECTED = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "dict_type": "a mapping of keys to values",
    "list_type": "a list",
    "tuple_type": "a list",
    "date_from_datetime_inexact": "a date without a time of day",
}


def validate(tree: Node) -> tuple[Scenario | None, list[Issue]]:
    """Validate a scenario tree.

    Returns:
        The scenario and no issues, or None and one issue per problem, in file order.

    """
    try:
        return Scenario.model_validate(tree.plain()), []
    except ValidationError as exc:
        issues = [_issue(error, tree) for error in exc.errors(include_url=False)]
        return None, sorted(issues, key=lambda issue: (issue.file, issue.line or 0))


@dataclass
class _Target:
    """Where an error's location leads in the data and in the schema."""

    parts: list[Key] = field(default_factory=list)
    annotation: Any = Scenario
    info: FieldInfo | None = None
    section: dict[str, FieldInfo] | None = None
    known: bool = True


def _walk(loc: tuple[Key, ...] | list[Key], start: _Target | None = None) -> _Target:
    """Follow a pydantic location through the schema, dropping union tags from the path."""
    target = start if start is not None else _Target()
    for part in loc:
        if part == "[key]":  # pydantic's marker for an error in a mapping key
            continue
        union = tagged_union(target.annotation) if target.known else None
        if union is not None and isinstance(part, str) and part in union[1]:
            target.annotation = union[1][part]  # the tag pydantic puts after a list index
            continue
        target.parts.append(part)
        if target.known:
            _descend(target, part, union)
    return target


def _descend(target: _Target, part: Key, union: tuple[str, dict[str, Any]] | None) -> None:
    """Move the schema side of a target one step down to `part`."""
    bare, _ = strip(target.annotation)
    fields = bare.model_fields if is_model(bare) else union_fields(union[1]) if union else None
    target.info = None
    if fields is not None:
        target.section = fields
        target.info = fields.get(str(part))
        target.known = target.info is not None
        target.annotation = target.info.annotation if target.info is not None else None
    elif get_origin(bare) is list:
        target.annotation = get_args(bare)[0]
    elif get_origin(bare) is tuple and isinstance(part, int) and part < len(get_args(bare)):
        target.annotation = get_args(bare)[part]
    elif get_origin(bare) is dict:
        target.annotation = get_args(bare)[1]
    else:
        target.known = False


def _issue(error: ErrorDetails, tree: Node) -> Issue:
    target = _walk(error["loc"])
    kind = error["type"]
    if kind == "value_error":
        target = _retarget(target, str(error["ctx"]["error"]))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        union = tagged_union(target.annotation)
        target.parts.append(union[0] if union is not None else "type")
    node, found = locate(tree, target.parts)
    value = node.plain() if found else NO_VALUE
    return Issue(node.where.file, node.where.line, format_path(target.parts), value,
                 _message(error, target))


def _retarget(target: _Target, message: str) -> _Target:
    """Point a section's own check at the field its message starts with, if there is one."""
    match = _LEADING_PATH.match(message)
    if match is None:
        return target
    parts: list[Key] = [
        int(part[1:-1]) if part.startswith("[") else part
        for part in _PATH_PART.findall(match.group())
    ]
    for base in (target.parts, []):
        candidate = _walk(parts, _Target(list(base), _walk(base).annotation))
        if candidate.known:
            return candidate
    return target


def _message(error: ErrorDetails, target: _Target) -> str:
    """Say what is wrong and what is allowed, for one pydantic error."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error["input"]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        limits = constraints(target.info, strip(target.annotation)[1])
        return f"must be {describe_range(limits) or describe_range(ctx)}"
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "literal_error":
        choices = literal_choices(target.annotation) or ()
        return "allowed: " + ", ".join(str(choice) for choice in choices)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_message(kind, ctx, target)
    if kind == "extra_forbidden":
        return _extra_message(str(target.parts[-1]), target.section or {})
    if kind == "invalid_key":
        return f"keys must be text, got {describe(target.parts[-1])}"
    if kind == "missing":
        return f"missing required key {target.parts[-1]!r}"
    if kind == "value_error":
        return str(ctx["error"])
    if kind in ("too_short", "too_long"):
        return _length_message(ctx, target)
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx['pattern']}"
    if kind in _EXPECTED:
        hint = ("" if not isinstance(value, bool) or kind.startswith("bool")
                else " (YAML reads yes, no, on and off as true and false)")
        return f"expected {_EXPECTED[kind]}, got {describe(value)}{hint}"
    if kind.startswith("date"):
        return f"expected a date like 2004-01-05, got {describe(value)}"
    return error["msg"]


def _tag_message(kind: str, ctx: dict[str, Any], target: _Target) -> str:
    key, members = tagged_union(target.annotation) or ("type", {})
    tags = list(members)
    allowed = f"allowed types: {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return f"missing key {key!r}; {allowed}"
    hint = did_you_mean(str(ctx.get("tag")), tags)
    if hint is None:
        return f"unknown type; {allowed}"
    return f"unknown type; did you mean {hint!r}? ({allowed})"


def _extra_message(key: str, section: dict[str, FieldInfo]) -> str:
    hint = did_you_mean(key, section)
    if hint is not None:
        return f"unknown key {key!r}; did you mean {hint!r}?"
    return f"unknown key {key!r}; allowed keys: {', '.join(section)}"


def _length_message(ctx: dict[str, Any], target: _Target) -> str:
    bare, _ = strip(target.annotation)
    if get_origin(bare) is tuple:
        return f"expected a list of exactly {len(get_args(bare))} items"
    if "min_length" in ctx:
        return f"must have at least {ctx['min_length']} item{'s' * (ctx['min_length'] != 1)}"
    return f"must have at most {ctx['max_length']} items"
