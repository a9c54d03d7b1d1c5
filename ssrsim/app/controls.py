"""The page's controls: run buttons, scenario and policy pickers, shock buttons, levers.

Each component gets the tab's `Session` and a reactive `version` counter; a control that
changes the session bumps `version`, which redraws whatever depends on it. Elements carry
`ssrsim-*` CSS classes so that tests (and trainers' own styling) can find them.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import solara
import solara.lab

from . import levers as lv
from .map import COLOUR_MODES, ColourBy
from .session import Session
from .shocks import shocks

LEVERS_NOTE = ("Levers act on the running model(s) from the next step; a dashed line on "
               "the charts marks the change. Reset starts again from step 0 with the "
               "scenario file, the policy and these values, with the same seed. Levers "
               "marked 'on Reset' apply only then.")
NO_POLICY = "(as in the file)"


def _fmt(value: float, lever: lv.Lever) -> str:
    if lever.is_int:
        return f"{value:.0f}"
    return f"{value:.2f}" if lever.step >= 0.01 else f"{value:.3f}"


@solara.component
def StepCounter(session: Session, tick: solara.Reactive[int]) -> solara.Element:
    """Current step, run length, date in scenario time, and each run's budget this step."""
    tick.get()
    element: solara.Element  # solara.HTML is not annotated
    if not session.runs:
        element = solara.HTML(tag="div", unsafe_innerHTML="no model", classes=["ssrsim-step"])
        return element
    text = (f"Step <b class='ssrsim-step-number'>{session.steps}</b> of {session.horizon}"
            f" &middot; <span class='ssrsim-date'>{session.date()}</span>")
    budgets = session.budgets()
    for i, (label, budget, spent) in enumerate(budgets):
        whose = f" ({html.escape(label)})" if len(budgets) > 1 else ""
        text += (f"<div class='ssrsim-budget ssrsim-budget-{i}' style='font-size: 0.8em'>"
                 f"Budget this step <b class='ssrsim-budget-value'>{budget:.1f}</b>, "
                 f"spent {spent:.1f}{whose}</div>")
    element = solara.HTML(tag="div", unsafe_innerHTML=text, classes=["ssrsim-step"],
                          style="font-size: 1.1em")
    return element


@solara.component
def RunControls(session: Session, playing: solara.Reactive[bool],
                tick: solara.Reactive[int], version: solara.Reactive[int],
                colour_by: solara.Reactive[ColourBy], delay_ms: solara.Reactive[int]) -> None:
    """Play / pause, step, reset, the step counter and date, speed and map colouring."""
    version.get()
    ready = bool(session.runs)

    def step() -> None:
        session.step()
        tick.set(tick.value + 1)

    def reset() -> None:
        playing.set(False)
        session.reset()
        version.set(version.value + 1)
        tick.set(tick.value + 1)

    with solara.Card("Run", classes=["ssrsim-run"], margin=0):
        with solara.Row(gap="6px"):
            solara.Button("Pause" if playing.value else "Play",
                          icon_name="mdi-pause" if playing.value else "mdi-play",
                          color="primary", on_click=lambda: playing.set(not playing.value),
                          disabled=not ready, classes=["ssrsim-play"])
            solara.Button("Step", icon_name="mdi-skip-next", on_click=step,
                          disabled=playing.value or not ready, classes=["ssrsim-stepbtn"])
            solara.Button("Reset", icon_name="mdi-restore", on_click=reset,
                          color="warning" if session.pending else None,
                          classes=["ssrsim-reset"])
        StepCounter(session, tick)
        solara.SliderInt("Pause between steps (ms)", value=delay_ms, min=0, max=1000, step=10)
        solara.Text("Colour civilians by", style="font-size: 0.85em; color: #555")
        solara.ToggleButtonsSingle(value=colour_by, values=list(COLOUR_MODES), dense=True,
                                   classes=["ssrsim-colour"])


@solara.component
def ScenarioPicker(session: Session, version: solara.Reactive[int],
                   on_rebuilt: Callable[[], None]) -> None:
    """Scenario file picker and policy presets (one policy, or the compared pair)."""
    version.get()
    files = {p.name: p for p in session.scenario_files()}
    current = session.path.name if session.path.name in files else None

    def open_file(name: str | None) -> None:
        if name is None:  # the select was cleared: keep the open scenario
            return
        session.open(files[name])
        on_rebuilt()

    with solara.Card("Scenario", classes=["ssrsim-scenario"], margin=0):
        solara.Select("Scenario file", values=list(files), value=current,
                      on_value=open_file, classes=["ssrsim-scenario-select"])
        policies = session.policies()
        if session.compare:
            first, second = session.compare
            for i, name in enumerate((first, second)):
                def choose(value: str | None, i: int = i) -> None:
                    if value is None or session.compare is None:
                        return
                    pair = list(session.compare)
                    pair[i] = value
                    session.choose_compare(*pair)
                    on_rebuilt()
                solara.Select(f"Policy {'AB'[i]}", values=list(policies),
                              value=name if name in policies else None, on_value=choose,
                              classes=[f"ssrsim-policy-{'ab'[i]}"])
        elif policies:
            def choose_one(value: str | None) -> None:
                session.choose_policy(None if value == NO_POLICY else value)
                on_rebuilt()
            solara.Select("Policy preset", values=[NO_POLICY, *policies],
                          value=session.policy or NO_POLICY, on_value=choose_one,
                          classes=["ssrsim-policy"])
            if session.policy and policies.get(session.policy):
                solara.Text(policies[session.policy], style="font-size: 0.85em; color: #555")


@solara.component
def ShockButtons(session: Session, version: solara.Reactive[int],
                 tick: solara.Reactive[int]) -> None:
    """One button per shock: the schema's event, with its defaults, injected now."""
    version.get()
    tick.get()

    def fire(kind: str) -> None:
        session.shock(kind)
        tick.set(tick.value + 1)

    with solara.Card("Shocks", classes=["ssrsim-shocks"], margin=0):
        solara.Text("Inject an event with the schema's defaults; it acts at the start of the "
                    "next step"
                    + (" (into both runs)" if session.compare else "") + ".",
                    style="font-size: 0.85em; color: #555")
        with solara.Row(gap="4px", style="flex-wrap: wrap"):
            for shock in shocks():
                with solara.Tooltip(shock.help):
                    solara.Button(shock.title, on_click=lambda k=shock.type: fire(k),
                                  outlined=True, small=True, disabled=not session.runs,
                                  classes=["ssrsim-shock", f"ssrsim-shock-{shock.type}"])
        if session.messages:
            solara.HTML(tag="div", unsafe_innerHTML="<br>".join(
                        m.replace("&", "&amp;").replace("<", "&lt;")
                        for m in session.messages[-4:]),
                        classes=["ssrsim-shock-log"], style="font-size: 0.8em; color: #555")


@solara.component
def LeverPanel(session: Session, version: solara.Reactive[int]) -> None:
    """Sliders for the policy levers; label, range and help come from the schema.

    A live lever's move acts from the next step (the panel says from which); a Reset-only
    lever is marked and its move waits for Reset.
    """
    version.get()
    values = session.lever_values()

    def move(path: str, value: float) -> None:
        session.move_lever(path, value)
        version.set(version.value + 1)

    def mover(path: str) -> Callable[[float], None]:
        def on_v_model(value: float) -> None:
            move(path, float(value))
        return on_v_model

    def revert() -> None:
        session.revert_levers()
        version.set(version.value + 1)

    with solara.Card("Levers", classes=["ssrsim-levers"], margin=0):
        solara.Text(LEVERS_NOTE, style="font-size: 0.85em; color: #555")
        if session.lever_note:
            solara.Info(session.lever_note, dense=True, classes=["ssrsim-applied"])
        if session.pending:
            solara.Warning(f"Changed: {', '.join(session.pending)}: press Reset to apply.",
                           dense=True, classes=["ssrsim-pending"])
        if not values:
            return
        section = None
        for lever in session.levers():
            if lever.section != section:
                section = lever.section
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f"<b>{section}</b> <span style='color:#666'>{lever.section_help}</span>"),
                    style="margin-top: 8px; font-size: 0.85em")
            value = values[lever.path]
            unit = f" <span style='color:#666'>{lever.unit}</span>" if lever.unit else ""
            if lever.reset_only:
                unit += " <span class='ssrsim-reset-only' style='color:#b26a00'>on Reset</span>"
            elif lever.path in session.live_from:
                unit += (" <span class='ssrsim-lever-live' style='color:#2e7d32'>from step "
                         f"{session.live_from[lever.path]}</span>")
            with solara.Column(gap="0px",
                               classes=["ssrsim-lever",
                                        "ssrsim-lever-" + lever.path.replace(".", "-")]):
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f"{lever.label}: <b class='ssrsim-lever-value'>{_fmt(value, lever)}</b>"
                    f"{unit}"), style="font-size: 0.9em")
                solara.v.Slider(v_model=value, min=lever.minimum, max=lever.maximum,
                                step=lever.step, hide_details=True, dense=True,
                                on_v_model=mover(lever.path),
                                class_="ssrsim-slider")
                help_text = " ".join(t for t in (lever.help, lever.reset_only, lever.note) if t)
                solara.Text(help_text, style="font-size: 0.75em; color: #666; "
                            "line-height: 1.2; margin-bottom: 4px")
        solara.Button("Revert levers", on_click=revert, text=True, small=True,
                      disabled=not session.edits, classes=["ssrsim-revert"])
