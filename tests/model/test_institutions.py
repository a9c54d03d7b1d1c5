"""National institutions: budget modifiers, accountability record, legitimacy, update."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model.institutions import BudgetModifier, Institutions
from ssrsim.model.phases import update_institutions
from ssrsim.scenario.schema import Scenario


def test_institutions_from_scenario():
    scenario = Scenario.model_validate({"institutions": {"oversight": 0.3, "judicial": 0.1},
                                        "budget": {"allocation": {
                                            "engagement": 0.1, "services": 0.2,
                                            "training": 0.3, "oversight": 0.15,
                                            "ddr": 0.25}}})
    inst = Institutions.from_scenario(scenario)
    assert inst.oversight == 0.3 and inst.judicial == 0.1
    np.testing.assert_allclose(inst.allocation, [0.1, 0.2, 0.3, 0.15, 0.25])
    assert inst.history.maxlen == scenario.institutions.accountability_days // 7


def test_budget_modifiers_expire():
    inst = Institutions.from_scenario(Scenario())
    inst.modifiers = [BudgetModifier(0.5, until=5), BudgetModifier(2.0, None),
                      BudgetModifier(0.1, until=3)]
    inst.expire_modifiers(2)
    assert inst.budget(10.0) == pytest.approx(10.0 * 0.5 * 2.0 * 0.1)
    inst.expire_modifiers(3)
    assert inst.budget(10.0) == pytest.approx(10.0 * 0.5 * 2.0)
    assert len(inst.modifiers) == 2
    assert inst.budget(10.0) == pytest.approx(10.0 * 0.5 * 2.0)  # a lookup changes nothing
    inst.expire_modifiers(5)
    assert inst.budget(10.0) == pytest.approx(20.0)
    inst.expire_modifiers(500)
    assert inst.budget(10.0) == pytest.approx(20.0)
    assert [m.until for m in inst.modifiers] == [None]


def test_budget_without_modifiers_is_the_base():
    inst = Institutions.from_scenario(Scenario())
    assert inst.budget(7.5) == 7.5
    assert inst.budget(0.0) == 0.0


def test_sanction_rate_uses_the_trailing_window():
    scenario = Scenario.model_validate({"institutions": {"accountability_days": 21}})
    inst = Institutions.from_scenario(scenario)
    inst.expected_accountability = 0.07
    assert inst.sanction_rate() == 0.07
    inst.record(4, 1)
    assert inst.sanction_rate() == pytest.approx(0.25)
    inst.record(0, 0)
    inst.record(4, 3)
    assert inst.sanction_rate() == pytest.approx(0.5)
    inst.record(2, 0)  # the first record (4, 1) leaves the window
    assert inst.sanction_rate() == pytest.approx(3 / 6)
    inst.record(0, 0)
    inst.record(0, 0)
    inst.record(0, 0)
    assert inst.sanction_rate() == 0.07


def test_institutions_update_and_governance():
    scenario = Scenario()
    inst = Institutions.from_scenario(scenario)
    before = (inst.oversight, inst.judicial, inst.legislative, inst.civilian_control)
    update_institutions(scenario, inst, drive=1.0)
    assert inst.oversight > before[0]
    assert inst.judicial > before[1]
    assert inst.legislative > before[2]
    # C follows F: it moves toward the new legislative level (below C here, so C falls)
    p = scenario.institutions
    assert inst.civilian_control == pytest.approx(
        before[3] + p.control_adjustment * (inst.legislative - before[3]))
    assert inst.governance() == pytest.approx(
        (inst.oversight + inst.judicial + inst.legislative + inst.civilian_control) / 4)
    for _ in range(2000):
        update_institutions(scenario, inst, drive=1.0)
    for v in (inst.oversight, inst.judicial, inst.legislative, inst.civilian_control):
        assert 0.0 <= v <= 1.0


def test_institutions_decay_without_drive():
    scenario = Scenario()
    inst = Institutions.from_scenario(scenario)
    o = inst.oversight
    update_institutions(scenario, inst, drive=0.0)
    assert inst.oversight == pytest.approx(o * (1 - scenario.institutions.decay))




def test_gradual_legitimacy_changes_spread_over_their_steps():
    inst = Institutions.from_scenario(Scenario())
    inst.shift_legitimacy(-0.3, 3)
    inst.shift_legitimacy(0.1, 0)
    assert inst.legitimacy_shift == pytest.approx(0.1)
    for expected in (0.0, -0.1, -0.2):
        inst.advance_legitimacy()
        assert inst.legitimacy_shift == pytest.approx(expected)
    assert inst.legitimacy_ramps == []
    inst.advance_legitimacy()
    assert inst.legitimacy_shift == pytest.approx(-0.2)
