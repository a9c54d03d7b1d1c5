"""The model package's shape: plain state below, phases and agents above, SSRModel on top.

These guard the design the code depends on: a state module that began importing agents or
the model, or a part that reached back into SSRModel, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[2] / "ssrsim" / "model"
STATE = {"population", "forces", "districts", "institutions", "ledger", "record", "space",
         "mechanisms", "kernels"}
"""Plain state (and the pure equations and compiled loops): they may import each other,
nothing else of model/."""


def _model_imports(module: str) -> set[str]:
    """The modules of ssrsim.model that `module` imports (relative imports only)."""
    tree = ast.parse((MODEL / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


MODULES = sorted(p.stem for p in MODEL.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", sorted(STATE))
def test_state_modules_import_only_state(module: str) -> None:
    assert _model_imports(module) <= STATE, _model_imports(module) - STATE


@pytest.mark.parametrize("module", [m for m in MODULES if m != "model"])
def test_only_model_py_knows_the_model_class(module: str) -> None:
    source = (MODEL / f"{module}.py").read_text()
    assert "model" not in _model_imports(module)
    assert "SSRModel" not in source


def test_model_py_stays_a_wiring_module() -> None:
    assert len((MODEL / "model.py").read_text().splitlines()) < 300
