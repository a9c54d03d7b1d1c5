"""Per-district programme state."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model.districts import Districts, VisitProgramme
from ssrsim.scenario.schema import Scenario

TWO_DISTRICTS = Scenario.model_validate({
    "space": {"width": 10, "height": 10, "district_grid": [1, 2]},
    "districts": [{"name": "a", "access": 0.5}, {"name": "b", "access": 1.0}],
})


def test_districts_from_scenario_and_per_1000():
    d = Districts.from_scenario(TWO_DISTRICTS, np.array([500, 0]))
    np.testing.assert_allclose(d.access, [0.5, 1.0])
    np.testing.assert_allclose(d.per_1000(np.array([2.0, 3.0])), [4.0, 3000.0])
    for name in ("service_level", "crisis", "ddr_program", "engagement", "violence"):
        np.testing.assert_array_equal(getattr(d, name), [0.0, 0.0])


def test_visit_rates_standing_rate_then_newest_programme_until_it_ends():
    scenario = TWO_DISTRICTS.model_copy(
        update={"community_policing": TWO_DISTRICTS.community_policing.model_copy(
            update={"visits_per_year": 1.0})})
    d = Districts.from_scenario(scenario, np.array([40, 60]))
    assert d.visit_rates().tolist() == [1.0, 1.0]
    d.programmes.append(VisitProgramme(np.array([True, True]), 5.0, until=10))
    d.programmes.append(VisitProgramme(np.array([False, True]), 2.6, until=None))
    d.expire_programmes(9)
    assert d.visit_rates().tolist() == [5.0, 2.6]  # the newer programme wins where both run
    d.expire_programmes(10)
    assert d.visit_rates().tolist() == [1.0, 2.6]  # the first has ended
    assert len(d.programmes) == 1



def test_population_mean_weights_by_residents():
    d = Districts.from_scenario(TWO_DISTRICTS, np.array([30, 10]))
    assert d.population_mean(np.array([1.0, 0.0])) == pytest.approx(0.75)
