"""sensitivity() on synthetic Saltelli and Morris folders with known answers."""

import math

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from ssrsim.analysis import ResultsError, load_results
from ssrsim.analysis.sensitivity import sensitivity

NAMES = ["cmo.x1", "cmo.x2", "cmo.x3"]


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def sweep(method, bounds, **extra):
    return {"method": method, "samples": extra.pop("samples", 8), "levels": 4,
            "second_order": False,
            "parameters": {n: {"min": lo, "max": hi, "values": None}
                           for n, (lo, hi) in zip(NAMES, bounds, strict=True)}, **extra}


def design_folder(root, synthetic, method, x, y_by_replicate, sweep_block,
                  policies=("status_quo",)):
    """A folder whose runs give y_by_replicate[r][point] at each design point."""
    points = [dict(zip(NAMES, map(float, p), strict=True)) for p in x]
    rows = [{"policy": policy, "point": i, "replicate": r, "final_trust": v, "mean_trust": v}
            for policy in policies
            for r, ys in enumerate(y_by_replicate) for i, v in enumerate(ys)]
    shuffled = pd.DataFrame(rows).sample(frac=1, random_state=0)  # order must not matter
    return synthetic(root, shuffled, policies=list(policies), method=method,
                     points=points, sweep=sweep_block)


def ishigami_problem():
    return {"num_vars": 3, "names": NAMES, "bounds": [[-math.pi, math.pi]] * 3}


def test_sobol_indices_of_the_ishigami_function(tmp_path, synthetic):
    x = sobol_sample.sample(ishigami_problem(), 1024, calc_second_order=False, seed=3)
    y = ishigami(x)
    folder = design_folder(tmp_path / "r", synthetic, "saltelli", x, [y],
                           sweep("saltelli", [(-math.pi, math.pi)] * 3, samples=1024))
    sens = sensitivity(load_results(folder), measures=["trust"])
    table = sens.table.set_index("parameter")
    assert sens.method == "saltelli" and sens.policy == "status_quo"
    assert sens.points == len(x) and sens.interactions is None
    np.testing.assert_allclose(table.loc[NAMES, "S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(table.loc[NAMES, "ST"], [0.558, 0.442, 0.244], atol=0.05)
    assert list(table.loc[NAMES, "rank"]) == [1, 2, 3]
    assert (table["S1_conf"] > 0).all()


def test_second_order_indices_when_the_design_has_them(tmp_path, synthetic):
    x = sobol_sample.sample(ishigami_problem(), 512, calc_second_order=True, seed=4)
    folder = design_folder(tmp_path / "r", synthetic, "saltelli", x, [ishigami(x)],
                           sweep("saltelli", [(-math.pi, math.pi)] * 3, samples=512,
                                 second_order=True))
    pairs = sensitivity(load_results(folder), measures=["trust"]).interactions
    s2 = pairs.set_index(["parameter", "other"])["S2"]
    assert s2[("cmo.x1", "cmo.x3")] == pytest.approx(0.244, abs=0.1)
    assert abs(s2[("cmo.x1", "cmo.x2")]) < 0.1


def test_morris_ranks_a_linear_function(tmp_path, synthetic):
    problem = {"num_vars": 3, "names": NAMES, "bounds": [[0, 1]] * 3}
    x = morris_sample.sample(problem, 10, num_levels=4, seed=5)
    y = 10 * x[:, 0] + 1 * x[:, 1] + 0 * x[:, 2]
    # two replicates, each shifted by its own common noise: the shift cancels out
    folder = design_folder(tmp_path / "r", synthetic, "morris", x, [y + 0.3, y - 0.3],
                           sweep("morris", [(0, 1)] * 3, samples=10))
    sens = sensitivity(load_results(folder), measures=["trust"], statistic="final")
    table = sens.table.set_index("parameter")
    mu_star = table["mu_star"]
    assert mu_star["cmo.x1"] > mu_star["cmo.x2"] > mu_star["cmo.x3"]
    assert mu_star["cmo.x3"] == pytest.approx(0, abs=1e-9)
    # SALib's elementary effects are per unit of the [0, 1]-scaled range
    assert mu_star["cmo.x1"] == pytest.approx(10, rel=1e-6)
    assert table.loc["cmo.x1", "sigma"] == pytest.approx(0, abs=1e-6)
    assert sens.replicates == 2 and not sens.warnings


def test_a_design_that_is_not_morris_or_saltelli_is_refused(tmp_path, synthetic, paired):
    folder = synthetic(tmp_path / "r", paired({"status_quo": np.ones(3)}),
                       policies=["status_quo"], method="lhs", points=[{"cmo.x1": 0.5}])
    with pytest.raises(ResultsError, match=r"this batch's design is lhs; sensitivity needs a "
                                           r"Morris or Saltelli design: declare `sweep: "
                                           r"\{method: morris"):
        sensitivity(load_results(folder))


def test_unfinished_batches_unknown_measures_and_several_policies(tmp_path, synthetic):
    problem = {"num_vars": 3, "names": NAMES, "bounds": [[0, 1]] * 3}
    x = morris_sample.sample(problem, 4, num_levels=4, seed=6)
    block = sweep("morris", [(0, 1)] * 3, samples=4)
    folder = design_folder(tmp_path / "two", synthetic, "morris", x, [x[:, 0]], block,
                           policies=("status_quo", "coordinated"))
    results = load_results(folder)
    with pytest.raises(ResultsError, match=r"2 policies.*status_quo, coordinated"):
        sensitivity(results)
    with pytest.raises(ResultsError, match="no measure 'nope'"):
        sensitivity(results, policy="status_quo", measures=["nope"])
    small = sensitivity(results, policy="coordinated", measures=["trust"])
    assert len(small.table) == 3
    assert any("only 4 Morris trajectories" in w for w in small.warnings)

    short = design_folder(tmp_path / "short", synthetic, "morris", x, [x[:, 0]], block)
    summary = pd.read_parquet(short / "summary.parquet")
    summary[~summary["point"].isin([3, 7])].to_parquet(short / "summary.parquet")
    with pytest.raises(ResultsError, match=r"2 of 16 design points have no finished run"):
        sensitivity(load_results(short), measures=["trust"])
