"""The activation phase's inner loops, compiled with numba: decisions, arrests, kept counts.

At 10,000 civilians a step makes eight decision batches and nine arrest turns, each a few
dozen changes; as numpy calls each costs tens of microseconds of fixed overhead, so these
loops run compiled (benchmarks/README.md, "The speed issue"). The callers make the random
draws with numpy, in the model's order, and the arrest probability is read from a table
that `mechanisms.arrest_probability` fills, so the numbers are those a numpy version gives,
to the bit. Compiled code is cached on disk (`cache=True`) after its first use.

Importing numba takes about 120 MiB, so this module is imported where a kernel is first
called (`space.NeighbourhoodSum`, `security.Actives`), not with the model package: a process
that never builds a model (a batch's parent) does not load it. Grids are passed flat (cell
x * height + y); `space.Scatter` and `space.Sight` describe the geometry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

from .population import CivilianState

if TYPE_CHECKING:
    from .space import Scatter, Sight

QUIESCENT, ACTIVE, JAILED = (s.value for s in CivilianState)
"""The states as plain ints for compiled code."""


@numba.njit(cache=True)
def _add_around(out: np.ndarray, tables: Scatter, x: int, y: int, weight: int) -> None:
    """Add `weight` to every cell of flat `out` whose neighbourhood holds (x, y)."""
    for o in range(tables.row_shift.size):
        target = tables.rows[x + tables.row_shift[o]] + tables.cols[y + tables.col_shift[o]]
        if target >= 0:
            out[target] += weight


@numba.njit(cache=True)
def scatter(out: np.ndarray, tables: Scatter, xs: np.ndarray, ys: np.ndarray,
            weights: np.ndarray) -> None:
    """Add weights[i] to every cell of flat `out` whose neighbourhood holds (xs[i], ys[i])."""
    for i in range(xs.size):
        _add_around(out, tables, xs[i], ys[i], weights[i])


@numba.njit(cache=True)
def _sighted(sight: Sight, x: int, y: int, o: int) -> int:
    """The flat cell at the `o`-th offset of the vision from (x, y); -1 off a bounded grid."""
    cx, cy = x + sight.offsets[o, 0], y + sight.offsets[o, 1]
    if sight.torus:
        cx, cy = cx % sight.width, cy % sight.height
    elif cx < 0 or cx >= sight.width or cy < 0 or cy >= sight.height:
        return -1
    return cx * sight.height + cy


@numba.njit(cache=True)
def seen_by_units(ux: np.ndarray, uy: np.ndarray, grid: np.ndarray, table: np.ndarray,
                  from_table: bool, sight: Sight) -> np.ndarray:
    """Actives in the sight of units at (ux, uy).

    The civilians' `table` plus the unit's own cell when `from_table`, else a count of flat
    `grid` over the unit's vision.
    """
    seen = np.zeros(ux.size, dtype=np.int64)
    for j in range(ux.size):
        x, y = ux[j], uy[j]
        if from_table:
            cell = x * sight.height + y
            seen[j] = table[cell] + grid[cell]
            continue
        for o in range(sight.offsets.shape[0]):
            cell = _sighted(sight, x, y, o)
            if cell >= 0:
                seen[j] += grid[cell]
    return seen


@numba.njit(cache=True)
def arrest(units: np.ndarray, draws: np.ndarray, terms: np.ndarray, capacity: np.ndarray,
           ux: np.ndarray, uy: np.ndarray, state: np.ndarray, jail_left: np.ndarray,
           active: np.ndarray, grid: np.ndarray, table: np.ndarray, homes_x: np.ndarray,
           homes_y: np.ndarray, from_table: bool, sight: Sight, tables: Scatter) -> int:
    """Epstein's rule C for `units`, one after another; returns the number jailed.

    A unit tries when its draw falls below its capacity and it sees an active as the turn
    begins; it then jails the active in sight (in its vision's order, as they stand now) at
    position int(draw * count), for `terms[j]` steps. The kept counts follow at the end.
    """
    n = units.size
    seen = seen_by_units(ux[units], uy[units], grid, table, from_table, sight)
    in_sight = np.empty(sight.offsets.shape[0], dtype=np.int64)
    jailed = np.empty(n, dtype=np.int64)
    count = 0
    for j in range(n):
        if not (draws[j, 0] < capacity[units[j]] and seen[j] > 0):
            continue
        x, y = ux[units[j]], uy[units[j]]
        m = 0
        for o in range(sight.offsets.shape[0]):
            cell = _sighted(sight, x, y, o)
            if cell < 0:
                continue
            civ = sight.civilian_at[cell]
            if civ >= 0 and state[civ] == ACTIVE:
                in_sight[m] = civ
                m += 1
        if m == 0:
            continue  # earlier arrests in this turn took them
        target = in_sight[int(draws[j, 1] * m)]
        state[target] = JAILED
        jail_left[target] = terms[j]
        jailed[count] = target
        count += 1
    for k in range(count):
        civ = jailed[k]
        active[civ] = False
        grid[homes_x[civ] * sight.height + homes_y[civ]] = 0
        _add_around(table, tables, homes_x[civ], homes_y[civ], -1)
    return count


@numba.njit(cache=True)
def decide(rows: np.ndarray, homes: np.ndarray, units: np.ndarray, grievance: np.ndarray,
           risk: np.ndarray, p_arrest: np.ndarray, threshold: float, state: np.ndarray,
           jail_left: np.ndarray, active: np.ndarray, grid: np.ndarray, table: np.ndarray,
           homes_x: np.ndarray, homes_y: np.ndarray, tables: Scatter) -> None:
    """Epstein's rule A for one batch, all reading the actives as the batch begins.

    A member with a jail term left serves a step of it instead. The others are active iff
    G - R P > T, P = p_arrest[units in vision, actives in vision]; the kept counts follow.
    """
    n = rows.size
    now = np.empty(n, dtype=np.int8)  # the new state, or -1 for those serving
    for j in range(n):
        civ = rows[j]
        if jail_left[civ] > 0:
            jail_left[civ] -= 1
            now[j] = -1
        elif grievance[j] - risk[j] * p_arrest[units[j], table[homes[j]]] > threshold:
            now[j] = ACTIVE
        else:
            now[j] = QUIESCENT
    for j in range(n):
        if now[j] < 0:
            continue
        civ = rows[j]
        state[civ] = now[j]
        is_active = now[j] == ACTIVE
        if is_active != active[civ]:
            active[civ] = is_active
            grid[homes[j]] = 1 if is_active else 0
            _add_around(table, tables, homes_x[civ], homes_y[civ], 1 if is_active else -1)
