"""Fixtures of the browser app's tests: small scenario folders, chromium, a live server."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "app"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 # the browser may reach only loopback: any other host fails to resolve, so
                 # a page asset that is not served locally shows up as a failed request
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
SERVER_START_TIMEOUT = 40.0

SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 5,
    "time": {"steps": 20},
    "space": {"width": 24, "height": 24, "district_grid": [2, 2]},
    "districts": [
        {"name": "north", "police": 4, "army": 3, "cmo_units": 1, "ngos": 1,
         "insurgency": 0.3, "ex_combatants": 0.05},
        {"name": "east", "police": 3, "army": 5, "cmo_units": 1, "insurgency": 0.6},
        {"name": "south", "police": 5, "army": 2, "cmo_units": 1, "ngos": 1},
        {"name": "west", "police": 2, "army": 6, "cmo_units": 1, "insurgency": 0.5},
    ],
    "policies": {
        "status_quo": {"description": "As planned."},
        "coordinated": {"description": "Joint planning.", "set": {"cmo.coordination": 0.9}},
        "lean": {"description": "Half the budget.", "set": {"budget.per_week": 5}},
    },
}
"""A 24x24 scenario with three policies, fast enough to build in unit tests."""

BAD_YAML = "name: bad\nbugdet: {per_week: 3}\nactivation: {vision: 0}\n"
"""A scenario with two problems: a misspelt key and a value out of range."""


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A folder with small.yaml (three policies) and bad.yaml."""
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(SMALL, sort_keys=False))
    (tmp_path / "bad.yaml").write_text(BAD_YAML)
    return tmp_path


# -- browser ---------------------------------------------------------------------------------

def _ci() -> bool:
    """Whether the environment variable CI is set (to anything): then nothing may skip."""
    return "CI" in os.environ


def chromium_path() -> str:
    """Debian's chromium; skip without it, except in CI (CI set), where it must be there."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and Path("/usr/bin/chromium").exists():
        path = "/usr/bin/chromium"
    if path is None:
        message = ("chromium is missing: install Debian's chromium (apt-get install chromium) "
                   "to run the browser tests")
        if _ci():
            pytest.fail(message + " [CI is set, so the browser tests may not be skipped]")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch arguments: Debian's chromium, headless, no network extras."""
    return {**browser_type_launch_args, "executable_path": chromium_path(),
            "args": CHROMIUM_ARGS, "timeout": 30_000}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop-sized window."""
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1100}}


@pytest.fixture(scope="session")
def offline_assets() -> None:
    """The page's JavaScript in solara's CDN cache (filled with `npm pack` if missing)."""
    from ssrsim.app import assets

    cache = assets.cache_dir()
    if all(assets.is_cached(a, cache) for a in assets.required_assets()):
        return
    try:
        assets.fill(cache)
    except Exception as err:  # any failure becomes the clear message below
        pytest.fail(f"solara's CDN cache is not filled and `npm pack` failed ({err}); run "
                    "`make assets` (python -m ssrsim.app.assets) with access to the npm "
                    "registry")


@functools.cache
def serve_command() -> list[str]:
    """`ssrsim serve` when the CLI has it, else the same entry point as a module."""
    exe = Path(sys.executable).with_name("ssrsim")
    if exe.exists():
        probe = subprocess.run([str(exe), "serve", "--help"], capture_output=True,
                               timeout=60, check=False)
        if probe.returncode == 0:
            return [str(exe), "serve"]
    return [sys.executable, "-m", "ssrsim.app.server"]


def free_port() -> int:
    from ssrsim.app.server import free_port as find

    return find("127.0.0.1")


class Server:
    """A running `ssrsim serve` child: its URL, process and start-up time."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        command = [*serve_command(), *args, "--port", str(self.port)]
        started = time.perf_counter()
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO)
        self._wait_until_up()
        self.startup_seconds = time.perf_counter() - started

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ssrsim serve exited with {self.process.returncode}:\n"
                                   + self.log.read_text(errors="replace"))
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"ssrsim serve did not answer within {SERVER_START_TIMEOUT} s:\n"
                           + self.log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


@pytest.fixture
def serve(offline_assets: None, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `ssrsim serve ARGS...` on a free 127.0.0.1 port; stopped after the test."""
    servers: list[Server] = []

    def start(*args: str) -> Server:
        server = Server(list(args), tmp_path / f"serve-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where browser tests save screenshots: test-output/app/."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
