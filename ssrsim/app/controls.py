"""The page's controls: run buttons, scenario and policy pickers, shock buttons, levers.

Each component gets the tab's `Session` and a reactive `version` counter; a control that
changes the session bumps `version`, which redraws whatever depends on it. Elements carry
`ssrsim-*` CSS classes so that tests (and trainers' own styling) can find them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace

import solara
import solara.lab

from . import levers as lv
from .charts import ChartFigure, ChartView
from .map import COLOUR_MODES, ColourBy, export_png
from .session import Session
from .shocks import shocks

LEVERS_NOTE = ("Levers act on the running model(s) from the next step; a labelled line on "
               "the charts and the event log mark the change. Reset starts again from step "
               "0 with the "
               "scenario file, the policy and these values, with the same seed. Levers "
               "marked 'on Reset' apply only then.")
NO_POLICY = "(as in the file)"


def _fmt(value: float, lever: lv.Lever) -> str:
    if lever.is_int:
        return f"{value:.0f}"
    return f"{value:.2f}" if lever.step >= 0.01 else f"{value:.3f}"


SPEEDS: tuple[float | None, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, None)
"""Steps per second of each speed setting, slower to faster; None: as fast as it draws."""


def speed_text(level: int) -> str:
    """A speed setting in words."""
    rate = SPEEDS[level]
    return "fastest" if rate is None else f"{rate:g} steps/s"


@solara.component
def StepCounter(session: Session, tick: solara.Reactive[int]) -> solara.Element:
    """Current step, run length and date in scenario time."""
    tick.get()
    element: solara.Element  # solara.HTML is not annotated
    if not session.runs:
        element = solara.HTML(tag="div", unsafe_innerHTML="no model", classes=["ssrsim-step"])
        return element
    element = solara.HTML(tag="div", unsafe_innerHTML=(
        f"<span class='ssrsim-date'>{session.date()}</span><br>"
        f"<span class='ssrsim-step-text'>step <b class='ssrsim-step-number'>{session.steps}"
        f"</b> of {session.horizon}</span>"), classes=["ssrsim-step"])
    return element


@solara.component
def RunBar(session: Session, playing: solara.Reactive[bool], tick: solara.Reactive[int],
           version: solara.Reactive[int], speed: solara.Reactive[int],
           target: solara.Reactive[int | None], pause_at_events: solara.Reactive[bool],
           notice: solara.Reactive[str | None]) -> None:
    """Play / pause, step, reset, date and step, speed, run to a date or step."""
    version.get()
    tick.get()
    ready = bool(session.runs) and not session.at_end
    entry = solara.use_reactive("")

    def step() -> None:
        session.step()
        notice.set(end_notice(session) if session.at_end else None)
        tick.set(tick.value + 1)

    def reset() -> None:
        playing.set(False)
        target.set(None)
        notice.set(None)
        session.reset()
        version.set(version.value + 1)
        tick.set(tick.value + 1)

    def play() -> None:
        if not playing.value:
            notice.set(None)
        playing.set(not playing.value)

    def run_to() -> None:
        try:
            step = session.target_step(entry.value)
        except ValueError as err:
            notice.set(str(err))
            return
        target.set(step)
        notice.set(None)
        playing.set(True)

    with solara.Row(gap="8px", classes=["ssrsim-runbar"], style="align-items: center; "
                    "flex-wrap: nowrap"):
        solara.Button("Pause" if playing.value else "Play",
                      icon_name="mdi-pause" if playing.value else "mdi-play", color="primary",
                      on_click=play, disabled=not ready and not playing.value,
                      classes=["ssrsim-play"])
        solara.Button("Step", icon_name="mdi-skip-next", on_click=step,
                      disabled=playing.value or not ready, classes=["ssrsim-stepbtn"])
        solara.Button("Reset", icon_name="mdi-restore", on_click=reset,
                      color="warning" if session.pending else None, classes=["ssrsim-reset"])
        StepCounter(session, tick)
        with solara.Div(classes=["ssrsim-speed"]):
            solara.HTML(tag="div", unsafe_innerHTML=(
                "<span>slower</span><b class='ssrsim-speed-value'>"
                f"{speed_text(speed.value)}</b><span>faster</span>"),
                classes=["ssrsim-speed-label"])
            solara.v.Slider(v_model=speed.value, min=0, max=len(SPEEDS) - 1, step=1,
                            ticks="always", hide_details=True, dense=True,
                            on_v_model=lambda v: speed.set(int(v)), class_="ssrsim-speed-slider")
        last = session.scenario.step_date(session.horizon) if session.scenario else ""
        with solara.Div(classes=["ssrsim-runto"]):
            solara.v.TextField(v_model=entry.value, on_v_model=entry.set,
                               label="Run to date or step", placeholder=str(last), dense=True,
                               hide_details=True, outlined=True, class_="ssrsim-runto-input",
                               disabled=not ready or playing.value)
            solara.Button("Go", on_click=run_to, small=True, disabled=not ready or playing.value,
                          classes=["ssrsim-runto-go"])
        _checkbox("ssrsim-pause-events", "Pause at events", pause_at_events)


def _checkbox(css_class: str, label: str, value: bool | solara.Reactive[bool],
              on_value: Callable[[bool], None] | None = None) -> None:
    """A checkbox in a div of its own CSS class (solara.Checkbox takes no classes)."""
    with solara.Div(classes=[css_class]):
        if on_value is None:
            solara.Checkbox(label=label, value=value)
        else:
            solara.Checkbox(label=label, value=value, on_value=on_value)


def end_notice(session: Session) -> str:
    """What the page says when the run has reached its last step."""
    return (f"End of the run: step {session.steps} of {session.horizon} ({session.date()}). "
            "Press Reset to run it again.")


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
        if session.waiting():
            solara.HTML(tag="div", unsafe_innerHTML="<br>".join(
                        html.escape(m) for m in session.waiting()),
                        classes=["ssrsim-shock-log"], style="font-size: 0.85em; color: #555")


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


@solara.component
def ViewOptions(colour_by: solara.Reactive[ColourBy], view: solara.Reactive[ChartView],
                compare: bool) -> None:
    """Map colouring and what the charts show: whole run, districts, smoothing."""

    def toggle(name: str) -> Callable[[bool], None]:
        def set_option(value: bool) -> None:
            view.set(replace(view.value, **{name: bool(value)}))
        return set_option

    with solara.Card("View", classes=["ssrsim-view"], margin=0):
        solara.Text("Colour civilians by", style="font-size: 0.9em; color: #555")
        solara.ToggleButtonsSingle(value=colour_by, values=list(COLOUR_MODES), dense=True,
                                   classes=["ssrsim-colour"])
        _checkbox("ssrsim-whole-run", "Charts: whole run (else a 3-year window that follows "
                  "it)", view.value.whole_run, toggle("whole_run"))
        _checkbox("ssrsim-districts", "Trust in security forces by district"
                  + (" (run B dashed)" if compare else ""), view.value.districts,
                  toggle("districts"))
        _checkbox("ssrsim-smooth", "Smooth noisy series (8-week mean)", view.value.smooth,
                  toggle("smooth"))


EXPORT_MAP_PX = 900
EXPORT_CHARTS_PX = (1500, 1000)
"""Sizes of the exported pictures (pixels); the charts get a list of events under them."""
EXPORT_HEADER_PX = 30
"""Room over the exported charts for their heading and the runs' key."""
EXPORT_LIST_LINE_PX = 18
EXPORT_LIST_LINES = 8
"""Events listed under the exported charts in one column; more go in two."""


def map_headings(session: Session, index: int | None) -> tuple[str, str]:
    """An exported picture's heading and subheading.

    The heading is the scenario and the policy of run `index` (which run of a compared
    pair), or for `index` None (the charts: all runs) the policy or the compared pair; the
    subheading is the date, the step and any levers moved.
    """
    name = session.base.name if session.base else session.path.stem
    if index is None and session.compare:
        policy = " vs ".join(session.compare)
    else:
        run = session.runs[index or 0]
        policy = f"policy {run.policy}" if run.policy else "policy as in the file"
        if session.compare:
            policy += f" (run {'AB'[index or 0]} of {' vs '.join(session.compare)})"
    when = f"{session.date()}, step {session.steps} of {session.horizon}"
    if session.edits:
        when += "; levers moved: " + ", ".join(f"{k} = {v:g}" for k, v in session.edits.items())
    return f"{name}: {policy}", when if len(when) <= 120 else when[:119] + "…"


@solara.component
def ExportCard(session: Session, colour_by: ColourBy, view: ChartView) -> None:
    """Download the map(s) and charts as PNG and the run's table as CSV."""
    if not session.runs:
        return
    stem = (session.base.name if session.base else session.path.stem).replace(" ", "_")

    def map_png(index: int) -> Callable[[], bytes]:
        def draw() -> bytes:
            with session.lock:
                heading, subheading = map_headings(session, index)
                return export_png(session.runs[index].model, heading, subheading,
                                  width=EXPORT_MAP_PX, colour_by=colour_by)
        return draw

    def charts_png() -> bytes:
        with session.lock:
            story = session.story()
            rows = len(story) if len(story) <= EXPORT_LIST_LINES else -(-len(story) // 2)
            footer = EXPORT_LIST_LINE_PX * (rows + 1) if story else 0
            width, height = EXPORT_CHARTS_PX
            figure = ChartFigure([r.label for r in session.runs], session.calendar(),
                                 width, height + footer + EXPORT_HEADER_PX, view=view,
                                 footer_px=footer, header_px=EXPORT_HEADER_PX)
            heading, when = map_headings(session, None)
            return figure.export_png([r.model for r in session.runs], story,
                                     heading=f"{heading}; {when}")

    def table_csv() -> str:
        with session.lock:
            return str(session.table().to_csv(index=False))

    with solara.Card("Take it home", classes=["ssrsim-export"], margin=0):
        with solara.Row(gap="6px", style="flex-wrap: wrap"):
            for i, run in enumerate(session.runs):
                name = f"Map {run.label}" if session.compare else "Map"
                with solara.FileDownload(map_png(i), filename=f"{stem}-{run.label}-map.png",
                                         mime_type="image/png"):
                    solara.Button(f"{name} (PNG)", icon_name="mdi-download", small=True,
                                  outlined=True, classes=[f"ssrsim-export-map-{i}"])
            with solara.FileDownload(charts_png, filename=f"{stem}-charts.png",
                                     mime_type="image/png"):
                solara.Button("Charts (PNG)", icon_name="mdi-download", small=True,
                              outlined=True, classes=["ssrsim-export-charts"])
            with solara.FileDownload(table_csv, filename=f"{stem}-table.csv",
                                     mime_type="text/csv"):
                solara.Button("Table (CSV)", icon_name="mdi-download", small=True,
                              outlined=True, classes=["ssrsim-export-csv"])
