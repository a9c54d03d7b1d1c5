"""Phases as functions: each can be called on plain state, and says what it hands on."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model import SSRModel, phases
from ssrsim.model.institutions import BudgetModifier
from ssrsim.model.population import CivilianState


def test_open_step_gives_a_fresh_record_and_drops_ended_budget_changes(small_scenario):
    model = SSRModel(small_scenario)
    model.record.arrests = 5
    model.institutions.modifiers = [BudgetModifier(0.5, until=3), BudgetModifier(2.0, None)]
    record, ledger = phases.open_step(model.params, model.institutions, model.districts, 3,
                                      cmo_units=2, shape=model.layout.shape)
    assert record.arrests == 0 and record.incident_grid.shape == model.layout.shape
    assert ledger.available == pytest.approx(2.0 * model.params.budget.per_step)
    assert [m.factor for m in model.institutions.modifiers] == [2.0]


def test_activation_returns_the_grievance_and_counts_jail_terms_down(small_scenario):
    model = SSRModel(small_scenario)
    pop = model.population
    pop.state[:3] = CivilianState.JAILED
    pop.jail_left[:3] = [2, 1, 0]
    grievance = phases.activate(model.params, pop, [], model.neighbourhoods,
                                np.random.default_rng(0))
    np.testing.assert_allclose(grievance, pop.hardship * (1 - pop.legitimacy))
    assert pop.jail_left[:3].tolist() == [1, 0, 0]
    assert (pop.state[:2] == CivilianState.JAILED).all()  # still serving at the start
    assert pop.state[2] != CivilianState.JAILED  # term over: decides again


@pytest.mark.parametrize("order", ["units_first", "interleaved"])
def test_an_arrest_after_her_decision_jails_her_one_step_more_only_when_interleaved(
        small_scenario, order):
    # Mesa's example: a citizen arrested after her own turn serves the whole term from the
    # next step, so a term of j keeps her jailed j + 1 recorded steps; before it, j steps.
    scenario = small_scenario.model_copy(update={"activation": small_scenario.activation
                                                 .model_copy(update={"order": order})})
    stays = set()
    for seed in range(30):
        model = SSRModel(scenario)
        pop = model.population
        pop.hardship[:] = 0.0  # nobody rebels, so only the arrest below jails anyone

        def jail(pop=pop) -> None:  # civilian 0 gets a term of 2
            pop.state[0] = CivilianState.JAILED
            pop.jail_left[0] = 2

        rng = np.random.default_rng(seed)
        if order == "units_first":
            jail()  # the security phase, before every decision
        phases.activate(model.params, pop, [], model.neighbourhoods, rng,
                        [jail] if order == "interleaved" else [])
        stay = 1
        while pop.state[0] == CivilianState.JAILED:
            phases.activate(model.params, pop, [], model.neighbourhoods, rng)
            stay += 1
        stays.add(stay - 1)  # steps recorded jailed at their end
    assert stays == ({2} if order == "units_first" else {2, 3})


def test_the_outlook_is_the_district_means_of_what_civilians_now_think(small_scenario):
    model = SSRModel(small_scenario)
    outlook = phases.update_outlook(model.params, model.population, model.districts,
                                    model.institutions)
    pop = model.population
    for d in range(len(model.district_names)):
        mine = pop.district == d
        assert outlook.cooperation[d] == pytest.approx(pop.cooperation[mine].mean())
        assert outlook.trust[d] == pytest.approx(pop.trust[mine].mean())
        assert outlook.need[d] == pytest.approx(1 - pop.trust[mine].mean()
                                                + model.districts.crisis[d])
