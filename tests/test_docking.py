"""Docking: scenarios/epstein.yaml against Mesa's own Epstein example at the same parameters.

Both models run several seeds with movement off; the time-averaged active and jailed counts
per run must come from indistinguishable distributions (Mann-Whitney), have close means, and
both models must show outbursts (Epstein's punctuated equilibrium).
"""

import numpy as np
import pytest
from mesa.examples.advanced.epstein_civil_violence.model import (
    EpsteinCivilViolence,
    EpsteinScenario,
)
from scipy.stats import mannwhitneyu

from ssrsim import SSRModel, load_scenario

pytestmark = pytest.mark.slow  # 16 runs of 150 steps (about a minute)

STEPS = 150
SEEDS = range(8)
BURN_IN = 20
OUTBURST = 50  # actives, Epstein's definition of an outburst


def ours(seed: int, scenario) -> np.ndarray:
    model = SSRModel(scenario, rng=seed)
    for _ in range(STEPS):
        model.step()
    return model.timeseries()[["active", "jailed"]].to_numpy()


def mesas(seed: int, scenario) -> np.ndarray:
    width, height = scenario.space.width, scenario.space.height
    district = scenario.districts[0]
    params = EpsteinScenario(
        rng=seed,
        citizen_density=scenario.population.density,
        cop_density=district.police / (width * height),
        citizen_vision=scenario.activation.vision,
        cop_vision=scenario.security.vision,
        legitimacy=scenario.legitimacy.fixed_value,
        max_jail_term=scenario.time.steps_for(scenario.activation.max_jail_days),
        active_threshold=scenario.activation.threshold,
        arrest_prob_constant=scenario.activation.arrest_constant,
        movement=False,
    )
    model = EpsteinCivilViolence(width=width, height=height, scenario=params)
    for _ in range(STEPS):
        model.step()
    return model.datacollector.get_model_vars_dataframe()[["active", "arrested"]].to_numpy()


@pytest.fixture(scope="module")
def runs():
    scenario = load_scenario("scenarios/epstein.yaml")
    assert scenario.activation.rounding == "round"  # Mesa's example rounds C/A
    ssr = np.array([ours(s, scenario) for s in SEEDS])
    mesa = np.array([mesas(s, scenario) for s in SEEDS])
    return ssr[:, :STEPS], mesa[:, :STEPS]


@pytest.mark.parametrize("column,name", [(0, "active"), (1, "jailed")])
def test_time_averaged_counts_dock(runs, column, name):
    ssr, mesa = runs
    a = ssr[:, BURN_IN:, column].mean(axis=1)
    b = mesa[:, BURN_IN:, column].mean(axis=1)
    p = mannwhitneyu(a, b).pvalue
    described = f"ssrsim {a.mean():.1f}±{a.std():.1f} vs Mesa {b.mean():.1f}±{b.std():.1f}"
    assert p > 0.01, f"{name}: {described}"
    assert 0.6 < a.mean() / b.mean() < 1.6, f"{name}: means {a.mean():.1f} vs {b.mean():.1f}"


def test_both_show_outbursts(runs):
    ssr, mesa = runs
    assert (ssr[:, :, 0].max(axis=1) > OUTBURST).mean() >= 0.5
    assert (mesa[:, :, 0].max(axis=1) > OUTBURST).mean() >= 0.25
