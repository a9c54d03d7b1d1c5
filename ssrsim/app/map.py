"""The map: civilians as one raster image, units as marker layers, district borders.

Drawing is built for speed: civilians are never one artist each. `civilian_rgba` turns the
population arrays into a per-cell RGBA array with numpy (one fancy-index assignment), which
`MapFigure` writes, scaled to the pixels shown (nearest cell), straight into the canvas; the
few units are a handful of scatter layers. A `MapFigure` is drawn at the size the page shows
it, keeps its figure and artists and only swaps their data every step, drawing the changing
artists over a saved background (matplotlib's blitting), then encodes the pixels as PNG
with fast compression. The legend
is HTML in the page, built from the colours defined here.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from ..model.agents import NGO, CMOUnit
from ..model.forces import ReformState
from ..model.population import FORCES, CivilianState

if TYPE_CHECKING:
    from ..model.model import SSRModel

ColourBy = Literal["trust", "state"]
COLOUR_MODES: tuple[ColourBy, ...] = ("trust", "state")

EMPTY = "#ffffff"
"""Colour of cells with no civilian: white, which is on neither civilian scale."""
TRUST_CMAP = "viridis"
"""Civilians by trust: dark purple (none) through teal to yellow (full); no white on it."""
STATE_COLOURS = {
    CivilianState.QUIESCENT: "#a6bddb",
    CivilianState.ACTIVE: "#e34a33",
    CivilianState.JAILED: "#525252",
}
"""Civilians by Epstein state."""
REFORM_COLOURS = {
    ReformState.UNREFORMED: "#000000",
    ReformState.TRAINING: "#E69F00",
    ReformState.REFORMED: "#ffffff",
}
"""Fill of security-unit markers by reform state."""
REFORM_EDGES = {
    ReformState.UNREFORMED: "#ffffff",
    ReformState.TRAINING: "#000000",
    ReformState.REFORMED: "#000000",
}
"""Edge of security-unit markers by reform state (each fill stands out on the map)."""
KIND_MARKERS = {"police": "s", "army": "^"}
"""Marker shape of security units by kind."""
KIND_SIZES = {"police": 24.0, "army": 40.0}
"""Marker area (at a 500-pixel map) of security units by kind (a triangle needs more)."""
CMO_STYLE = {"marker": "P", "facecolor": "#D55E00", "edgecolor": "#ffffff"}
NGO_STYLE = {"marker": "o", "facecolor": "#CC79A7", "edgecolor": "#000000"}
BORDER_COLOUR = "#222222"


def _rgba8(colour: str) -> np.ndarray:
    return np.round(np.asarray(matplotlib.colors.to_rgba(colour)) * 255).astype(np.uint8)


_TRUST_LUT = np.round(matplotlib.colormaps[TRUST_CMAP](np.linspace(0, 1, 256)) * 255).astype(
    np.uint8)
_STATE_LUT = np.stack([_rgba8(STATE_COLOURS[s]) for s in sorted(STATE_COLOURS)])


def trust_colours(trust: np.ndarray) -> np.ndarray:
    """RGBA (uint8, shape (n, 4)) of trust values in [0, 1] on the trust colour map."""
    index = np.clip(np.rint(np.asarray(trust, dtype=float) * 255), 0, 255).astype(np.intp)
    return _TRUST_LUT[index]


def state_colours(state: np.ndarray) -> np.ndarray:
    """RGBA (uint8, shape (n, 4)) of civilian states (0 quiescent, 1 active, 2 jailed)."""
    return _STATE_LUT[np.asarray(state, dtype=np.intp)]


def civilian_rgba(x: np.ndarray, y: np.ndarray, colours: np.ndarray,
                  shape: tuple[int, int]) -> np.ndarray:
    """The per-cell image: each civilian's colour at its home cell, empty cells blank.

    Args:
        x: home cell column of each civilian.
        y: home cell row of each civilian.
        colours: RGBA uint8 per civilian, shape (n, 4).
        shape: (width, height) of the grid.

    Returns:
        uint8 array of shape (height, width, 4), row y and column x, for `imshow` with
        `origin="lower"` (y grows upward, as the model's district map is laid out).

    """
    width, height = shape
    image = np.empty((height, width, 4), dtype=np.uint8)
    image[:] = _rgba8(EMPTY)
    image[y, x] = colours
    return image


def map_raster(model: SSRModel, colour_by: ColourBy = "trust") -> np.ndarray:
    """The model's civilians as an RGBA image (see `civilian_rgba`)."""
    pop = model.population
    if colour_by == "trust":
        colours = trust_colours(pop.trust)
    elif colour_by == "state":
        colours = state_colours(pop.state)
    else:
        raise ValueError(f"colour_by must be one of {COLOUR_MODES}, got {colour_by!r}")
    return civilian_rgba(pop.x, pop.y, colours, model.layout.shape)


def border_segments(district_of_cell: np.ndarray) -> np.ndarray:
    """Cell edges between different districts, as line segments (n, 2, 2) in cell units.

    Cell (x, y) spans [x - 0.5, x + 0.5] x [y - 0.5, y + 0.5], as `imshow` draws it.
    """
    d = np.asarray(district_of_cell)
    vx, vy = np.nonzero(d[1:, :] != d[:-1, :])  # between (x, y) and (x + 1, y)
    hx, hy = np.nonzero(d[:, 1:] != d[:, :-1])  # between (x, y) and (x, y + 1)
    vertical = np.stack([np.stack([vx + 0.5, vy - 0.5], 1), np.stack([vx + 0.5, vy + 0.5], 1)],
                        1)
    horizontal = np.stack([np.stack([hx - 0.5, hy + 0.5], 1),
                           np.stack([hx + 0.5, hy + 0.5], 1)], 1)
    return np.concatenate([vertical, horizontal]).astype(float).reshape(-1, 2, 2)


@dataclass(frozen=True)
class MarkerLayer:
    """One marker layer: which units, drawn how, and what the legend calls them."""

    key: str
    label: str
    marker: str
    facecolor: str
    edgecolor: str
    size: float


def marker_layers() -> list[MarkerLayer]:
    """The unit layers in drawing order: security units by kind and reform, CMO, NGOs."""
    layers = []
    for kind, marker in KIND_MARKERS.items():
        for state, colour in REFORM_COLOURS.items():
            layers.append(MarkerLayer(f"{kind}:{state.name.lower()}",
                                      f"{kind} {state.name.lower()}", marker, colour,
                                      REFORM_EDGES[state], KIND_SIZES[kind]))
    layers.append(MarkerLayer("cmo", "CMO unit", size=70.0, **CMO_STYLE))
    layers.append(MarkerLayer("ngo", "NGO", size=40.0, **NGO_STYLE))
    return layers


def unit_positions(model: SSRModel) -> dict[str, np.ndarray]:
    """Cell (x, y) of every unit, grouped by marker layer key; arrays of shape (n, 2)."""
    f = model.forces  # read as arrays: there may be thousands of security units
    xy = np.stack([f.x, f.y], axis=1).astype(float)
    out = {f"{kind}:{state.name.lower()}": xy[(f.kind == code) & (f.reform == state)]
           for code, kind in enumerate(FORCES) for state in ReformState}
    for key, cls in (("cmo", CMOUnit), ("ngo", NGO)):
        out[key] = np.asarray([u.xy for u in model.of_type(cls)], dtype=float).reshape(-1, 2)
    return out


def district_centres(model: SSRModel) -> list[tuple[str, float, float]]:
    """Each district's name and the top-left corner of its block (for labels)."""
    d = model.layout.district_of_cell
    out = []
    for i, name in enumerate(model.district_names):
        xs, ys = np.nonzero(d == i)
        if xs.size:
            out.append((name, float(xs.min()), float(ys.max())))
    return out


def trust_gradient_css(stops: int = 11) -> str:
    """The trust colour scale as a CSS linear-gradient, for the page's map legend."""
    positions = np.linspace(0, 255, stops).round().astype(int)
    parts = [f"rgb({r},{g},{b}) {100 * i / (stops - 1):.0f}%"
             for i, (r, g, b, _) in enumerate(_TRUST_LUT[positions])]
    return f"linear-gradient(to right, {', '.join(parts)})"


class MapFigure:
    """A persistent matplotlib figure of one model's map, drawn at a size in pixels.

    The figure is bound to one model (its grid size and districts); make a new one for a
    new model or size. Its title is the run's label and the current date. Rendering is
    serialised by a lock, so the play loop and a click cannot draw the same figure at once.
    The legend is the page's (HTML), so the figure is all map.

    Args:
        model: the run.
        title: the run's label.
        width: image width in screen pixels; the height follows the grid's shape.
        scale: device pixels per screen pixel (the browser's devicePixelRatio).

    """

    TITLE_PX = 24

    def __init__(self, model: SSRModel, title: str = "", *, width: int = 500,
                 scale: float = 1.0) -> None:
        self.model = model
        self.label = title
        self.colour_by: ColourBy | None = None
        self._lock = threading.Lock()
        grid_w, grid_h = model.layout.shape
        self.width = max(int(width), 120)
        self.height = round(self.width * grid_h / grid_w) + self.TITLE_PX
        self.figure = Figure(figsize=(self.width / 100, self.height / 100), dpi=100 * scale)
        self.canvas = FigureCanvasAgg(self.figure)
        self._background = None
        ax = self.figure.add_axes((0, 0, 1, 1 - self.TITLE_PX / self.height))
        ax.set_axis_off()
        self.ax = ax
        points = 0.72 * min(14.0, max(10.0, self.width / 36))
        self.title = self.figure.text(0.01, 1 - 3 / self.height, title, fontsize=points,
                                      va="top", ha="left", fontweight="bold")
        ax.set_xlim(-0.5, grid_w - 0.5)
        ax.set_ylim(-0.5, grid_h - 0.5)
        self._raster = map_raster(model, "trust")
        self.animated: list[Artist] = [self.title]
        self.animated.append(ax.add_collection(LineCollection(
            list(border_segments(model.layout.district_of_cell)), colors=BORDER_COLOUR,
            linewidths=1.6)))
        area = (self.width / 500) ** 2
        self.layers = {}
        for layer in marker_layers():
            self.layers[layer.key] = ax.scatter(
                [], [], s=layer.size * max(area, 0.4), marker=layer.marker, c=layer.facecolor,
                edgecolors=layer.edgecolor, linewidths=0.7, zorder=3)
            self.animated.append(self.layers[layer.key])
        for name, x0, y1 in district_centres(model):
            self.animated.append(ax.text(
                x0 + 0.5, y1 - 0.5, name, fontsize=points * 0.9, va="top", ha="left",
                zorder=4, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                "alpha": 0.8}))
        for artist in self.animated:
            artist.set_animated(True)
        self._cells: tuple[np.ndarray, np.ndarray] | None = None

    def _paint_civilians(self, pixels: np.ndarray) -> None:
        """Write the civilians' raster into the map's part of the canvas (nearest cell).

        Faster than an `imshow` resampled by matplotlib on every frame: the pixel-to-cell
        index is computed once for the figure's size.
        """
        top = pixels.shape[0] - round(self.ax.bbox.height)
        if self._cells is None:
            grid_h, grid_w = self._raster.shape[:2]
            rows, cols = pixels.shape[0] - top, pixels.shape[1]
            y = grid_h - 1 - (np.arange(rows) * grid_h // rows)  # row 0 is the top
            x = np.arange(cols) * grid_w // cols
            self._cells = (y[:, None], x[None, :])
        pixels[top:, :, :] = self._raster[self._cells]

    def update(self, colour_by: ColourBy = "trust") -> None:
        """Swap the current model state into the artists."""
        self.colour_by = colour_by
        date = self.model.params.step_date(self.model.steps).isoformat()
        self.title.set_text(f"{self.label}  {date}" if self.label else date)
        self._raster = map_raster(self.model, colour_by)
        for key, xy in unit_positions(self.model).items():
            self.layers[key].set_offsets(xy)

    def rgb(self, colour_by: ColourBy = "trust") -> np.ndarray:
        """The map of the model's current state as an RGB pixel array (height, width, 3)."""
        with self._lock:
            self.update(colour_by)
            if self._background is None:
                self.canvas.draw()  # everything but the animated artists
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.canvas.restore_region(self._background)
            self._paint_civilians(np.asarray(self.canvas.buffer_rgba()))
            for artist in self.animated:
                self.figure.draw_artist(artist)
            return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def png(self, colour_by: ColourBy = "trust") -> bytes:
        """The map of the model's current state as PNG bytes."""
        return encode_png(self.rgb(colour_by))


EXPORT_HEADING_PX = 56
"""The exported map's heading: scenario and policy, then the date."""
EXPORT_LEGEND_PX = 118
"""The exported map's legend under the map: civilians' colours with 'empty', then units."""


def export_png(model: SSRModel, heading: str, subheading: str, *, width: int = 900,
               colour_by: ColourBy = "trust") -> bytes:
    """The map to take home: a heading, the map, and its legend, as PNG bytes.

    The page's legend is HTML beside the map; a saved picture needs its own, so this one
    draws the map (the same pixels as the page, at `width` pixels) under a heading (e.g.
    the scenario and policy, then the date and step) and above a legend: the trust scale
    (or the states) with "empty", the units' shapes and fills, and the district borders.
    """
    from matplotlib.colorbar import ColorbarBase
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    live = MapFigure(model, width=width)
    pixels = live.rgb(colour_by)[MapFigure.TITLE_PX:]  # the map without its title strip
    map_h, map_w = pixels.shape[:2]
    height = EXPORT_HEADING_PX + map_h + EXPORT_LEGEND_PX
    figure = Figure(figsize=(map_w / 100, height / 100), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.text(8 / map_w, 1 - 6 / height, heading, fontsize=13, fontweight="bold",
                va="top", ha="left")
    figure.text(8 / map_w, 1 - 30 / height, subheading, fontsize=11, va="top", ha="left")
    figure.figimage(pixels, xo=0, yo=EXPORT_LEGEND_PX, origin="upper")

    def frac(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        return x / map_w, y / height, w / map_w, h / height

    row = EXPORT_LEGEND_PX - 34  # the civilians' row, then the units' row under it
    empty = Patch(facecolor=EMPTY, edgecolor="#555555", label="empty (no one lives there)")
    figure.text(8 / map_w, (row + 8) / height,
                "Civilians' trust" if colour_by == "trust" else "Civilians", fontsize=11,
                va="center", ha="left")
    handles = [empty]
    if colour_by == "trust":
        bar = figure.add_axes(frac(130, row, 240, 16))
        ColorbarBase(bar, cmap=matplotlib.colormaps[TRUST_CMAP], norm=Normalize(0, 1),
                     orientation="horizontal", ticks=[0, 0.5, 1])
        bar.tick_params(labelsize=10, length=2, pad=1)
    else:
        handles = [Patch(facecolor=c, edgecolor="#555555", label=s.name.lower())
                   for s, c in STATE_COLOURS.items()] + handles
    figure.legend(handles=handles, loc="center left", ncol=len(handles), frameon=False,
                  bbox_to_anchor=frac(390 if colour_by == "trust" else 110, row + 8, 0, 0)[:2],
                  fontsize=11, handlelength=1.2)
    units = [Line2D([], [], linestyle="none", marker=layer.marker, markersize=8,
                    markerfacecolor=layer.facecolor, markeredgecolor=(
                        "#000000" if layer.facecolor == "#ffffff" else layer.edgecolor),
                    label=layer.label)
             for layer in marker_layers()]
    units.append(Line2D([], [], color=BORDER_COLOUR, linewidth=1.6, label="district border"))
    figure.legend(handles=units, loc="upper left", bbox_to_anchor=frac(4, row - 12, 0, 0)[:2],
                  ncol=4 if map_w < 700 else 5, frameon=False, fontsize=10,
                  handletextpad=0.3, columnspacing=1.0)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba())[..., :3].copy())


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an RGB(A) uint8 array, with fast compression (speed over size)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
