"""Reading the schema's type annotations: sections, lists, tagged unions, constraints."""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

_CONSTRAINTS = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")


def strip(annotation: Any) -> tuple[Any, list[Any]]:
    """Remove `Annotated[...]` and `X | None` wrappers.

    Returns:
        The bare type and the metadata found on the way (FieldInfo and annotated-types objects).

    """
    metadata: list[Any] = []
    while True:
        if get_origin(annotation) is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                metadata.append(item)
                if isinstance(item, FieldInfo):
                    metadata.extend(item.metadata)
            continue
        if is_union(annotation):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation, metadata


def is_union(annotation: Any) -> bool:
    """Whether a type is a union `A | B`."""
    return get_origin(annotation) in (Union, types.UnionType)


def is_model(annotation: Any) -> bool:
    """Whether a type is a pydantic model (a schema section)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def is_optional(annotation: Any) -> bool:
    """Whether a type admits None (`X | None`)."""
    if get_origin(annotation) is Annotated:
        return is_optional(get_args(annotation)[0])
    return is_union(annotation) and type(None) in get_args(annotation)


def tagged_union(annotation: Any) -> tuple[str, dict[str, type[BaseModel]]] | None:
    """For a discriminated union of models: the discriminator and the model for each tag."""
    bare, metadata = strip(annotation)
    if not is_union(bare) or not all(is_model(arg) for arg in get_args(bare)):
        return None
    # a discriminator given by name (this schema's only kind); a callable `Discriminator`
    # has no field to read the tags from
    key = next(
        (m.discriminator for m in metadata
         if isinstance(m, FieldInfo) and isinstance(m.discriminator, str) and m.discriminator),
        "type",
    )
    members: dict[str, type[BaseModel]] = {}
    for model in get_args(bare):
        for tag in get_args(model.model_fields[key].annotation):
            members[tag] = model
    return key, members


def union_fields(members: dict[str, type[BaseModel]]) -> dict[str, FieldInfo]:
    """Every field of any member of a tagged union (first definition wins)."""
    fields: dict[str, FieldInfo] = {}
    for model in members.values():
        for name, field in model.model_fields.items():
            fields.setdefault(name, field)
    return fields


def literal_choices(annotation: Any) -> tuple[Any, ...] | None:
    """Return the allowed values of a `Literal[...]` type, else None."""
    bare, _ = strip(annotation)
    return get_args(bare) if get_origin(bare) is Literal else None


def constraints(field: FieldInfo | None, metadata: list[Any]) -> dict[str, Any]:
    """Collect the numeric, length and pattern constraints of a field and its type."""
    found: dict[str, Any] = {}
    for item in [*(field.metadata if field is not None else []), *metadata]:
        for name in _CONSTRAINTS:
            value = getattr(item, name, None)
            if value is not None and not isinstance(item, FieldInfo):
                found[name] = value
    return found


def describe_range(limits: dict[str, Any]) -> str | None:
    """Say in words which numbers a field accepts, e.g. "between 0 and 1" or ">= 0"."""
    low_op, low = ("ge", limits["ge"]) if "ge" in limits else ("gt", limits.get("gt"))
    high_op, high = ("le", limits["le"]) if "le" in limits else ("lt", limits.get("lt"))
    if low is None and high is None:
        return None
    if (low_op, high_op) == ("ge", "le") and low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    ends = ((low_op, low), (high_op, high))
    bounds = [f"{symbols[op]} {_number(value)}" for op, value in ends if value is not None]
    return " and ".join(bounds)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
