"""The grid's geometry: districts, neighbourhood offsets and fast neighbourhood sums.

The Mesa grid (`mesa.discrete_space`) holds the units; this module adds what the vectorised
civilian phase needs: per-cell district ids, and sums of a per-cell quantity over every cell's
neighbourhood, computed for all cells at once with one FFT convolution (exact for counts after
rounding), with zero padding when the grid does not wrap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.fft as sfft

Metric = Literal["von_neumann", "moore"]


def neighbourhood_offsets(radius: int, metric: Metric, include_center: bool) -> np.ndarray:
    """Offsets (dx, dy) of the cells within `radius`, as an (n, 2) int array."""
    r = np.arange(-radius, radius + 1)
    dx, dy = np.meshgrid(r, r, indexing="ij")
    if metric == "von_neumann":
        inside = np.abs(dx) + np.abs(dy) <= radius
    else:
        inside = np.maximum(np.abs(dx), np.abs(dy)) <= radius
    if not include_center:
        inside &= (dx != 0) | (dy != 0)
    return np.stack([dx[inside], dy[inside]], axis=1)


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
    radius: int
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
            r = self.radius
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
