"""Shock buttons build the schema's events with their defaults, at the current step."""

from __future__ import annotations

import pytest

from ssrsim.app.shocks import EVENT_CLASSES, SHOCK_TYPES, make_shock, shocks
from ssrsim.model.model import SSRModel
from ssrsim.scenario import schema


def test_the_shocks_the_issue_asks_for_and_a_visit_programme():
    assert set(SHOCK_TYPES) == {"abuse_scandal", "budget_cut", "coup", "troop_drawdown",
                                "donor_surge", "community_policing"}


def test_event_classes_are_read_from_the_schema():
    assert set(EVENT_CLASSES) == set(schema.EVENT_TYPES)
    assert EVENT_CLASSES["coup"] is schema.Coup


@pytest.mark.parametrize("kind", SHOCK_TYPES)
def test_a_shock_is_the_schema_event_with_its_defaults(kind):
    event = make_shock(kind, step=7)
    cls = EVENT_CLASSES[kind]
    assert isinstance(event, cls)
    assert event.type == kind and event.step == 7 and event.date is None
    assert event.district is None  # everywhere
    for name, info in cls.model_fields.items():
        if name not in schema.EventBase.model_fields and name != "type":
            assert getattr(event, name) == info.default


def test_shock_help_names_the_defaults():
    coup = next(s for s in shocks() if s.type == "coup")
    assert coup.title == "Coup"
    assert "civilian control 0.5" in coup.help
    assert "trust shock -0.2" in coup.help
    scandal = next(s for s in shocks() if s.type == "abuse_scandal")
    assert "force both" in scandal.help


def test_unknown_shock_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        make_shock("earthquake", 0)


def test_injecting_a_shock_changes_the_model(make_scenario):
    calm, shocked = SSRModel(make_scenario()), SSRModel(make_scenario())
    for model in (calm, shocked):
        model.step()
    shocked.inject_event(make_shock("abuse_scandal", shocked.steps))
    for model in (calm, shocked):
        model.step()  # an injected event acts at the start of the next step
    assert shocked.population.trust.mean() < calm.population.trust.mean()
    assert shocked.event_log[-1][:2] == (2, "abuse_scandal")
