"""The budget ledger of a step."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssrsim.model.districts import Districts
from ssrsim.model.ledger import DDR, ENGAGEMENT, OVERSIGHT, SERVICES, TRAINING, Ledger
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




def test_activity_positions_follow_the_schema_order():
    assert ACTIVITIES[ENGAGEMENT] == "engagement" and ACTIVITIES[DDR] == "ddr"


def test_opened_ledger_caps_each_cmo_units_budget_at_its_throughput():
    scenario = TWO_DISTRICTS.model_copy(update={"cmo": TWO_DISTRICTS.cmo.model_copy(
        update={"throughput": 2.0})})
    districts = Districts.from_scenario(scenario, np.array([30, 40]))
    allocation = np.array([0.2, 0.2, 0.2, 0.2, 0.2])
    assert Ledger.open(scenario, 100.0, allocation, districts, 3).cmo_budget_per_unit == 2.0
    assert Ledger.open(scenario, 5.0, allocation, districts, 3).cmo_budget_per_unit == (
        pytest.approx(1.0))
    assert Ledger.open(scenario, 5.0, allocation, districts, 0).cmo_budget_per_unit == 0.0
