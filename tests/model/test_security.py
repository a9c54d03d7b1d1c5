"""The security phase on the unit arrays: reform, patrols, arrests, abuses and contacts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import stats

from ssrsim.model import CivilianState, ReformState, SSRModel, security
from ssrsim.model.forces import ARMY, POLICE
from ssrsim.model.record import StepRecord
from ssrsim.model.space import Layout


def arrest(model: SSRModel, rows: list[int], seed: int = 0) -> None:
    """Units at `rows` make their arrests, in that order, on the model's current state."""
    actives = security.Actives(model.population, model.neighbourhoods, model.layout)
    security.arrest(np.array(rows, dtype=np.int64), actives,
                    security.step_capacity(model.params, model.forces), params=model.params,
                    forces=model.forces, population=model.population,
                    rng=np.random.default_rng(seed), record=model.record)


def civilians_seen_from(layout: Layout, x: int, y: int) -> np.ndarray:
    """The civilians living in a unit's vision from (x, y), in its vision's order."""
    xs, ys = x + layout.unit_vision_offsets[:, 0], y + layout.unit_vision_offsets[:, 1]
    width, height = layout.shape
    if layout.torus:
        xs, ys = xs % width, ys % height
    else:
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        xs, ys = xs[inside], ys[inside]
    civ = layout.civilian_at[xs, ys]
    return civ[civ >= 0]


def one_unit_model(make_scenario, police: int = 1) -> SSRModel:
    return SSRModel(make_scenario({
        "space": {"width": 30, "height": 30, "district_grid": [1, 1]},
        "districts": [{"name": "all", "police": police}],
        "security": {"vision": 2, "capacity": {"police": 1.0, "army": 1.0}},
        "activation": {"max_jail_days": 35}, "time": {"spin_up_days": 0},
    }))


# -- arrests -----------------------------------------------------------------------------------


def test_arrest_jails_an_active_civilian_in_vision_only(make_scenario):
    model = one_unit_model(make_scenario)
    pop, f = model.population, model.forces
    dist = np.abs(pop.x - f.x[0]) + np.abs(pop.y - f.y[0])
    near, far = np.flatnonzero(dist <= 2), np.flatnonzero(dist > 10)
    assert near.size and far.size
    pop.state[:] = CivilianState.QUIESCENT
    pop.state[[near[0], far[0]]] = CivilianState.ACTIVE
    arrests = model.record.arrests
    arrest(model, [0])
    assert pop.state[near[0]] == CivilianState.JAILED
    assert 0 <= pop.jail_left[near[0]] <= 5
    assert pop.state[far[0]] == CivilianState.ACTIVE
    assert model.record.arrests == arrests + 1
    arrest(model, [0])  # nobody active in vision now: nothing happens
    assert pop.state[far[0]] == CivilianState.ACTIVE
    assert model.record.arrests == arrests + 1


def test_units_arrest_one_after_another(make_scenario):
    """Two units see the same single active: one takes her, the other then finds nobody."""
    model = one_unit_model(make_scenario, police=2)
    pop, f = model.population, model.forces
    f.x[:], f.y[:] = 15, 15
    dist = np.abs(pop.x - 15) + np.abs(pop.y - 15)
    (shared,) = np.flatnonzero(dist <= 2)[:1]
    pop.state[:] = CivilianState.QUIESCENT
    pop.state[shared] = CivilianState.ACTIVE
    arrest(model, [1, 0])
    assert pop.state[shared] == CivilianState.JAILED
    assert model.record.arrests == 1


def test_arrests_pick_uniformly_among_actives_in_vision(make_scenario):
    model = one_unit_model(make_scenario)
    pop, f = model.population, model.forces
    in_vision = civilians_seen_from(model.layout, int(f.x[0]), int(f.y[0]))
    picks: Counter[int] = Counter()
    for seed in range(600):
        pop.state[:] = CivilianState.QUIESCENT
        pop.state[in_vision[:4]] = CivilianState.ACTIVE
        arrest(model, [0], seed)
        (taken,) = np.flatnonzero(pop.state == CivilianState.JAILED)
        picks[int(taken)] += 1
    assert set(picks) == set(in_vision[:4].tolist())
    assert stats.chisquare(list(picks.values())).pvalue > 1e-3


def test_interleaved_arrests_take_actives_of_this_step(make_scenario, run):
    """With `interleaved`, units arrest between the civilians' batches, so civilians who
    turn active in this step's civilian phase are jailed in the same step."""
    model = run(make_scenario({
        "legitimacy": {"mode": "fixed", "fixed_value": 0.0},
        "activation": {"order": "interleaved"}, "time": {"steps": 4, "spin_up_days": 0},
        "security": {"capacity": {"police": 1.0, "army": 1.0}}}))
    assert model.timeseries()["arrests"].iloc[1:].min() > 0


# -- reform --------------------------------------------------------------------------------


def test_training_lasts_its_duration(make_scenario):
    model = SSRModel(make_scenario({"security": {"training_days": 21}}))
    f = model.forces
    f.reform[0], f.training_left[0] = ReformState.TRAINING, 3
    rng = np.random.default_rng(0)
    for _ in range(2):
        security.progress_reform(model.params, f, model.districts, model.institutions, rng)
        assert f.reform[0] == ReformState.TRAINING
    security.progress_reform(model.params, f, model.districts, model.institutions, rng)
    assert f.reform[0] == ReformState.REFORMED


def test_backsliding_and_intake_extremes(make_scenario):
    model = SSRModel(make_scenario({"security": {"backsliding_rate": 1.0}}))
    model.institutions.political_resistance = 1.0
    model.institutions.oversight = 0.0
    f = model.forces
    rng = np.random.default_rng(0)

    def progress() -> None:
        security.progress_reform(model.params, f, model.districts, model.institutions, rng)

    f.reform[:] = ReformState.REFORMED
    progress()
    assert (f.reform == ReformState.UNREFORMED).all()
    model.districts.training_per_unit[:] = 0.0  # no training money: nobody enters
    for _ in range(50):
        progress()
    assert (f.reform == ReformState.UNREFORMED).all()
    f.resistance[:] = 0.0  # no resistance and ample money: everyone enters almost surely
    model.districts.training_per_unit[:] = 1e9
    progress()
    assert (f.reform == ReformState.TRAINING).all()
    assert (f.training_left == model.params.security.training_days // 7).all()


# -- patrols -------------------------------------------------------------------------------


@pytest.mark.parametrize("torus", [False, True])
def test_patrols_draw_uniformly_from_the_cells_in_range_and_district(make_scenario, torus):
    """A unit in a district's corner has fewer cells to go to; each is equally likely."""
    model = SSRModel(make_scenario({"space": {"torus": torus},
                                    "security": {"patrol_radius": 2}}))
    f = model.forces
    w, h = model.layout.shape
    district_of = model.layout.district_of_cell
    corner = np.argwhere(district_of == f.district[0])[0]  # lowest x, then lowest y

    def apart(a: int, b: int, size: int) -> int:
        return min(abs(a - b), size - abs(a - b)) if torus else abs(a - b)

    allowed = {(int(x), int(y)) for x, y in np.argwhere(district_of == f.district[0])
               if apart(x, corner[0], w) + apart(y, corner[1], h) <= 2}
    rng = np.random.default_rng(1)
    seen: Counter[tuple[int, int]] = Counter()
    for _ in range(3000):
        f.x[0], f.y[0] = corner
        security.patrol(model.params, f, model.layout, rng)
        seen[int(f.x[0]), int(f.y[0])] += 1
    assert set(seen) == allowed
    assert stats.chisquare(list(seen.values())).pvalue > 1e-3


# -- abuses and contacts -------------------------------------------------------------------


def test_contacts_are_fair_for_reformed_unfair_for_unreformed_none_in_training(
        make_scenario):
    model = SSRModel(make_scenario({"security": {"abuse_rate": {"police": 0.0, "army": 0.0}}}))
    f = model.forces
    f.reform[:] = [ReformState(i % 3) for i in range(f.size)]
    record = StepRecord.empty(model.layout.shape)
    security.abuses_and_contacts(model.params, f, model.institutions, model.districts,
                                 model.outlook, np.random.default_rng(0), record)
    for code, force in ((POLICE, "police"), (ARMY, "army")):
        mine = f.kind == code
        assert record.fair_grid[force].sum() == np.sum(mine & (f.reform == ReformState.REFORMED))
        assert record.unfair_grid[force].sum() == np.sum(
            mine & (f.reform == ReformState.UNREFORMED))
        assert record.abuse_grid[force].sum() == 0
    assert record.abuses == 0


# -- what civilians and units see ----------------------------------------------------------


@pytest.mark.parametrize("torus", [False, True])
@pytest.mark.parametrize("unit_vision", [7, 3])  # 7: the civilians' table serves units too
def test_actives_seen_by_units_and_civilians_match_a_direct_count(make_scenario, torus,
                                                                  unit_vision):
    model = SSRModel(make_scenario({
        "space": {"torus": torus}, "activation": {"vision": 7},
        "security": {"vision": unit_vision}, "time": {"spin_up_days": 0}}))
    pop, layout = model.population, model.layout
    rng = np.random.default_rng(5)
    pop.state[:] = np.where(rng.random(pop.size) < 0.1, CivilianState.ACTIVE,
                            CivilianState.QUIESCENT)
    actives = security.Actives(pop, model.neighbourhoods, layout)
    flip = rng.choice(pop.size, 40, replace=False)  # some turn active, some quiet
    now = pop.state[flip] != CivilianState.ACTIVE
    pop.state[flip] = np.where(now, CivilianState.ACTIVE, CivilianState.QUIESCENT)
    actives.mark(flip, now)
    active = pop.state == CivilianState.ACTIVE
    ux, uy = model.forces.x, model.forces.y
    for i in range(len(ux)):
        sight = civilians_seen_from(layout, int(ux[i]), int(uy[i]))
        assert actives.seen_by_units(ux[i:i + 1], uy[i:i + 1])[0] == active[sight].sum()
    civ = np.flatnonzero(~active)[:30]
    for i in civ:
        d = np.abs(pop.x - pop.x[i]), np.abs(pop.y - pop.y[i])
        if torus:
            w, h = layout.shape
            d = np.minimum(d[0], w - d[0]), np.minimum(d[1], h - d[1])
        near = (d[0] + d[1] <= 7) & (np.arange(pop.size) != i)
        assert actives.seen_by_civilians[pop.x[i], pop.y[i]] == (active & near).sum()


def test_actives_catch_up_with_changes_made_elsewhere(make_scenario):
    """Kept across steps, the table equals a fresh count after `refresh`, few changes or many."""
    model = SSRModel(make_scenario({"time": {"spin_up_days": 0}}))
    pop, rng = model.population, np.random.default_rng(3)
    for share in (0.001, 0.3):  # a sparse change (scattered) and a dense one (recounted)
        flip = rng.random(pop.size) < share
        pop.state[flip] = np.where(pop.state[flip] == CivilianState.ACTIVE,
                                   CivilianState.QUIESCENT, CivilianState.ACTIVE)
        model.actives.refresh(pop)
        fresh = security.Actives(pop, model.neighbourhoods, model.layout)
        np.testing.assert_array_equal(model.actives.seen_by_civilians, fresh.seen_by_civilians)
        np.testing.assert_array_equal(model.actives.grid, fresh.grid)
