"""Offline assets: fill Solara's CDN proxy cache from the npm registry.

A Solara page loads its JavaScript, CSS and fonts through the server's proxy
(`/_solara/cdn/...`), which fetches them from a CDN on first use and caches them under
`solara.server.settings.assets.proxy_cache_dir` (`<venv>/share/solara/cdn/`). With no internet
each missing file costs seconds of retries and the page stays blank. This module fills the
cache ahead of time with `npm pack` from the npm registry, one package at a time, unpacking
each into `<cache>/<name>@<spec>/` exactly where the proxy looks.

The packages and versions are read from the installed solara's page template and widget
sources, so they follow a solara upgrade; `KNOWN` holds the versions of solara 1.64.1 as a
fallback and for the tests.

    python -m ssrsim.app.assets            # fill the cache (idempotent)
    python -m ssrsim.app.assets --check    # list what is missing; exit 1 if anything is
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

KNOWN: dict[str, str] = {
    "@widgetti/solara-vuetify-app": "10.1.1",
    "requirejs": "2.3.6",
    "font-awesome": "4.5.0",
    "@widgetti/vue-grid-layout": "2.3.13-alpha.2",
    "vega": "5",
    "vega-lite": "5",
    "vega-embed": "6",
}
"""Packages the pages need, with the version spec of solara 1.64.1's templates.

The page shell (vuetify app for ipyvuetify 1.x, requirejs, font-awesome) is always loaded;
vue-grid-layout and the vega trio are loaded by Mesa's SolaraViz grid and altair charts.
"""

VUETIFY3_APP = "@widgetti/solara-vuetify3-app"
MARKER = ".ssrsim-npm-pack.json"
"""File written into each unpacked package: what was packed (makes the fill idempotent)."""


@dataclass(frozen=True)
class Asset:
    """One npm package as the CDN proxy names it: `<name>@<spec>`."""

    name: str
    spec: str

    @property
    def key(self) -> str:
        """The folder under the cache, and the npm spec to pack."""
        return f"{self.name}@{self.spec}"


def _solara_sources() -> list[Path]:
    """Solara files that name CDN packages: the page template and widget sources."""
    import solara

    root = Path(solara.__file__).parent
    files = [root / "server" / "templates" / "solara.html.j2"]
    files += sorted((root / "widgets" / "vue").glob("*.vue"))
    return [f for f in files if f.is_file()]


def _ipyvuetify_major() -> int:
    try:
        return int(version("ipyvuetify").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 1


def required_assets() -> list[Asset]:
    """The packages the app's pages load through the CDN proxy, versions as installed.

    Each package's version spec is read from the installed solara sources (the `KNOWN`
    version when a name is not found there). For ipyvuetify 3 the vuetify3 page shell is
    used instead of the 1.x one.
    """
    names = dict(KNOWN)
    if _ipyvuetify_major() >= 3:
        del names["@widgetti/solara-vuetify-app"]
        names[VUETIFY3_APP] = ""
    text = "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in _solara_sources())
    found: dict[str, str] = {}
    for name in names:
        match = re.search(r"[}/]" + re.escape(name) + r"@([0-9][0-9A-Za-z.\-]*)/", text)
        if match:
            found[name] = match.group(1)
    try:
        from solara.server.settings import assets

        match = re.match(r"/?font-awesome@([^/]+)/", assets.fontawesome_path)
        if match:
            found["font-awesome"] = match.group(1)
    except ImportError:  # pragma: no cover - solara is a dependency of the app extra
        pass
    return [Asset(name, found.get(name) or spec) for name, spec in names.items()]


def cache_dir() -> Path:
    """Solara's CDN proxy cache folder (`<sys.prefix>/share/solara/cdn/` by default)."""
    from solara.server.settings import assets

    return Path(assets.proxy_cache_dir)


def is_cached(asset: Asset, cache: Path) -> bool:
    """Whether an asset was unpacked into the cache (by this module or by the proxy)."""
    folder = cache / asset.key
    return (folder / MARKER).is_file() or (folder / "package.json").is_file()


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: install Node.js (e.g. apt-get install npm) "
                           "or copy a filled cache folder from another machine")
    return npm


def pack(asset: Asset, cache: Path) -> Path:
    """`npm pack` one asset and unpack it into `<cache>/<name>@<spec>/`; return that folder."""
    target = cache / asset.key
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ssrsim-assets-") as tmp:
        result = subprocess.run(
            [_npm(), "pack", asset.key, "--json", "--pack-destination", tmp],
            capture_output=True, text=True, timeout=300, check=False, cwd=tmp)
        if result.returncode != 0:
            raise RuntimeError(f"npm pack {asset.key} failed:\n{result.stderr.strip()}")
        info = json.loads(result.stdout)[0]
        (tarball,) = Path(tmp).glob("*.tgz")
        staging = Path(tmp) / "unpacked"
        staging.mkdir()
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, filter="data")
        # npm tarballs hold one top folder, usually `package/`
        (top,) = [p for p in staging.iterdir()]
        (top / MARKER).write_text(json.dumps(
            {"spec": asset.key, "version": info.get("version"), "integrity": info.get("integrity")},
            indent=1) + "\n", encoding="utf-8")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.move(str(top), partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return target


def fill(cache: Path | None = None, *, force: bool = False,
         out: TextIO = sys.stdout) -> list[Asset]:
    """Pack every required asset missing from the cache; return those packed."""
    cache = cache or cache_dir()
    packed = []
    for asset in required_assets():
        if is_cached(asset, cache) and not force:
            print(f"ok       {asset.key}", file=out)
            continue
        print(f"packing  {asset.key} ...", file=out, flush=True)
        pack(asset, cache)
        packed.append(asset)
    print(f"solara CDN cache ready: {cache}", file=out)
    return packed


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m ssrsim.app.assets`."""
    parser = argparse.ArgumentParser(
        prog="python -m ssrsim.app.assets",
        description="Fill solara's CDN proxy cache from the npm registry so the app works "
                    "offline.")
    parser.add_argument("--cache-dir", type=Path, help="cache folder (default: solara's)")
    parser.add_argument("--check", action="store_true",
                        help="only list missing packages; exit code 1 if any is missing")
    parser.add_argument("--force", action="store_true", help="re-pack packages already cached")
    args = parser.parse_args(argv)
    cache = args.cache_dir or cache_dir()
    if args.check:
        missing = [a for a in required_assets() if not is_cached(a, cache)]
        for asset in required_assets():
            print(f"{'missing' if asset in missing else 'ok':8} {asset.key}")
        print(f"cache: {cache}")
        return 1 if missing else 0
    try:
        fill(cache, force=args.force)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
