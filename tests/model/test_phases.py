"""Phases as functions: each can be called on plain state, and says what it hands on."""

from __future__ import annotations

import numpy as np
import pytest

from ssrsim.model import SSRModel, phases
from ssrsim.model.forces import Forces
from ssrsim.model.institutions import BudgetModifier
from ssrsim.model.population import FORCES, NEVER, CivilianState
from ssrsim.model.record import StepRecord


def test_open_step_gives_a_fresh_record_and_drops_ended_budget_changes(small_scenario):
    model = SSRModel(small_scenario)
    model.record.arrests = 5
    model.institutions.modifiers = [BudgetModifier(0.5, until=3), BudgetModifier(2.0, None)]
    record, ledger = phases.open_step(model.params, model.institutions, model.districts, 3,
                                      cmo_units=2, shape=model.layout.shape)
    assert record.arrests == 0 and record.incident_grid.shape == model.layout.shape
    assert ledger.available == pytest.approx(2.0 * model.params.budget.per_week)
    assert [m.factor for m in model.institutions.modifiers] == [2.0]


def test_activation_returns_the_grievance_and_counts_jail_terms_down(small_scenario):
    model = SSRModel(small_scenario)
    pop = model.population
    pop.state[:3] = CivilianState.JAILED
    pop.jail_left[:3] = [2, 1, 0]
    grievance = phases.activate(model.params, pop, Forces.empty(), model.layout,
                                model.neighbourhoods, model.actives, np.random.default_rng(0))
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
        where = (model.params, pop, Forces.empty(), model.layout, model.neighbourhoods,
                 model.actives, rng)
        if order == "interleaved":  # one unit, whose arrest falls in a random gap
            phases.activate(*where, np.array([0]), lambda rows, _: jail() if rows.size else None)
        else:
            phases.activate(*where)
        stay = 1
        while pop.state[0] == CivilianState.JAILED:
            phases.activate(*where)
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


# -- what civilians saw, handed to trust and to experience ----------------------------------


def _events(model: SSRModel, seed: int) -> StepRecord:
    """A record with abuses, incidents and contacts at random cells."""
    rng = np.random.default_rng(seed)
    record = StepRecord.empty(model.layout.shape)
    w, h = model.layout.shape
    for _ in range(30):
        x, y = int(rng.integers(w)), int(rng.integers(h))
        kind = rng.integers(4)
        force = FORCES[int(rng.integers(2))]
        if kind == 0:
            record.add_abuse(force, x, y)
        elif kind == 1:
            record.incident_grid[x, y] += 1
        else:
            record.add_contact(force, x, y, fair=bool(kind == 2))
    return record


def _brute_force(pop, grid: np.ndarray, radius: int) -> np.ndarray:
    """Events on `grid` within Von Neumann `radius` of each home (no torus), 0 if jailed."""
    ex, ey = np.nonzero(grid)
    out = np.zeros(pop.size)
    for i in range(pop.size):
        near = np.abs(ex - pop.x[i]) + np.abs(ey - pop.y[i]) <= radius
        out[i] = grid[ex[near], ey[near]].sum()
    return np.where(pop.state == CivilianState.JAILED, 0, out)


def test_what_civilians_saw_counts_events_within_their_radii(small_scenario):
    model = SSRModel(small_scenario)
    pop = model.population
    assert not model.params.space.torus
    pop.state[::7] = CivilianState.JAILED
    pop.state[3::11] = CivilianState.ACTIVE
    record = _events(model, 1)
    seen = phases.what_civilians_saw(pop, record, model.layout, model.neighbourhoods,
                                     model.actives)
    t = model.params.trust
    active_grid = np.zeros(model.layout.shape)
    active_grid[pop.x, pop.y] = pop.state == CivilianState.ACTIVE
    np.testing.assert_array_equal(seen.incidents,
                                  _brute_force(pop, record.incident_grid, t.witness_radius))
    np.testing.assert_array_equal(seen.actives, _brute_force(pop, active_grid, t.witness_radius))
    for f in FORCES:
        np.testing.assert_array_equal(seen.abuses[f],
                                      _brute_force(pop, record.abuse_grid[f], t.witness_radius))
        np.testing.assert_array_equal(seen.fair[f],
                                      _brute_force(pop, record.fair_grid[f], t.contact_radius))
        np.testing.assert_array_equal(seen.unfair[f],
                                      _brute_force(pop, record.unfair_grid[f], t.contact_radius))
    # unfair contacts are counted whether or not they cost trust (trust.unfair_contact_loss)
    assert sum(seen.unfair[f].sum() for f in FORCES) > 0
    assert seen.actives.sum() > 0 and seen.incidents.sum() > 0


def test_unfair_contacts_cost_trust_only_when_the_loss_is_on(make_scenario):
    losses = (0.0, 0.2)
    models = [SSRModel(make_scenario({"trust": {"unfair_contact_loss": loss,
                                                "social_weight": 0.0}})) for loss in losses]
    record = StepRecord.empty(models[0].layout.shape)
    for x in range(0, 24, 3):
        record.add_contact("police", x, 5, fair=False)
    before = models[0].population.trust_police.copy()
    for model in models:
        seen = phases.what_civilians_saw(model.population, record, model.layout,
                                         model.neighbourhoods, model.actives)
        phases.update_trust(model.params, model.population, model.districts, seen,
                            model.layout, model.neighbourhoods)
    extorted = seen.unfair["police"] > 0
    assert extorted.sum() > 5
    off, on = (m.population.trust_police for m in models)
    np.testing.assert_array_equal(off, on * ~extorted + off * extorted)  # same elsewhere
    np.testing.assert_allclose(on[extorted], off[extorted] * 0.8 ** seen.unfair["police"][
        extorted])
    np.testing.assert_array_equal(models[0].population.trust_army,
                                  models[1].population.trust_army)
    assert (off[extorted] >= before[extorted] - 1e-12).all()


def test_experience_remembers_the_last_step_each_kind_was_seen(make_scenario):
    model = SSRModel(make_scenario({"time": {"spin_up_days": 0}}))  # nobody active yet
    pop = model.population
    assert (pop.last_violence == NEVER).all() and (pop.last_unfair == NEVER).all()
    record = _events(model, 2)
    seen = phases.what_civilians_saw(pop, record, model.layout, model.neighbourhoods,
                                     model.actives)
    phases.update_experience(pop, seen, 3)
    violence = (seen.incidents > 0) | (seen.actives > 0)
    abuse = (seen.abuses["police"] > 0) | (seen.abuses["army"] > 0)
    unfair = (seen.unfair["police"] > 0) | (seen.unfair["army"] > 0)
    assert violence.any() and abuse.any() and unfair.any()
    assert (abuse & ~violence).any()  # an abuse alone is not armed violence
    np.testing.assert_array_equal(pop.last_violence, np.where(violence, 3, NEVER))
    np.testing.assert_array_equal(pop.last_abuse, np.where(abuse, 3, NEVER))
    np.testing.assert_array_equal(pop.last_unfair, np.where(unfair, 3, NEVER))
    quiet = phases.what_civilians_saw(pop, StepRecord.empty(model.layout.shape), model.layout,
                                      model.neighbourhoods, model.actives)
    phases.update_experience(pop, quiet, 4)  # nothing seen: memories stay
    np.testing.assert_array_equal(pop.last_violence, np.where(violence, 3, NEVER))


def test_perceived_safety_falls_after_an_incident_and_recovers_after_the_window(
        make_scenario, monkeypatch):
    """A real run: one incident at a resident's home at step 2, none else (2-step window)."""
    scenario = make_scenario({"measures": {"recall_days": 14}, "insurgency": {"base_rate": 0.0},
                              "legitimacy": {"mode": "fixed", "fixed_value": 1.0}})
    model = SSRModel(scenario)
    assert model.params.time.window_steps(14) == 2
    pop = model.population
    original = phases.insurgent_incidents

    def one_incident(*args: object) -> None:
        original(*args)  # type: ignore[arg-type]
        record = args[-1]
        assert isinstance(record, StepRecord)
        record.incident_grid[pop.x[0], pop.y[0]] += 1
        record.incidents += 1

    safety = []
    for step in range(1, 6):
        with monkeypatch.context() as patch:
            if step == 2:
                patch.setattr(phases, "insurgent_incidents", one_incident)
            model.step()
        assert model.population.count(CivilianState.ACTIVE) == 0
        safety.append(model.timeseries()["perceived_safety"].iloc[-1])
    r = model.params.trust.witness_radius
    near = np.count_nonzero((np.abs(pop.x - pop.x[0]) + np.abs(pop.y - pop.y[0]) <= r)
                            & (pop.state != CivilianState.JAILED))
    assert near > 1
    n = pop.size
    assert safety == pytest.approx([1.0, 1 - near / n, 1 - near / n, 1.0, 1.0])
