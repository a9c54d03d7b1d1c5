"""Where an option loses: PRIM over synthetic results with known loss regions, and its words."""

import math
import re
import sys

import numpy as np
import pandas as pd
import pytest

from ssrsim.analysis import ResultsError, load_results
from ssrsim.analysis import discovery as d
from ssrsim.analysis.discovery import Limit, Region, Status
from ssrsim.results_format import MeasureInfo

pytest.importorskip("ema_workbench")

PARAMETERS = ("a", "b", "c")


def design(n: int, seed: int = 0) -> list[dict[str, float]]:
    """n points spread over the unit square in a, b and c (a Latin hypercube)."""
    rng = np.random.default_rng(seed)
    columns = [(rng.permutation(n) + rng.uniform(0, 1, n)) / n for _ in PARAMETERS]
    return [{p: float(col[i]) for p, col in zip(PARAMETERS, columns, strict=True)}
            for i in range(n)]


def design_summary(points, effect, replicates=3, seed=1) -> pd.DataFrame:
    """status_quo and option at every point and replicate; the option's gain is effect(point).

    Seed noise is shared by both policies of a replicate (common random numbers) plus a
    small independent part, so each point's mean difference is effect(point) give or take.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for index, point in enumerate(points):
        for replicate in range(replicates):
            shared = rng.normal(0.5, 0.05)
            for policy, gain in (("status_quo", 0.0), ("option", effect(point))):
                value = shared + gain + rng.normal(0, 0.002)
                row = {"policy": policy, "point": index, "replicate": replicate,
                       "final_trust": value, "mean_trust": value,
                       "final_abuses": 5 - 10 * gain, "mean_abuses": 5 - 10 * gain}
                rows.append(row)
    return pd.DataFrame(rows)


def folder(tmp_path, synthetic, points, effect, method="lhs", **kwargs):
    """A results folder of a design (or, with method "posterior", of posterior draws)."""
    summary = design_summary(points, effect, **kwargs)
    return load_results(synthetic(tmp_path / "batch", summary,
                                  policies=["status_quo", "option"], method=method,
                                  points=points))


def corner(point) -> float:
    """Loses (−0.1) exactly when a > 0.7 and b < 0.3, else gains 0.1."""
    return -0.1 if point["a"] > 0.7 and point["b"] < 0.3 else 0.1


def region_of(regions, measure="trust") -> Region:
    return next(r for r in regions if r.measure == measure)


def inside(table: pd.DataFrame, limits) -> np.ndarray:
    """Which rows of a per-point table lie in a box, computed here from the limits alone."""
    keep = np.ones(len(table), dtype=bool)
    for limit in limits:
        values = table[limit.parameter]
        if limit.categories:
            keep &= values.astype(str).isin(limit.categories).to_numpy()
        if limit.low is not None:
            keep &= (values >= limit.low).to_numpy()
        if limit.high is not None:
            keep &= (values <= limit.high).to_numpy()
    return keep


def test_prim_recovers_a_known_loss_region(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(200), corner)
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    assert region.status == Status.BOX
    limits = {lim.parameter: lim for lim in region.limits}
    assert set(limits) == {"a", "b"}  # c has nothing to do with it
    assert 0.65 < limits["a"].low < 0.75 and limits["a"].high is None
    assert 0.25 < limits["b"].high < 0.35 and limits["b"].low is None
    assert region.coverage >= 0.9 and region.density >= d.DENSITY
    assert all(lim.qp <= d.SIGNIFICANCE for lim in region.limits)


def test_the_sentence_and_the_box_numbers_match_the_data(tmp_path, synthetic):
    points = design(120, seed=4)
    results = folder(tmp_path, synthetic, points, corner)
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    table = d.point_differences(results.values("trust", "mean"), "option", "status_quo",
                                PARAMETERS)
    lost = table["diff"].to_numpy() < 0
    wins = int((table["diff"] > 0).sum())
    assert (region.points, region.wins, region.losses) == (120, wins, int(lost.sum()))
    box = inside(table, region.limits)
    assert region.box_points == int(box.sum())
    assert region.box_hits == int((box & lost).sum()) and region.box_of == "losses"
    assert region.coverage == pytest.approx((box & lost).sum() / lost.sum())
    assert region.density == pytest.approx((box & lost).sum() / box.sum())
    text = region.sentence
    assert text.startswith(f"option beats status_quo on trust in {wins / 120:.0%} of design "
                           f"points (of 120); it loses mostly when ")
    assert f"(coverage {region.coverage:.0%})" in text
    assert f"(density {region.density:.0%})" in text
    assert f"holds {d.fraction(region.coverage)} of the design points where it loses" in text
    for limit in region.limits:
        low, high = limit.low, limit.high
        expected = (f"between {low:.3g} and {high:.3g}" if low is not None and high is not None
                    else f"above {low:.3g}" if low is not None else f"below {high:.3g}")
        assert f"{limit.parameter} is {expected}" in text


def test_point_differences_average_the_paired_replicates(tmp_path, synthetic):
    points = design(20)
    results = folder(tmp_path, synthetic, points, corner, replicates=4)
    values = results.values("trust", "mean")
    table = d.point_differences(values, "option", "status_quo", PARAMETERS)
    wide = values.pivot_table(index=["point", "replicate"], columns="policy", values="value")
    expected = (wide["option"] - wide["status_quo"]).groupby(level="point").mean()
    assert np.allclose(table.set_index("point")["diff"], expected)
    assert (table["replicates"] == 4).all()
    assert np.allclose(table["a"], [p["a"] for p in points])


@pytest.mark.parametrize(("effect", "status", "words"), [
    (lambda p: 0.1, Status.NEVER,
     "option never loses to status_quo on trust: it beats it in 40 of the 40 design points."),
    (lambda p: -0.1, Status.ALWAYS,
     "option loses to status_quo on trust in every one of the 40 design points."),
    (lambda p: -0.1 if p["a"] < 0.05 else 0.1, Status.TOO_FEW_LOSSES,
     "option beats status_quo on trust in 95% of design points (of 40); it loses in 2 of "
     "them, too few to tell where (at least 3 are needed)."),
    (lambda p: 0.1 if round(p["c"] * 1000) % 9 == 0 else -0.1, Status.EVERYWHERE,  # wins scattered
     "option beats status_quo on trust in 15% of design points (of 40); it loses in 34 of "
     "them, across the whole range of the parameters: no region stands out."),
])
def test_no_box_is_told_in_words(tmp_path, synthetic, effect, status, words):
    results = folder(tmp_path, synthetic, design(40), effect)
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    assert region.status == status and not region.limits
    assert region.sentence == words


def test_where_an_option_loses_nearly_everywhere_the_box_of_its_wins_is_told(
        tmp_path, synthetic):
    """A planner asks of a bad option where it still works: here when a < 0.25 and b < 0.5."""
    def wins_in_a_corner(p):
        return 0.1 if p["a"] < 0.25 and p["b"] < 0.5 else -0.1

    points = design(200, seed=3)
    results = folder(tmp_path, synthetic, points, wins_in_a_corner)
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    assert region.losses / region.points >= d.DENSITY
    assert region.status == Status.WINS_BOX and region.box_of == "wins"
    limits = {lim.parameter: lim for lim in region.limits}
    assert set(limits) == {"a", "b"}
    assert 0.2 < limits["a"].high < 0.3 and limits["a"].low is None
    assert 0.45 < limits["b"].high < 0.55 and limits["b"].low is None
    table = d.point_differences(results.values("trust", "mean"), "option", "status_quo",
                                PARAMETERS)
    won = table["diff"].to_numpy() > 0
    box = inside(table, region.limits)
    assert region.box_hits == int((box & won).sum())
    assert region.coverage == pytest.approx((box & won).sum() / won.sum())
    assert region.density == pytest.approx((box & won).sum() / box.sum())
    assert region.density >= d.DENSITY
    assert "nearly everywhere, but it still wins mostly when a is below" in region.sentence
    assert "of the design points where it wins" in region.sentence
    _, rows = d.box_rows([region])
    assert rows[0][4].startswith("nearly everywhere; it wins only when a is below")


def test_too_few_points_are_told_in_words(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(12), corner)
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    assert region.status == Status.TOO_FEW_POINTS and region.points == 12
    assert "12 design points are too few to tell where it loses" in region.sentence
    assert f"at least {d.MIN_POINTS}" in region.sentence


def test_losses_by_chance_give_no_box(tmp_path, synthetic):
    rng = np.random.default_rng(5)
    points = design(100, seed=2)
    gains = {p["a"]: g for p, g in zip(points, rng.normal(0.02, 0.1, 100), strict=True)}
    results = folder(tmp_path, synthetic, points, lambda p: gains[p["a"]])
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    assert region.status == Status.SPREAD and not region.limits
    assert "spread out: PRIM found no region, beyond what chance would give" in region.sentence


def test_whole_numbers_and_categories_are_told_as_such():
    rng = np.random.default_rng(3)
    n = 150
    table = pd.DataFrame({"k": rng.integers(1, 7, n), "mode": rng.choice(["x", "y", "z"], n),
                          "on": rng.choice([True, False], n), "a": rng.uniform(0, 1, n)})
    loses = (table["k"] >= 4) & (table["mode"] == "x")
    table["diff"] = np.where(loses, 0.2, -0.2)  # lower is better: a loss is a rise
    region = d.find_region(table, ["k", "mode", "on", "a"], "lower", option="o",
                           baseline="b", measure="abuses", label="abuses")
    assert region.status == Status.BOX
    words = {lim.parameter: lim.words for lim in region.limits}
    assert words == {"k": "k is at least 4", "mode": "mode is one of x"}
    assert region.coverage == 1.0 and region.density == 1.0
    assert "it loses mostly when" in region.sentence


def test_draws_are_told_as_plausible_worlds(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(60), corner, method="posterior")
    assert "draw" in results.values("trust").columns
    region = region_of(d.discover(results, "status_quo", measures=["trust"]))
    assert "of plausible worlds (of 60)" in region.sentence
    assert "of the plausible worlds where it loses" in region.sentence


def test_a_lower_is_better_measure_loses_when_it_rises(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(200), corner)
    region = region_of(d.discover(results, "status_quo", measures=["abuses"]), "abuses")
    assert region.status == Status.BOX  # abuses rise exactly where trust falls
    assert {lim.parameter for lim in region.limits} == {"a", "b"}
    assert region.losses == sum(corner(p) < 0 for p in design(200))


def test_measures_default_to_a_few_headline_ones_with_a_direction(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(20), corner)
    assert d.discovery_measures(results) == ["trust"]  # abuses is not headline here
    assert d.discovery_measures(results, ["abuses", "trust", "abuses"]) == ["abuses", "trust"]
    with pytest.raises(ResultsError, match="available"):
        d.discovery_measures(results, ["nope"])


def test_a_headline_measure_without_direction_is_left_out(tmp_path, synthetic):
    summary = design_summary(design(20), corner)
    infos = [MeasureInfo("trust", "Trust", "", None, "", True),
             MeasureInfo("abuses", "Abuses", "", "lower", "", True)]
    results = load_results(synthetic(tmp_path / "b", summary,
                                     policies=["status_quo", "option"], method="lhs",
                                     points=design(20), measures=infos))
    assert d.discovery_measures(results) == ["abuses"]


def test_a_batch_without_design_is_refused(tmp_path, synthetic, paired):
    summary = paired({"status_quo": np.zeros(3), "option": np.ones(3)})
    results = load_results(synthetic(tmp_path / "b", summary,
                                     policies=["status_quo", "option"]))
    assert not d.has_points(results)
    with pytest.raises(ResultsError, match="no parameter"):
        d.discover(results, "status_quo")


def test_the_table_has_a_row_per_restricted_parameter(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(200), corner)
    regions = d.discover(results, "status_quo", measures=["trust", "abuses"])
    path = d.write_discovery(regions, tmp_path / "out")
    table = pd.read_csv(path)
    assert path.name == "discovery.csv"
    assert len(table) == sum(max(1, len(r.limits)) for r in regions)
    trust = table[table["measure"] == "trust"].set_index("parameter")
    assert trust.loc["a", "restriction"].startswith("a is above 0.")
    assert math.isnan(trust.loc["a", "high"]) and trust.loc["a", "low"] > 0.65
    header, rows = d.box_rows(regions)
    assert len(rows) == len(regions) and len(header) == len(rows[0])


def test_without_ema_workbench_it_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    with pytest.raises(d.DiscoveryUnavailable, match=re.escape(d.INSTALL)):
        d.load_prim()


def test_prim_prints_and_warns_nothing(tmp_path, synthetic, capsys, recwarn):
    results = folder(tmp_path, synthetic, design(60), corner)
    d.discover(results, "status_quo", measures=["trust"])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert not [w for w in recwarn if "ema_workbench" in str(w.filename)]


@pytest.mark.parametrize(("value", "text"), [
    (0.21345, "0.213"), (8.0, "8"), (7.96, "7.96"), (1234.5, "1,230"), (0.000123456,
                                                                         "0.000123"),
    (-2.5, "-2.5")])
def test_numbers_have_three_significant_figures(value, text):
    assert d.number(value) == text


@pytest.mark.parametrize(("share", "text"), [
    (1.0, "all"), (0.97, "nearly all"), (0.7, "7 in 10"), (0.66, "7 in 10"),
    (0.04, "under 1 in 10"), (0.0, "none")])
def test_shares_are_told_in_tenths(share, text):
    assert d.fraction(share) == text


def test_percent_is_never_all_unless_all():
    assert d.percent(999, 1000) == "over 99%" and d.percent(1000, 1000) == "100%"
    assert d.percent(1, 1000) == "under 1%" and d.percent(0, 10) == "0%"


@pytest.mark.parametrize(("limit", "words"), [
    (Limit("x", low=0.2134), "x is above 0.213"),
    (Limit("x", high=8.0), "x is below 8"),
    (Limit("x", low=0.1, high=0.5), "x is between 0.1 and 0.5"),
    (Limit("n", low=2.5, integer=True), "n is at least 3"),
    (Limit("n", high=4.5, integer=True), "n is at most 4"),
    (Limit("n", low=1.5, high=4.5, integer=True), "n is from 2 to 4"),
    (Limit("n", low=2.5, high=3.5, integer=True), "n is 3"),
    (Limit("m", categories=("x", "y")), "m is one of x, y"),
])
def test_limits_in_words(limit, words):
    assert limit.words == words


def compare_args(**changes):
    import argparse

    values = {"baseline": "status_quo", "measures": None, "statistic": "mean"}
    return argparse.Namespace(**{**values, **changes})


def test_compare_prints_the_section_in_short(tmp_path, synthetic):
    from rich.console import Console

    from ssrsim.cli import _print_discovery, _where_options_lose

    results = folder(tmp_path, synthetic, design(200), corner)
    regions, note = _where_options_lose(results, compare_args(), burn_in=0)
    assert note is None and [r.measure for r in regions] == ["trust"]
    console = Console(record=True, width=100)
    _print_discovery(results, regions, note, console)
    text = console.export_text()
    assert text.startswith("Where each option loses (PRIM over the 200 design points)\n")
    assert "- option beats status_quo on trust in" in text
    assert "it loses mostly when" in text and "density 80%" in text


def test_compare_says_nothing_without_a_design_and_one_line_when_it_cannot(
        tmp_path, synthetic, paired, monkeypatch):
    from ssrsim.cli import _where_options_lose

    summary = paired({"status_quo": np.zeros(3), "option": np.ones(3)})
    plain = load_results(synthetic(tmp_path / "plain", summary,
                                   policies=["status_quo", "option"]))
    assert _where_options_lose(plain, compare_args(), 0) == ([], None)
    small = folder(tmp_path / "small", synthetic, design(12), corner)
    regions, note = _where_options_lose(small, compare_args(), 0)
    assert regions == [] and "the batch has 12 design points; at least 20" in note
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    big = folder(tmp_path / "big", synthetic, design(40), corner)
    regions, note = _where_options_lose(big, compare_args(), 0)
    assert regions == [] and note.endswith(d.INSTALL)


def test_the_report_section_tells_the_boxes_in_words_and_a_table(tmp_path, synthetic):
    from ssrsim.analysis.report import _discovery_section

    results = folder(tmp_path, synthetic, design(200), corner, method="posterior")
    html = _discovery_section(results, "status_quo", None, 0)
    assert "<h2>Where each option loses (PRIM over the 200 plausible worlds)</h2>" in html
    assert "<strong>option</strong> beats <strong>status_quo</strong> on trust" in html
    assert "<th>where it loses</th>" in html and "a is above 0." in html
    assert "density 80%" in html


def test_markdown_has_the_sentences_and_the_table(tmp_path, synthetic):
    results = folder(tmp_path, synthetic, design(40), lambda p: 0.1)
    regions = d.discover(results, "status_quo")
    lines = d.discovery_markdown(results, regions)
    assert lines[0] == "## Where each option loses (PRIM over the 40 design points)"
    assert "- **option** never loses to **status_quo** on trust" in "\n".join(lines)
    assert "| option | trust | 100% of 40 | 0 | never loses | – | – |" in lines


def test_ties_are_neither_wins_nor_losses():
    rng = np.random.default_rng(8)
    table = pd.DataFrame({"a": rng.uniform(0, 1, 30)})
    table["diff"] = np.where(table["a"] < 0.5, 0.0, 0.3)
    region = d.find_region(table, ["a"], "higher", option="o", baseline="b", measure="m",
                           label="stability")
    wins = int((table["a"] >= 0.5).sum())
    assert (region.status, region.wins, region.losses) == (Status.NEVER, wins, 0)
    assert region.sentence.endswith(f"it beats it in {wins} of the 30 design points, and ties "
                                    f"in the other {30 - wins}.")


def test_the_box_is_the_highest_coverage_one_that_is_dense_enough():
    from types import SimpleNamespace

    trajectory = pd.DataFrame({"coverage": [1.0, 0.95, 0.9, 0.6, 0.3],
                               "density": [0.3, 0.7, 0.85, 1.0, 1.0],
                               "res_dim": [0, 1, 2, 2, 3], "n": [100, 60, 40, 24, 12]})
    significant = [{"a": [0.01, -1], "b": [-1, 0.02]}] * len(trajectory)
    box = SimpleNamespace(peeling_trajectory=trajectory, p_values=significant)
    assert d.choose(box, 0.8) == 2
    assert d.choose(box, 0.9) == 3
    assert d.choose(box, 1.01) is None


def mixed_noise(seed: int, n: int = 60) -> pd.DataFrame:
    """Losses at random (1 in 4) over real, whole-number and categorical parameters."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n),
                          "k": rng.integers(1, 6, n), "mode": rng.choice(["x", "y", "z"], n)})
    table["diff"] = np.where(rng.uniform(0, 1, n) < 0.25, -1.0, 1.0)
    return table


def test_a_box_chance_could_make_is_not_reported(monkeypatch):
    def statuses():
        return [d.find_region(mixed_noise(seed), ["a", "b", "k", "mode"], "higher",
                              option="o", baseline="b", measure="m", label="m").status
                for seed in range(8)]

    assert set(statuses()) == {Status.SPREAD}
    monkeypatch.setattr(d, "SIGNIFICANCE", 1.0)  # without the quasi-p-value test...
    assert Status.BOX in statuses()  # ...PRIM presents some of these chance layouts as boxes


def test_no_difference_anywhere_is_said_so_and_ties_are_counted():
    table = pd.DataFrame({"a": np.linspace(0, 1, 25), "diff": 0.0})
    same = d.find_region(table, ["a"], "higher", option="o", baseline="b", measure="m",
                         label="reform uptake")
    assert same.status == Status.SAME
    assert same.sentence == "o does not differ from b on reform uptake in any of the 25 " \
                            "design points."
    table["diff"] = [0.1] * 10 + [0.0] * 13 + [-0.1] * 2
    few = d.find_region(table, ["a"], "higher", option="o", baseline="b", measure="m",
                        label="m")
    assert (few.wins, few.ties, few.losses) == (10, 13, 2)
    assert few.sentence.startswith("o beats b on m in 40% of design points (of 25; 13 ties); "
                                   "it loses in 2 of them")


def test_a_region_is_found_through_noisy_outcomes():
    """1 point in 10 has its outcome flipped: the region a > 0.5 and b < 0.5 still shows."""
    found = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        table = pd.DataFrame(design(120, seed=seed))
        lose = ((table["a"] > 0.5) & (table["b"] < 0.5)).to_numpy()
        lose = lose ^ (rng.uniform(0, 1, 120) < 0.1)
        table["diff"] = np.where(lose, -0.1, 0.1)
        region = d.find_region(table, PARAMETERS, "higher", option="o", baseline="b",
                               measure="m", label="m")
        if region.status == Status.BOX:
            limits = {lim.parameter: lim for lim in region.limits}
            assert set(limits) == {"a", "b"}
            assert 0.3 < limits["a"].low < 0.65 and limits["a"].high is None
            assert 0.4 < limits["b"].high < 0.7 and limits["b"].low is None
            found.append(seed)
    assert len(found) >= 5
