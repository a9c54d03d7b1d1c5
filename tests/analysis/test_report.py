"""The HTML report: self-contained, escaped, with the comparison and the sensitivity."""

import json
import re
import shutil

import pytest

from ssrsim.analysis import ResultsError, compare, load_results
from ssrsim.analysis.report import write_report

HOSTILE = "<script>alert('x')</script> & more"


@pytest.fixture(scope="module")
def report(tiny_batch, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "batch"
    shutil.copytree(tiny_batch, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenario"]["description"] = HOSTILE
    manifest["scenario"]["policies"]["coordinated"]["description"] = "<b>joint</b>"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    results = load_results(folder)
    path = write_report(results, folder / "out" / "report.html")
    return results, path.read_text(encoding="utf-8")


def test_the_report_names_the_policies_and_their_verdicts(report):
    results, html = report
    assert "status_quo" in html and "coordinated" in html
    verdicts = compare(results, "status_quo", measures=["trust", "abuses"]).table["verdict"]
    for verdict in set(verdicts):
        assert verdict in html
    assert "Joint civil-military planning" not in html  # the description was replaced
    assert "cmo.coordination = 0.9" in html


def test_the_report_is_self_contained(report):
    _, html = report
    assert html.count("data:image/png;base64,") >= 13  # 6 fans, 6 distributions, cost
    assert re.search(r"https?://", html) is None
    assert "<link" not in html and "<script" not in html
    assert re.search(r"""(src|href)=["'](?!data:)""", html) is None


def test_manifest_text_is_escaped(report):
    _, html = report
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;joint&lt;/b&gt;" in html


def test_the_report_states_runs_seed_versions_and_limits(report):
    results, html = report
    assert f"{len(results.summary)} / {len(results.summary)}" in html
    assert str(results.manifest.root_seed) in html
    assert "mesa 3.5" in html
    assert "Assumptions and limits" in html and "docs/model.md" in html
    assert "first post-war election" not in html  # events were replaced by one election
    assert "02 Feb 2004 (step 4)" in html and "vote" in html


def test_a_morris_batch_gets_its_sensitivity_section(tiny_morris, tmp_path):
    folder = tmp_path / "batch"
    shutil.copytree(tiny_morris, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["policies"]["status_quo"]["changes"] = {"cmo.coordination": 0.9}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    html = write_report(load_results(folder), tmp_path / "r.html").read_text()
    assert "Sensitivity to the design" in html and "mu*" in html
    assert "nothing to compare" in html
    assert "which the parameter design also varies" in html


def test_an_unknown_baseline_is_refused(tiny_batch, tmp_path):
    with pytest.raises(ResultsError, match="no policy 'nope'"):
        write_report(load_results(tiny_batch), tmp_path / "r.html", baseline="nope")
