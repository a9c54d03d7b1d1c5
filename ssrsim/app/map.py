"""The map: civilians as one raster image, units as marker layers, district borders, legend.

Drawing is built for speed: civilians are never one artist each. `civilian_rgba` turns the
population arrays into a per-cell RGBA array with numpy (one fancy-index assignment), which
matplotlib shows with a single `imshow`; the few units are four or five scatter layers. A
`MapFigure` keeps its figure and artists and only swaps their data every step. The static
parts (title, legends, colour bar) are drawn once into a saved background; each frame
restores it and draws only the changing artists (matplotlib's blitting), then encodes the
pixels as PNG with fast compression.
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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from ..model.agents import NGO, CMOUnit, ReformState, SecurityForceUnit
from ..model.population import CivilianState

if TYPE_CHECKING:
    from ..model.model import SSRModel

ColourBy = Literal["trust", "state"]
COLOUR_MODES: tuple[ColourBy, ...] = ("trust", "state")

EMPTY = "#ffffff"
"""Colour of cells with no civilian."""
TRUST_CMAP = "RdYlBu"
"""Civilians by trust: red (none) through yellow to blue (full)."""
STATE_COLOURS = {
    CivilianState.QUIESCENT: "#a6bddb",
    CivilianState.ACTIVE: "#e34a33",
    CivilianState.JAILED: "#737373",
}
"""Civilians by Epstein state."""
REFORM_COLOURS = {
    ReformState.UNREFORMED: "#000000",
    ReformState.TRAINING: "#e7298a",
    ReformState.REFORMED: "#1b9e77",
}
"""Fill of security-unit markers by reform state."""
KIND_MARKERS = {"police": "s", "army": "^"}
"""Marker shape of security units by kind."""
KIND_SIZES = {"police": 24.0, "army": 40.0}
"""Marker area of security units by kind (a triangle needs more to look as large)."""
CMO_STYLE = {"marker": "P", "facecolor": "#ffffff", "edgecolor": "#000000"}
NGO_STYLE = {"marker": "o", "facecolor": "#7570b3", "edgecolor": "#ffffff"}
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
                                      "#ffffff", KIND_SIZES[kind]))
    layers.append(MarkerLayer("cmo", "CMO unit", size=70.0, **CMO_STYLE))
    layers.append(MarkerLayer("ngo", "NGO", size=40.0, **NGO_STYLE))
    return layers


def unit_positions(model: SSRModel) -> dict[str, np.ndarray]:
    """Cell (x, y) of every unit, grouped by marker layer key; arrays of shape (n, 2)."""
    groups: dict[str, list[tuple[int, int]]] = {layer.key: [] for layer in marker_layers()}
    for unit in model.of_type(SecurityForceUnit):
        groups[f"{unit.kind}:{ReformState(unit.reform).name.lower()}"].append(unit.xy)
    for unit in model.of_type(CMOUnit):
        groups["cmo"].append(unit.xy)
    for unit in model.of_type(NGO):
        groups["ngo"].append(unit.xy)
    return {k: np.asarray(v, dtype=float).reshape(-1, 2) for k, v in groups.items()}


def district_centres(model: SSRModel) -> list[tuple[str, float, float]]:
    """Each district's name and the top-left corner of its block (for labels)."""
    d = model.layout.district_of_cell
    out = []
    for i, name in enumerate(model.district_names):
        xs, ys = np.nonzero(d == i)
        if xs.size:
            out.append((name, float(xs.min()), float(ys.max())))
    return out


class MapFigure:
    """A persistent matplotlib figure of one model's map; `png()` renders the current state.

    The figure is bound to one model (its grid size and districts); make a new one for a
    new model. Rendering is serialised by a lock, so the play loop and a click cannot draw
    the same figure at once.
    """

    def __init__(self, model: SSRModel, title: str = "", *, width_in: float = 5.0,
                 dpi: int = 100) -> None:
        self.model = model
        self.colour_by: ColourBy | None = None
        self._lock = threading.Lock()
        width, height = model.layout.shape
        map_h = width_in * height / width
        legend_h = 1.25
        self.figure = Figure(figsize=(width_in, map_h + legend_h + 0.3), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self._background = None
        total_h = map_h + legend_h + 0.3
        ax = self.figure.add_axes((0.01, (legend_h + 0.02) / total_h, 0.98, map_h / total_h))
        ax.set_axis_off()
        self.ax = ax
        self.title = ax.set_title(title, fontsize=11, pad=3)
        self.image = ax.imshow(map_raster(model, "trust"), origin="lower",
                               interpolation="nearest", extent=(-0.5, width - 0.5, -0.5,
                                                                height - 0.5))
        ax.set_xlim(-0.5, width - 0.5)
        ax.set_ylim(-0.5, height - 0.5)
        self.animated: list[Artist] = [self.image]
        self.animated.append(ax.add_collection(LineCollection(
            list(border_segments(model.layout.district_of_cell)), colors=BORDER_COLOUR,
            linewidths=1.6)))
        self.layers = {}
        for layer in marker_layers():
            self.layers[layer.key] = ax.scatter(
                [], [], s=layer.size, marker=layer.marker, c=layer.facecolor,
                edgecolors=layer.edgecolor, linewidths=0.7, zorder=3)
            self.animated.append(self.layers[layer.key])
        for name, x0, y1 in district_centres(model):
            self.animated.append(ax.text(
                x0 + 0.5, y1 - 0.5, name, fontsize=8, va="top", ha="left", zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.75}))
        for artist in self.animated:
            artist.set_animated(True)
        self._legend_artists: list = []
        self._units_legend()

    def _units_legend(self) -> None:
        handles: list[Artist] = [
            Line2D([], [], linestyle="", marker=m, markersize=7, markerfacecolor="#888",
                   markeredgecolor="#000", label=kind)
            for kind, m in KIND_MARKERS.items()]
        handles += [Patch(facecolor=c, edgecolor="#000", label=s.name.lower())
                    for s, c in REFORM_COLOURS.items()]
        handles += [Line2D([], [], linestyle="", marker=CMO_STYLE["marker"], markersize=9,
                           markerfacecolor=CMO_STYLE["facecolor"],
                           markeredgecolor=CMO_STYLE["edgecolor"], label="CMO unit"),
                    Line2D([], [], linestyle="", marker=NGO_STYLE["marker"], markersize=7,
                           markerfacecolor=NGO_STYLE["facecolor"],
                           markeredgecolor="#000", label="NGO")]
        self.figure.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 0.0),
                           ncol=4, fontsize=7.5, frameon=False, handlelength=1.2,
                           columnspacing=0.9, title="Security units (shape: kind, fill: "
                           "reform state), CMO, NGOs", title_fontsize=7.5)

    def _civilians_legend(self, colour_by: ColourBy) -> None:
        for artist in self._legend_artists:
            artist.remove()
        self._legend_artists = []
        fig = self.figure
        total_h = fig.get_figheight()
        top = 1.25 / total_h
        if colour_by == "trust":
            cax = fig.add_axes((0.06, top - 0.42 / total_h, 0.6, 0.09 / total_h))
            gradient = np.linspace(0, 1, 256)[None, :]
            cax.imshow(gradient, aspect="auto", cmap=TRUST_CMAP, extent=(0, 1, 0, 1))
            cax.set_yticks([])
            cax.set_xticks([0, 0.5, 1])
            cax.tick_params(labelsize=7, length=2, pad=1)
            cax.set_title("Civilians: trust in the security forces (0 to 1)", fontsize=7.5,
                          loc="left", pad=2)
            self._legend_artists.append(cax)
        else:
            handles = [Patch(facecolor=c, edgecolor="none", label=s.name.lower())
                       for s, c in STATE_COLOURS.items()]
            legend = fig.legend(handles=handles, loc="upper left",
                                bbox_to_anchor=(0.0, top + 0.02 / total_h), ncol=3,
                                fontsize=7.5, frameon=False, title="Civilians: state",
                                title_fontsize=7.5, alignment="left")
            self._legend_artists.append(legend)

    def update(self, colour_by: ColourBy = "trust") -> None:
        """Swap the current model state into the artists."""
        if colour_by != self.colour_by:
            self._civilians_legend(colour_by)
            self.colour_by = colour_by
            self._background = None
        self.image.set_data(map_raster(self.model, colour_by))
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
            for artist in self.animated:
                self.ax.draw_artist(artist)
            return np.asarray(self.canvas.buffer_rgba())[..., :3].copy()

    def png(self, colour_by: ColourBy = "trust") -> bytes:
        """The map of the model's current state as PNG bytes."""
        return encode_png(self.rgb(colour_by))


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an RGB(A) uint8 array, with fast compression (speed over size)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
