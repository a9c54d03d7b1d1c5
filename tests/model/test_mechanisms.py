"""The pure equations of ssrsim.model.mechanisms against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ssrsim.model import mechanisms as mech

unit = st.floats(0.0, 1.0, allow_nan=False)
counts = st.integers(0, 50)


# -- saturation and arrest probability ------------------------------------------------------


def test_saturation_is_half_at_the_half_saturation_point():
    assert mech.saturation(2.0, 2.0) == pytest.approx(0.5)
    assert mech.saturation(0.37, 0.37) == pytest.approx(0.5)
    assert mech.saturation(0.0, 1.5) == 0.0
    assert mech.saturation(3.0, 1.0) == pytest.approx(0.75)
    assert_allclose(mech.saturation(np.array([0.0, 1.0, 4.0]), 4.0), [0.0, 0.2, 0.5])


@pytest.mark.parametrize(
    ("rounding", "ratio"),
    [("floor", 1.0), ("round", 2.0), ("none", 1.5)],
)
def test_arrest_probability_rounding_at_c3_a2(rounding, ratio):
    # C/A = 3/2 = 1.5: floor 1, round 2, none 1.5
    p = mech.arrest_probability(3, 2, 2.3, rounding)
    assert p == pytest.approx(1.0 - math.exp(-2.3 * ratio))


def test_arrest_probability_round_is_half_to_even():
    # C/A = 5/2 = 2.5 rounds to 2 (as Python's round), 7/2 = 3.5 rounds to 4
    p = mech.arrest_probability(np.array([5, 7, 5]), np.array([2, 2, 4]), 2.3, "round")
    assert_allclose(p, 1.0 - np.exp(-2.3 * np.array([2.0, 4.0, 1.0])))
    assert mech.arrest_probability(5, 2, 2.3, "floor") == pytest.approx(1 - math.exp(-4.6))
    assert mech.arrest_probability(5, 2, 2.3, "none") == pytest.approx(1 - math.exp(-5.75))


def test_arrest_probability_no_units_is_zero_and_floor_below_one_unit_per_active():
    assert mech.arrest_probability(0, 3, 2.3, "none") == 0.0
    assert mech.arrest_probability(2, 3, 2.3, "floor") == 0.0
    assert mech.arrest_probability(1, 3, 2.3, "round") == 0.0  # 1/3 rounds to 0
    assert mech.arrest_probability(2, 3, 2.3, "round") == pytest.approx(1 - math.exp(-2.3))


# -- civilian rule ----------------------------------------------------------------------------


def test_grievance():
    assert mech.grievance(0.8, 0.25) == pytest.approx(0.6)
    assert mech.grievance(1.0, 1.0) == 0.0
    assert_allclose(mech.grievance(np.array([0.5, 1.0]), np.array([0.0, 0.9])), [0.5, 0.1])


def test_is_active_is_strictly_greater_than_threshold():
    # G - R P = 0.5 - 0.5 * 0.5 = 0.25 exactly
    assert not mech.is_active(0.5, 0.5, 0.5, 0.25)
    assert mech.is_active(0.5, 0.5, 0.5, 0.2499)
    assert not mech.is_active(0.5, 0.5, 0.5, 0.2501)
    assert not mech.is_active(0.0, 0.0, 0.0, 0.0)  # zero net grievance at threshold 0
    got = mech.is_active(np.array([0.3, 0.3, 0.1]), np.array([0.0, 1.0, 0.0]),
                         np.array([1.0, 0.25, 0.0]), 0.1)
    assert got.tolist() == [True, False, False]


def test_legitimacy_and_its_floor():
    # l0 + (1 - l0)(w T + (1 - w) Q) = 0.75 + 0.25 (0.35 + 0.06)
    assert mech.legitimacy(0.5, 0.2, 0.75, 0.7) == pytest.approx(0.8525)
    assert mech.legitimacy(0.0, 0.0, 0.75, 0.7) == pytest.approx(0.75)
    assert mech.legitimacy(1.0, 1.0, 0.75, 0.7) == pytest.approx(1.0)
    assert mech.legitimacy(0.6, 0.1, 0.0, 1.0) == pytest.approx(0.6)  # trust only
    assert mech.legitimacy(0.6, 0.1, 0.0, 0.0) == pytest.approx(0.1)  # governance only


def test_governance_quality_is_the_mean_of_four_indices():
    assert mech.governance_quality(0.2, 0.4, 0.6, 0.8) == pytest.approx(0.5)


# -- trust ------------------------------------------------------------------------------------


def test_trust_after_harm():
    # two own abuses at 10%, one by the other force at half that, one incident at 2%
    got = mech.trust_after_harm(np.array([0.5, 0.5, 0.5]), np.array([2, 0, 0]),
                                np.array([1, 0, 2]), np.array([1, 0, 0]), 0.1, 0.5, 0.02)
    assert_allclose(got, [0.5 * 0.81 * 0.95 * 0.98, 0.5, 0.5 * 0.95 ** 2])


def test_trust_after_gain_and_repeated_gain():
    assert mech.trust_after_gain(0.4, 0.5) == pytest.approx(0.7)
    assert mech.trust_after_gain(0.4, 0.0) == pytest.approx(0.4)
    assert mech.trust_after_gain(0.4, 1.0) == pytest.approx(1.0)
    assert mech.repeated_gain(0.1, 2) == pytest.approx(0.19)
    assert mech.repeated_gain(0.1, 0) == 0.0
    assert mech.repeated_gain(0.1, 1) == pytest.approx(0.1)


def test_social_influence_with_and_without_neighbours():
    trust = np.array([0.2, 0.8, 0.5])
    sums = np.array([1.2, 0.0, 0.9])
    count = np.array([2, 0, 3])
    got = mech.social_influence(trust, sums, count, 0.5)
    # 0.5*0.2 + 0.5*0.6; no neighbours keeps own trust; 0.5*0.5 + 0.5*0.3
    assert_allclose(got, [0.4, 0.8, 0.4])
    assert_allclose(mech.social_influence(trust, sums, count, 0.0), trust)


def test_cooperation_and_its_clipping():
    assert mech.cooperation(0.5, 0.5, 0.0, 0.05, 0.6, 0.3, 0.3) == pytest.approx(0.5)
    # knowledge adds w_K k_d: 0.5 + 0.3 * 0.5
    assert mech.cooperation(0.5, 0.5, 0.5, 0.05, 0.6, 0.3, 0.3) == pytest.approx(0.65)
    assert mech.cooperation(1.0, 1.0, 1.0, 0.5, 0.6, 0.3, 0.3) == 1.0
    assert mech.cooperation(0.0, 0.0, 0.0, 0.0, 0.6, 0.3, 0.3) == 0.0
    assert mech.cooperation(-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0) == 0.0


def test_hardship_and_its_clipping():
    # 0.8 (1 - 0.5 * 0.5) + 0.3 * 0.2
    assert mech.hardship(0.8, 0.5, 0.5, 0.2, 0.3) == pytest.approx(0.66)
    assert mech.hardship(1.0, 0.0, 0.5, 1.0, 0.3) == 1.0
    assert mech.hardship(0.4, 1.0, 1.0, 0.0, 0.3) == 0.0


# -- security units and institutions -----------------------------------------------------------


def test_abuse_probability():
    # 0.05 (1 - 0.3)(1 - 0.5 * 0.4)(1 - 0.5 * 0.5)
    assert mech.abuse_probability(0.05, 0.3, 0.4, 0.5, 0.5, 0.5) == pytest.approx(0.021)
    assert mech.abuse_probability(0.05, 1.0, 0.4, 0.5, 0.5, 0.5) == 0.0
    assert mech.abuse_probability(0.05, 0.0, 1.0, 1.0, 1.0, 1.0) == 0.0
    assert mech.abuse_probability(0.05, 0.0, 0.0, 0.0, 0.5, 0.5) == pytest.approx(0.05)


def test_report_and_sanction_probability():
    assert mech.report_probability(0.3, 0.5) == pytest.approx(0.65)
    assert mech.report_probability(0.0, 0.0) == 0.0
    assert mech.report_probability(1.0, 0.0) == 1.0
    assert mech.sanction_probability(0.5, 0.4) == pytest.approx(0.2)


def test_backsliding_probability():
    assert mech.backsliding_probability(0.02, 0.4, 0.25) == pytest.approx(0.006)
    assert mech.backsliding_probability(0.02, 0.4, 1.0) == 0.0
    assert mech.backsliding_probability(0.02, 0.0, 0.0) == 0.0


def test_training_intake():
    assert mech.training_intake(0.5, 0.5, 0.2) == pytest.approx(0.4)
    assert mech.training_intake(0.0, 0.5, 0.0) == 0.0
    assert mech.training_intake(10.0, 0.5, 1.0) == 0.0


def test_institution_step():
    # 0.2 + 0.02 * 1 * (1 - 0.5)(1 - 0.2) - 0.005 * 0.2
    assert mech.institution_step(0.2, 1.0, 0.5, 0.02, 0.005) == pytest.approx(0.207)
    assert mech.institution_step(0.2, 0.0, 0.5, 0.02, 0.005) == pytest.approx(0.199)
    assert mech.institution_step(1.0, 1.0, 0.0, 1.0, 0.0) == 1.0
    # two weeks: growth 1 - (1 - 0.01)^2 of the gap, decay 1 - 0.995^2 of the level
    assert mech.institution_step(0.2, 1.0, 0.5, 0.02, 0.005, weeks=2.0) == pytest.approx(
        0.2 + (1 - 0.99**2) * 0.8 - (1 - 0.995**2) * 0.2)


@settings(max_examples=200, deadline=None)
@given(level=unit, drive=unit, resistance=unit, growth=unit, decay=unit)
def test_institution_step_stays_in_unit_interval(level, drive, resistance, growth, decay):
    assert 0.0 <= mech.institution_step(level, drive, resistance, growth, decay) <= 1.0


def test_follow():
    assert mech.follow(0.4, 0.8, 0.05) == pytest.approx(0.42)
    assert mech.follow(0.4, 0.8, 1.0) == pytest.approx(0.8)
    assert mech.follow(0.4, 0.8, 0.0) == pytest.approx(0.4)


# -- district stocks, incidents, DDR ---------------------------------------------------------


def test_stock_step():
    # 0.5 (1 - 0.02) + 0.05 (1 - 0.5): gain 0.1 * 0.5 of the gap, loss 0.02
    assert mech.stock_step(0.5, 0.05, 0.02) == pytest.approx(0.515)
    assert mech.stock_step(0.0, 0.0, 0.02) == 0.0
    assert mech.stock_step(1.0, 1.0, 0.0) == 1.0


def test_per_step_compounds_a_weekly_rate_over_the_step():
    assert mech.per_step(0.1, 1.0) == 0.1  # exactly the weekly value for weekly steps
    assert mech.per_step(0.1, 2.0) == pytest.approx(1 - 0.9**2)  # 0.19
    assert mech.per_step(0.1, 1 / 7) == pytest.approx(1 - 0.9 ** (1 / 7))
    # seven daily steps keep what one weekly step keeps
    daily = mech.per_step(0.3, 1 / 7)
    assert (1 - daily) ** 7 == pytest.approx(1 - 0.3)
    np.testing.assert_allclose(mech.per_step(np.array([0.0, 1.0]), 0.5), [0.0, 1.0])


def test_a_stock_follows_the_same_path_whatever_the_step_length():
    """A weekly build and decay: 14 half-week steps end where 7 weekly steps end, nearly."""
    def run(weeks: float, steps: int) -> float:
        s = 0.2
        for _ in range(steps):
            s = mech.stock_step(s, mech.per_step(0.1 * 0.5, weeks), mech.per_step(0.02, weeks))
        return s
    assert run(0.5, 14) == pytest.approx(run(1.0, 7), rel=0.01)
    assert run(1 / 7, 49) == pytest.approx(run(1.0, 7), rel=0.01)


def test_crisis_step_and_its_clipping():
    assert mech.crisis_step(0.5, 1.0, 0.05, 0.2) == pytest.approx(0.375)
    assert mech.crisis_step(0.5, 0.0, 0.05, 0.2) == pytest.approx(0.475)
    assert mech.crisis_step(0.5, 1.0, 0.9, 0.5) == 0.0  # factor clipped at 0, never negative
    # over two weeks the weekly factor applies twice: 0.5 * 0.75^2
    assert mech.crisis_step(0.5, 1.0, 0.05, 0.2, weeks=2.0) == pytest.approx(0.28125)


def test_incident_rate():
    # 2 * 2000/1000 * (0.5 + 2 * 0.1) * (1 - 0.25)
    assert mech.incident_rate(2000, 0.5, 0.1, 2.0, 2.0, 0.25) == pytest.approx(2.1)
    assert mech.incident_rate(2000, 0.5, 0.1, 2.0, 2.0, 1.0) == 0.0
    assert mech.incident_rate(2000, 0.0, 0.0, 2.0, 2.0, 0.0) == 0.0


def test_suppression():
    # 0.8 * 0.5 * f(2, 2) = 0.8 * 0.5 * 0.5
    assert mech.suppression(2.0, 0.5, 0.8, 2.0) == pytest.approx(0.2)
    assert mech.suppression(0.0, 1.0, 0.8, 2.0) == 0.0
    assert mech.suppression(5.0, 0.0, 0.8, 2.0) == 0.0


def test_ddr_probabilities():
    assert mech.disarm_probability(0.05, 0.5, 0.4) == pytest.approx(0.01)
    assert mech.reintegration_probability(0.03, 0.5, 0.2) == pytest.approx(0.012)
    # 0.05 * (0.5 - 0.2) * (1 - 0.4)
    assert mech.relapse_probability(0.05, 0.5, 0.2, 0.4) == pytest.approx(0.009)
    assert mech.relapse_probability(0.05, 0.1, 0.2, 0.0) == 0.0  # below the threshold
    assert mech.relapse_probability(0.05, 0.2, 0.2, 0.0) == 0.0  # at the threshold
    assert mech.relapse_probability(0.05, 0.9, 0.2, 1.0) == 0.0  # full programme support


def test_stability():
    assert mech.stability(0.1, 2.0, 2.0) == pytest.approx(0.9 * math.exp(-1.0))
    assert mech.stability(0.0, 0.0, 2.0) == 1.0
    assert mech.stability(1.0, 0.0, 2.0) == 0.0
    # 0.5 incidents per 1,000 at scale 2: exp(-0.25)
    assert mech.stability(0.0, 0.5, 2.0) == pytest.approx(math.exp(-0.25))


def test_seen_within_counts_the_current_step_and_window_minus_one_before():
    last = np.array([10, 8, 7, -1_000_000_000])
    # window 3 at step 10: steps 8, 9, 10
    assert mech.seen_within(last, 10, 3).tolist() == [True, True, False, False]
    assert mech.seen_within(last, 10, 1).tolist() == [True, False, False, False]
    assert mech.seen_within(last, 11, 3).tolist() == [True, False, False, False]


# -- adaptive management --------------------------------------------------------------------


def test_reallocate_moves_toward_the_best_activity():
    alloc = np.full(5, 0.2)
    effect = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    got = mech.reallocate(alloc, effect, 0.3, 0.02)
    assert got.sum() == pytest.approx(1.0)
    assert np.argmax(got) == 2
    assert got[2] > 0.2
    # (1 - 0.3) * 0.2 + 0.3 = 0.44 for the best, 0.14 for the others (all above min_share)
    assert_allclose(got, [0.14, 0.14, 0.44, 0.14, 0.14])


def test_reallocate_ignores_negative_effects():
    alloc = np.full(5, 0.2)
    got = mech.reallocate(alloc, np.array([-5.0, 1.0, 1.0, -1.0, 0.0]), 0.5, 0.0)
    assert_allclose(got, [0.1, 0.35, 0.35, 0.1, 0.1])


def test_reallocate_respects_min_share():
    # Learning fully toward one activity: the other four are raised to 0.02, and the
    # renormalisation (dividing by 1.08) must not push them back below 0.02.
    alloc = np.array([0.92, 0.02, 0.02, 0.02, 0.02])
    got = mech.reallocate(alloc, np.array([1.0, 0.0, 0.0, 0.0, 0.0]), 1.0, 0.02)
    assert got.sum() == pytest.approx(1.0)
    assert got.min() >= 0.02 - 1e-12, got


@pytest.mark.parametrize("effect", [np.zeros(5), -np.ones(5), np.array([-1, 0, -2, 0, -3.0])])
def test_reallocate_unchanged_without_positive_effect(effect):
    alloc = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
    got = mech.reallocate(alloc, effect, 0.3, 0.02)
    assert_allclose(got, alloc)
    assert got is not alloc  # a copy: the caller may keep the old vector


@st.composite
def allocation_and_min_share(draw):
    """A probability vector of 5 shares, each at least `min_share`, with min_share * 5 <= 1."""
    min_share = draw(st.floats(0.0, 0.2))
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5)))
    free = 1.0 - 5 * min_share
    weights = raw / raw.sum() if raw.sum() > 0 else np.full(5, 0.2)
    return min_share + free * weights, min_share


@settings(max_examples=300, deadline=None)
@example(case=(np.full(5, 0.2), 0.0), effect=[0.0, 0.0, 0.0, 0.0, 5e-324], learning_rate=0.5)
@given(
    case=allocation_and_min_share(),
    effect=st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=5),
    learning_rate=unit,
)
def test_reallocate_returns_a_probability_vector_above_min_share(case, effect, learning_rate):
    alloc, min_share = case
    got = mech.reallocate(alloc, np.array(effect), learning_rate, min_share)
    assert got.shape == (5,)
    assert np.all(np.isfinite(got))
    assert got.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(got >= min_share - 1e-9), (got, min_share)


# -- properties: trust-like quantities stay in [0, 1] --------------------------------------


@settings(max_examples=200, deadline=None)
@given(trust=unit, abuses=counts, other=counts, incidents=counts, abuse_loss=unit,
       spillover=unit, incident_loss=unit)
def test_trust_after_harm_in_unit_interval(trust, abuses, other, incidents, abuse_loss,
                                           spillover, incident_loss):
    got = mech.trust_after_harm(np.array([trust]), np.array([abuses]), np.array([other]),
                                np.array([incidents]), abuse_loss, spillover, incident_loss)
    assert 0.0 <= got[0] <= trust


@settings(max_examples=200, deadline=None)
@given(trust=unit, gain=unit, rate=unit, count=counts)
def test_gains_in_unit_interval(trust, gain, rate, count):
    assert trust - 1e-12 <= mech.trust_after_gain(trust, gain) <= 1.0
    assert 0.0 <= mech.repeated_gain(rate, count) <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    trust=st.lists(unit, min_size=1, max_size=8),
    data=st.data(),
    weight=unit,
)
def test_social_influence_in_unit_interval(trust, data, weight):
    n = len(trust)
    neighbours = data.draw(st.lists(st.lists(unit, max_size=8), min_size=n, max_size=n))
    sums = np.array([sum(v) for v in neighbours])
    count = np.array([len(v) for v in neighbours])
    got = mech.social_influence(np.array(trust), sums, count, weight)
    assert np.all(got >= -1e-12)
    assert np.all(got <= 1.0 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(trust=unit, governance=unit, floor=unit, weight=unit, engagement=unit, knowledge=unit,
       base=unit, wt=unit, we=unit, wk=unit)
def test_legitimacy_and_cooperation_in_unit_interval(trust, governance, floor, weight,
                                                     engagement, knowledge, base, wt, we, wk):
    legit = mech.legitimacy(trust, governance, floor, weight)
    assert floor - 1e-12 <= legit <= 1.0 + 1e-12
    assert 0.0 <= mech.cooperation(trust, engagement, knowledge, base, wt, we, wk) <= 1.0


@settings(max_examples=200, deadline=None)
@given(baseline=unit, service=unit, relief=unit, crisis=unit, crisis_hardship=unit)
def test_hardship_in_unit_interval(baseline, service, relief, crisis, crisis_hardship):
    assert 0.0 <= mech.hardship(baseline, service, relief, crisis, crisis_hardship) <= 1.0


# -- trust both ways and anger (docs/model.md §7.3, §7.5, §7.6) ---------------------------


def test_grievance_with_anger():
    # G = H (1 - L) + w_A A = 0.8 * 0.25 + 0.3 * 0.5 = 0.2 + 0.15
    assert mech.grievance(0.8, 0.75, 0.5, 0.3) == pytest.approx(0.35)
    # no anger weight: Epstein's G, bit for bit
    assert mech.grievance(0.37, 0.82, 0.9, 0.0) == 0.37 * (1 - 0.82)


def test_anger_step():
    # decay then one abuse: A(1 - d) = 0.5 * 0.9 = 0.45; 1 - 0.55 * 0.95 = 0.4775
    assert mech.anger_step(0.5, 1, 0.05, 0.1) == pytest.approx(0.4775)
    # Bennett's update from zero, two abuses: 1 - 0.95^2 = 0.0975
    assert mech.anger_step(0.0, 2, 0.05, 0.1) == pytest.approx(0.0975)
    # nothing seen: only the decay, A (1 - d) = 0.2 * 0.8
    assert_allclose(mech.anger_step(np.array([0.2, 0.0]), np.array([0, 0]), 0.05, 0.2),
                    [0.16, 0.0])


def test_trust_after_harm_with_hearsay():
    # T (1 - h a)^Wh = 0.5 * (1 - 0.5 * 0.1)^2 = 0.5 * 0.9025
    out = mech.trust_after_harm(np.array([0.5]), np.array([0]), np.array([0]), np.array([0]),
                                0.1, 0.5, 0.02, 0, 0.0, np.array([2.0]), 0.5)
    assert_allclose(out, [0.45125])


def test_heard_of_is_the_neighbours_mean_or_zero():
    assert_allclose(mech.heard_of(np.array([3.0, 2.0]), np.array([4, 0])), [0.75, 0.0])


def test_trust_memory_relaxes_toward_the_anchor():
    # T + m (T0 - T): 0.7 + 0.1 * (0.4 - 0.7) = 0.67; 0.2 + 0.1 * 0.2 = 0.22
    assert_allclose(mech.trust_memory(np.array([0.7, 0.2]), np.array([0.4, 0.4]), 0.1),
                    [0.67, 0.22])


def test_expectation_gap():
    # H0 (1 - r f) = 0.6 * (1 - 0.5 * 0.5) = 0.45; H = 0.5 -> gap 0.05
    assert mech.expectation_gap(0.5, 0.6, 0.5, 0.5) == pytest.approx(0.05)
    # hardship below the promise: no gap
    assert mech.expectation_gap(0.3, 0.6, 0.5, 0.5) == 0.0
    # no promise, no crisis: H = H0, no gap
    assert mech.expectation_gap(0.6, 0.6, 0.0, 0.5) == 0.0


def test_trust_after_gap():
    # T (1 - l) with l = per_step(0.1 * 0.2, 1) = 0.02: 0.5 * 0.98
    assert mech.trust_after_gap(0.5, mech.per_step(0.1 * 0.2, 1.0)) == pytest.approx(0.49)


@settings(max_examples=50, deadline=None)
@given(rate=st.one_of(st.just(0.0), st.floats(1e-12, 1e5)), seed=st.integers(0, 2**32 - 1))
def test_poisson_quantile_is_scipys_inversion(rate, seed):
    """The same counts as scipy.stats.poisson.ppf (0 where it gives -1, at u = 0)."""
    from scipy.stats import poisson
    u = np.concatenate([np.random.default_rng(seed).random(2000), [0.0, 0.5]])
    expected = np.maximum(poisson.ppf(u, rate), 0).astype(np.int64)
    np.testing.assert_array_equal(mech.poisson_quantile(u, np.full(u.size, rate)), expected)
