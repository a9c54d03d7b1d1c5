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


def test_trust_colours_run_from_red_to_blue():
    low, high = amap.trust_colours(np.array([0.0, 1.0]))
    assert low[0] > low[2]  # red
    assert high[2] > high[0]  # blue
    assert amap.trust_colours(np.array([-1.0, 2.0])).tolist() == [low.tolist(), high.tolist()]


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


def test_map_figure_renders_and_changes_with_the_model(model):
    figure = amap.MapFigure(model, title="test")
    first = figure.png("trust")
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.width == 500
    assert figure.png("trust") == first  # same state, same picture
    assert figure.png("state") != first  # other colouring
    for _ in range(3):
        model.step()
    assert figure.png("trust") != first
