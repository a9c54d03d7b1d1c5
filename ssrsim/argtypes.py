"""Argument types shared by the commands: a bad value is a usage error naming what is allowed."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` (to `maximum`, if given)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = (f"at least {minimum}" if maximum is None
                       else f"from {minimum} to {maximum}")
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
        return value
    return parse


def positive(text: str) -> float:
    """An argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value
