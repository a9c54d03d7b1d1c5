"""Batches over posterior draws: which columns apply, drawing by weight, and a real batch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssrsim.analysis import compare, load_results
from ssrsim.batch import BatchInputError, execute_batch, prepare_batch
from ssrsim.batch.design import DesignError
from ssrsim.batch.posterior import posterior_design, read_posterior
from ssrsim.cli import main
from ssrsim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
TINY = ["space.width=16", "space.height=16", "time.steps=8"]


def write_posterior(folder: Path, weights=(0.5, 0.3, 0.2, 0.0), overrides=()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({
        "trust.abuse_loss": [0.05, 0.1, 0.2, 0.3][:len(weights)],
        "baseline:population.initial_trust.mean": [0.3, 0.4, 0.5, 0.6][:len(weights)],
        "mali:population.initial_army_trust.mean": 0.8,
        "weight": weights,
    })
    table.to_parquet(folder / "posterior.parquet", index=False)
    (folder / "settings.json").write_text(json.dumps({"overrides": list(overrides)}))
    return folder


def test_a_case_takes_the_shared_columns_and_its_own_by_path(tmp_path):
    posterior = read_posterior(write_posterior(tmp_path / "cal"), "baseline")
    assert list(posterior.values.columns) == ["trust.abuse_loss", "population.initial_trust.mean"]
    assert posterior.ignored == ("mali:population.initial_army_trust.mean",)
    assert posterior.weights.sum() == pytest.approx(1)
    mali = read_posterior(tmp_path / "cal" / "posterior.parquet", "mali")
    assert list(mali.values.columns) == ["trust.abuse_loss",
                                         "population.initial_army_trust.mean"]


def test_draws_follow_the_weights_and_the_seed(tmp_path):
    posterior = read_posterior(write_posterior(tmp_path / "cal"), "baseline")
    scenario = load_scenario(BASELINE)
    drawn = posterior_design(posterior, scenario, 4000, root_seed=7)
    shares = drawn["trust.abuse_loss"].value_counts(normalize=True)
    assert shares[0.05] == pytest.approx(0.5, abs=0.03)
    assert shares[0.2] == pytest.approx(0.2, abs=0.03)
    assert 0.3 not in shares.index  # weight 0 is never drawn
    again = posterior_design(posterior, scenario, 4000, root_seed=7)
    other = posterior_design(posterior, scenario, 4000, root_seed=8)
    pd.testing.assert_frame_equal(drawn, again)
    assert not drawn.equals(other)


@pytest.mark.parametrize(("table", "message"), [
    (pd.DataFrame({"trust.abuse_loss": [0.1]}), "needs rows and a 'weight' column"),
    (pd.DataFrame({"trust.abuse_loss": [0.1], "weight": [-1.0]}), "weights must be finite"),
    (pd.DataFrame({"mali:trust.abuse_loss": [0.1], "weight": [1.0]}), "it fits mali"),
    (pd.DataFrame({"trust.abuse_loss": [np.nan], "weight": [1.0]}), "not a finite number"),
])
def test_a_posterior_that_cannot_be_used_is_refused(tmp_path, table, message):
    table.to_parquet(tmp_path / "posterior.parquet", index=False)
    with pytest.raises(DesignError, match=message):
        read_posterior(tmp_path, "baseline")


def test_a_missing_file_or_a_bad_count_is_refused(tmp_path):
    with pytest.raises(DesignError, match="cannot read posterior"):
        read_posterior(tmp_path / "nothing.parquet", "baseline")
    posterior = read_posterior(write_posterior(tmp_path / "cal"), "baseline")
    with pytest.raises(DesignError, match="--draws must be 1 to 10,000"):
        posterior_design(posterior, load_scenario(BASELINE), 0, 1)


def test_a_drawn_world_the_scenario_does_not_allow_is_refused(tmp_path):
    folder = tmp_path / "cal"
    folder.mkdir()
    pd.DataFrame({"trust.abuse_loss": [1.5], "weight": [1.0]}).to_parquet(
        folder / "posterior.parquet")
    with pytest.raises(DesignError, match="does not fit scenario 'baseline'"):
        posterior_design(read_posterior(folder, "baseline"), load_scenario(BASELINE), 2, 1)


def test_a_batch_takes_one_design(tmp_path):
    sweep = "sweep={method: lhs, samples: 2, parameters: {cmo.coordination: {min: 0, max: 1}}}"
    with pytest.raises(BatchInputError, match="one design; this one has the scenario's sweep "
                                              "and --posterior"):
        prepare_batch(BASELINE, out=tmp_path / "out", overrides=[*TINY, sweep],
                      posterior=write_posterior(tmp_path / "cal"))


@pytest.mark.slow
def test_a_posterior_batch_pairs_options_within_each_world(tmp_path):
    out = tmp_path / "out"
    batch = prepare_batch(BASELINE, out=out, replicates=2, overrides=TINY,
                          policies=["status_quo", "coordinated"],
                          posterior=write_posterior(tmp_path / "cal"), draws=3)
    execute_batch(batch, workers=0)
    results = load_results(out)
    assert results.drawn and results.manifest.design.method == "posterior"
    source = results.manifest.design.source
    assert source["draws"] == 3 and source["particles"] == 4 and len(source["sha256"]) == 64
    values = results.values("trust")
    assert sorted(values["draw"].unique()) == [0, 1, 2]
    per_world = values.groupby(["draw", "replicate"])["seed"].nunique()
    assert (per_world == 1).all()  # both options share each world's seed
    row = compare(results, "status_quo", measures=["trust"]).table.iloc[1]
    assert row["worlds"] == 3 and row["n"] == 6


@pytest.mark.slow
def test_the_command_notes_the_calibration_s_changes(tmp_path, capsys):
    folder = write_posterior(tmp_path / "cal", overrides=[
        "space.width=40", "population.initial_trust.mean=0.5"])  # the second: drawn anyway
    code = main(["batch", str(BASELINE), "--posterior", str(folder), "--draws", "2",
                 "--policies", "status_quo", "--workers", "0", "--out", str(tmp_path / "o"),
                 *[a for s in TINY for a in ("--set", s)]])
    assert code == 0
    assert "fitted with --set space.width=40;" in capsys.readouterr().err
    assert main(["batch", str(BASELINE), "--draws", "2", "--out", str(tmp_path / "p")]) == 2
    assert "--draws needs --posterior" in capsys.readouterr().err


@pytest.mark.slow  # fifteen fresh interpreters
def test_reading_parquet_bytes_never_aborts_the_process_at_exit(tmp_path):
    """Arrow reading a Python file object from its threads aborted about one exit in three
    (134, "terminate called without an active exception") when the process ended at once."""
    path = tmp_path / "posterior.parquet"
    pd.DataFrame({"trust.abuse_loss": [0.1, 0.2], "weight": [0.5, 0.5]}).to_parquet(path)
    code = ("import sys\nfrom ssrsim.batch.design import parquet_table\n"
            f"parquet_table(open({str(path)!r}, 'rb').read())\nsys.exit(2)\n")
    codes = [subprocess.run([sys.executable, "-c", code], capture_output=True).returncode
             for _ in range(15)]
    assert codes == [2] * 15
