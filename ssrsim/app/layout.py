"""Where everything goes on one screen, from the browser window's size.

The page reports its window size; `screen_layout` gives the pixel sizes of the map(s), the
charts and the story panel so that all of them fit in the window without scrolling, and the
map and chart figures are drawn at exactly those sizes (so nothing is stretched).

Single mode: map | charts | story, in three columns. Compare mode: the two maps side by
side with the story panel under them, the charts on the right.
"""

from __future__ import annotations

from dataclasses import dataclass

TOP_PX = 52
"""The bar of run controls."""
MONITORS_PX = 92
"""The row of big numbers."""
LEGEND_PX = 66
"""The map legend under the map(s)."""
KEY_PX = 26
"""The key of run colours above the charts."""
GAP = 8
FOOTER_PX = 18
"""Solara's one-line footer at the bottom right."""
MAP_TITLE_PX = 24
"""The map figure's title strip (`MapFigure.TITLE_PX`)."""
SMALLEST = (960, 540)
"""Windows smaller than this are laid out as if they were this size (the page scrolls)."""


@dataclass(frozen=True)
class ScreenLayout:
    """Pixel sizes of the page's parts for one window size and mode."""

    width: int
    height: int
    main: int
    """Height of the area under the monitors."""
    map_width: int
    """Width of each map figure (its height follows the grid's shape)."""
    charts_width: int
    charts_height: int
    """Size of the chart figure."""
    side_width: int
    side_height: int
    """Size of the story panel."""


def screen_layout(width: int, height: int, maps: int, grid: tuple[int, int] = (1, 1)
                  ) -> ScreenLayout:
    """Lay out the page for a window of `width` x `height` pixels and 1 or 2 maps.

    Args:
        width: window width in pixels.
        height: window height in pixels.
        maps: 1 (single mode) or 2 (compare mode).
        grid: the map's grid (width, height) in cells, for its aspect.

    """
    width, height = max(width, SMALLEST[0]), max(height, SMALLEST[1])
    aspect = grid[1] / grid[0]
    main = height - TOP_PX - MONITORS_PX - 3 * GAP - FOOTER_PX
    tallest = (main - LEGEND_PX - MAP_TITLE_PX) / aspect  # widest map that fits in height
    if maps == 1:
        side = min(max(round(0.2 * width), 250), 400)
        map_width = int(min(0.4 * width, tallest))
        charts = width - map_width - side - 5 * GAP  # a gap's margin for rounding
        return ScreenLayout(width, height, main, map_width, charts, main - KEY_PX, side,
                            main)
    left = round(0.5 * width)
    map_width = int(min((left - GAP) / 2, tallest * 0.65))
    maps_height = round(map_width * aspect) + MAP_TITLE_PX
    left = 2 * map_width + GAP
    charts = width - left - 4 * GAP  # a gap's margin for rounding
    return ScreenLayout(width, height, main, map_width, charts, main - KEY_PX, left,
                        main - maps_height - LEGEND_PX - GAP)
