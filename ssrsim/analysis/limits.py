"""The model's assumptions and limits, read from its description when a report is made.

They are docs/model.md's section "Assumptions and limits", read at report time, so the
report never carries a hand-kept copy that can drift from the model description. The
section is groups of items: a paragraph opening with a bold title (`**Not represented.**`)
and the bullets under it, or the paragraph's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

MODEL_DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"
"""The model description beside the package (a source checkout or an editable install)."""

SECTION = "Assumptions and limits"


class LimitsError(ValueError):
    """The model description, or its section of assumptions and limits, cannot be read."""


@dataclass(frozen=True)
class LimitGroup:
    """A group of limits: its title and items, as Markdown text."""

    title: str
    items: tuple[str, ...]


def read_limits(path: Path = MODEL_DOC) -> list[LimitGroup]:
    """The groups of the model description's section of assumptions and limits."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LimitsError(f"cannot read the model description {path}: {exc}") from exc
    found = re.search(rf"^## [\d.]*\s*{SECTION}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if found is None:
        raise LimitsError(f"{path} has no section “{SECTION}”")
    groups = [_group(block) for block in re.split(r"\n\s*\n(?=\*\*)", found.group(1).strip())]
    return [g for g in groups if g.items]


def _group(block: str) -> LimitGroup:
    """One bold-titled paragraph with its bullets (or its own text as the one item)."""
    head = re.match(r"\*\*(.+?)\*\*\s*(.*?)(?=^- |\Z)", block, re.M | re.S)
    title, rest = (head.group(1), head.group(2)) if head else ("", block)
    bullets = [_join(b) for b in re.findall(r"^- (.*?)(?=^- |^---|\Z)", block, re.M | re.S)]
    items = bullets or [_join(rest)]
    return LimitGroup(title.rstrip("."), tuple(i for i in items if i))


def _join(text: str) -> str:
    """A Markdown item's lines as one line (a rule `---` ends it)."""
    return " ".join(text.split("\n---")[0].split())


def inline_html(text: str) -> str:
    """Inline Markdown as HTML with no links out: bold, code, maths; links become text."""
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1 (docs/\2)", text)
    html = escape(text)
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return re.sub(r"`([^`]+)`|\$([^$]+)\$", lambda m: f"<code>{m.group(1) or m.group(2)}</code>",
                  html)
