"""Grid geometry: neighbourhood offsets, FFT neighbourhood sums, district blocks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssrsim.model.space import (
    Neighbourhoods,
    NeighbourhoodSum,
    district_map,
    neighbourhood_offsets,
    unit_vision_offsets,
)

METRICS = ("von_neumann", "moore", "euclidean")


# -- offsets --------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 7])
def test_von_neumann_offset_counts(radius):
    assert len(neighbourhood_offsets(radius, "von_neumann", False)) == 2 * radius * (radius + 1)
    assert len(neighbourhood_offsets(radius, "von_neumann", True)) == 2 * radius * (radius + 1) + 1


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 7])
def test_moore_offset_counts(radius):
    assert len(neighbourhood_offsets(radius, "moore", False)) == (2 * radius + 1) ** 2 - 1
    assert len(neighbourhood_offsets(radius, "moore", True)) == (2 * radius + 1) ** 2


@pytest.mark.parametrize(("radius", "count"), [(0, 1), (0.99, 1), (1, 5), (1.4, 5), (1.5, 9),
                                             (1.7, 9), (2, 13), (7, 149)])
def test_euclidean_offset_counts(radius, count):
    # lattice points within a disc (Gauss's circle problem: 1, 5, 9, 13, ..., 149 at r = 7)
    assert len(neighbourhood_offsets(radius, "euclidean", True)) == count
    assert len(neighbourhood_offsets(radius, "euclidean", False)) == count - 1


def test_euclidean_radius_sqrt2_reaches_the_diagonals():
    assert len(neighbourhood_offsets(2 ** 0.5, "euclidean", True)) == 9


@pytest.mark.parametrize("metric", ["von_neumann", "moore"])
def test_real_radius_is_floored_for_von_neumann_and_moore(metric):
    np.testing.assert_array_equal(neighbourhood_offsets(7.9, metric, True),
                                  neighbourhood_offsets(7, metric, True))
    np.testing.assert_array_equal(neighbourhood_offsets(1.7, metric, False),
                                  neighbourhood_offsets(1, metric, False))


def distance(off: np.ndarray, metric: str) -> np.ndarray:
    """Distance of each offset under a metric."""
    if metric == "von_neumann":
        return np.abs(off).sum(axis=1)
    if metric == "moore":
        return np.abs(off).max(axis=1)
    return np.sqrt((off.astype(float) ** 2).sum(axis=1))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("include_center", [True, False])
def test_offsets_are_unique_within_radius_and_centre_as_asked(metric, include_center):
    radius = 4
    off = neighbourhood_offsets(radius, metric, include_center)
    assert off.shape[1] == 2
    assert len({tuple(o) for o in off}) == len(off)
    dist = distance(off, metric)
    assert dist.max() == radius
    assert ((0, 0) in {tuple(o) for o in off}) == include_center


# -- neighbourhood sums against brute force ------------------------------------------------


def brute_force_sum(values: np.ndarray, radius: float, metric: str, include_center: bool,
                    torus: bool) -> np.ndarray:
    """Neighbourhood sums by enumerating each cell's neighbours; on a torus each cell once."""
    width, height = values.shape
    out = np.zeros(values.shape, dtype=np.float64)
    for x in range(width):
        for y in range(height):
            cells = set()
            reach = int(radius)
            for dx in range(-reach, reach + 1):
                for dy in range(-reach, reach + 1):
                    if metric == "euclidean":
                        inside = (dx * dx + dy * dy) ** 0.5 <= radius
                    elif metric == "von_neumann":
                        inside = abs(dx) + abs(dy) <= reach
                    else:
                        inside = max(abs(dx), abs(dy)) <= reach
                    if not inside:
                        continue
                    cx, cy = x + dx, y + dy
                    if torus:
                        cells.add((cx % width, cy % height))
                    elif 0 <= cx < width and 0 <= cy < height:
                        cells.add((cx, cy))
            if not include_center:
                cells.discard((x, y))
            out[x, y] = sum(values[c] for c in cells)
    return out


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 9),
    height=st.integers(1, 9),
    radius=st.one_of(st.integers(0, 11), st.floats(0, 11).map(lambda r: round(r, 3))),
    metric=st.sampled_from(METRICS),
    include_center=st.booleans(),
    torus=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.05, 0.5]),  # sparse grids scatter, dense ones sum rows
)
def test_neighbourhood_sum_matches_brute_force(width, height, radius, metric, include_center,
                                               torus, seed, density):
    values = (np.random.default_rng(seed).random((width, height)) < density).astype(np.float32)
    nsum = NeighbourhoodSum((width, height), radius, metric, include_center, torus)
    expected = brute_force_sum(values, radius, metric, include_center, torus)
    got = nsum.counts(values)
    assert got.shape == (width, height)
    np.testing.assert_array_equal(got, expected.astype(np.int32))
    np.testing.assert_allclose(nsum(values), expected, atol=1e-3)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("include_center", [True, False])
@pytest.mark.parametrize("torus", [True, False])
@pytest.mark.parametrize(("shape", "radius"), [((17, 11), 3), ((20, 20), 7), ((6, 5), 9),
                                               ((12, 9), 1.7), ((40, 40), 7.5)])
def test_neighbourhood_sum_fixed_cases(metric, include_center, torus, shape, radius):
    values = (np.random.default_rng(11).random(shape) < 0.4).astype(np.float32)
    nsum = NeighbourhoodSum(shape, radius, metric, include_center, torus)
    expected = brute_force_sum(values, radius, metric, include_center, torus)
    np.testing.assert_array_equal(nsum.counts(values), expected.astype(np.int32))


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    radius=st.sampled_from([0, 1, 1.7, 3, 7]),
    metric=st.sampled_from(METRICS),
    include_center=st.booleans(),
    torus=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    changes=st.integers(0, 400),
)
def test_counts_stay_exact_under_updates(shape, radius, metric, include_center, torus, seed,
                                         changes):
    """A table moved by `update` equals counting the changed grid afresh, few changes or many."""
    rng = np.random.default_rng(seed)
    nsum = NeighbourhoodSum(shape, radius, metric, include_center, torus)
    values = (rng.random(shape) < 0.2).astype(np.int8)
    counts = nsum.counts(values)
    xs, ys = rng.integers(0, shape[0], changes), rng.integers(0, shape[1], changes)
    cells = np.unique(np.stack([xs, ys], axis=1), axis=0)
    xs, ys = cells[:, 0], cells[:, 1]
    new = (rng.random(len(xs)) < 0.5).astype(np.int8)
    delta = new - values[xs, ys]
    values[xs, ys] = new
    nsum.update(counts, values, xs, ys, delta)
    expected = brute_force_sum(values, radius, metric, include_center, torus)
    np.testing.assert_array_equal(counts, expected.astype(np.int32))


@pytest.mark.parametrize("metric", METRICS)
def test_radius_wider_than_torus_counts_each_cell_once(metric):
    shape = (5, 4)
    ones = np.ones(shape, dtype=np.float32)
    with_centre = NeighbourhoodSum(shape, 12, metric, True, True)
    without = NeighbourhoodSum(shape, 12, metric, False, True)
    assert np.all(with_centre.counts(ones) == 20)
    assert np.all(without.counts(ones) == 19)


def test_neighbourhood_sum_weights_real_values():
    shape = (8, 6)
    values = np.random.default_rng(3).random(shape).astype(np.float32)
    nsum = NeighbourhoodSum(shape, 2, "moore", False, False)
    expected = brute_force_sum(values, 2, "moore", False, False)
    np.testing.assert_allclose(nsum(values), expected, rtol=1e-4, atol=1e-4)


def test_neighbourhood_sum_non_torus_has_no_wraparound():
    shape = (10, 10)
    values = np.zeros(shape, dtype=np.float32)
    values[0, 0] = 1
    counts = NeighbourhoodSum(shape, 2, "von_neumann", True, False).counts(values)
    assert counts[9, 9] == 0 and counts[9, 0] == 0 and counts[0, 9] == 0
    assert counts[2, 0] == 1 and counts[1, 1] == 1 and counts[2, 1] == 0
    torus_counts = NeighbourhoodSum(shape, 2, "von_neumann", True, True).counts(values)
    assert torus_counts[9, 9] == 1 and torus_counts[8, 0] == 1


# -- district_map ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "rows", "cols"),
    [(10, 10, 1, 1), (10, 10, 2, 2), (11, 7, 3, 4), (7, 13, 5, 2), (3, 3, 3, 3), (40, 24, 2, 3)],
)
def test_district_map_blocks(width, height, rows, cols):
    dm = district_map(width, height, rows, cols)
    assert dm.shape == (width, height)
    assert sorted(np.unique(dm).tolist()) == list(range(rows * cols))
    col_of_x = dm[:, 0] % cols
    row_of_y = dm[0, :] // cols
    # every block is the product of a column (x range) and a row (y range)
    expected = row_of_y[None, :] * cols + col_of_x[:, None]
    np.testing.assert_array_equal(dm, expected)
    # widths of columns and heights of rows differ by at most one cell
    col_widths = np.bincount(col_of_x, minlength=cols)
    row_heights = np.bincount(row_of_y, minlength=rows)
    assert col_widths.min() >= 1 and col_widths.max() - col_widths.min() <= 1
    assert row_heights.min() >= 1 and row_heights.max() - row_heights.min() <= 1
    # columns increase with x, rows increase downward (row 0 has the largest y)
    assert np.all(np.diff(col_of_x) >= 0)
    assert np.all(np.diff(row_of_y) <= 0)
    assert dm[0, height - 1] == 0
    assert dm[width - 1, height - 1] == cols - 1
    assert dm[0, 0] == (rows - 1) * cols
    assert dm[width - 1, 0] == rows * cols - 1


def test_district_map_two_by_two_quadrants():
    dm = district_map(4, 4, 2, 2)
    # x = column, y = row from the bottom: top-left quadrant is district 0
    assert dm[0, 3] == 0 and dm[1, 2] == 0
    assert dm[3, 3] == 1 and dm[2, 2] == 1
    assert dm[0, 0] == 2 and dm[1, 1] == 2
    assert dm[3, 0] == 3 and dm[2, 1] == 3
    assert np.all(np.bincount(dm.ravel()) == 4)


# -- the scenario's vision parameters -------------------------------------------------------


@pytest.mark.parametrize(("neighbourhood", "vision", "seen"), [
    ("von_neumann", 1, 5), ("von_neumann", 1.7, 5), ("moore", 1.7, 9), ("euclidean", 1.7, 9),
    ("euclidean", 7, 149), ("moore", 7, 225)])
def test_units_and_civilians_see_the_scenario_neighbourhood(make_scenario, neighbourhood,
                                                            vision, seen):
    scenario = make_scenario({
        "space": {"width": 20, "height": 20, "torus": True, "district_grid": [1, 1]},
        "districts": [{"name": "all"}],
        "activation": {"vision": vision, "neighbourhood": neighbourhood},
        "security": {"vision": vision, "neighbourhood": neighbourhood}})
    assert len(unit_vision_offsets(scenario)) == seen
    hoods = Neighbourhoods.from_scenario(scenario)
    ones = np.ones((20, 20), dtype=np.float32)
    assert np.all(hoods.units_in_vision.counts(ones) == seen)
    assert np.all(hoods.actives_in_vision.counts(ones) == seen - 1)
    assert np.all(hoods.witnessed.counts(ones) == 25)  # witness radius 3, Von Neumann


def test_units_see_each_cell_once_on_a_small_torus(make_scenario):
    scenario = make_scenario({
        "space": {"width": 5, "height": 5, "torus": True, "district_grid": [1, 1]},
        "districts": [{"name": "all"}], "population": {"density": 0.5},
        "security": {"vision": 4.5, "neighbourhood": "euclidean"}})
    off = unit_vision_offsets(scenario)
    assert len(off) == 25 and len({tuple(o) for o in off}) == 25


def test_repeated_counts_at_are_reused_only_for_the_same_points():
    nsum = NeighbourhoodSum((12, 9), 2, "von_neumann", True, False)
    rng = np.random.default_rng(4)
    px, py = rng.integers(0, 12, 30), rng.integers(0, 9, 30)  # points may share a cell
    x, y = rng.integers(0, 12, 50), rng.integers(0, 9, 50)

    def fresh(px: np.ndarray, py: np.ndarray) -> np.ndarray:
        grid = np.zeros((12, 9), dtype=np.int32)
        np.add.at(grid, (px, py), 1)
        return nsum.counts(grid)[x, y]

    first = nsum.repeated_counts_at(px, py, x, y)
    np.testing.assert_array_equal(first, fresh(px, py))
    assert nsum.repeated_counts_at(px.copy(), py.copy(), x, y) is first
    assert not first.flags.writeable
    px[3] = (px[3] + 1) % 12  # a point moves: counted afresh, not the remembered table
    np.testing.assert_array_equal(nsum.repeated_counts_at(px, py, x, y), fresh(px, py))


def test_counts_at_reuses_a_sparse_answer_only_for_the_same_events():
    nsum = NeighbourhoodSum((12, 9), 1, "von_neumann", True, True)
    rng = np.random.default_rng(5)
    homes = np.full((12, 9), -1)
    x, y = rng.integers(0, 12, 40), rng.integers(0, 9, 40)
    cells = np.unique(x * 9 + y)
    x, y = cells // 9, cells % 9
    homes[x, y] = np.arange(x.size)
    grid = np.zeros((12, 9), dtype=np.int32)
    grid[2, 3], grid[7, 8] = 1, 2
    first = nsum.counts_at(grid, homes, x, y)
    np.testing.assert_array_equal(first, nsum.counts(grid)[x, y])
    assert nsum.counts_at(grid.copy(), homes, x, y) is first and not first.flags.writeable
    grid[7, 8] = 1  # the same cells, another value: counted afresh
    np.testing.assert_array_equal(nsum.counts_at(grid, homes, x, y), nsum.counts(grid)[x, y])
