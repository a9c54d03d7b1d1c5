"""Institutions, Districts and the budget Ledger."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssrsim.model.institutions import (
    DDR,
    ENGAGEMENT,
    OVERSIGHT,
    SERVICES,
    TRAINING,
    BudgetModifier,
    Districts,
    Institutions,
    Ledger,
    VisitProgramme,
)
from ssrsim.scenario.schema import ACTIVITIES, Scenario

TWO_DISTRICTS = Scenario.model_validate({
    "space": {"width": 10, "height": 10, "district_grid": [1, 2]},
    "districts": [{"name": "a", "access": 0.5}, {"name": "b", "access": 1.0}],
})


def make_ledger(available: float, allocation, crisis=(0.0, 0.0), coordination=1.0,
                crisis_share=0.5, ngo_budget=1.0) -> Ledger:
    districts = Districts.from_scenario(TWO_DISTRICTS, np.array([30, 40]))
    districts.crisis = np.array(crisis, dtype=float)
    return Ledger(available=available, allocation=np.asarray(allocation, dtype=float),
                  coordination_factor=coordination, districts=districts,
                  crisis_share=crisis_share, ngo_budget=ngo_budget,
                  ngo_shares=(0.4, 0.4, 0.2))


# -- Institutions ---------------------------------------------------------------------------


def test_institutions_from_scenario():
    scenario = Scenario.model_validate({"institutions": {"oversight": 0.3, "judicial": 0.1},
                                        "budget": {"allocation": {
                                            "engagement": 0.1, "services": 0.2,
                                            "training": 0.3, "oversight": 0.15,
                                            "ddr": 0.25}}})
    inst = Institutions.from_scenario(scenario)
    assert inst.oversight == 0.3 and inst.judicial == 0.1
    np.testing.assert_allclose(inst.allocation, [0.1, 0.2, 0.3, 0.15, 0.25])
    assert inst.history.maxlen == scenario.institutions.accountability_window
    assert ACTIVITIES[ENGAGEMENT] == "engagement" and ACTIVITIES[DDR] == "ddr"


def test_budget_modifiers_expire():
    inst = Institutions.from_scenario(Scenario())
    inst.modifiers = [BudgetModifier(0.5, until=5), BudgetModifier(2.0, None),
                      BudgetModifier(0.1, until=3)]
    assert inst.budget(10.0, 2) == pytest.approx(10.0 * 0.5 * 2.0 * 0.1)
    assert inst.budget(10.0, 3) == pytest.approx(10.0 * 0.5 * 2.0)
    assert len(inst.modifiers) == 2
    assert inst.budget(10.0, 4) == pytest.approx(10.0)
    assert inst.budget(10.0, 5) == pytest.approx(20.0)
    assert inst.budget(10.0, 500) == pytest.approx(20.0)
    assert [m.until for m in inst.modifiers] == [None]


def test_budget_without_modifiers_is_the_base():
    inst = Institutions.from_scenario(Scenario())
    assert inst.budget(7.5, 0) == 7.5
    assert inst.budget(0.0, 10) == 0.0


def test_sanction_rate_uses_the_trailing_window():
    scenario = Scenario.model_validate({"institutions": {"accountability_window": 3}})
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
    inst.update(scenario, drive=1.0)
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
        inst.update(scenario, drive=1.0)
    for v in (inst.oversight, inst.judicial, inst.legislative, inst.civilian_control):
        assert 0.0 <= v <= 1.0


def test_institutions_decay_without_drive():
    scenario = Scenario()
    inst = Institutions.from_scenario(scenario)
    o = inst.oversight
    inst.update(scenario, drive=0.0)
    assert inst.oversight == pytest.approx(o * (1 - scenario.institutions.decay))


# -- Districts ------------------------------------------------------------------------------


def test_districts_from_scenario_and_per_1000():
    d = Districts.from_scenario(TWO_DISTRICTS, np.array([500, 0]))
    np.testing.assert_allclose(d.access, [0.5, 1.0])
    np.testing.assert_allclose(d.per_1000(np.array([2.0, 3.0])), [4.0, 3000.0])
    for name in ("service_level", "crisis", "ddr_program", "engagement", "violence"):
        np.testing.assert_array_equal(getattr(d, name), [0.0, 0.0])


# -- Ledger ---------------------------------------------------------------------------------


def test_ledger_pots_and_cmo_split():
    ledger = make_ledger(10.0, [0.25, 0.25, 0.2, 0.15, 0.15])
    assert ledger.pot(ENGAGEMENT) == pytest.approx(2.5)
    assert ledger.pot(OVERSIGHT) == pytest.approx(1.5)
    ledger.spend_cmo(0, 1.4)
    # split 0.25 : 0.25 : 0.2 of 1.4
    np.testing.assert_allclose(ledger.spent[[ENGAGEMENT, SERVICES, TRAINING]],
                               [0.5, 0.5, 0.4])
    # effectiveness scales with the district's access (0.5)
    assert ledger.effective["engagement"][0] == pytest.approx(0.25)
    assert ledger.effective["engagement"][1] == 0.0
    assert ledger.total_spent == pytest.approx(1.4)
    assert ledger.remaining == pytest.approx(8.6)


def test_ledger_crisis_response_first():
    ledger = make_ledger(10.0, [0.25, 0.25, 0.2, 0.15, 0.15], crisis=(0.0, 0.5),
                         coordination=0.8)
    ledger.spend_cmo(1, 2.0)
    assert ledger.crisis_spent == pytest.approx(1.0)
    assert ledger.effective["crisis"][1] == pytest.approx(0.8)
    assert ledger.spent.sum() == pytest.approx(1.0)
    assert ledger.total_spent == pytest.approx(2.0)


def test_ledger_ddr_and_oversight():
    ledger = make_ledger(10.0, [0.2, 0.2, 0.2, 0.2, 0.2])
    ledger.spend_ddr(np.array([10, 30]))
    assert ledger.spent[DDR] == pytest.approx(2.0)
    np.testing.assert_allclose(ledger.effective["ddr"], [2.0 * 0.25 * 0.5, 2.0 * 0.75])
    assert ledger.spend_oversight() == pytest.approx(2.0)
    empty = make_ledger(10.0, [0.2, 0.2, 0.2, 0.2, 0.2])
    empty.spend_ddr(np.array([0, 0]))
    assert empty.spent[DDR] == 0.0


def test_ngo_spending_is_not_programme_money():
    ledger = make_ledger(0.0, [0.2, 0.2, 0.2, 0.2, 0.2], ngo_budget=2.0)
    ledger.spend_ngo(0)
    assert ledger.total_spent == 0.0
    assert ledger.ngo_spent == 2.0
    assert ledger.advocacy == pytest.approx(0.4)
    assert ledger.effective["monitoring"][0] == pytest.approx(0.8 * 0.5)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("cmo"), st.integers(0, 1), st.floats(-5.0, 100.0)),
        st.tuples(st.just("ddr"), st.integers(0, 50), st.integers(0, 50)),
        st.tuples(st.just("oversight")),
        st.tuples(st.just("ngo"), st.integers(0, 1)),
    ),
    max_size=40,
)


@st.composite
def allocations(draw):
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5)))
    return raw / raw.sum() if raw.sum() > 0 else np.full(5, 0.2)


@settings(max_examples=300, deadline=None)
@given(
    available=st.floats(0.0, 1000.0),
    allocation=allocations(),
    crisis=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    crisis_share=st.floats(0.0, 1.0),
    ops=operations,
)
def test_ledger_never_spends_more_than_available(available, allocation, crisis, crisis_share,
                                                 ops):
    ledger = make_ledger(available, allocation, crisis=crisis, crisis_share=crisis_share)
    for op in ops:
        if op[0] == "cmo":
            ledger.spend_cmo(op[1], op[2])
        elif op[0] == "ddr":
            ledger.spend_ddr(np.array([op[1], op[2]]))
        elif op[0] == "oversight":
            ledger.spend_oversight()
        else:
            ledger.spend_ngo(op[1])
        assert ledger.total_spent <= available * (1 + 1e-12) + 1e-12
        assert np.all(ledger.spent >= 0) and ledger.crisis_spent >= 0
        assert 0.0 <= ledger.remaining <= available
        for key, values in ledger.effective.items():
            assert np.all(values >= 0), key


def test_visit_rates_standing_rate_then_newest_programme_until_it_ends():
    scenario = TWO_DISTRICTS.model_copy(
        update={"community_policing": TWO_DISTRICTS.community_policing.model_copy(
            update={"visits_per_year": 1.0})})
    d = Districts.from_scenario(scenario, np.array([40, 60]))
    assert d.visit_rates(0).tolist() == [1.0, 1.0]
    d.programmes.append(VisitProgramme(np.array([True, True]), 5.0, until=10))
    d.programmes.append(VisitProgramme(np.array([False, True]), 2.6, until=None))
    assert d.visit_rates(9).tolist() == [5.0, 2.6]  # the newer programme wins where both run
    assert d.visit_rates(10).tolist() == [1.0, 2.6]  # the first has ended
    assert len(d.programmes) == 1

