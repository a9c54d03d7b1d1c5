"""The results format: what a run or a batch writes, owned in one place.

Both sides depend on this module and on nothing else of each other: the model and the batch
layer write tables and a manifest in this format; analysis reads them without importing Mesa
or the model. Each measure travels with its label, unit and which way is better, so an old
results folder is read as it was written, not as today's code would describe it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class MeasureInfo:
    """What a recorded measure means: its column name, label, unit and better direction."""

    name: str
    label: str
    unit: str
    better: Better | None
    description: str
    headline: bool = False
