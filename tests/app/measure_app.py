"""Measure the app the way a trainer sees it (not a test; the figures go into docs/app.md).

    .venv/bin/python tests/app/measure_app.py [--repeat 3] [--play 10]

For each mode (single baseline; compare status_quo vs coordinated) it starts the real
server, and reports:

- start-up: seconds from starting `ssrsim serve` until the page is usable (the map drawn
  and the Step button enabled), with chromium already running;
- speed: steps per second shown by the page's step counter while playing for `--play`
  seconds with no pause between steps, every step drawn (map(s) and charts).
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

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MODES = {
    "single (baseline, 100x100, 7,000 civilians)": [],
    "compare (status_quo vs coordinated)": ["--compare", "status_quo", "coordinated"],
}


def free_port() -> int:
    sys.path.insert(0, str(REPO))
    from ssrsim.app.server import free_port as find

    return find("127.0.0.1")


def command() -> list[str]:
    exe = Path(sys.executable).with_name("ssrsim")
    probe = subprocess.run([str(exe), "serve", "--help"], capture_output=True, check=False)
    base = [str(exe), "serve"] if probe.returncode == 0 else [sys.executable, "-m",
                                                              "ssrsim.app.server"]
    return [*base, str(REPO / "scenarios" / "baseline.yaml")]


def measure(browser, extra: list[str], play: float) -> tuple[float, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = [*command(), *extra, "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if time.perf_counter() - started > 60:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.05)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url, timeout=30_000)
        page.locator(".ssrsim-map-0").wait_for(timeout=30_000)
        page.locator(".ssrsim-stepbtn:not([disabled])").wait_for(timeout=30_000)
        usable = time.perf_counter() - started
        counter = page.locator(".ssrsim-step-number")
        page.locator(".ssrsim-play").click()
        time.sleep(0.5)
        t0, s0 = time.perf_counter(), int(counter.inner_text())
        time.sleep(play)
        t1, s1 = time.perf_counter(), int(counter.inner_text())
        page.locator(".ssrsim-play").click()
        page.close()
        return usable, (s1 - s0) / (t1 - t0)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--play", type=float, default=10.0)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for mode, extra in MODES.items():
            results = [measure(browser, extra, args.play) for _ in range(args.repeat)]
            usable = [r[0] for r in results]
            speed = [r[1] for r in results]
            print(f"{mode}: usable after {statistics.median(usable):.2f} s "
                  f"(runs: {', '.join(f'{u:.2f}' for u in usable)}); "
                  f"{statistics.median(speed):.1f} steps/s "
                  f"(runs: {', '.join(f'{s:.1f}' for s in speed)})", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
