"""The trainers' page: one screen for a projector, with the controls in a drawer.

Served by `ssrsim serve` (see `ssrsim.app.server`), which starts `solara run
ssrsim.app.page` with the scenario path (and compare pair) in environment variables of that
child process only; `config.app_config()` reads them here, in the page, never in the model.

The page reports its window size (`ViewportProbe`); `layout.screen_layout` turns it into the
pixel sizes of the map(s), charts and story panel, and the figures are drawn at those sizes.
Built from plain Solara components rather than Mesa's `SolaraViz`: SolaraViz rebuilds a
model as `type(model)(**params)`, which does not fit `SSRModel(scenario)`, and has no place
for shocks, two models side by side, a scenario picker or policy presets. The play loop
follows SolaraViz's: a thread that steps, then redraws (every step is drawn).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from html import escape
from typing import Any

import ipyvuetify
import solara
import traitlets

from .charts import ChartFigure, ChartView
from .config import app_config
from .controls import (
    SPEEDS,
    ExportCard,
    LeverPanel,
    RunBar,
    ScenarioPicker,
    ShockButtons,
    ViewOptions,
    end_notice,
)
from .layout import GAP, KEY_PX, LEGEND_PX, MONITORS_PX, TOP_PX, ScreenLayout, screen_layout
from .map import ColourBy, MapFigure, encode_png
from .panels import ChartKey, MapLegend, Monitors, StoryPanel
from .session import Session

TITLE = "ssrsim: civil-military operations in security sector reform"
DEFAULT_VIEWPORT = {"width": 1280, "height": 720, "scale": 1.0}
"""The window assumed until the browser has reported its own."""

CSS = f"""
html, body {{ overflow: hidden; }}
.ssrsim-app {{ font-size: 15px; }}
.ssrsim-top {{ display: flex; align-items: center; gap: 8px; padding: 0 8px; height: {TOP_PX}px;
              white-space: nowrap; overflow: hidden; border-bottom: 1px solid #ddd; }}
.ssrsim-top .v-btn {{ min-width: 0 !important; padding: 0 10px !important; }}
.ssrsim-title {{ overflow: hidden; text-overflow: ellipsis; color: #444; font-size: 14px;
                flex: 1 1 0; min-width: 0; text-align: right; }}
.ssrsim-step {{ line-height: 1.15; font-size: 14px; min-width: 118px; }}
.ssrsim-date {{ font-weight: bold; font-size: 17px; }}
.ssrsim-speed {{ width: 170px; }}
.ssrsim-speed-label {{ display: flex; justify-content: space-between; font-size: 12px;
                      color: #555; }}
.ssrsim-speed-label b {{ color: #000; }}
.ssrsim-speed .v-slider {{ margin: 0 !important; }}
.ssrsim-runto {{ display: flex; align-items: center; gap: 4px; width: 215px; }}
.ssrsim-pause-events .v-input--selection-controls {{ margin: 0; padding: 0; }}
.ssrsim-monitors {{ display: flex; gap: 8px; height: {MONITORS_PX}px; padding: 4px 8px 0 8px; }}
.ssrsim-monitor {{ flex: 1 1 0; min-width: 0; border: 1px solid #ddd; border-radius: 6px;
                  padding: 2px 8px; overflow: hidden; }}
.ssrsim-mon-label {{ font-size: 14px; color: #444; }}
.ssrsim-mon-body {{ font-size: 28px; line-height: 1.15; white-space: nowrap; }}
.ssrsim-compare-monitors .ssrsim-mon-body {{ display: flex; gap: 6px; }}
.ssrsim-mon-run {{ display: inline-flex; flex-direction: column; line-height: 1.05;
                   min-width: 0; }}
.ssrsim-mon-run i {{ font-size: 12px; font-style: normal; }}
.ssrsim-mon-run b {{ font-size: 22px; }}
.ssrsim-budget {{ font-size: 12px; line-height: 1.2; color: #555; white-space: nowrap; }}
.ssrsim-compare-monitors .ssrsim-budget {{ font-size: 11px; }}
.ssrsim-side {{ overflow: hidden; }}
.ssrsim-side > div, .ssrsim-side .ssrsim-story {{ height: 100%; }}
.ssrsim-main {{ display: flex; gap: {GAP}px; padding: {GAP}px; align-items: flex-start; }}
.ssrsim-main > div {{ flex: none; }}
.ssrsim-left {{ display: flex; flex-direction: column; gap: {GAP}px; }}
.ssrsim-maps {{ display: flex; gap: {GAP}px; }}
.ssrsim-map {{ display: block; }}
.ssrsim-legend {{ height: {LEGEND_PX}px; font-size: 14px; overflow: hidden; }}
.ssrsim-legend-row {{ display: flex; flex-wrap: wrap; gap: 2px 10px; align-items: center; }}
.ssrsim-legend-row > span {{ display: inline-flex; align-items: center; gap: 3px; }}
.ssrsim-scale {{ width: 120px; height: 14px; border: 1px solid #999; }}
.ssrsim-box {{ width: 14px; height: 14px; border: 1px solid #777; display: inline-block; }}
.ssrsim-empty {{ font-weight: bold; }}
.ssrsim-swatch {{ font-size: 16px; }}
.ssrsim-chart-box {{ position: relative; }}
.ssrsim-key {{ height: {KEY_PX}px; font-size: 14px; display: flex; gap: 14px;
              align-items: center; overflow: hidden; white-space: nowrap; }}
.ssrsim-key > span {{ display: inline-flex; align-items: center; gap: 4px; }}
.ssrsim-line {{ width: 22px; height: 3px; display: inline-block; }}
.ssrsim-dash {{ border-top: 2px dashed #555; height: 0; }}
.ssrsim-charts {{ display: block; }}
.ssrsim-tags {{ position: absolute; left: 0; top: {KEY_PX}px; width: 100%; height: 0; }}
.ssrsim-event-tag {{ position: absolute; font-size: 14px; line-height: 18px; padding: 0 3px;
                    background: #f4f4f4; border-left: 2px dashed #555; white-space: nowrap;
                    cursor: help; }}
.ssrsim-event-tag.ssrsim-tag-shock {{ background: #fde0dd; }}
.ssrsim-event-tag.ssrsim-tag-lever {{ background: #e0ecf4; }}
.ssrsim-story {{ overflow-y: auto; font-size: 14px; line-height: 1.3; padding-right: 4px; }}
.ssrsim-story > div {{ margin-bottom: 8px; }}
.ssrsim-note {{ background: #fff8e1; border-left: 4px solid #E69F00; padding: 4px 8px; }}
.ssrsim-note p {{ margin: 4px 0; }}
.ssrsim-note ol {{ margin: 0; padding-left: 20px; font-style: italic; }}
.ssrsim-notice {{ background: #e3f2fd; padding: 4px 8px; font-weight: bold; }}
.ssrsim-notice.ssrsim-end {{ background: #c8e6c9; }}
.ssrsim-unspent, .ssrsim-waiting {{ background: #fce4ec; padding: 2px 8px; font-size: 13px; }}
.ssrsim-log table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
.ssrsim-log td, .ssrsim-log th {{ text-align: left; padding: 1px 4px; vertical-align: top;
                                 border-bottom: 1px solid #eee; }}
.ssrsim-log td:nth-child(3) {{ overflow-wrap: anywhere; }}
.ssrsim-log-shock td {{ background: #fde0dd; }}
.ssrsim-log-lever td {{ background: #e0ecf4; }}
.ssrsim-hint {{ color: #777; font-size: 12px; }}
.ssrsim-ahead ul {{ margin: 0; padding-left: 16px; font-size: 13px; }}
.ssrsim-ahead span {{ font-variant-numeric: tabular-nums; }}
.ssrsim-drawer-body > * {{ margin: 8px; }}
.ssrsim-lever .ssrsim-slider {{ margin: -6px 0 -6px 0; }}
.ssrsim-error pre {{ white-space: pre-wrap; font-size: 0.9em; margin: 0; }}
"""

VIEWPORT_TEMPLATE = """
<template><span class="ssrsim-viewport" style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    this.report = () => {
      this.size = {width: window.innerWidth, height: window.innerHeight,
                   scale: window.devicePixelRatio || 1};
    };
    this.onResize = () => { clearTimeout(this.timer); this.timer = setTimeout(this.report, 200); };
    window.addEventListener("resize", this.onResize);
    this.report();
  },
  beforeDestroy() { window.removeEventListener("resize", this.onResize); },
};
</script>
"""


def _warm_up() -> None:
    """Do, in the background while the browser loads the page, what the first page pays for.

    The first model imports numba (about 0.3 s; `ssrsim.model.kernels` imports it on first
    use so that the command line starts fast) and the first figure loads matplotlib's
    fonts. Solara imports this module when the server starts, before the first browser
    connects, so this overlaps the page's loading instead of delaying its first drawing.
    Nothing here changes what the page shows; a failure only leaves the work for later.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from ..model import kernels  # noqa: F401

        figure = Figure(figsize=(1, 1))
        figure.text(0.5, 0.5, "2004 0.5", fontsize=10)
        FigureCanvasAgg(figure).draw()
    except Exception:  # a warm-up must never take the server down
        pass


threading.Thread(target=_warm_up, name="ssrsim-warm-up", daemon=True).start()


class ViewportProbe(ipyvuetify.VuetifyTemplate):
    """An invisible widget that reports the browser window's size (on load and on resize)."""

    template = traitlets.Unicode(VIEWPORT_TEMPLATE).tag(sync=True)
    size = traitlets.Dict(default_value={}).tag(sync=True)


class Frames:
    """The last tick the page has drawn, so that play waits for each step's picture.

    A state change from the play thread renders the page in that thread, unless another
    thread is rendering at that moment (reacton then leaves the render to that thread and
    returns at once). Play would then step on undrawn, and the page, frozen at one step,
    jump to the run's end (seen about once in six Plays at the fastest speed right after
    the page loaded). The chart panel marks each tick it draws; play waits for it.
    """

    WAIT_S = 5.0
    """Longest wait for a picture (the page may be gone, or show an error instead)."""

    def __init__(self) -> None:
        self.drawn = -1
        self._changed = threading.Condition()

    def mark(self, tick: int) -> None:
        """The page has drawn the state of `tick`."""
        with self._changed:
            self.drawn = max(self.drawn, tick)
            self._changed.notify_all()

    def wait(self, tick: int, cancel: threading.Event) -> bool:
        """Wait (bounded) until `tick` is drawn or play is cancelled; whether it was drawn."""
        with self._changed:
            return self._changed.wait_for(lambda: self.drawn >= tick or cancel.is_set(),
                                          timeout=self.WAIT_S) and self.drawn >= tick


@solara.component
def MapPanel(session: Session, index: int, tick: solara.Reactive[int], colour_by: ColourBy,
             width: int, scale: float) -> None:
    """The map of one run, drawn at `width` pixels, redrawn on every tick."""
    tick.get()
    run = session.runs[index]
    figure = solara.use_memo(lambda: MapFigure(run.model, title=run.label, width=width,
                                               scale=scale),
                             [session.generation, index, width, scale])
    with session.lock:
        pixels = figure.rgb(colour_by)
    solara.Image(encode_png(pixels), width=f"{figure.width}px",
                 classes=["ssrsim-map", f"ssrsim-map-{index}"])


@solara.component
def ChartPanel(session: Session, tick: solara.Reactive[int], view: ChartView, width: int,
               height: int, scale: float, frames: Frames) -> None:
    """The live charts of all runs with labelled events, redrawn on every tick."""
    drawing = tick.get()
    figure = solara.use_memo(
        lambda: ChartFigure([r.label for r in session.runs], session.calendar(), width,
                            height, view=view, scale=scale),
        [session.generation, width, height, view, scale])
    with session.lock:
        events = session.story()
        pixels = figure.rgb([r.model for r in session.runs], events)
        tags = figure.tags(events)
    solara.Image(encode_png(pixels), width=f"{figure.width}px", classes=["ssrsim-charts"])
    solara.HTML(tag="div", unsafe_innerHTML="".join(
        f"<span class='ssrsim-event-tag ssrsim-tag-{t.source}' title='{escape(t.text)}' "
        f"style='left: {t.left:.0f}px; top: {t.top:.0f}px'>{escape(t.short)}</span>"
        for t in tags), classes=["ssrsim-tags"])
    frames.mark(drawing)


def _play(session: Session, playing: solara.Reactive[bool], tick: solara.Reactive[int],
          speed: solara.Reactive[int], target: solara.Reactive[int | None],
          pause_at_events: solara.Reactive[bool], notice: solara.Reactive[str | None],
          cancel: threading.Event, frames: Frames | None = None) -> None:
    """Step and redraw until paused, at the chosen speed.

    Stops by itself at the scenario's last step (with a notice), at a "run to" target, and,
    when asked, after each step with a scheduled event or a teaching note. Stops, too, when
    the session is rebuilt (Reset, another scenario or policy) or the tab goes away. With
    `frames`, waits after each step until the page has drawn it (see `Frames`).
    """
    generation = session.generation
    while playing.value and not cancel.is_set():
        started = time.perf_counter()
        with session.lock:
            if session.generation != generation or not session.runs or session.at_end:
                playing.set(False)
                break
            session.step()
        tick.set(tick.value + 1)  # redraws the map(s) and charts, in this thread or another
        if frames is not None:
            frames.wait(tick.value, cancel)  # each step is shown before the next is taken
        stop = _stop_reason(session, target.value, pause_at_events.value)
        if stop is not None:
            target.set(None)
            notice.set(stop)
            playing.set(False)
            break
        rate = SPEEDS[speed.value]
        wait = (1.0 / rate if rate else 0.0) - (time.perf_counter() - started)
        if wait > 0:
            cancel.wait(wait)


def _stop_reason(session: Session, target: int | None, at_events: bool) -> str | None:
    """Why play stops after this step, in words (None: it goes on)."""
    if session.at_end:
        return end_notice(session)
    if target is not None and session.steps >= target:
        return f"Reached step {session.steps} ({session.date()})."
    if at_events and session.steps in session.stops():
        return f"Paused at step {session.steps} ({session.date()}): see the note and the log."
    return None


@solara.component
def Drawer(session: Session, open_: solara.Reactive[bool], version: solara.Reactive[int],
           tick: solara.Reactive[int], colour_by: solara.Reactive[ColourBy],
           view: solara.Reactive[ChartView], rebuilt: Any) -> None:
    """The controls that are not needed every minute: scenario, shocks, view, export, levers."""
    with solara.v.NavigationDrawer(v_model=open_.value, on_v_model=open_.set, temporary=True,
                                   fixed=True, width=420, class_="ssrsim-drawer"):
        with solara.Div(classes=["ssrsim-drawer-body"]):
            solara.Button("Close", icon_name="mdi-close", text=True,
                          on_click=lambda: open_.set(False), classes=["ssrsim-drawer-close"])
            ScenarioPicker(session, version, rebuilt)
            ShockButtons(session, version, tick)
            ViewOptions(colour_by, view, bool(session.compare))
            ExportCard(session, colour_by.value, view.value)
            LeverPanel(session, version)


@solara.component
def Screen(session: Session, layout: ScreenLayout, tick: solara.Reactive[int],
           colour_by: ColourBy, view: ChartView, notice: str | None, scale: float,
           frames: Frames) -> None:
    """Map(s), charts and story, at the layout's sizes."""
    story_style = f"width: {layout.side_width}px; height: {layout.side_height}px"
    charts_style = f"width: {layout.charts_width}px"
    with solara.Div(classes=["ssrsim-main"] + (["ssrsim-compare"] if session.compare else [])):
        with solara.Div(classes=["ssrsim-left"]):
            with solara.Div(classes=["ssrsim-maps"]):
                for i in range(len(session.runs)):
                    with solara.Div():
                        MapPanel(session, i, tick, colour_by, layout.map_width, scale)
            MapLegend(colour_by)
            if session.compare:
                with solara.Div(style=story_style, classes=["ssrsim-side"]):
                    StoryPanel(session, tick, notice)
        with solara.Div(classes=["ssrsim-chart-box"], style=charts_style):
            ChartKey(session, view)
            ChartPanel(session, tick, view, layout.charts_width, layout.charts_height, scale,
                       frames)
        if not session.compare:
            with solara.Div(style=story_style, classes=["ssrsim-side"]):
                StoryPanel(session, tick, notice)


@solara.component
def Page() -> None:
    """The whole page for one browser tab (each tab has its own session)."""
    config = solara.use_memo(app_config, [])
    session = solara.use_memo(
        lambda: Session(config.scenario, policy=config.policy, compare=config.compare), [])
    version = solara.use_reactive(0)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    colour_by: solara.Reactive[ColourBy] = solara.use_reactive("trust")
    speed = solara.use_reactive(len(SPEEDS) - 1)
    target: solara.Reactive[int | None] = solara.use_reactive(None)
    pause_at_events = solara.use_reactive(False)
    notice: solara.Reactive[str | None] = solara.use_reactive(None)
    view = solara.use_reactive(ChartView())
    drawer = solara.use_reactive(False)
    viewport = solara.use_reactive(DEFAULT_VIEWPORT)
    frames = solara.use_memo(Frames, [])
    version.get()

    solara.use_thread(
        lambda cancel: _play(session, playing, tick, speed, target, pause_at_events, notice,
                             cancel, frames),
        dependencies=[playing.value, session.generation], intrusive_cancel=False)

    def rebuilt() -> None:
        playing.set(False)
        notice.set(None)
        version.set(version.value + 1)
        tick.set(tick.value + 1)

    def resized(size: dict[str, float]) -> None:
        if size and size != viewport.value:
            viewport.set(size)

    size = viewport.value
    grid = session.scenario.space if session.scenario else None
    layout = screen_layout(int(size.get("width", 1280)), int(size.get("height", 720)),
                           max(len(session.runs), 1),
                           (grid.width, grid.height) if grid else (1, 1))
    scale = float(size.get("scale", 1.0))

    solara.Title("ssrsim")
    solara.Style(CSS)
    ViewportProbe.element(on_size=resized)
    name = session.base.name if session.base else session.path.name
    mode = (f"compare {' vs '.join(session.compare)}" if session.compare
            else f"policy {session.policy}" if session.policy else "")
    with solara.Column(gap="0px", classes=["ssrsim-app"]):
        with solara.Div(classes=["ssrsim-top"]):
            solara.Button("Controls", icon_name="mdi-menu", on_click=lambda: drawer.set(True),
                          outlined=True, classes=["ssrsim-drawer-open"])
            RunBar(session, playing, tick, version, speed, target, pause_at_events, notice)
            solara.HTML(tag="div", unsafe_innerHTML=f"<b>{escape(name)}</b>"  # first: a
                        + (f" ({escape(mode)})" if mode else "")  # narrow bar cuts the end
                        + f" &mdash; {TITLE}", classes=["ssrsim-title"])
        if session.error:
            with solara.Error(classes=["ssrsim-error"], icon=True):
                solara.HTML(tag="pre", unsafe_innerHTML=escape(session.error))
        if session.runs:
            Monitors(session, tick)
            Screen(session, layout, tick, colour_by.value, view.value, notice.value, scale,
                   frames)
    Drawer(session, drawer, version, tick, colour_by, view, rebuilt)


@solara.component
def Layout(children: Sequence[solara.Element] = ()) -> solara.Element:
    """No app bar or sidebar: the page lays itself out."""
    column: solara.Element = solara.Column(children=list(children), gap="0px")
    return column
