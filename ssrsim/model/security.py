"""The security units' phase, for all units at once: reform, patrol, arrests, abuses, contacts.

Units act in a random order each step (Mesa's random sequential activation). Only arrests
depend on that order (an arrested active is gone for the units after); reform, patrols,
abuses and contacts depend only on a unit's own state and the state at the start of the
phase, so they are drawn for all units at once, and arrests are made one unit after another
in the step's order. Random numbers come from the model's generator in a fixed order.
"""

from __future__ import annotations

import numpy as np

from ..scenario.schema import ModelParams
from . import mechanisms as mech
from .districts import DistrictOutlook, Districts
from .forces import Forces, ReformState
from .institutions import Institutions
from .population import FORCES, CivilianState, Population
from .record import StepRecord, add_events
from .space import Layout, Neighbourhoods, Sight


class Actives:
    """Where the active civilians live, and how many of them civilians and units can see.

    `seen_by_civilians[x, y]`: actives in the vision of a civilian living at (x, y) (not
    counting herself); `seen_by_units(ux, uy)`: actives in the sight of units standing at
    those cells. Kept across steps and exact: `decide` and `arrest` (Epstein's rules A and
    C, compiled in `kernels`) record the changes they make, `refresh` catches up with any
    other change to the population's states (a recount only where something changed).
    """

    def __init__(self, population: Population, neighbourhoods: Neighbourhoods,
                 layout: Layout) -> None:
        n = neighbourhoods
        width, height = layout.shape
        self.grid = np.zeros(layout.shape, dtype=np.int8)
        self.homes = population.x * height + population.y  # flat cells; homes stay
        self._x, self._y = population.x, population.y
        self._active = np.zeros(population.size, dtype=bool)  # per civilian, as marked
        self._kernel = n.actives_in_vision
        self._civilians = self._kernel.counts(self.grid)
        # When a unit sees what a civilian sees plus its own cell, the table serves both.
        self._units_from_civilians = n.seen_by_units.is_with_centre(self._kernel)
        self._sight = Sight(layout.unit_vision_offsets.astype(np.int64),
                            layout.civilian_at.reshape(-1), width, height, layout.torus)
        self.refresh(population)

    def refresh(self, population: Population) -> None:
        """Catch up with the population's states as they are now."""
        now = population.state == CivilianState.ACTIVE.value
        changed = np.flatnonzero(now != self._active)
        if changed.size:
            self.mark(changed, now[changed])

    @property
    def seen_by_civilians(self) -> np.ndarray:
        """Actives each civilian's vision holds, by home cell."""
        return self._civilians

    @property
    def most_seen(self) -> int:
        """The most actives a civilian's vision can hold."""
        return self._kernel.cells

    def seen_by_units(self, ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
        """Actives in the sight of units standing at cells (ux, uy)."""
        from . import kernels  # numba on first use (see kernels)

        seen: np.ndarray = kernels.seen_by_units(
            np.asarray(ux, dtype=np.int64), np.asarray(uy, dtype=np.int64),
            self.grid.reshape(-1), self._civilians.reshape(-1), self._units_from_civilians,
            self._sight)
        return seen

    def mark(self, rows: np.ndarray, active: np.ndarray) -> None:
        """Record whether the civilians at `rows` (distinct) are active now."""
        changed = np.flatnonzero(active != self._active[rows])
        if changed.size == 0:
            return
        who, now = rows[changed], active[changed]
        self._active[who] = now
        cx, cy = self._x[who], self._y[who]
        self.grid[cx, cy] = now
        self._kernel.update(self._civilians, self.grid, cx, cy, np.where(now, 1, -1))

    def decide(self, rows: np.ndarray, homes: np.ndarray, units: np.ndarray,
               grievance: np.ndarray, risk: np.ndarray, p_arrest: np.ndarray,
               threshold: float, population: Population) -> None:
        """Epstein's rule A for the civilians at `rows`, deciding together.

        `homes`, `units` (in vision), `grievance` and `risk` are theirs, in the same order;
        `p_arrest[u, a]` is the estimated arrest probability with u units and a actives in
        vision. A civilian with a jail term left serves a step of it instead.
        """
        from . import kernels

        kernels.decide(rows, homes, units, grievance, risk, p_arrest, threshold,
                       population.state, population.jail_left, self._active,
                       self.grid.reshape(-1), self._civilians.reshape(-1), self._x, self._y,
                       self._kernel.scatter_tables)

    def arrest(self, units: np.ndarray, draws: np.ndarray, terms: np.ndarray,
               capacity: np.ndarray, forces: Forces, population: Population) -> int:
        """Epstein's rule C for the units at rows `units` of `forces`, one after another.

        `draws[j]`: unit j's uniforms for trying (against `capacity`) and for whom it takes;
        `terms[j]`: the jail term it gives. Returns how many were jailed.
        """
        from . import kernels

        jailed: int = kernels.arrest(
            units, draws, terms, capacity, forces.x, forces.y, population.state,
            population.jail_left, self._active, self.grid.reshape(-1),
            self._civilians.reshape(-1), self._x, self._y, self._units_from_civilians,
            self._sight, self._kernel.scatter_tables)
        return jailed


def progress_reform(params: ModelParams, forces: Forces, districts: Districts,
                    institutions: Institutions, rng: np.random.Generator) -> None:
    """Unreformed units enter training (funded intake), trainees finish, reformed back-slide."""
    sec = params.security
    weeks = params.time.weeks
    f = forces
    draw = rng.random(f.size)
    unreformed = f.reform == ReformState.UNREFORMED.value
    training = f.reform == ReformState.TRAINING.value
    reformed = f.reform == ReformState.REFORMED.value
    intake = mech.per_step(mech.training_intake(
        districts.training_per_unit[f.district], sec.training_half, f.resistance), weeks)
    inst = institutions
    backslide = mech.per_step(mech.backsliding_probability(
        sec.backsliding_rate, inst.political_resistance, inst.oversight), weeks)
    f.training_left[training] -= 1
    f.reform[training & (f.training_left <= 0)] = ReformState.REFORMED.value
    enter = unreformed & (draw < intake)
    f.reform[enter] = ReformState.TRAINING.value
    f.training_left[enter] = params.time.window_steps(sec.training_days)
    f.reform[reformed & (draw < backslide)] = ReformState.UNREFORMED.value


def patrol(params: ModelParams, forces: Forces, layout: Layout,
           rng: np.random.Generator) -> None:
    """Each unit moves to a cell drawn uniformly from those of its district in patrol range.

    Range: Von Neumann, `security.patrol_radius`, its own cell included (each cell once on
    a small torus). Draws an offset per unit and redraws for those that fall off the grid or
    outside their district.
    """
    if params.security.patrol_radius == 0:
        return
    offsets = layout.patrol_offsets
    f = forces
    width, height = layout.shape
    moving = np.arange(f.size)
    while moving.size:
        pick = offsets[rng.integers(0, len(offsets), moving.size)]
        x, y = f.x[moving] + pick[:, 0], f.y[moving] + pick[:, 1]
        if layout.torus:
            x, y = x % width, y % height
            ok = np.ones(moving.size, dtype=bool)
        else:
            ok = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        ok[ok] = layout.district_of_cell[x[ok], y[ok]] == f.district[moving[ok]]
        f.x[moving[ok]], f.y[moving[ok]] = x[ok], y[ok]
        moving = moving[~ok]


def act(params: ModelParams, forces: Forces, population: Population, layout: Layout,
        actives: Actives, districts: Districts, institutions: Institutions,
        outlook: DistrictOutlook, rng: np.random.Generator, record: StepRecord) -> np.ndarray:
    """The security phase: reform, patrols, arrests, abuses and contacts.

    Arrests happen here with `activation.order: units_first`; with `interleaved` the
    civilian phase makes them between its batches. Returns the step's random order of the
    units (rows of `forces`).
    """
    order = rng.permutation(forces.size)
    progress_reform(params, forces, districts, institutions, rng)
    patrol(params, forces, layout, rng)
    if params.activation.order == "units_first":
        _arrest_in_order(order, params, forces, population, actives, rng, record)
    abuses_and_contacts(params, forces, institutions, districts, outlook, rng, record)
    return order


def settle(params: ModelParams, forces: Forces, population: Population, layout: Layout,
           actives: Actives, rng: np.random.Generator, record: StepRecord) -> None:
    """Before step 0 (spin-up): units patrol and arrest, in a random order; nothing else."""
    order = rng.permutation(forces.size)
    patrol(params, forces, layout, rng)
    _arrest_in_order(order, params, forces, population, actives, rng, record)


def _arrest_in_order(order: np.ndarray, params: ModelParams, forces: Forces,
                     population: Population, actives: Actives, rng: np.random.Generator,
                     record: StepRecord) -> None:
    """Every unit's arrest, one after another in `order`, before civilians decide."""
    actives.refresh(population)
    arrest(order, actives, step_capacity(params, forces), params=params, forces=forces,
           population=population, rng=rng, record=record)


def step_capacity(params: ModelParams, forces: Forces) -> np.ndarray:
    """Each unit's probability of an arrest over the step when actives are in vision."""
    return np.asarray(mech.per_step(forces.capacity(params), params.time.weeks))


def arrest(rows: np.ndarray, actives: Actives, capacity: np.ndarray, *, params: ModelParams,
           forces: Forces, population: Population, rng: np.random.Generator,
           record: StepRecord) -> None:
    """Epstein's rule C for the units at `rows`, one after another in that order.

    A unit with actives in vision arrests one of them, picked uniformly, with its capacity
    (`capacity`, per unit over the step); the jail term is drawn from 0..J steps.
    """
    draws = rng.random((rows.size, 2))
    jail = params.time.steps_for(params.activation.max_jail_days)
    terms = rng.integers(0, jail + 1, rows.size)
    record.arrests += actives.arrest(rows, draws, terms, capacity, forces, population)


def abuses_and_contacts(params: ModelParams, forces: Forces, institutions: Institutions,
                        districts: Districts, outlook: DistrictOutlook,
                        rng: np.random.Generator, record: StepRecord) -> None:
    """Abuses (by reform state and deterrence), their reports and sanctions, and contacts.

    A witness (with the district's mean cooperation, as of the last civilian phase) or NGO
    monitors may report an abuse; a reported abuse may be sanctioned. Every unit not in
    training makes a contact where it stands: fair if reformed, unfair if unreformed
    (assumption: trainees are under their trainers' supervision).
    """
    sec = params.security
    inst = institutions
    f = forces
    draws = rng.random((f.size, 3))
    reduction = np.array([0.0, sec.training_abuse_reduction,
                          sec.reformed_abuse_reduction])[f.reform]
    rate = np.array([getattr(sec.abuse_rate, k) for k in FORCES])[f.kind]
    p = mech.per_step(mech.abuse_probability(
        rate, reduction, inst.oversight, inst.sanction_rate(), sec.oversight_deterrence,
        sec.sanction_deterrence), params.time.weeks)
    abused = draws[:, 0] < p
    p_report = mech.report_probability(outlook.cooperation[f.district],
                                       districts.monitoring[f.district])
    reported = abused & (draws[:, 1] < p_report)
    sanctioned = reported & (draws[:, 2] < mech.sanction_probability(inst.oversight,
                                                                      inst.judicial))
    record.abuses += int(abused.sum())
    record.abuses_reported += int(reported.sum())
    record.abuses_sanctioned += int(sanctioned.sum())
    for code, force in enumerate(FORCES):
        mine = f.kind == code
        add_events(record.abuse_grid[force], f.x[mine & abused], f.y[mine & abused])
        fair = mine & (f.reform == ReformState.REFORMED.value)
        unfair = mine & (f.reform == ReformState.UNREFORMED.value)
        add_events(record.fair_grid[force], f.x[fair], f.y[fair])
        add_events(record.unfair_grid[force], f.x[unfair], f.y[unfair])
