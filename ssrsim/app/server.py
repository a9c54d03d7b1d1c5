"""`ssrsim serve`: check the scenario, then run the page with Solara's server.

`serve()` validates the scenario (and the policies asked for) first, so a bad file fails
at once with the same clear message as `ssrsim run`, then starts
`python -m solara run ssrsim.app.page --production` as a child process. The scenario path
and mode reach the page through environment variables set for that child only. The child
runs with Solara's telemetry and version check off, so the server makes no outbound calls
(the page's JavaScript comes from the CDN cache: `python -m ssrsim.app.assets`).

Wiring into a command line:

    parser = subparsers.add_parser("serve", help="...")
    add_arguments(parser)
    parser.set_defaults(handler=lambda args, console: serve_from_args(args))
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import importlib.util
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from ..argtypes import whole
from ..scenario import ScenarioError, load_experiment
from ..workload import WorkloadError, check, duration, estimate
from .config import ENV_COMPARE, ENV_POLICY, ENV_SCENARIO

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
EXIT_BAD_INPUT = 2
STOP_TIMEOUT = 10.0
"""Seconds the Solara server gets to stop after Ctrl+C or SIGTERM before it is killed."""

SLOW_STEP_SECONDS = 0.25
"""A step estimated to take longer than this (fewer than 4 steps a second) is warned of."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `ssrsim serve` arguments to a parser."""
    parser.add_argument("scenario", help="scenario YAML file (the page's picker offers the "
                                         "other scenario files in its folder)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine "
                             "only; 0.0.0.0 opens it to the network, with no login)")
    parser.add_argument("--port", type=whole(0, 65535), default=DEFAULT_PORT,
                        help=f"port, 0 to 65535 (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--policy", help="start with this policy of the scenario's `policies:`")
    parser.add_argument("--compare", nargs=2, metavar=("POLICY_A", "POLICY_B"),
                        help="side by side: two runs of the scenario, same seed, one per "
                             "policy")
    parser.add_argument("--allow-large", action="store_true",
                        help="serve a scenario over the work ceiling anyway (see README, "
                             "'Resource ceiling')")


def serve_from_args(args: argparse.Namespace) -> int:
    """Run `serve` with the arguments `add_arguments` defines."""
    return serve(args.scenario, host=args.host, port=args.port,
                 compare=tuple(args.compare) if args.compare else None,
                 policy=getattr(args, "policy", None),
                 allow_large=getattr(args, "allow_large", False))


def check_scenario(scenario: str, *, compare: Sequence[str] | None = None,
                   policy: str | None = None, allow_large: bool = False) -> str | None:
    """Load the scenario with each policy asked for and check the work of one run of each.

    Returns:
        A warning when a step would be slow on the page, else None.

    Raises:
        ScenarioError: the clear message of the first problem found.
        WorkloadError: a run over the work ceiling, unless `allow_large`.

    """
    experiment = load_experiment(scenario)
    names = [*(compare or ()), *([policy] if policy else [])]
    shown = [experiment.scenario(name) for name in names] or [experiment.base]
    works = [estimate(params) for params in shown]
    for work in works:
        check(work, allow_large=allow_large)
    slowest = max(work.step_seconds for work in works)
    if slowest > SLOW_STEP_SECONDS:
        return (f"warning: a step of this scenario takes about {duration(slowest)} on one core: "
                f"the page will play slowly (a smaller space.width/height plays faster)")
    return None


def unusable_address(host: str, port: int) -> str | None:
    """Why the page cannot listen on host:port (tried as the server would bind), or None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is in use (another `ssrsim serve`?): choose "
                        f"another with --port, or --port 0 for a free one")
            return f"cannot listen on {host} port {port}: {exc.strerror or exc}"
    return None


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port that is free on `host` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def address(host: str, port: int) -> str:
    """The URL the page is served at."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def solara_command(host: str, port: int) -> list[str]:
    """The command line of the Solara server child."""
    return [sys.executable, "-m", "solara", "run", "ssrsim.app.page", "--host", host,
            "--port", str(port), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def child_environment(scenario: str, *, compare: Sequence[str] | None = None,
                      policy: str | None = None,
                      base: dict[str, str] | None = None) -> dict[str, str]:
    """The Solara child's environment: the page's configuration, no telemetry."""
    env = dict(os.environ if base is None else base)
    env[ENV_SCENARIO] = str(Path(scenario).resolve())
    env.pop(ENV_COMPARE, None)
    env.pop(ENV_POLICY, None)
    if compare:
        env[ENV_COMPARE] = json.dumps(list(compare))
    if policy:
        env[ENV_POLICY] = policy
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    return env


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(scenario: str, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          compare: tuple[str, str] | None = None, policy: str | None = None,
          allow_large: bool = False) -> int:
    """Serve the trainers' page for a scenario until interrupted; return an exit code.

    Args:
        scenario: the scenario YAML file.
        host: address to listen on; the default is this machine only.
        port: TCP port; 0 picks a free one.
        compare: two policy names for side-by-side mode.
        policy: a policy to start with (single mode).
        allow_large: serve a scenario over the work ceiling anyway.

    Returns:
        0 after a normal stop (Ctrl+C), 2 when the scenario does not validate, else the
        Solara server's exit code.

    """
    try:
        slow = check_scenario(scenario, compare=compare, policy=policy,
                              allow_large=allow_large)
    except ScenarioError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_INPUT
    except WorkloadError as err:
        print(f"ssrsim serve: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if slow:
        print(slow, file=sys.stderr)
    if compare and policy:
        print("--policy and --compare cannot be combined", file=sys.stderr)
        return EXIT_BAD_INPUT
    if importlib.util.find_spec("solara") is None:
        print("the browser app needs the `app` extra: pip install -e '.[app]'",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    _warn_missing_assets()
    problem = unusable_address(host, port)
    if problem is not None:
        print(f"ssrsim serve: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if port == 0:
        port = free_port(host)
    if not _is_loopback(host):
        print(f"warning: listening on {host}: anyone who can reach this machine can use the "
              "page (there is no login)", file=sys.stderr)
    print(f"ssrsim app for {scenario}"
          + (f" (compare {compare[0]} vs {compare[1]})" if compare else "")
          + f": open {address(host, port)}  (Ctrl+C to stop)", flush=True)
    child = start_child(solara_command(host, port),
                        child_environment(scenario, compare=compare, policy=policy))
    return _wait(child)


def start_child(command: list[str], env: dict[str, str] | None) -> subprocess.Popen:
    """Start the server process; on Linux it gets SIGTERM if `ssrsim serve` dies.

    Ctrl+C and SIGTERM are passed on by `_wait`, but a SIGKILL of `ssrsim serve` cannot be
    caught: without the kernel's parent-death signal the Solara server would be left running,
    holding the port.
    """
    return subprocess.Popen(command, env=env,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent process dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _wait(child: subprocess.Popen) -> int:
    """Wait for the server; pass Ctrl+C and SIGTERM on to it, and stop it in time."""
    def forward(signum: int, _frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt

    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, forward)
    except ValueError:  # not the main thread: no handler, Ctrl+C still reaches the group
        pass
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _warn_missing_assets() -> None:
    try:
        from .assets import cache_dir, is_cached, required_assets

        cache = cache_dir()
        missing = [a.key for a in required_assets() if not is_cached(a, cache)]
    except Exception:  # a check only: the server can still run
        return
    if missing:
        print("warning: the page's JavaScript is not cached (" + ", ".join(missing) + "); "
              "without internet the page stays blank. Run: python -m ssrsim.app.assets",
              file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ssrsim.app.server SCENARIO [...]`, the same as `ssrsim serve`."""
    parser = argparse.ArgumentParser(prog="ssrsim serve",
                                     description="Serve the trainers' browser app.")
    add_arguments(parser)
    return serve_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
