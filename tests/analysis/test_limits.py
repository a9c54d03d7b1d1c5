"""The report's assumptions and limits come from the model description, not a copy."""

from ssrsim.analysis import load_results
from ssrsim.analysis.limits import MODEL_DOC, inline_html, read_limits
from ssrsim.analysis.report import write_report

DOC = """# Model

## 8. Before

Not this.

## 9. Assumptions and limits

**Assumed.**

- Rates are `assumed`, see [validation.md](validation.md).
- A second
  line item.

**Not yet validated.** Nothing is checked.

---

## 10. References
"""


def test_the_groups_and_items_are_read_from_the_section(tmp_path):
    path = tmp_path / "model.md"
    path.write_text(DOC)
    groups = read_limits(path)
    assert [g.title for g in groups] == ["Assumed", "Not yet validated"]
    assert groups[0].items == ("Rates are `assumed`, see [validation.md](validation.md).",
                               "A second line item.")
    assert groups[1].items == ("Nothing is checked.",)


def test_inline_markdown_becomes_html_without_links_out():
    html = inline_html("**a** `b` $c$ [d](e.md) <x>")
    assert html == "<strong>a</strong> <code>b</code> <code>c</code> d (docs/e.md) &lt;x&gt;"


def test_the_shipped_model_description_says_police_and_army_are_separate():
    items = [i for g in read_limits(MODEL_DOC) for i in g.items]
    assert any("Civilians trust the two separately" in i for i in items)
    assert not any("police and army as separate forces" in i for i in items)


def test_changing_the_description_changes_the_report(tmp_path, tiny_batch):
    results = load_results(tiny_batch)
    doc = tmp_path / "model.md"
    doc.write_text(DOC)
    first = write_report(results, tmp_path / "one.html", limits=doc).read_text()
    assert "A second line item." in first
    doc.write_text(DOC.replace("A second", "Another"))
    second = write_report(results, tmp_path / "two.html", limits=doc).read_text()
    assert "Another line item." in second and "A second line item." not in second
    missing = write_report(results, tmp_path / "three.html", limits=tmp_path / "no.md")
    assert "cannot read the model description" in missing.read_text()
