"""`ssrsim serve`: arguments, validation first, the Solara child's command and environment."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ssrsim.app import server
from ssrsim.app.config import ENV_COMPARE, ENV_POLICY, ENV_SCENARIO, AppConfig, app_config


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    server.add_arguments(parser)
    return parser.parse_args(argv)


def test_arguments_and_defaults():
    args = parse("s.yaml")
    assert (args.scenario, args.host, args.port, args.compare, args.policy) == (
        "s.yaml", "127.0.0.1", 8765, None, None)
    args = parse("s.yaml", "--compare", "a", "b", "--host", "0.0.0.0", "--port", "9000")
    assert args.compare == ["a", "b"] and args.host == "0.0.0.0" and args.port == 9000


def test_child_environment_carries_the_page_configuration(scenario_dir):
    path = scenario_dir / "small.yaml"
    base = {"PATH": "/bin", ENV_POLICY: "stale", ENV_COMPARE: "stale"}
    env = server.child_environment(str(path), compare=("a", "b"), base=base)
    assert env[ENV_SCENARIO] == str(path.resolve())
    assert json.loads(env[ENV_COMPARE]) == ["a", "b"]
    assert ENV_POLICY not in env
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["PATH"] == "/bin"
    assert app_config(env) == AppConfig(str(path.resolve()), None, ("a", "b"))
    single = server.child_environment(str(path), policy="lean", base={})
    assert app_config(single) == AppConfig(str(path.resolve()), "lean", None)
    assert app_config({}).compare is None


def test_solara_command_runs_offline_in_production():
    command = server.solara_command("127.0.0.1", 8123)
    assert command[1:5] == ["-m", "solara", "run", "ssrsim.app.page"]
    for flag in ("--production", "--no-open", "--no-check-version"):
        assert flag in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8123"


class FakeChild:
    def __init__(self, command, env):
        self.command, self.env = command, env

    def wait(self, timeout=None):
        return 0


@pytest.fixture
def children(monkeypatch):
    started: list[FakeChild] = []

    def start_child(command, env):
        started.append(FakeChild(command, env))
        return started[-1]

    monkeypatch.setattr(server, "start_child", start_child)
    return started


def test_a_bad_scenario_fails_fast_with_the_clear_message(scenario_dir, children, capsys):
    code = server.serve(str(scenario_dir / "bad.yaml"))
    assert code == server.EXIT_BAD_INPUT
    assert children == []  # no server started
    err = capsys.readouterr().err
    assert err.startswith("invalid scenario")
    assert "did you mean 'budget'?" in err


def test_an_unknown_compare_policy_fails_fast(scenario_dir, children, capsys):
    code = server.serve(str(scenario_dir / "small.yaml"), compare=("status_quo", "nope"))
    assert code == server.EXIT_BAD_INPUT and children == []
    assert "unknown policy 'nope'" in capsys.readouterr().err


def test_serve_prints_the_address_and_starts_solara(scenario_dir, children, capsys):
    code = server.serve(str(scenario_dir / "small.yaml"), port=8124,
                        compare=("status_quo", "lean"))
    assert code == 0
    (child,) = children
    assert child.command == server.solara_command("127.0.0.1", 8124)
    assert json.loads(child.env[ENV_COMPARE]) == ["status_quo", "lean"]
    assert "http://127.0.0.1:8124/" in capsys.readouterr().out


def test_port_zero_picks_a_free_port(scenario_dir, children, capsys):
    server.serve(str(scenario_dir / "small.yaml"), port=0)
    port = int(children[0].command[children[0].command.index("--port") + 1])
    assert port > 0
    assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out


def test_a_network_host_is_warned_about(scenario_dir, children, capsys):
    server.serve(str(scenario_dir / "small.yaml"), host="0.0.0.0", port=8125)
    assert "no login" in capsys.readouterr().err


def test_serve_from_args(scenario_dir, children):
    args = parse(str(scenario_dir / "small.yaml"), "--policy", "lean", "--port", "8126")
    assert server.serve_from_args(args) == 0
    assert children[0].env[ENV_POLICY] == "lean"


def test_address_formats_ipv6():
    assert server.address("::1", 80) == "http://[::1]:80/"


def test_without_solara_the_extra_is_named(scenario_dir, children, capsys, monkeypatch):
    real = server.importlib.util.find_spec
    monkeypatch.setattr(server.importlib.util, "find_spec",
                        lambda name: None if name == "solara" else real(name))
    assert server.serve(str(scenario_dir / "small.yaml")) == server.EXIT_BAD_INPUT
    assert children == []
    assert "pip install -e '.[app]'" in capsys.readouterr().err


def _gone(pid: int) -> bool:
    """No such process, or only its zombie left (dead, waiting for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_server_child_dies_with_a_killed_ssrsim_serve(tmp_path):
    """SIGKILL cannot be passed on, so the kernel must stop the child (no orphan on the port)."""
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from ssrsim.app.server import start_child\n"
         "child = start_child([sys.executable, '-c', 'import time; time.sleep(120)'], None)\n"
         "print(child.pid, flush=True)\n"
         "time.sleep(120)\n"],
        stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    assert not _gone(pid)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pid)



def test_a_scenario_over_the_work_ceiling_is_refused_unless_allowed(scenario_dir, children,
                                                                   capsys):
    huge = scenario_dir / "huge.yaml"
    huge.write_text("extends: small.yaml\nname: huge\nspace: {width: 1000, height: 1000}\n"
                    "activation: {batches: 100000}\ntime: {steps: 4000}\n")
    assert server.serve(str(huge)) == server.EXIT_BAD_INPUT and children == []
    err = capsys.readouterr().err
    assert "too large" in err and "--allow-large" in err
    assert server.serve(str(huge), allow_large=True) == 0
    assert "the page will play slowly" in capsys.readouterr().err
    assert server.serve(str(scenario_dir / "small.yaml")) == 0
    assert "slowly" not in capsys.readouterr().err


def test_the_page_module_warms_up_what_the_first_page_needs():
    """Importing the page (as Solara does at start-up) imports numba's kernels early."""
    import sys

    from ssrsim.app import page

    page._warm_up()  # also what the background thread runs; it never raises
    assert "ssrsim.model.kernels" in sys.modules


def test_a_port_in_use_is_a_clear_error_before_any_server_starts(scenario_dir, children,
                                                                 capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = server.serve(str(scenario_dir / "small.yaml"), port=port)
    assert code == server.EXIT_BAD_INPUT and children == []
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in err and "--port 0" in err


def test_an_address_this_machine_does_not_have_is_a_clear_error(scenario_dir, children,
                                                                capsys):
    code = server.serve(str(scenario_dir / "small.yaml"), host="192.0.2.1", port=8127)
    assert code == server.EXIT_BAD_INPUT and children == []
    assert "cannot listen on 192.0.2.1 port 8127" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(port, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse("x.yaml", "--port", port)
    assert exit_.value.code == 2
    assert "--port" in capsys.readouterr().err
