"""Docking: scenarios/epstein.yaml against Mesa's own Epstein example, under both of Mesa's
neighbourhoods, at two of Epstein's (2002) parameter sets each.

| set | ssrsim policy | Mesa grid, radius | L, J_max | seeds x steps |
|---|---|---|---|---|
| Run 2, Von Neumann | run2 | Von Neumann, 7 | 0.82, 30 | 6 x 100 |
| Run 2, Moore | run2_moore | Moore, 7 | 0.82, 30 | 6 x 100 |
| Run 1, Von Neumann | run1_von_neumann | Von Neumann, 1 | 0.89, 15 | 8 x 60 |
| Run 1, Moore | run1 (Euclidean 1.7) | Moore, 1 | 0.89, 15 | 8 x 60 |

Euclidean vision 1.7 is exactly Moore radius 1 (the 8 surrounding cells), so Run 1 docks
Epstein's own vision. Mesa's grids take whole radii only, so no other Euclidean vision can be
docked with Mesa's example (docs/validation.md §1.1).

Design. Both models run the same seeds with movement off. Mesa's example fills each cell with a
citizen or a cop at random (so cop counts vary by about ±8 around 64); ssrsim gets, per seed,
exactly the counts of Mesa's run on that seed, since jailing falls steeply with the number of
cops. Per run, the time average after a burn-in of 20 steps; the per-run averages of actives
and jailed must come from indistinguishable distributions (Mann-Whitney p > 0.01) and have
means within a factor of 1.6 (or within 1 when both are below 2, as actives under Moore radius
7, where any active is quickly arrested). With 6 runs a side, Mann-Whitney can still reject
(its smallest two-sided p is 0.002). Run 2 under Von Neumann must show outbursts (Epstein's
punctuated equilibrium). About 90 s in all, mostly Mesa's Moore and Von Neumann radius-7 runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from ssrsim import load_scenario
from ssrsim.docking import docked_pair

pytestmark = pytest.mark.slow  # 56 runs, about 90 s

BURN_IN = 20
OUTBURST = 50  # actives, Epstein's definition of an outburst


@dataclass(frozen=True)
class DockingSet:
    """One comparison: an ssrsim policy of scenarios/epstein.yaml and Mesa's grid for it."""

    policy: str
    grid: str  # Mesa's grid_type
    seeds: int
    steps: int


SETS = {
    "run2_von_neumann": DockingSet("run2", "Von Neumann", 6, 100),
    "run2_moore": DockingSet("run2_moore", "Moore", 6, 100),
    "run1_von_neumann": DockingSet("run1_von_neumann", "Von Neumann", 8, 60),
    "run1_moore": DockingSet("run1", "Moore", 8, 60),
}


@pytest.fixture(scope="module", params=list(SETS))
def runs(request) -> tuple[str, np.ndarray, np.ndarray]:
    s = SETS[request.param]
    scenario = load_scenario("scenarios/epstein.yaml", policy=s.policy)
    assert scenario.activation.rounding == "round"  # Mesa's example rounds C/A
    assert scenario.activation.order == "interleaved"  # Mesa's one shuffled sequence
    expected = {"Von Neumann": "von_neumann", "Moore": "moore"}[s.grid]
    if scenario.activation.neighbourhood == "euclidean":  # 1.7 is Moore radius 1 exactly
        assert s.grid == "Moore" and 1.5 <= scenario.activation.vision < 2
    else:
        assert scenario.activation.neighbourhood == expected
    pairs = [docked_pair(scenario, seed, s.grid, s.steps) for seed in range(s.seeds)]
    return request.param, np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


@pytest.mark.parametrize(("column", "name"), [(0, "active"), (1, "jailed")])
def test_time_averaged_counts_dock(runs, column, name):
    key, ssr, mesa = runs
    a = ssr[:, BURN_IN:, column].mean(axis=1)
    b = mesa[:, BURN_IN:, column].mean(axis=1)
    described = (f"{key} {name}: ssrsim {a.mean():.1f}±{a.std():.1f} vs Mesa "
                 f"{b.mean():.1f}±{b.std():.1f}")
    if max(a.mean(), b.mean()) < 2:
        assert abs(a.mean() - b.mean()) < 1, described
        return
    assert mannwhitneyu(a, b).pvalue > 0.01, described
    assert 1 / 1.6 < a.mean() / b.mean() < 1.6, described


@pytest.mark.parametrize("runs", ["run2_von_neumann"], indirect=True)  # Run 2's pattern
def test_run2_shows_outbursts_in_both(runs):
    _, ssr, mesa = runs
    assert (ssr[:, :, 0].max(axis=1) > OUTBURST).mean() >= 0.5
    assert (mesa[:, :, 0].max(axis=1) > OUTBURST).mean() >= 0.25
