"""The grid's geometry: districts, homes, neighbourhood offsets and fast neighbourhood sums.

The Mesa grid (`mesa.discrete_space`) holds the units; this module adds what the vectorised
civilian phase needs: per-cell district ids and homes (`Layout`), and sums of a per-cell
quantity over every cell's neighbourhood (`NeighbourhoodSum`, `Neighbourhoods`), computed for
all cells at once with one FFT convolution (exact for counts after rounding), with zero
padding when the grid does not wrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft

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


@dataclass
class NeighbourhoodSum:
    """Sum of a per-cell array over each cell's neighbourhood, for all cells at once."""

    shape: tuple[int, int]
    radius: float
    metric: Metric
    include_center: bool
    torus: bool
    _fshape: tuple[int, int] = field(init=False)
    _kernel_f: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        width, height = self.shape
        if self.torus:
            self._fshape = (width, height)
        else:  # zero padding wide enough that the circular convolution never wraps
            r = reach_of(self.radius)
            self._fshape = (max(width + r, 2 * r + 1), max(height + r, 2 * r + 1))
        kernel = np.zeros(self._fshape, dtype=np.float32)
        offsets = neighbourhood_offsets(self.radius, self.metric, self.include_center)
        # On a torus smaller than the kernel, a cell reached by several offsets counts once
        # (as in Mesa's neighbourhoods), and the centre stays excluded if asked.
        kernel[offsets[:, 0] % self._fshape[0], offsets[:, 1] % self._fshape[1]] = 1
        if not self.include_center:
            kernel[0, 0] = 0
        self._kernel_f = sfft.rfft2(kernel)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Neighbourhood sums of `values` (shape = grid shape), as float32."""
        width, height = self.shape
        padded = np.zeros(self._fshape, dtype=np.float32)
        padded[:width, :height] = values
        summed = sfft.irfft2(sfft.rfft2(padded) * self._kernel_f, s=self._fshape)
        return summed[:width, :height]

    def counts(self, values: np.ndarray) -> np.ndarray:
        """Neighbourhood sums of integer `values`, rounded back to exact integers."""
        return np.rint(self(values)).astype(np.int32)


def cells_within(
    x: int, y: int, offsets: np.ndarray, shape: tuple[int, int], torus: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the cells at `offsets` from (x, y) that lie on the grid."""
    xs = x + offsets[:, 0]
    ys = y + offsets[:, 1]
    if torus:
        return xs % shape[0], ys % shape[1]
    inside = (xs >= 0) & (xs < shape[0]) & (ys >= 0) & (ys < shape[1])
    return xs[inside], ys[inside]


@dataclass(frozen=True)
class Neighbourhoods:
    """The neighbourhood sums the civilian phase needs, built once per model."""

    actives_in_vision: NeighbourhoodSum  # Epstein's vision, without the civilian's own cell
    units_in_vision: NeighbourhoodSum
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
        return cls(nsum(a.vision, a.neighbourhood, center=False), nsum(a.vision, a.neighbourhood),
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

    def civilians_near(self, x: int, y: int, offsets: np.ndarray) -> np.ndarray:
        """Indices of civilians living at the given offsets from (x, y)."""
        xs, ys = cells_within(x, y, offsets, self.shape, self.torus)
        civ = self.civilian_at[xs, ys]
        return civ[civ >= 0]


def unit_vision_offsets(scenario: ModelParams) -> np.ndarray:
    """Offsets a security unit sees (`security.neighbourhood`, its own cell included).

    On a torus narrower than the vision, a cell is seen once.
    """
    sec = scenario.security
    offsets = neighbourhood_offsets(sec.vision, sec.neighbourhood, True)
    if scenario.space.torus:
        offsets = np.unique(offsets % np.array([scenario.space.width, scenario.space.height]),
                            axis=0)
    return offsets
