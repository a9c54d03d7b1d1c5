"""The trainers' page: controls on the left, map(s) and live charts on the right.

Served by `ssrsim serve` (see `ssrsim.app.server`), which starts `solara run
ssrsim.app.page` with the scenario path (and compare pair) in environment variables of that
child process only; `config.app_config()` reads them here, in the page, never in the model.

Built from plain Solara components rather than Mesa's `SolaraViz`: SolaraViz rebuilds a
model as `type(model)(**params)`, which does not fit `SSRModel(scenario)`, and has no place
for shocks, two models side by side, a scenario picker or policy presets. The play loop
follows SolaraViz's: a thread that steps, then redraws (every step is drawn).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import solara

from .charts import ChartFigure
from .config import app_config
from .controls import LeverPanel, RunControls, ScenarioPicker, ShockButtons
from .map import ColourBy, MapFigure, encode_png
from .session import Session

TITLE = "ssrsim: civil-military operations in security sector reform"

CSS = """
.ssrsim-layout { display: grid; grid-template-columns: 360px 1fr; gap: 12px; padding: 8px; }
.ssrsim-side > * { margin-bottom: 10px; }
.ssrsim-main { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start;
               align-content: flex-start; }
.ssrsim-main > .ssrsim-error { flex: 1 1 100%; }
.ssrsim-maps { display: flex; gap: 8px; flex-wrap: wrap; flex: 0 1 auto; }
.ssrsim-maps > div { width: 500px; max-width: 100%; }
.ssrsim-chart-box { flex: 1 1 480px; max-width: 640px; }
.ssrsim-compare .ssrsim-chart-box { max-width: 1010px; }
.ssrsim-lever .ssrsim-slider { margin: -6px 0 -6px 0; }
.ssrsim-map, .ssrsim-charts { width: 100%; height: auto; }
.ssrsim-error pre { white-space: pre-wrap; font-size: 0.9em; margin: 0; }
"""


@solara.component
def MapPanel(session: Session, index: int, tick: solara.Reactive[int],
             colour_by: ColourBy) -> None:
    """The map of one run, redrawn on every tick."""
    tick.get()
    run = session.runs[index]
    figure = solara.use_memo(lambda: MapFigure(run.model, title=run.label),
                             [session.generation, index])
    with session.lock:
        pixels = figure.rgb(colour_by)
    solara.Image(encode_png(pixels), classes=["ssrsim-map", f"ssrsim-map-{index}"])


@solara.component
def ChartPanel(session: Session, tick: solara.Reactive[int]) -> None:
    """The live charts of all runs, redrawn on every tick."""
    tick.get()
    figure = solara.use_memo(
        lambda: ChartFigure([r.label for r in session.runs], session.horizon,
                            tall=len(session.runs) == 1),
        [session.generation])
    with session.lock:
        pixels = figure.rgb([r.model for r in session.runs])
    solara.Image(encode_png(pixels), classes=["ssrsim-charts"])


def _play(session: Session, playing: solara.Reactive[bool], tick: solara.Reactive[int],
          delay_ms: solara.Reactive[int], cancel: threading.Event) -> None:
    """Step and redraw until paused; pause by itself at the scenario's last step.

    Stops, too, when the session is rebuilt (Reset, another scenario or policy) or the tab
    goes away (`cancel`).
    """
    generation = session.generation
    while playing.value and not cancel.is_set():
        started = time.perf_counter()
        with session.lock:
            if session.generation != generation or not session.runs:
                break
            session.step()
        tick.set(tick.value + 1)  # redraws the map(s) and charts, in this thread
        if session.steps == session.horizon:
            playing.set(False)
            break
        wait = delay_ms.value / 1000.0 - (time.perf_counter() - started)
        if wait > 0:
            cancel.wait(wait)


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
    delay_ms = solara.use_reactive(0)
    version.get()

    solara.use_thread(lambda cancel: _play(session, playing, tick, delay_ms, cancel),
                      dependencies=[playing.value, session.generation],
                      intrusive_cancel=False)

    def rebuilt() -> None:
        playing.set(False)
        version.set(version.value + 1)
        tick.set(tick.value + 1)

    solara.Title("ssrsim")
    solara.Style(CSS)
    name = session.base.name if session.base else session.path.name
    mode = (f"compare {' vs '.join(session.compare)}" if session.compare
            else f"policy {session.policy}" if session.policy else "")
    with solara.Column(gap="0px", classes=["ssrsim-page"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"{TITLE} &mdash; {_escape(name)}"
                    + (f" ({_escape(mode)})" if mode else ""),
                    style="margin: 8px 12px 0 12px", classes=["ssrsim-title"])
        with solara.Div(classes=["ssrsim-layout"]):
            with solara.Div(classes=["ssrsim-side"]):
                RunControls(session, playing, tick, version, colour_by, delay_ms)
                ScenarioPicker(session, version, rebuilt)
                ShockButtons(session, version, tick)
                LeverPanel(session, version)
            with solara.Div(classes=["ssrsim-main"]
                            + (["ssrsim-compare"] if session.compare else [])):
                if session.error:
                    with solara.Error(classes=["ssrsim-error"], icon=True):
                        solara.HTML(tag="pre", unsafe_innerHTML=_escape(session.error))
                if session.runs:
                    with solara.Div(classes=["ssrsim-maps"]):
                        for i in range(len(session.runs)):
                            with solara.Div():
                                MapPanel(session, i, tick, colour_by.value)
                    with solara.Div(classes=["ssrsim-chart-box"]):
                        ChartPanel(session, tick)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@solara.component
def Layout(children: Sequence[solara.Element] = ()) -> solara.Element:
    """No app bar or sidebar: the page lays itself out."""
    column: solara.Element = solara.Column(children=list(children), gap="0px")
    return column
