"""Offline assets: the packages the page needs, and `npm pack` into solara's cache."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from ssrsim.app import assets


def test_required_assets_match_the_installed_solara():
    found = {a.name: a.spec for a in assets.required_assets()}
    # the versions verified for solara 1.64.1 (docs/app.md); a solara upgrade that changes
    # them shows up here first
    assert found == assets.KNOWN


def test_cache_dir_is_solaras():
    from solara.server.settings import assets as solara_assets

    assert assets.cache_dir() == Path(solara_assets.proxy_cache_dir)


FAKE_NPM = """#!{python}
import io, json, sys, tarfile, pathlib
spec = sys.argv[2]
dest = pathlib.Path(sys.argv[sys.argv.index("--pack-destination") + 1])
name = spec.rsplit("@", 1)[0]
data = b"console.log('hi');"
with tarfile.open(dest / "pkg-1.0.0.tgz", "w:gz") as tar:
    for member, body in (("package/package.json", json.dumps({{"name": name}}).encode()),
                         ("package/dist/main.js", data)):
        info = tarfile.TarInfo(member)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
print(json.dumps([{{"filename": "pkg-1.0.0.tgz", "version": "1.0.0", "integrity": "x"}}]))
"""


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM.format(python=sys.executable))
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return npm


def test_fill_unpacks_where_the_proxy_looks_and_is_idempotent(tmp_path, fake_npm):
    cache = tmp_path / "cdn"
    out = io.StringIO()
    packed = assets.fill(cache, out=out)
    assert {a.key for a in packed} == {a.key for a in assets.required_assets()}
    app = cache / "@widgetti" / "solara-vuetify-app@10.1.1"
    assert (app / "dist" / "main.js").read_text() == "console.log('hi');"
    assert json.loads((app / assets.MARKER).read_text())["spec"] == \
        "@widgetti/solara-vuetify-app@10.1.1"
    assert all(assets.is_cached(a, cache) for a in assets.required_assets())
    assert assets.fill(cache, out=io.StringIO()) == []  # nothing left to pack


def test_check_reports_missing_packages(tmp_path, capsys):
    assert assets.main(["--check", "--cache-dir", str(tmp_path)]) == 1
    assert "missing  requirejs@2.3.6" in capsys.readouterr().out


def test_a_failing_npm_is_reported(tmp_path, monkeypatch, capsys):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert assets.main(["--cache-dir", str(tmp_path / "cdn")]) == 1
    assert "404 Not Found" in capsys.readouterr().err
