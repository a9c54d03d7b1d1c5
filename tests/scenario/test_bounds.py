"""Bounded reading of scenario files: sizes, devices, aliases, nesting, and clear messages.

Each test is a reproducer from the hardening issue (#14): the input once gave a traceback,
a hang or an unclear message; now it gives a ScenarioError with file, line and a reason.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssrsim.scenario import Issue, ScenarioError, load_experiment, load_scenario
from ssrsim.scenario._yaml import MAX_DEPTH, MAX_FILE_BYTES, MAX_ITEMS, MAX_VALUES
from ssrsim.scenario.loader import MAX_POLICIES, MAX_SWEEP_CHECKS

BASE = "name: base\n"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problem(path: Path | str) -> Issue:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert time.perf_counter() - started < 5, "bad input must be refused quickly"
    assert len(caught.value.issues) == 1, caught.value.issues
    return caught.value.issues[0]


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux devices")


# --- endless and oversized files ----------------------------------------------------------


@linux_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_given_directly_is_refused(device):
    issue = problem(device)
    assert issue.file == device
    assert "not a regular file" in issue.message


@linux_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_extends_of_a_device_is_refused(tmp_path, device):
    file = write(tmp_path, "s.yaml", f"extends: {device}\n")
    issue = problem(file)
    assert (issue.file, issue.line, issue.path) == (str(file), 1, "extends")
    assert ".yaml or .yml" in issue.message


@linux_only
def test_extends_of_a_device_behind_a_yaml_name_is_refused(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    file = write(tmp_path, "s.yaml", "extends: zero.yaml\n")
    issue = problem(file)
    assert (issue.line, issue.path) == (1, "extends")
    assert "a link to a file whose name does not end in .yaml" in issue.message
    (tmp_path / "zero2.yaml").symlink_to(tmp_path / "zero.yaml")  # a .yaml link to a .yaml link
    assert "a link to a file" in problem(write(tmp_path, "t.yaml", "extends: zero2.yaml\n")
                                         ).message


def test_a_device_given_directly_behind_a_yaml_name_is_refused(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    assert "not a regular file" in problem(tmp_path / "zero.yaml").message


def test_a_pipe_is_refused_without_blocking(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in problem(fifo).message


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    assert "cannot read" in problem(tmp_path / "dir.yaml").message


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\nname: big\n")
    file = write(tmp_path, "s.yaml", "extends: big.yaml\n")
    issue = problem(file)
    assert (issue.file, issue.line, issue.path) == (str(file), 1, "extends")
    assert f"larger than {MAX_FILE_BYTES} bytes" in issue.message
    assert f"larger than {MAX_FILE_BYTES} bytes" in problem(big).message


def test_extends_reaches_only_scenario_files_and_never_quotes_others(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:TOPSECRET\n")
    file = write(tmp_path, "s.yaml", "extends: secret.txt\n")
    issue = problem(file)
    assert "TOPSECRET" not in str(issue)
    assert ".yaml or .yml" in issue.message


def test_extends_of_a_yaml_link_to_another_file_is_refused_unquoted(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:TOPSECRET:/root:/bin/bash\n")
    (tmp_path / "p.yaml").symlink_to(secret)
    issue = problem(write(tmp_path, "s.yaml", "extends: p.yaml\n"))
    assert (issue.line, issue.path) == (1, "extends") and "TOPSECRET" not in str(issue)
    assert "TOPSECRET" not in str(problem(tmp_path / "p.yaml"))  # given directly: not quoted


def test_extends_of_a_yaml_link_to_a_scenario_file_is_followed(tmp_path):
    write(tmp_path, "real.yml", "name: real\nseed: 5\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yml")
    assert load_scenario(write(tmp_path, "s.yaml", "extends: link.yaml\n")).seed == 5


def test_a_non_scenario_file_given_directly_is_not_quoted(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:TOPSECRET:/root:/bin/bash\n")
    issue = problem(secret)
    assert "TOPSECRET" not in str(issue)
    assert "mapping" in issue.message


# --- alias bombs, sizes and nesting --------------------------------------------------------


@pytest.mark.parametrize("count", [1_500, 3_000])
def test_many_policies_made_by_one_alias_are_refused_quickly(tmp_path, count):
    lines = ["policies:", "  p0: &p {set: {budget.per_week: 12}}"]
    lines += [f"  p{i}: *p" for i in range(1, count)]
    file = write(tmp_path, "s.yaml", "\n".join(lines) + "\n")
    issue = problem(file)
    assert (issue.line, issue.path) == (1, "policies")
    assert f"at most {MAX_POLICIES}" in issue.message


def test_a_sweep_of_20000_aliased_numbers_is_refused_quickly(tmp_path):
    values = "[&n 12" + ", *n" * 19_999 + "]"
    file = write(tmp_path, "s.yaml", f"sweep:\n  parameters:\n    budget.per_week:\n"
                                     f"      values: {values}\n")
    issue = problem(file)
    assert issue.line == 4
    assert f"at most {MAX_ITEMS}" in issue.message


def test_repeated_sweep_values_are_checked_once(tmp_path):
    values = "[&n 12" + ", *n" * 5_000 + "]"
    file = write(tmp_path, "s.yaml", f"sweep:\n  parameters:\n    budget.per_week:\n"
                                     f"      values: {values}\n")
    started = time.perf_counter()
    load_experiment(file)
    assert time.perf_counter() - started < 5


def test_too_many_different_sweep_values_are_refused(tmp_path):
    values = ", ".join(str(1 + i / 1000) for i in range(MAX_SWEEP_CHECKS + 1))
    file = write(tmp_path, "s.yaml", f"sweep:\n  parameters:\n    budget.per_week:\n"
                                     f"      values: [{values}]\n")
    issue = problem(file)
    assert issue.line == 4
    assert f"at most {MAX_SWEEP_CHECKS}" in issue.message


def test_a_billion_laughs_is_refused_with_a_line(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    file = write(tmp_path, "s.yaml", "\n".join(lines) + "\n")
    issue = problem(file)
    assert issue.line is not None and 1 <= issue.line <= 9
    assert f"more than {MAX_VALUES} values" in issue.message


def test_a_2000_deep_nested_list_names_its_line(tmp_path):
    file = write(tmp_path, "s.yaml", "name: base\ndescription: " + "[" * 2000 + "]" * 2000
                 + "\n")
    issue = problem(file)
    assert issue.line == 2
    assert f"more than {MAX_DEPTH} levels" in issue.message


def test_nesting_at_the_limit_is_read(tmp_path):
    file = write(tmp_path, "s.yaml", "name: base\nx: " + "[" * (MAX_DEPTH - 1)
                 + "]" * (MAX_DEPTH - 1) + "\n")
    issue = problem(file)  # read, then refused by the schema as an unknown key
    assert issue.path == "x"


# --- unclear messages ------------------------------------------------------------------------


def test_a_bad_timestamp_says_what_a_timestamp_is(tmp_path):
    file = write(tmp_path, "s.yaml", "name: !!timestamp garbage\n")
    issue = problem(file)
    assert issue.line == 1
    assert "groupdict" not in issue.message and "NoneType" not in issue.message
    assert "'garbage'" in issue.message and "2004-01-05" in issue.message


def test_extends_as_a_list_is_reported_as_written(tmp_path):
    write(tmp_path, "baseline.yaml", BASE)
    file = write(tmp_path, "s.yaml", "extends: [baseline.yaml]\n")
    issue = problem(file)
    assert "Node(" not in str(issue) and "Where(" not in str(issue)
    assert issue.value == ["baseline.yaml"]
    assert (issue.line, issue.path) == (1, "extends")


# --- fuzz: bad shapes never give anything but a ScenarioError, quickly ----------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def bad_shapes(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["alias_list", "alias_policies", "deep", "deep_map",
                                 "long_list", "laughs", "extends", "tag"]))
    n = draw(st.integers(min_value=1, max_value=30_000))
    if kind == "alias_list":
        return "sweep:\n  parameters:\n    seed:\n      values: [&n 1" + ", *n" * n + "]\n"
    if kind == "alias_policies":
        return "policies:\n  p0: &p {set: {seed: 1}}\n" + "".join(
            f"  p{i}: *p\n" for i in range(1, min(n, 3_000)))
    if kind == "deep":
        return "name: " + _nested(min(n, 5_000)) + "\n"
    if kind == "deep_map":
        depth = min(n, 2_000)
        return "a: " + "{b: " * depth + "1" + "}" * depth + "\n"
    if kind == "long_list":
        return "events: [" + ", ".join(["{}"] * min(n, 20_000)) + "]\n"
    if kind == "laughs":
        width = draw(st.integers(min_value=2, max_value=12))
        levels = draw(st.integers(min_value=1, max_value=12))
        lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]"
                  for i in range(1, levels)]
        return "\n".join(lines) + "\n"
    if kind == "extends":
        target = draw(st.sampled_from(["[a.yaml]", "{a: 1}", "/dev/zero", "/dev/urandom",
                                       "/etc/passwd", "missing.yaml", "''", "1", "s.yaml"]))
        return f"extends: {target}\n"
    tag = draw(st.sampled_from(["!!timestamp", "!!int", "!!float", "!!bool", "!!binary",
                                "!!set", "!!python/object", "!!omap", "!!str"]))
    return f"name: {tag} {draw(st.text(max_size=20).filter(lambda t: chr(10) not in t))}\n"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=bad_shapes())
def test_bad_shapes_give_a_scenario_error_quickly(tmp_path, text):
    file = tmp_path / "s.yaml"
    file.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    try:
        load_experiment(file)
    except ScenarioError as err:
        assert err.issues
        for issue in err.issues:
            assert "Node(" not in str(issue) and "NoneType" not in str(issue)
    assert time.perf_counter() - started < 10
