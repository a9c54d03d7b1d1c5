"""The map raster and its figure."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ssrsim.app import map as amap
from ssrsim.model.agents import NGO, CMOUnit, SecurityForceUnit
from ssrsim.model.model import SSRModel
from ssrsim.model.population import CivilianState


def test_civilian_rgba_places_each_colour_at_its_cell():
    x = np.array([0, 2, 4])
    y = np.array([1, 0, 2])
    colours = np.array([[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]], np.uint8)
    image = amap.civilian_rgba(x, y, colours, (5, 3))
    assert image.shape == (3, 5, 4) and image.dtype == np.uint8
    assert image[1, 0].tolist() == [255, 0, 0, 255]  # row y, column x
    assert image[0, 2].tolist() == [0, 255, 0, 255]
    assert image[2, 4].tolist() == [0, 0, 255, 255]
    empty = amap._rgba8(amap.EMPTY).tolist()
    assert image[0, 0].tolist() == empty
    assert sum(image[r, c].tolist() != empty for r in range(3) for c in range(5)) == 3


def test_trust_colours_run_from_dark_to_yellow_and_never_white():
    low, high = amap.trust_colours(np.array([0.0, 1.0]))
    assert low[:3].sum() < high[:3].sum()  # dark purple to bright yellow
    assert high[0] > high[2]  # yellow: more red than blue
    assert amap.trust_colours(np.array([-1.0, 2.0])).tolist() == [low.tolist(), high.tolist()]
    every = amap.trust_colours(np.linspace(0, 1, 256)).astype(int)
    empty = amap._rgba8(amap.EMPTY).astype(int)
    assert np.abs(every - empty)[:, :3].sum(axis=1).min() > 60  # "empty" is no trust colour


def test_the_legend_scale_is_the_map_scale():
    css = amap.trust_gradient_css(3)
    low, mid, high = amap.trust_colours(np.array([0.0, 0.5, 1.0]))
    for colour in (low, mid, high):
        assert f"rgb({colour[0]},{colour[1]},{colour[2]})" in css


def test_state_colours_follow_the_palette():
    states = np.array([CivilianState.QUIESCENT, CivilianState.ACTIVE, CivilianState.JAILED])
    colours = amap.state_colours(states)
    for state, colour in zip(states, colours, strict=True):
        assert colour.tolist() == amap._rgba8(amap.STATE_COLOURS[state]).tolist()


@pytest.fixture
def model(make_scenario):
    model = SSRModel(make_scenario())
    model.step()
    return model


def test_map_raster_of_a_model(model):
    pop = model.population
    for colour_by, expected in (("trust", amap.trust_colours(pop.trust)),
                                ("state", amap.state_colours(pop.state))):
        image = amap.map_raster(model, colour_by)
        assert image.shape == (model.layout.shape[1], model.layout.shape[0], 4)
        assert (image[pop.y, pop.x] == expected).all()
    with pytest.raises(ValueError, match="colour_by"):
        amap.map_raster(model, "hue")


def test_border_segments_of_a_two_by_two_layout():
    d = np.zeros((4, 6), dtype=int)  # width 4, height 6
    d[2:, :] += 1  # columns 2, 3 are the east half
    d[:, :3] += 2  # rows 0..2 are another row of districts
    segments = amap.border_segments(d)
    assert segments.shape == (4 + 6, 2, 2)  # 6 cell edges between x=1|2, 4 between y=2|3
    vertical = segments[segments[:, 0, 0] == segments[:, 1, 0]]
    assert set(vertical[:, 0, 0]) == {1.5}
    horizontal = segments[segments[:, 0, 1] == segments[:, 1, 1]]
    assert set(horizontal[:, 0, 1]) == {2.5}


def test_unit_positions_cover_every_unit(model):
    positions = amap.unit_positions(model)
    assert set(positions) == {layer.key for layer in amap.marker_layers()}
    security = sum(len(v) for k, v in positions.items() if ":" in k)
    assert security == len(model.of_type(SecurityForceUnit))
    assert len(positions["cmo"]) == len(model.of_type(CMOUnit))
    assert len(positions["ngo"]) == len(model.of_type(NGO))


def test_map_figure_renders_at_its_size_and_changes_with_the_model(model):
    figure = amap.MapFigure(model, title="test", width=420)
    first = figure.png("trust")
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.width == 420
    assert image.height == 420 + amap.MapFigure.TITLE_PX  # a square grid, plus the title
    assert figure.png("trust") == first  # same state, same picture
    assert figure.png("state") != first  # other colouring
    for _ in range(3):
        model.step()
    assert figure.png("trust") != first


def test_map_pixels_show_the_civilians_cells(model):
    figure = amap.MapFigure(model, width=240)  # a 24x24 grid: 10 pixels a cell
    pixels = figure.rgb("trust")
    raster = amap.map_raster(model, "trust")
    top = amap.MapFigure.TITLE_PX
    # the centre of cell (x, y) = (3, 20): y grows upward, so it is row 3 from the top
    assert pixels[top + 3 * 10 + 5, 3 * 10 + 5].tolist() == raster[20, 3, :3].tolist()


def test_the_exported_map_has_a_heading_the_map_and_its_legend(model):
    png = amap.export_png(model, "small: policy coordinated", "2004-01-12, step 1 of 20",
                          width=480)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 480
    assert image.height == amap.EXPORT_HEADING_PX + 480 + amap.EXPORT_LEGEND_PX
    pixels = np.asarray(image.convert("RGB"))
    live = amap.MapFigure(model, width=480).rgb("trust")[amap.MapFigure.TITLE_PX:]
    top = amap.EXPORT_HEADING_PX
    assert np.array_equal(pixels[top:top + 480], live)  # the page's map, pixel for pixel
    legend = pixels[top + 480:].reshape(-1, 3)
    for end in (0, 255):  # both ends of the trust scale are in the legend
        colour = amap._TRUST_LUT[end, :3]
        assert (np.abs(legend.astype(int) - colour).sum(axis=1) < 30).any()
    heading = pixels[:top].reshape(-1, 3)
    assert (heading.sum(axis=1) < 200).sum() > 100  # dark text in the heading
    by_state = np.asarray(Image.open(io.BytesIO(amap.export_png(
        model, "h", "s", width=480, colour_by="state"))).convert("RGB"))[top + 480:]
    active = amap._rgba8(amap.STATE_COLOURS[CivilianState.ACTIVE])[:3]
    assert (by_state.reshape(-1, 3) == active).all(axis=1).any()
