"""The planner's brief on synthetic results with known differences."""

import math

import numpy as np
import pytest

from ssrsim.analysis import brief_text as words
from ssrsim.analysis import compare, load_results, make_brief
from ssrsim.analysis.brief import Standing
from ssrsim.analysis.compare import effect_size, holm
from ssrsim.analysis.tables import NO_VARIATION, comparison_rows
from ssrsim.results_format import MeasureInfo

SHARE = "share (0-1)"
MEASURES = {"trust": "higher", "abuses": "lower", "spent": "lower"}
INFOS = [MeasureInfo("trust", "Trust in security forces", "index (0-1)", "higher", "", True),
         MeasureInfo("abuses", "Abuses per step", "events per step", "lower", "", True),
         MeasureInfo("spent", "Programme spending per step", "money per step", "lower", "")]
SCENARIO_TIME = {"start_date": "2004-01-05", "step_days": 7, "steps": 156}


def options(replicates: int = 12) -> dict[str, np.ndarray]:
    """Per option (trust, abuses, spent) by replicate; status_quo is the baseline.

    better: +5 points of trust; worse: -5 points; same: as the baseline; trade_off: +5
    points of trust and 2 more abuses; costly: +5 points for 2 more money every step.
    """
    rng = np.random.default_rng(3)
    base = np.column_stack([0.4 + rng.normal(0, 0.01, replicates),
                            5 + rng.normal(0, 0.3, replicates), np.full(replicates, 10.0)])
    shift = {"better": (0.05, 0, 0), "worse": (-0.05, 0, 0), "same": (0, 0, 0),
             "trade_off": (0.05, 2, 0), "costly": (0.05, 0, 2)}
    noise = {name: np.column_stack([rng.normal(0, 0.002, replicates),
                                    rng.normal(0, 0.05, replicates), np.zeros(replicates)])
             for name in shift}
    return {"status_quo": base, **{name: base + np.array(d) + noise[name]
                                   for name, d in shift.items()}}


@pytest.fixture
def brief(tmp_path, synthetic, paired):
    values = options()
    folder = synthetic(tmp_path / "r", paired(values, MEASURES), policies=list(values),
                       measures=INFOS)
    _timed(folder)
    results = load_results(folder)
    return make_brief(results, compare(results, "status_quo"))


def _timed(folder):
    """Give the synthetic manifest a scenario's time and policy descriptions."""
    import json

    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["scenario"]["time"] = SCENARIO_TIME
    manifest["scenario"]["policies"] = {"status_quo": {"description": "As planned."}}
    path.write_text(json.dumps(manifest))


def test_each_known_difference_gets_its_standing(brief):
    standing = {o.name: o.standing for o in brief.options}
    assert standing == {"better": Standing.BETTER, "worse": Standing.WORSE,
                        "same": Standing.SAME, "trade_off": Standing.TRADE_OFF,
                        "costly": Standing.BETTER}


def test_the_bottom_line_says_it_in_words_and_plain_units(brief):
    lines = words.bottom_line(brief)
    assert lines[0].startswith("**")
    assert "raises trust in security forces the most: +5" in lines[0]
    assert "percentage points" in lines[0] and "12 of 12 seeds" in lines[0]
    said = {line.split("**")[1]: line for line in lines[1:]}
    assert "(better than status_quo)" in said["better"]
    assert "better on trust in security forces +5." in said["better"]
    assert "(worse than status_quo)" in said["worse"]
    assert "(cannot be told apart from status_quo)" in said["same"]
    assert "no difference on any measure" in said["same"]
    assert "(a trade-off)" in said["trade_off"]
    assert "worse on abuses per week +2.0" in said["trade_off"]
    order = [line.split("**")[1] for line in lines[1:]]
    assert order.index("worse") == len(order) - 1  # worse options come last


def test_the_matrix_has_arrows_and_cannot_be_told_apart(brief):
    header, rows = words.matrix(brief)
    assert header[0] == "option" and header[1] == "Trust in security forces (pts)"
    assert header[-1].startswith("Spending")
    cells = {row[0]: row[1:] for row in rows}
    assert cells["better"][0].startswith("▲ +5") and cells["worse"][0].startswith("▼ -5")
    assert cells["same"] == ["≈", "≈", "≈"]
    assert cells["trade_off"][1].startswith("▼ +2")
    assert cells["costly"][2] == "▼ +2.0"


def test_cost_per_unit_of_outcome(brief):
    costly = next(o for o in brief.options if o.name == "costly")
    assert costly.cost is not None
    assert costly.cost.total == pytest.approx(2 * 156)
    assert costly.cost.per_unit == pytest.approx(312 / 5, rel=0.02)
    sentence = words.option_sentence(brief, costly)
    assert "spends 2.0 resource units per week more (312 resource units over the run)" in \
        sentence
    assert "per percentage point of trust in security forces gained" in sentence
    _, rows = words.cost_table(brief)
    assert [r[0] for r in rows] == [o.name for o in brief.options]


def test_the_period_is_said_in_dates(brief):
    assert words.period(brief) == ("averaged over the 156 weeks from 12 Jan 2004 to "
                                   "1 Jan 2007")
    assert "(the programme as planned)" not in words.question(brief)
    assert "(as planned)" in words.question(brief)


def test_many_comparisons_are_counted_and_explained(brief):
    text = words.caution(brief)
    assert "15 (5 options × 3 measures)" in text and "Holm" in text
    assert "about 1 of them" in text


def test_a_difference_only_seen_alone_gets_a_hollow_arrow(tmp_path, synthetic, paired):
    rng = np.random.default_rng(8)
    base = rng.normal(0.4, 0.01, 6)
    values = {"status_quo": base, "faint": base + 0.004 + rng.normal(0, 0.003, 6),
              **{f"null{i}": base + rng.normal(0, 0.003, 6) for i in range(20)}}
    folder = synthetic(tmp_path / "r", paired(values), policies=list(values))
    results = load_results(folder)
    comparison = compare(results, "status_quo")
    row = comparison.table.set_index("policy").loc["faint"]
    assert row["distinguishable"] and not row["holds"]
    brief = make_brief(results, comparison)
    faint = next(o for o in brief.options if o.name == "faint")
    assert words.mark(faint.cell("trust")) == "△"
    assert faint.standing == Standing.SAME
    assert "1 more difference not firm" in words.option_sentence(brief, faint)


def test_holm_adjusts_as_the_method_says():
    adjusted = holm(np.array([0.01, 0.04, 0.03, math.nan]))
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(adjusted[3])


def test_effect_sizes_are_never_infinite(brief, tmp_path, synthetic, paired):
    assert math.isnan(effect_size(np.array([2.0, 2.0, 2.0])))
    values = options()
    folder = synthetic(tmp_path / "r", paired(values, MEASURES), policies=list(values),
                       measures=INFOS)
    comparison = compare(load_results(folder), "status_quo")
    assert not np.isinf(comparison.table["effect_size"]).any()
    rows = [r for r in comparison_rows(comparison) if r[0] == "spent" and r[1] == "costly"]
    assert rows[0][5] == NO_VARIATION
    assert not any("inf" in cell for row in comparison_rows(comparison) for cell in row)


def test_robustness_across_plausible_worlds_when_runs_carry_draws(tmp_path, synthetic,
                                                                  paired):
    rng = np.random.default_rng(1)
    base = rng.normal(0.4, 0.01, 8)
    summary = paired({"status_quo": base, "a": base + np.where(np.arange(8) < 6, 0.02, -0.01)})
    summary["point"], summary["replicate"] = divmod(summary["replicate"], 2)  # 4 draws x 2 seeds
    folder = synthetic(tmp_path / "r", summary, policies=["status_quo", "a"], method="posterior",
                       points=[{"trust.abuse_loss": 0.1 * d} for d in range(4)])
    comparison = compare(load_results(folder), "status_quo")
    row = comparison.table.set_index("policy").loc["a"]
    assert (row["worlds"], row["worlds_agree"], row["agree"]) == (4, 3, 6)
    brief = make_brief(load_results(folder), comparison)
    assert words.held(brief.options[0].cell("trust")) == "6 of 8 runs and 3 of 4 plausible worlds"
    said = words.robustness(brief)
    assert "4 worlds drawn" in said[0] and "trust.abuse_loss" in said[0]
    assert "what the observed data leave unknown" in said[1]
    assert said[2].startswith("On trust, a difference from status_quo varies from world to "
                              "world by up to ")


def test_without_draws_the_brief_says_parameter_uncertainty_is_not_measured(brief):
    assert brief.worlds == 0
    assert "not measured" in words.robustness(brief)[1]


def test_plain_units_count_units_and_residents(tmp_path, synthetic, paired):
    infos = [MeasureInfo("reform_uptake", "Reform uptake", SHARE, "higher", "", True),
             MeasureInfo("active_share", "Active share", SHARE, "lower", ""),
             MeasureInfo("security_units", "Security units", "units", None, "")]
    names = {"reform_uptake": "", "active_share": "", "security_units": ""}
    base = np.column_stack([np.full(4, 0.3), np.full(4, 0.1), np.full(4, 200.0)])
    values = {"status_quo": base, "a": base + np.array([0.1, -0.02, 0.0])}
    folder = synthetic(tmp_path / "r", paired(values, names), policies=list(values),
                       measures=infos)
    results = load_results(folder)
    brief = make_brief(results, compare(results, "status_quo",
                                        measures=["reform_uptake", "active_share"]))
    cell = brief.options[0].cell
    assert cell("reform_uptake").diff == pytest.approx(20)
    assert brief.units["reform_uptake"].unit == "units reformed (of 200)"
    assert cell("active_share").diff == pytest.approx(-20)
    assert brief.units["active_share"].unit == "actives per 1,000 residents"
