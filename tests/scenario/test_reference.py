"""The parameter reference: JSON Schema and the Markdown table in docs/parameters.md."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from ssrsim.scenario import Scenario
from ssrsim.scenario.reference import json_schema, parameter_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def _bare(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated or (
        get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)
    ):
        args = get_args(annotation)
        annotation = args[0] if get_origin(annotation) is Annotated else next(
            a for a in args if a is not type(None))
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def schema_leaves(model: type[BaseModel] = Scenario, prefix: str = "") -> set[str]:
    """Every leaf parameter path, written in the table's notation."""
    paths: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = _bare(field.annotation)
        item = _bare(get_args(annotation)[-1]) if get_origin(annotation) in (list, dict) else None
        if _is_model(annotation):
            paths |= schema_leaves(annotation, f"{prefix}{name}.")
        elif item is not None and _is_model(item):
            marker = "[]" if get_origin(annotation) is list else ".<name>"
            paths |= schema_leaves(item, f"{prefix}{name}{marker}.")
        elif item is not None and get_origin(item) in (Union, types.UnionType):
            paths |= union_leaves(get_args(item), f"{prefix}{name}[]")
        else:
            paths.add(prefix + name)
    return paths


def union_leaves(members: tuple[type[BaseModel], ...], prefix: str) -> set[str]:
    common = set.intersection(*(set(m.model_fields) for m in members))
    paths = {f"{prefix}.{name}" for name in common}
    for model in members:
        tag = get_args(model.model_fields["type"].annotation)[0]
        for name in set(model.model_fields) - common:
            annotation = _bare(model.model_fields[name].annotation)
            if _is_model(annotation):  # a section inside an event (allocation_change)
                paths |= schema_leaves(annotation, f"{prefix} ({tag}).{name}.")
            else:
                paths.add(f"{prefix} ({tag}).{name}")
    return paths


def table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in parameter_table().splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = [cell.strip("`") for cell in cells]
    return rows


def test_table_lists_every_leaf_parameter():
    rows = table_rows()
    leaves = schema_leaves()
    assert len(leaves) > 100
    assert leaves <= set(rows), f"missing from the table: {sorted(leaves - set(rows))}"


def test_table_defaults_ranges_and_units():
    rows = table_rows()
    assert rows["time.steps"][1:5] == ["int", "156", "between 1 and 100000", "steps"]
    assert rows["activation.rounding"][3] == "floor, round, none"
    assert rows["districts[].hardship.mean"][3] == "> 0 and < 1"
    assert rows["districts[].name"][2] == "required"
    assert rows["events[] (coup).trust_shock"][2:4] == ["-0.2", "between -1 and 1"]
    assert "coup" in rows["events[].type"][3]


def test_table_defaults_are_the_schema_defaults():
    defaults = Scenario().model_dump()
    checked = 0
    for path, cells in table_rows().items():
        if "[" in path or "<" in path or cells[1] in ("list of mappings", "mapping"):
            continue
        value = defaults
        for key in path.split("."):
            if value is None:  # inside an optional section absent by default (sweep)
                break
            value = value[key]
        else:
            check_default(path, cells, value)
            checked += 1
    assert checked > 100


def check_default(path, cells, value):
    expected = list(value) if isinstance(value, tuple) else value
    assert yaml.safe_load(cells[2]) == expected, path


def test_docs_parameters_md_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == parameter_table() + "\n", (
        "docs/parameters.md is out of date: regenerate it with "
        "`python -m ssrsim.scenario.reference > docs/parameters.md` "
        "(or `ssrsim schema --format markdown > docs/parameters.md`)"
    )


def test_json_schema_for_editors():
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == "ssrsim scenario"
    assert set(schema["properties"]) == set(Scenario.model_fields)
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Time"]["properties"]["step_days"]["unit"] == "days"
    json.dumps(schema)
