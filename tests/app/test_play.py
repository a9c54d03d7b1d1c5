"""The play loop: every step is drawn before the next one is taken."""

from __future__ import annotations

import threading
from typing import Any

from ssrsim.app.controls import SPEEDS
from ssrsim.app.page import Frames, _play
from ssrsim.app.session import Session


class Box:
    """A stand-in for a solara.Reactive: a value, and what happens when it is set."""

    def __init__(self, value: Any, on_set: Any = None) -> None:
        self.value = value
        self.on_set = on_set

    def set(self, value: Any) -> None:
        self.value = value
        if self.on_set is not None:
            self.on_set(value)

    def get(self) -> Any:
        return self.value


def test_play_waits_for_each_step_to_be_drawn_by_another_thread(scenario_dir):
    """As when reacton leaves the play thread's render to a thread already rendering: the
    picture of a step comes later, from elsewhere; play must not run ahead of it."""
    session = Session(scenario_dir / "small.yaml")
    frames = Frames()
    shown: list[tuple[int, int]] = []  # (tick drawn, step the session was at then)

    def draw_later(tick: int) -> None:
        def draw() -> None:
            shown.append((tick, session.steps))
            frames.mark(tick)
        threading.Timer(0.02, draw).start()

    playing, tick = Box(True), Box(0, draw_later)
    cancel = threading.Event()
    player = threading.Thread(target=_play, args=(
        session, playing, tick, Box(len(SPEEDS) - 1), Box(None), Box(False), Box(None),
        cancel, frames))
    player.start()
    player.join(timeout=60)
    assert not player.is_alive() and not playing.value
    assert session.steps == session.horizon == 20
    assert [t for t, _ in shown] == list(range(1, 21))
    assert all(steps == t for t, steps in shown)  # each picture is of its own step


def test_frames_wait_is_bounded_and_ends_on_cancel():
    frames, cancel = Frames(), threading.Event()
    frames.mark(3)
    assert frames.wait(2, cancel) and frames.wait(3, cancel)
    cancel.set()
    assert not frames.wait(4, cancel)  # cancelled: returns at once, not drawn
