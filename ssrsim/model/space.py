"""The grid's geometry: districts, homes, neighbourhood offsets and fast neighbourhood sums.

Units and homes are coordinates on a width x height grid; this module holds what the vectorised
civilian phase needs: per-cell district ids and homes (`Layout`), and sums of a per-cell
quantity over every cell's neighbourhood (`NeighbourhoodSum`, `Neighbourhoods`), computed for
all cells at once from shifted copies, row windows or scatters of the grid (exact for counts),
with zero padding when the grid does not wrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..scenario.schema import ModelParams, Neighbourhood

Metric = Neighbourhood
"""von_neumann: |dx| + |dy| <= r; moore: max(|dx|, |dy|) <= r; euclidean: dx² + dy² <= r²."""


def neighbourhood_offsets(radius: float, metric: Metric, include_center: bool) -> np.ndarray:
    """Offsets (dx, dy) of the cells within `radius`, as an (n, 2) int array.

    Von Neumann and Moore take the whole part of `radius`; Euclidean takes the cells whose
    centre lies within distance `radius` (NetLogo's `in-radius`), so 1.7 reaches diagonals.
    """
    reach = reach_of(radius)
    r = np.arange(-reach, reach + 1)
    dx, dy = np.meshgrid(r, r, indexing="ij")
    if metric == "von_neumann":
        inside = np.abs(dx) + np.abs(dy) <= reach
    elif metric == "moore":
        inside = np.maximum(np.abs(dx), np.abs(dy)) <= reach
    else:  # a hair of tolerance, so that radius sqrt(2) typed as 1.4142135623730951 counts
        inside = dx * dx + dy * dy <= radius * radius * (1 + 1e-12)
    if not include_center:
        inside &= (dx != 0) | (dy != 0)
    return np.stack([dx[inside], dy[inside]], axis=1)


def reach_of(radius: float) -> int:
    """The largest |dx| or |dy| a neighbourhood of `radius` reaches: its whole part."""
    return math.floor(radius + 1e-12)


def district_map(width: int, height: int, rows: int, cols: int) -> np.ndarray:
    """District id of every cell, shape (width, height): row-major blocks, row 0 at the top.

    Rows split the y axis (top = largest y, as drawn), columns split the x axis; block sizes
    differ by at most one cell.
    """
    col_of_x = np.concatenate([np.full(len(c), i) for i, c in enumerate(
        np.array_split(np.arange(width), cols))])
    row_of_y = np.concatenate([np.full(len(c), i) for i, c in enumerate(
        np.array_split(np.arange(height), rows))])
    row_of_y = rows - 1 - row_of_y  # row 0 is drawn at the top
    return (row_of_y[None, :] * cols + col_of_x[:, None]).astype(np.int32)


class Scatter(NamedTuple):
    """Where a change at cell (x, y) counts: in every cell whose neighbourhood holds it.

    The row (times height) of x - dx is `rows[x + row_shift[o]]`, the column of y - dy is
    `cols[y + col_shift[o]]` for each offset o; their sum is negative off a grid that does
    not wrap.
    """

    rows: np.ndarray
    cols: np.ndarray
    row_shift: np.ndarray
    col_shift: np.ndarray


class Sight(NamedTuple):
    """What a security unit sees: its vision's offsets (each cell once) and who lives where."""

    offsets: np.ndarray  # (n, 2)
    civilian_at: np.ndarray  # flat: civilian index per cell, -1 where nobody lives
    width: int
    height: int
    torus: bool


@dataclass
class NeighbourhoodSum:
    """Sums of a per-cell array over each cell's neighbourhood, for all cells at once.

    Sums are exact for counts and added in a fixed order for real values: with a small
    neighbourhood, one shifted copy of the grid per offset; with a large one, row-window
    sums of a cumulative sum (each row of the neighbourhood is a run of cells). Counts of a
    sparse grid scatter from its few non-zero cells instead, and `update` keeps a table of
    counts exact when a few cells change.
    """

    shape: tuple[int, int]
    radius: float
    metric: Metric
    include_center: bool
    torus: bool
    _offsets: np.ndarray = field(init=False)  # (n, 2); on a small torus each cell once
    _half_widths: np.ndarray | None = field(init=False)  # per dx, the run -h..h of dy
    scatter_tables: Scatter = field(init=False, repr=False)  # where a change counts
    _last: tuple[np.ndarray, ...] | None = field(default=None, init=False, repr=False,
                                                 compare=False)  # repeated_counts_at
    _last_at: tuple[np.ndarray, ...] | None = field(default=None, init=False, repr=False,
                                                    compare=False)  # counts_at

    def __post_init__(self) -> None:
        width, height = self.shape
        r = reach_of(self.radius)
        offsets = neighbourhood_offsets(self.radius, self.metric, self.include_center)
        small_torus = self.torus and 2 * r + 1 > min(width, height)
        if small_torus:  # a cell reached by several offsets counts once (as in Mesa)
            self._offsets = np.unique(offsets % np.array(self.shape), axis=0)
            if not self.include_center:
                self._offsets = self._offsets[(self._offsets != 0).any(axis=1)]
        else:
            self._offsets = offsets
        self._half_widths = None if small_torus else _row_runs(
            neighbourhood_offsets(self.radius, self.metric, True), r)
        pad = int(np.abs(self._offsets).max(initial=0))
        self.scatter_tables = Scatter(
            _wrapped(width, pad, self.torus, width * height) * height,
            _wrapped(height, pad, self.torus, width * height),
            (pad - self._offsets[:, 0]).astype(np.int64),
            (pad - self._offsets[:, 1]).astype(np.int64))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Neighbourhood sums of real `values` (shape = grid shape), as float64."""
        if self._half_widths is None or len(self._offsets) <= SHIFTED_SUM_OFFSETS:
            return self._shifted_sums(values.astype(np.float64))
        return self._row_sums(values.astype(np.float64))

    @property
    def cells(self) -> int:
        """Cells in each cell's neighbourhood (each once; fewer at the edge of a plain grid)."""
        return len(self._offsets)

    def is_with_centre(self, other: NeighbourhoodSum) -> bool:
        """Whether this neighbourhood is `other`'s (which leaves out the centre) plus it."""
        mine = {tuple(o) for o in self._offsets.tolist()}
        theirs = {tuple(o) for o in other._offsets.tolist()}
        return (self.shape, self.torus) == (other.shape, other.torus) and (
            (0, 0) in mine and (0, 0) not in theirs and mine == theirs | {(0, 0)})

    def counts(self, values: np.ndarray) -> np.ndarray:
        """Exact neighbourhood sums of integer-valued `values`, as int32."""
        cells = np.flatnonzero(values != 0)  # nonzero of a bool array is the fast one
        if cells.size * len(self._offsets) <= values.size or self._half_widths is None:
            out = np.zeros(self.shape, dtype=np.int32)
            xs, ys = np.divmod(cells, self.shape[1])
            self._scatter(out, xs, ys, values.ravel()[cells])
            return out
        return self._row_sums(values.astype(np.int32))

    def update(self, counts: np.ndarray, values: np.ndarray, xs: np.ndarray, ys: np.ndarray,
               delta: np.ndarray) -> None:
        """Keep `counts` (of `values`) exact after the values at (xs, ys) changed by `delta`.

        `values` already holds the new values; with many changes it is counted afresh.
        """
        if xs.size == 0:
            return
        if xs.size * len(self._offsets) > values.size:
            counts[...] = self.counts(values)
        else:
            self._scatter(counts, xs, ys, delta)

    def repeated_counts_at(self, px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray
                           ) -> np.ndarray:
        """How many of the points (px, py) lie in the neighbourhood of each cell (x[i], y[i]).

        Read-only, and reused while the points are the same and (x, y) are the same arrays
        (homes do not move): units that do not patrol (Epstein's cops) stand still.
        """
        last = self._last
        if last is None or last[0] is not x or last[1] is not y or not (
                np.array_equal(px, last[2]) and np.array_equal(py, last[3])):
            grid = np.zeros(self.shape, dtype=np.int32)
            np.add.at(grid, (px, py), np.int32(1))  # typed: a Python int casts, slowly
            table = self.counts(grid)[x, y]
            table.flags.writeable = False
            self._last = (x, y, px.copy(), py.copy(), table)
            return table
        return last[4]

    def counts_at(self, values: np.ndarray, homes: np.ndarray, x: np.ndarray,
                  y: np.ndarray) -> np.ndarray:
        """Exact neighbourhood sums of integer `values` read at the cells (x[i], y[i]).

        `homes` maps each cell to its index i (-1 where none): a sparse grid scatters only
        to the cells that are read, without a table of the whole grid. A sparse grid's answer
        is kept and returned again (read-only) while its non-zero cells and values and the
        arrays read are the same: units that stand still make the same contacts each step.
        """
        cells = np.flatnonzero(values != 0)
        if cells.size * len(self._offsets) > values.size or self._half_widths is None:
            out: np.ndarray = self.counts(values)[x, y]
            return out
        weights = values.ravel()[cells]
        last = self._last_at
        if (last is not None and last[0] is homes and last[1] is x and last[2] is y
                and np.array_equal(cells, last[3]) and np.array_equal(weights, last[4])):
            return last[5]
        xs, ys = np.divmod(cells, self.shape[1])
        flat, w = self._targets(xs, ys, weights, np.int32)
        who = homes.ravel()[flat]
        read = who >= 0
        at = np.zeros(x.size, dtype=np.int32)
        np.add.at(at, who[read], w[read])
        at.flags.writeable = False
        self._last_at = (homes, x, y, cells, weights, at)
        return at

    def _scatter(self, out: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                 weights: np.ndarray) -> None:
        """Add each weight to the cells whose neighbourhood holds its cell (`out`: C order)."""
        assert out.flags.c_contiguous
        from . import kernels  # numba on first use (see kernels)

        kernels.scatter(out.reshape(-1), self.scatter_tables, np.asarray(xs, dtype=np.int64),
                        np.asarray(ys, dtype=np.int64), np.asarray(weights, dtype=out.dtype))

    def _targets(self, xs: np.ndarray, ys: np.ndarray, weights: np.ndarray,
                 dtype: np.typing.DTypeLike) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of the cells that see each cell (xs, ys), and its weight for each."""
        t = self.scatter_tables
        flat = (t.rows[xs[:, None] + t.row_shift] + t.cols[ys[:, None] + t.col_shift]).ravel()
        w = np.repeat(np.asarray(weights, dtype=dtype), len(self._offsets))
        if self.torus:
            return flat, w
        inside = flat >= 0
        return flat[inside], w[inside]

    def _shifted_sums(self, values: np.ndarray) -> np.ndarray:
        """Sums as one shifted copy of the grid per offset, added in the offsets' order."""
        width, height = self.shape
        out = np.zeros(self.shape, dtype=values.dtype)
        if self._half_widths is None:  # a small torus: each (deduplicated) offset by a roll
            for dx, dy in self._offsets.tolist():
                out += np.roll(values, (-dx, -dy), axis=(0, 1))
            return out
        r = (len(self._half_widths) - 1) // 2
        padded = self._padded(values, r)
        for dx, dy in self._offsets.tolist():
            out += padded[r + dx:r + dx + width, r + dy:r + dy + height]
        return out

    def _padded(self, values: np.ndarray, r: int) -> np.ndarray:
        """`values` with `r` cells more on every side: zeros, or the grid wrapped on a torus."""
        if self.torus:
            return np.pad(values, r, mode="wrap")
        width, height = self.shape
        padded = np.zeros((width + 2 * r, height + 2 * r), dtype=values.dtype)
        padded[r:r + width, r:r + height] = values
        return padded

    def _row_sums(self, values: np.ndarray) -> np.ndarray:
        """Sums of row windows: each dx contributes cells dy in -h(dx)..h(dx)."""
        assert self._half_widths is not None
        width, height = self.shape
        r = (len(self._half_widths) - 1) // 2
        padded = self._padded(values, r)
        cum = np.zeros((width + 2 * r, height + 2 * r + 1), dtype=values.dtype)
        np.cumsum(padded, axis=1, out=cum[:, 1:])
        windows = {h: cum[:, r + h + 1:r + h + 1 + height] - cum[:, r - h:r - h + height]
                   for h in set(self._half_widths.tolist())}
        out = np.zeros(self.shape, dtype=values.dtype)
        for dx, h in zip(range(-r, r + 1), self._half_widths.tolist(), strict=True):
            out += windows[h][r + dx:r + dx + width]
        if not self.include_center:
            out -= values
        return out


SHIFTED_SUM_OFFSETS = 12
"""Up to this many offsets, real-valued sums add shifted grids rather than row windows."""


def _wrapped(size: int, pad: int, torus: bool, outside: int) -> np.ndarray:
    """Coordinates -pad..size-1+pad, indexed from 0: wrapped on a torus, else -outside off it."""
    at = np.arange(-pad, size + pad)
    if torus:
        return at % size
    return np.where((at >= 0) & (at < size), at, -outside)


def _row_runs(offsets: np.ndarray, reach: int) -> np.ndarray:
    """For each dx in -reach..reach, h such that the neighbourhood's dy run is -h..h."""
    runs = np.empty(2 * reach + 1, dtype=np.int64)
    for i, dx in enumerate(range(-reach, reach + 1)):
        dy = np.sort(offsets[offsets[:, 0] == dx, 1])
        h = int(dy[-1])
        if dy[0] != -h or len(dy) != 2 * h + 1:
            raise ValueError(f"neighbourhood row dx={dx} is not a run -h..h: {dy}")
        runs[i] = h
    return runs


@dataclass(frozen=True)
class Neighbourhoods:
    """The neighbourhood sums the civilian phase needs, built once per model."""

    actives_in_vision: NeighbourhoodSum  # Epstein's vision, without the civilian's own cell
    units_in_vision: NeighbourhoodSum
    seen_by_units: NeighbourhoodSum  # what a security unit sees from its cell
    witnessed: NeighbourhoodSum  # where a civilian sees abuses and incidents
    contacted: NeighbourhoodSum  # where a civilian meets patrols
    social: NeighbourhoodSum  # whose trust a civilian hears (Moore, without own cell)

    @classmethod
    def from_scenario(cls, scenario: ModelParams) -> Neighbourhoods:
        """The sums for the scenario's grid, vision and trust radii."""
        shape = (scenario.space.width, scenario.space.height)
        torus = scenario.space.torus

        def nsum(radius: float, metric: Metric = "von_neumann", center: bool = True
                 ) -> NeighbourhoodSum:
            return NeighbourhoodSum(shape, radius, metric, center, torus)

        a = scenario.activation
        trust = scenario.trust
        sec = scenario.security
        return cls(nsum(a.vision, a.neighbourhood, center=False), nsum(a.vision, a.neighbourhood),
                   nsum(sec.vision, sec.neighbourhood),
                   nsum(trust.witness_radius), nsum(trust.contact_radius),
                   nsum(trust.social_radius, "moore", center=False))


@dataclass(frozen=True)
class Layout:
    """Where everything is: the grid, each cell's district, each civilian's home."""

    shape: tuple[int, int]
    torus: bool
    district_of_cell: np.ndarray  # district id per cell, shape (width, height)
    civilian_at: np.ndarray  # civilian index per cell, -1 where nobody lives
    district_members: list[np.ndarray]  # civilian indices of each district
    free_cells: list[np.ndarray]  # per district, the (x, y) of cells with no home
    all_cells: list[np.ndarray]  # per district, the (x, y) of all its cells
    unit_vision_offsets: np.ndarray  # what a security unit sees, each cell once
    patrol_offsets: np.ndarray  # where a security unit may move in a step, each cell once

    def cells_for_units(self, district: int) -> np.ndarray:
        """Where a unit may be placed: the district's cells with no home, else all its cells."""
        free = self.free_cells[district]
        return free if len(free) else self.all_cells[district]


def unit_vision_offsets(scenario: ModelParams) -> np.ndarray:
    """Offsets a security unit sees (`security.neighbourhood`, its own cell included).

    On a torus narrower than the vision, a cell is seen once.
    """
    sec = scenario.security
    return _each_cell_once(scenario, neighbourhood_offsets(sec.vision, sec.neighbourhood, True))


def patrol_offsets(scenario: ModelParams) -> np.ndarray:
    """Offsets a security unit may move by in a step, each cell once.

    Von Neumann within `security.patrol_radius`, staying put included.
    """
    offsets = neighbourhood_offsets(scenario.security.patrol_radius, "von_neumann", True)
    return _each_cell_once(scenario, offsets)


def _each_cell_once(scenario: ModelParams, offsets: np.ndarray) -> np.ndarray:
    """On a torus, offsets that reach the same cell merged into one (non-negative) offset."""
    if not scenario.space.torus:
        return offsets
    return np.unique(offsets % np.array([scenario.space.width, scenario.space.height]), axis=0)
