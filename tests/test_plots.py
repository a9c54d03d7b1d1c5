"""The headline figure of one run (ssrsim.plots)."""

import numpy as np
import pytest

from ssrsim import load_scenario, run
from ssrsim.model.measures import HEADLINE, LABELS
from ssrsim.plots import headline_figure


@pytest.fixture(scope="module")
def drawn():
    scenario = load_scenario("scenarios/baseline.yaml",
                             overrides=["space.width=30", "space.height=30", "time.steps=6"])
    result = run(scenario, policy=None)
    return result.timeseries, headline_figure(result.timeseries, scenario, None)


def test_one_panel_per_headline_measure_in_order(drawn):
    _, fig = drawn
    assert [ax.get_title() for ax in fig.axes] == [LABELS[name] for name in HEADLINE]


def test_the_trust_panel_shows_trust_in_each_force_beside_the_mix(drawn):
    table, fig = drawn
    trust = fig.axes[HEADLINE.index("trust")]
    lines = {line.get_label(): line for line in trust.get_lines()
             if not line.get_label().startswith("_")}
    assert set(lines) == {"both forces", LABELS["police_trust"], LABELS["army_trust"]}
    for label, column in ((LABELS["police_trust"], "police_trust"),
                          (LABELS["army_trust"], "army_trust")):
        assert np.allclose(lines[label].get_ydata(), table[column])
    assert trust.get_legend() is not None
    others = [ax for ax in fig.axes if ax is not trust]
    assert all(ax.get_legend() is None for ax in others)
