"""The scenario schema: defaults, immutability, ranges and section-level checks."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from ssrsim.scenario import Scenario
from ssrsim.scenario.schema import Section


def sections(model: type[BaseModel] = Scenario) -> set[type[BaseModel]]:
    """Every section class reachable from a model's fields (following lists and unions)."""
    found = {model}
    for field in model.model_fields.values():
        for candidate in _classes(field.annotation):
            if candidate not in found:
                found |= sections(candidate)
    return found


def _classes(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [c for arg in getattr(annotation, "__args__", ()) for c in _classes(arg)]


def errors(data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        Scenario.model_validate(data)
    return caught.value.errors()


def test_defaults_validate_and_round_trip():
    scenario = Scenario()
    assert Scenario.model_validate(scenario.model_dump(mode="json")) == scenario
    assert [d.name for d in scenario.districts] == ["all"]


def test_every_section_is_frozen_and_strict_about_keys():
    assert len(sections()) > 20
    assert all(issubclass(section, Section) for section in sections() if section is not Scenario)
    with pytest.raises(ValidationError):
        Scenario().time.steps = 3  # type: ignore[misc]
    (error,) = errors({"time": {"stepz": 3}})
    assert error["type"] == "extra_forbidden"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_refused(value):
    (error,) = errors({"budget": {"per_week": value}})
    assert error["loc"] == ("budget", "per_week")


def test_allocation_shares_must_sum_to_one():
    (error,) = errors({"budget": {"allocation": {"training": 0.9}}})
    assert error["loc"] == ("budget", "allocation")
    assert "shares must sum to 1" in error["msg"]


def test_district_grid_needs_matching_districts_and_unique_names():
    assert "needs 4 districts" in errors({"space": {"district_grid": [2, 2]}})[0]["msg"]
    two = [{"name": "a"}, {"name": "a"}]
    message = errors({"space": {"district_grid": [1, 2]}, "districts": two})[0]["msg"]
    assert "unique" in message


def test_event_needs_one_time_and_a_known_district():
    assert "exactly one" in errors({"events": [{"type": "coup"}]})[0]["msg"]
    both = {"type": "coup", "step": 1, "date": "2004-02-01"}
    assert "exactly one" in errors({"events": [both]})[0]["msg"]
    elsewhere = {"type": "coup", "step": 1, "district": "east"}
    assert "not a district" in errors({"events": [elsewhere]})[0]["msg"]


def test_event_dates_map_to_steps():
    scenario = Scenario.model_validate({
        "time": {"start_date": "2004-01-05", "step_days": 7},
        "events": [
            {"type": "election", "date": "2004-01-18"},
            {"type": "election", "date": "2003-12-01"},
            {"type": "election", "step": 9},
        ],
    })
    assert [scenario.event_step(e) for e in scenario.events] == [1, 0, 9]
    assert scenario.step_date(2) == dt.date(2004, 1, 19)


def test_every_parameter_declares_unit_and_source():
    for section in sections():
        for name, field in section.model_fields.items():
            extra = field.json_schema_extra
            if isinstance(extra, dict):
                assert set(extra) == {"unit", "source"}, f"{section.__name__}.{name}"
                assert extra["source"], f"{section.__name__}.{name} has no source"


def test_days_become_whole_steps_half_to_even_and_windows_last_a_step():
    from ssrsim.scenario.schema import Time

    weekly, fortnightly = Time(step_days=7), Time(step_days=14)
    assert weekly.window_steps(365) == 52  # 52.14
    assert fortnightly.window_steps(365) == 26  # 26.07
    assert Time(step_days=2).window_steps(7) == 4  # 3.5 rounds to even
    assert Time(step_days=2).window_steps(5) == 2  # 2.5 rounds to even
    assert weekly.window_steps(3) == 1 and weekly.steps_for(3) == 0  # a window lasts a step
    assert Time(step_days=1).window_steps(30) == 30
    assert weekly.weeks == 1.0 and fortnightly.weeks == 2.0


def test_districts_own_densities_that_give_nobody_are_refused():
    from ssrsim.scenario.schema import Scenario

    districts = [{"name": "a", "density": 0.01}, {"name": "b", "density": 0.01}]
    with pytest.raises(ValueError, match="give no civilians"):
        Scenario.model_validate({"space": {"width": 6, "height": 6, "district_grid": [1, 2]},
                                 "districts": districts})
    # 3 x 6 cells each: 0.1 x 18 rounds to 2 per district, so this one is fine
    ok = Scenario.model_validate({"space": {"width": 6, "height": 6, "district_grid": [1, 2]},
                                  "districts": [{"name": "a", "density": 0.1},
                                                {"name": "b", "density": 0.01}]})
    assert ok.civilians() == 2


def test_a_run_must_fit_the_calendar_tables_can_hold():
    from ssrsim.scenario.schema import Scenario

    for time in ({"start_date": "0001-01-01"}, {"start_date": "9999-12-31"},
                 {"start_date": "2200-01-01", "steps": 10_000}):
        with pytest.raises(ValueError, match="dates must lie between"):
            Scenario.model_validate({"time": time})


@pytest.mark.parametrize(("section", "dist"), [
    ({"population": {"risk_aversion": {}}}, {"mean": 1.0e-300, "concentration": 1.0e-300}),
    ({"population": {"initial_trust": {}}}, {"concentration": 5.0e-324}),
    ({"population": {"initial_army_trust": {}}}, {"mean": 0.999999, "concentration": 1e-318}),
    ({"districts": [{"name": "all", "hardship": {}}]}, {"mean": 1e-200, "concentration": 1e-200}),
])
def test_beta_shapes_that_underflow_to_zero_are_refused(section, dist):
    """Issue #14: numpy's beta() refused a <= 0 after validation had said yes."""
    data = {key: value for key, value in section.items()}
    target = next(iter(data.values()))
    holder = target[0] if isinstance(target, list) else target
    holder[next(k for k in holder if k != "name")] = dist
    (error,) = errors(data)
    assert "Beta shapes" in error["msg"] and "must both be above 0" in error["msg"]


def test_the_smallest_beta_shapes_are_still_drawn():
    import numpy as np

    from ssrsim.model.population import draw_beta
    from ssrsim.scenario.schema import BetaDist

    dist = BetaDist(mean=1e-300, concentration=1e-3)  # a = 1e-303 > 0
    draws = draw_beta(np.random.default_rng(0), dist, 5)
    assert np.isfinite(draws).all()


@pytest.mark.parametrize("path", [("budget", "per_week"), ("ngo", "budget"),
                                  ("cmo", "throughput")])
def test_resources_per_week_have_a_ceiling_far_from_overflow(path):
    """Issue #14: ngo.budget 1e308 overflowed to NaN and crashed the run."""
    from ssrsim.scenario import bounds_of, field_of
    from ssrsim.scenario.schema import MAX_RESOURCES

    section, key = path
    Scenario.model_validate({section: {key: MAX_RESOURCES}})
    (error,) = errors({section: {key: 1e308}})
    assert error["loc"] == path and "at most 1e+09" in error["msg"]
    assert not bounds_of(field_of(".".join(path))).finite  # sliders and priors: open-ended


def test_dates_and_pairs_may_be_converted_while_everything_else_is_strict():
    """Dates come as text from JSON and pairs as lists: those fields alone are lax (#14).

    A new section with a date field must say `strict=False`, or a scenario written as JSON
    (a results folder's manifest, the app) would no longer load.
    """
    from pydantic.types import Strict

    from ssrsim.scenario._types import strip

    def strictness(field):
        return next((m.strict for m in field.metadata if isinstance(m, Strict)), None)

    lax = set()
    for section in sections():
        assert section.model_config.get("strict") is True, section
        for name, field in section.model_fields.items():
            bare, _ = strip(field.annotation)
            if bare is dt.date or getattr(bare, "__origin__", None) is tuple:
                assert strictness(field) is False, f"{section.__name__}.{name} must be lax"
                lax.add(f"{section.__name__}.{name}")
            elif strictness(field) is False:
                raise AssertionError(f"{section.__name__}.{name} is lax but holds no date/pair")
    assert {"Time.start_date", "Space.district_grid"} <= lax
