"""End-to-end tests of the `ssrsim` command (installed entry point and in-process main)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ssrsim.cli import main

SMALL = ["--set", "space.width=20", "--set", "space.height=20", "--steps", "5"]


def ssrsim(*args, cwd=None):
    exe = shutil.which("ssrsim") or str(Path(sys.executable).parent / "ssrsim")
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_importing_the_cli_does_not_load_the_model_or_app():
    """`--help`, `validate` and `schema` must start without Mesa, pandas or Solara."""
    code = ("import ssrsim.cli, sys; "
            "print(sorted(m for m in ('mesa', 'pandas', 'solara') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.slow  # a fresh interpreter
def test_lazy_public_names_are_the_real_ones():
    """`ssrsim.run` is the function, also after the module that defines it is imported."""
    code = ("import ssrsim.single_run as _, ssrsim; from ssrsim import SSRModel, run; "
            "from ssrsim.model import SSRModel as M; from ssrsim.single_run import run as r; "
            "print(SSRModel is M, run is r, ssrsim.run is r)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "True"]


@pytest.mark.slow  # the installed command in a subprocess
def test_installed_command_runs_baseline(tmp_path):
    out = tmp_path / "run"
    proc = ssrsim("run", "scenarios/baseline.yaml", *SMALL, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "trust" in proc.stdout and "stability" in proc.stdout
    table = pd.read_parquet(out / "timeseries.parquet")
    assert len(table) == 6
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 5 and summary["scenario"] == "baseline"


def test_run_policy_seed_and_default_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(Path(__file__).parents[1] / "scenarios/baseline.yaml",
                tmp_path / "baseline.yaml")
    code = main(["run", "baseline.yaml", *SMALL, "--seed", "7", "--policy", "coordinated",
                 "--quiet"])
    assert code == 0
    summary = json.loads((tmp_path / "runs/baseline-coordinated-seed7/summary.json").read_text())
    assert summary["policy"] == "coordinated"
    assert summary["seed"] == 7


@pytest.mark.slow  # the installed command in a subprocess
def test_bad_scenario_exits_2_with_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nbudget:\n  per_week: -3\nbugdet: 1\n")
    proc = ssrsim("run", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    message = proc.stderr
    assert "bad.yaml:3" in message and "budget.per_week" in message and "-3" in message
    assert "bad.yaml:4" in message and "did you mean" in message


def test_unknown_policy_exits_2(capsys):
    assert main(["run", "scenarios/baseline.yaml", "--policy", "nope", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "coordinated" in err


def test_bad_set_exits_2(capsys):
    assert main(["run", "scenarios/baseline.yaml", "--set", "budget.per_wek=3"]) == 2
    err = capsys.readouterr().err
    assert "per_week" in err


@pytest.mark.parametrize(("change", "words"), [
    ("extends=other.yaml", "extends cannot be changed"),
    ("sweep.method=lhs", "does not read `sweep:`"),
    ("policies.coordinated.set.budget.per_week=3", "policy 'coordinated' is not run"),
    ("budget.per_week=true", "expected a number, got true"),
])
def test_a_set_that_would_do_nothing_or_has_the_wrong_type_exits_2(capsys, change, words):
    assert main(["run", "scenarios/baseline.yaml", "--quiet", "--set", change]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["batch", "scenarios/baseline.yaml", "--workers", "-1"],
    ["batch", "scenarios/baseline.yaml", "--chunk-size", "-1"],
    ["batch", "scenarios/baseline.yaml", "--chunk-size", "0"],
    ["batch", "scenarios/baseline.yaml", "--replicates", "x"],
    ["check-case", "scenarios/liberia.yaml", "--workers", "-2"],
    ["compare", "results/x", "--baseline", "a", "--precision", "nan"],
    ["compare", "results/x", "--baseline", "a", "--precision", "-1"],
])
def test_counts_and_sizes_out_of_range_are_usage_errors(argv, capsys):
    """Issue #14: --workers -1 was a traceback, --chunk-size -1 ran nothing and said done."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_batch_library_refuses_bad_workers_and_chunks(tmp_path):
    from ssrsim.batch import BatchInputError, execute_batch, prepare_batch

    batch = prepare_batch("scenarios/baseline.yaml", out=tmp_path / "b",
                          policies=["status_quo"])
    for kwargs in ({"workers": -1}, {"chunk_size": 0}):
        with pytest.raises(BatchInputError):
            execute_batch(batch, **kwargs)
    assert not (tmp_path / "b" / "runs.jsonl").exists()


def test_validate_reports_each_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("activation:\n  rounding: ceil\n")
    code = main(["validate", "scenarios/baseline.yaml", "scenarios/epstein.yaml", str(bad)])
    out = capsys.readouterr().out
    assert code == 2
    assert "ok: scenarios/baseline.yaml" in out and "ok: scenarios/epstein.yaml" in out
    assert "(epstein: 1 district, 0 events, 5 policies)" in out
    assert "bad.yaml:2" in out and "ceil" in out and "floor" in out


def test_validate_all_shipped_scenarios(capsys):
    files = sorted(str(p) for p in Path("scenarios").glob("*.yaml"))
    assert main(["validate", *files]) == 0


def test_schema_json_and_markdown(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "budget" in schema["properties"]
    assert main(["schema", "--format", "markdown"]) == 0
    assert "activation.rounding" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["run"], ["frobnicate"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


@pytest.mark.slow  # the installed command in a subprocess
def test_batch_command_runs_and_reports(tmp_path):
    out = tmp_path / "b"
    proc = ssrsim("batch", "scenarios/baseline.yaml", *SMALL, "--replicates", "2",
                  "--policies", "status_quo,coordinated", "--workers", "0", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "4/4 runs done" in proc.stdout
    assert (out / "summary.parquet").exists() and (out / "manifest.json").exists()


def test_batch_bad_policy_exits_2(capsys):
    code = main(["batch", "scenarios/baseline.yaml", "--policies", "nope", "--out", "unused"])
    assert code == 2
    assert "unknown policy 'nope'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "b"
    code = main(["batch", "scenarios/baseline.yaml", *SMALL, "--replicates", "3",
                 "--policies", "status_quo,coordinated", "--workers", "0", "--quiet",
                 "--out", str(out)])
    assert code == 0
    return out


@pytest.mark.slow  # draws every figure (3 to 5 s)
def test_compare_command_writes_tables_and_figures(tiny_batch, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(tiny_batch), "--baseline", "status_quo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "The planner's brief" in printed and "coordinated (" in printed
    assert "Trade-offs" in printed and "comparisons" in printed
    assert "only 3 paired replicates" in printed
    assert "Where each option loses" not in printed  # no design: nothing to say
    assert not (out / "discovery.csv").exists()
    assert "**coordinated** compared with status_quo" in (out / "comparison.md").read_text()
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["policy"]) == {"status_quo", "coordinated"}
    assert any(p.suffix == ".svg" for p in out.iterdir())
    assert any(p.suffix == ".png" for p in out.iterdir())


LHS = ("sweep={method: lhs, samples: 20, parameters: {budget.per_week: {min: 2, max: 20}, "
       "trust.abuse_loss: {min: 0.0, max: 0.5}}}")


@pytest.fixture(scope="module")
def design_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "lhs"
    code = main(["batch", "scenarios/baseline.yaml", *SMALL, "--set", LHS, "--replicates", "1",
                 "--policies", "status_quo,coordinated", "--workers", "0", "--quiet",
                 "--out", str(out)])
    assert code == 0
    return out


@pytest.mark.slow  # 40 short runs, the figures twice, ema_workbench's import (15 s)
def test_compare_tells_where_each_option_loses_over_a_design(design_batch, tmp_path, capsys):
    pytest.importorskip("ema_workbench")
    out = tmp_path / "cmp"
    assert main(["compare", str(design_batch), "--baseline", "status_quo", "--out",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Where each option loses (PRIM over the 20 design points)" in printed
    table = pd.read_csv(out / "discovery.csv")
    assert set(table["option"]) == {"coordinated"} and (table["points"] == 20).all()
    assert list(dict.fromkeys(table["measure"])) == ["trust", "stability", "conduct"]
    for sentence in table["sentence"].unique():
        assert f"- {sentence}" in printed
    assert "## Where each option loses" in (out / "comparison.md").read_text()
    assert main(["compare", str(design_batch), "--baseline", "status_quo", "--no-discovery",
                 "--out", str(tmp_path / "plain")]) == 0
    assert "Where each option loses" not in capsys.readouterr().out
    assert not (tmp_path / "plain" / "discovery.csv").exists()
    assert main(["report", str(design_batch), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "<h2>Where each option loses (PRIM over the 20 design points)</h2>" in html
    assert "<th>where it loses</th>" in html


def test_compare_bad_inputs_exit_2(tiny_batch, tmp_path, capsys):
    assert main(["compare", str(tiny_batch), "--baseline", "nope"]) == 2
    assert "status_quo" in capsys.readouterr().err
    assert main(["compare", str(tiny_batch), "--baseline", "status_quo",
                 "--measures", "trustt", "--out", str(tmp_path)]) == 2
    assert "available" in capsys.readouterr().err
    assert main(["compare", str(tmp_path), "--baseline", "status_quo"]) == 2
    assert "not a batch results folder" in capsys.readouterr().err


def test_an_old_results_folder_exits_2_saying_how_to_remake_it(tiny_batch, tmp_path, capsys):
    folder = tmp_path / "old"
    shutil.copytree(tiny_batch, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["format_version"]
    manifest["format"] = "ssrsim-batch/1"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["compare", str(folder), "--baseline", "status_quo"]) == 2
    err = capsys.readouterr().err
    assert "results format 1" in err and "--force-new" in err


@pytest.mark.parametrize(("verdict", "small", "short"), [
    ("BETTER", False, "better"), ("WORSE", True, "worse (small)"),
    ("INDISTINGUISHABLE", False, "≈ baseline"), ("TOO_FEW", False, "?"),
    ("LOWER", False, "lower"), ("BASELINE", False, "baseline")])
def test_terminal_verdicts_are_short_words_of_the_verdict(verdict, small, short):
    from ssrsim.analysis.compare import Verdict
    from ssrsim.cli import _short_verdict

    assert _short_verdict(Verdict[verdict], small) == short


def test_sensitivity_refuses_a_batch_without_design(tiny_batch, capsys):
    assert main(["sensitivity", str(tiny_batch)]) == 2
    assert "Morris or Saltelli" in capsys.readouterr().err


def test_report_command_writes_html(tiny_batch, tmp_path):
    path = tmp_path / "r.html"
    assert main(["report", str(tiny_batch), "-o", str(path)]) == 0
    html = path.read_text()
    assert "coordinated" in html
    assert "<img" in html or "<svg" in html


def test_check_case_without_data_exits_2(capsys, tmp_path):
    code = main(["check-case", "scenarios/baseline.yaml", "--replicates", "1",
                 "--out", str(tmp_path / "cc")])
    assert code == 2
    assert "baseline.csv" in capsys.readouterr().err


# --- hardening (issue #14) --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../escape", "'nul\\0byte'", "x" * 5000])
def test_run_folder_from_a_hostile_name_stays_inside_runs(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    shutil.copy(Path(__file__).parents[1] / "scenarios/baseline.yaml", "baseline.yaml")
    Path("s.yaml").write_text(f"extends: baseline.yaml\nname: {name}\n")
    assert main(["run", "s.yaml", *SMALL, "--quiet"]) == 0
    (folder,) = Path("runs").iterdir()
    assert (folder / "summary.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    assert len(folder.name) < 120


def test_a_write_error_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    import errno

    import ssrsim.single_run as single_run

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr(single_run.pq, "write_table", full)
    code = main(["run", "scenarios/baseline.yaml", *SMALL, "--quiet", "--out",
                 str(tmp_path / "out")])
    assert code == 1
    assert "No space left on device" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_validate_dev_zero_is_a_clear_error(capsys):
    assert main(["validate", "/dev/zero"]) == 2
    out = capsys.readouterr().out
    assert "not a regular file" in out and "Traceback" not in out


def test_progress_log_prints_every_tenth_and_at_the_end():
    import io

    from ssrsim.cli import ProgressLog

    now = [0.0]
    stream = io.StringIO()
    log = ProgressLog("batch x", every=5.0, stream=stream, clock=lambda: now[0])
    for finished in range(1, 101):
        now[0] += 0.01
        log(finished - finished // 50, finished // 50, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("batch x: 100/100 runs (100%), 98 done, 2 failed")
    assert "ETA" in lines[0]


def test_progress_log_prints_after_some_seconds_even_without_a_tenth():
    import io

    from ssrsim.cli import ProgressLog

    now = [0.0]
    stream = io.StringIO()
    log = ProgressLog("calibrate", every=5.0, stream=stream, clock=lambda: now[0])
    for finished in range(1, 6):
        now[0] += 6.0
        log(finished, 0, 1000)
    assert len(stream.getvalue().splitlines()) == 5
    assert "ETA" in stream.getvalue()


def test_batch_reports_progress_lines_when_not_a_terminal(tmp_path, capsys):
    code = main(["batch", "scenarios/baseline.yaml", *SMALL, "--policies", "status_quo",
                 "--replicates", "2", "--workers", "0", "--out", str(tmp_path / "b")])
    assert code == 0
    err = capsys.readouterr().err
    assert "2/2 runs (100%), 2 done, 0 failed" in err


def test_run_reports_step_progress_lines_when_not_a_terminal(tmp_path, capsys):
    code = main(["run", "scenarios/baseline.yaml", *SMALL, "--out", str(tmp_path / "r")])
    assert code == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("run ")]
    steps = SMALL[SMALL.index("--steps") + 1]
    assert lines[-1].startswith(f"run baseline: {steps}/{steps} steps (100%), elapsed")
    assert "failed" not in lines[-1]


def test_version_is_the_installed_packages(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"ssrsim {version('ssrsim')}"
