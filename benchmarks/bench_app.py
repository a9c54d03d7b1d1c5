"""The browser app as a trainer sees it: seconds to a usable page, and steps per second.

    .venv/bin/python benchmarks/bench_app.py [--repeat 3] [--play 10] [--size 1280x720]

For each mode (single baseline; compare status_quo vs coordinated) it starts the real
server (`ssrsim serve scenarios/baseline.yaml`) and reports, as medians over `--repeat`:

- usable: seconds from starting `ssrsim serve` until the page is usable (the map drawn and
  the Step button enabled), with chromium already running;
- speed: steps per second read from the page's step counter while playing at the fastest
  setting for `--play` seconds, every step drawn (map(s), charts, monitors, story panel).

Needs chromium (Debian's package) and Playwright for Python (the `test` extra).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_lines

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MODES = {
    "single (baseline, 100x100, 7,000 civilians)": [],
    "compare (status_quo vs coordinated)": ["--compare", "status_quo", "coordinated"],
}


def serve_command() -> list[str]:
    """`ssrsim serve` of the interpreter's environment, else the server module."""
    exe = Path(sys.executable).with_name("ssrsim")
    probe = subprocess.run([str(exe), "serve", "--help"], capture_output=True, check=False) \
        if exe.exists() else None
    if probe is not None and probe.returncode == 0:
        return [str(exe), "serve"]
    return [sys.executable, "-m", "ssrsim.app.server"]


def free_port() -> int:
    from ssrsim.app.server import free_port as find

    return find("127.0.0.1")


def measure(browser: Browser, extra: list[str], play: float, size: tuple[int, int]
            ) -> tuple[float, float]:
    """One server start: (seconds to a usable page, steps per second while playing)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = [*serve_command(), str(REPO / "scenarios" / "baseline.yaml"), *extra,
            "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd=REPO)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if time.perf_counter() - started > 60:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.05)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.goto(url, timeout=30_000)
        page.locator(".ssrsim-map-0").wait_for(timeout=30_000)
        page.locator(".ssrsim-stepbtn:not([disabled])").wait_for(timeout=30_000)
        usable = time.perf_counter() - started
        counter = page.locator(".ssrsim-step-number")
        page.locator(".ssrsim-play").click()
        time.sleep(0.5)
        t0, s0 = time.perf_counter(), int(counter.inner_text())
        t1, s1 = t0, s0
        while time.perf_counter() - t0 < play:  # until `play` s pass or the run ends
            time.sleep(0.1)
            now, step = time.perf_counter(), int(counter.inner_text())
            if step > s1:
                t1, s1 = now, step
            elif now - t1 > 2.0:  # no step for 2 s: the run reached its end and stopped
                break
        play_button = page.locator(".ssrsim-play")
        if play_button.is_enabled():
            play_button.click()
        page.close()
        return usable, (s1 - s0) / (t1 - t0)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def main() -> None:
    """Measure both modes and print one line each, after the machine's description."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="server starts per mode")
    parser.add_argument("--play", type=float, default=10.0, help="seconds of play measured")
    parser.add_argument("--size", default="1280x720", help="browser window, WIDTHxHEIGHT")
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))
    print("\n".join(machine_lines(("solara", "matplotlib", "mesa"))))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for mode, extra in MODES.items():
            results = [measure(browser, extra, args.play, (size[0], size[1]))
                       for _ in range(args.repeat)]
            usable = [r[0] for r in results]
            speed = [r[1] for r in results]
            print(f"{mode}, window {args.size}: usable after "
                  f"{statistics.median(usable):.2f} s "
                  f"(runs: {', '.join(f'{u:.2f}' for u in usable)}); "
                  f"{statistics.median(speed):.1f} steps/s "
                  f"(runs: {', '.join(f'{s:.1f}' for s in speed)})", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
