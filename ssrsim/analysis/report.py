"""A self-contained HTML report of a batch that a planner can mail and open offline.

One file: CSS inline, charts embedded as base64 PNG, no scripts and no links to anything
outside it. Every text taken from the results folder is escaped. The report opens with the
planner's brief (see `brief_text`), then describes the scenario and the options, compares the
options with a baseline measure by measure, says where in the design (or among the posterior
draws) each option loses (`discovery`), shows the sensitivity indices of a Morris or
Saltelli batch, lists every run with the command line that repeats it, and ends with what the
model assumes and leaves out, read from the model description (see `limits`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..results_format import NO_POLICY, EventMarker, Manifest
from . import brief_text, discovery, figures, tables
from .brief import Brief, make_brief
from .compare import Comparison, Verdict, compare, default_measures
from .limits import MODEL_DOC, SECTION, LimitsError, inline_html, read_limits
from .repeat import batch_overrides, repeat_command
from .results import Results, ResultsError
from .sensitivity import METHODS, Sensitivity, sensitivity

STATISTIC = "mean"
"""The run statistic the report uses: each run's average over its steps."""

MAX_RUN_ROWS = 500
"""Most runs listed one by one with their command lines (the manifest lists them all)."""

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1b;
max-width:1100px;margin:0 auto;padding:24px 28px 60px;line-height:1.45;background:#fff}
h1{font-size:1.7em;margin:0 0 4px}h2{font-size:1.3em;margin-top:2em;padding-bottom:4px;
border-bottom:2px solid #0072B2}h3{font-size:1.05em;margin-top:1.4em}
p.lead{color:#444;margin-top:0}.facts{display:grid;grid-template-columns:repeat(auto-fill,
minmax(200px,1fr));gap:8px;margin:16px 0}.fact{background:#f2f6fa;border-radius:6px;
padding:8px 12px}.fact b{display:block;font-size:1.25em}.fact span{color:#555;font-size:.85em}
table{border-collapse:collapse;margin:10px 0 16px;font-size:.88em;width:100%}
th,td{border-bottom:1px solid #ddd;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f2f6fa}tr.group td{border-top:2px solid #999}td.num{font-variant-numeric:
tabular-nums;white-space:nowrap}.better{background:#e3f3e8}.worse{background:#fbe5e1}
.same{color:#555}.note{background:#fff8e1;border-left:4px solid #e69f00;padding:8px 12px;
margin:10px 0}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));
gap:12px}figure{margin:0}figure img{width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}code{background:#f4f4f4;padding:1px 4px;
border-radius:3px}ul.findings li{margin-bottom:4px}footer{margin-top:40px;color:#666;
font-size:.85em}.brief{background:#fafcfe;border:1px solid #dbe6f0;border-radius:8px;
padding:4px 20px 12px;margin-top:18px}.brief h2{margin-top:.8em}p.question{font-size:1.08em}
td.lead-better{background:#f1f9f3}td.lead-worse{background:#fdf2f0}td.mark{white-space:nowrap;
text-align:center}pre.cmd{white-space:pre-wrap;background:#f4f4f4;padding:6px 10px}
.wide{overflow-x:auto}.wide table{font-size:.82em}.wide td.mark{padding:5px 4px}
"""


def write_report(
    results: Results,
    path: str | Path,
    *,
    baseline: str | None = None,
    measures: Sequence[str] | None = None,
    burn_in: int = 0,
    written: Mapping[str, Any] | None = None,
    limits: Path = MODEL_DOC,
) -> Path:
    """Write one self-contained HTML report of a batch; returns its path.

    Args:
        results: an opened results folder.
        path: the HTML file to write (its folder is created).
        baseline: the policy options are compared with (default: status_quo if the batch
            has it, else its first policy).
        measures: measures to compare and chart (default: the headline measures, and for
            the comparison also trust in the police and army, unrest, abuses and spending);
            the first is the outcome the brief's question is about.
        burn_in: steps at the start left out of each run's average.
        written: the batch's scenario file as written, resolved (JSON, as the manifest's
            scenario), to list the batch's own `--set` values in the runs' command lines.
        limits: the model description whose section of assumptions and limits is shown.

    """
    baseline = _baseline(results, baseline)
    comparison = _comparison(results, baseline, measures, burn_in)
    body = [
        _title(results),
        _brief_section(make_brief(results, comparison)) if comparison else "",
        _scenario_section(results.manifest),
        _policies_section(results),
        _comparison_section(results, comparison, measures),
        _discovery_section(results, baseline, measures, burn_in) if comparison else "",
        _sensitivity_section(results, baseline, measures),
        _runs_section(results.manifest, written),
        _limits_section(limits),
    ]
    name = str(results.manifest.scenario.get("name", "batch"))
    html = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>ssrsim report: {escape(name)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}<footer>Made by ssrsim from the results folder "
            f"{escape(results.root.name)} on {dt.date.today().isoformat()}. Every number "
            f"comes from that folder's runs.</footer></body></html>\n")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def _comparison(results: Results, baseline: str, measures: Sequence[str] | None,
                burn_in: int) -> Comparison | None:
    """The comparison the report shows (None with a single option or no finished run)."""
    if len(results.policies) < 2 or not len(results.summary):
        return None
    wanted = _measures(results, measures, default_measures(results))
    return compare(results, baseline, measures=wanted, statistic=STATISTIC, burn_in=burn_in)


def _brief_section(brief: Brief) -> str:
    """The first page: question, bottom line, trade-offs, cost, and how sure."""
    header, rows = brief_text.matrix(brief)
    parts = ["<section class=\"brief\"><h2>The planner's brief</h2>",
             f"<p class=\"question\">{_markdown_bold(brief_text.question(brief))}</p>",
             "<h3>Bottom line</h3><ul class=\"findings\">",
             *(f"<li>{_markdown_bold(s)}</li>" for s in brief_text.bottom_line(brief)),
             "</ul><h3>Trade-offs</h3>", _matrix_table(header, rows),
             f"<p class=\"same\">{escape(brief_text.matrix_legend(brief))}</p>"]
    header, rows = brief_text.cost_table(brief)
    if rows:
        parts += ["<h3>Cost</h3>", _html_table(header, rows),
                  "<p class=\"same\">Programme money spent per step, in the scenario's "
                  "resource units (abstract: a budget of 10 has no currency).</p>"]
    parts += ["<h3>How sure</h3><ul>",
              *(f"<li>{escape(s)}</li>" for s in [brief_text.caution(brief),
                                                  *brief_text.robustness(brief)]),
              f"<li>What the model assumes and leaves out is listed under “{SECTION}” at "
              f"the end.</li></ul></section>"]
    return "".join(parts)


def _matrix_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The trade-off matrix, each cell coloured by its arrow."""
    css = {"▲": "better", "▼": "worse", "△": "lead-better", "▽": "lead-worse"}
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr><td>{escape(option)}</td>" + "".join(
            f"<td class=\"mark {css.get(cell[:1], 'same')}\">{escape(cell)}</td>"
            for cell in cells) + "</tr>"
        for option, *cells in rows)
    return (f"<div class=\"wide\"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            "</table></div>")  # eleven columns: scroll rather than overflow the page


def _baseline(results: Results, baseline: str | None) -> str:
    if baseline is not None:
        results.check_policy(baseline)
        return baseline
    return "status_quo" if "status_quo" in results.policies else results.policies[0]


def _title(results: Results) -> str:
    manifest = results.manifest
    scenario = manifest.scenario
    counts = manifest.counts
    time = scenario.get("time") or {}
    facts = [
        (len(results.policies), "policy options"),
        (manifest.replicates, "replicates (random seeds) each"),
        (len(manifest.design.points) or 1, "design points"),
        (f"{counts.done} / {counts.planned}", "runs done"),
        (counts.failed, "runs failed"),
        (time.get("steps", "?"), f"steps of {time.get('step_days', '?')} days per run"),
    ]
    cards = "".join(f"<div class=\"fact\"><b>{escape(str(v))}</b><span>{escape(t)}</span>"
                    f"</div>" for v, t in facts)
    return (f"<h1>{escape(str(scenario.get('name', 'scenario')))}: policy options compared"
            f"</h1><p class=\"lead\">{escape(str(scenario.get('description') or ''))}</p>"
            f"<div class=\"facts\">{cards}</div>")


def _scenario_section(manifest: Manifest) -> str:
    scenario = manifest.scenario
    time = scenario.get("time") or {}
    space = scenario.get("space") or {}
    budget = scenario.get("budget") or {}
    start = dt.date.fromisoformat(str(time.get("start_date", "2000-01-01")))
    steps, days = int(time.get("steps", 0)), int(time.get("step_days", 7))
    end = start + dt.timedelta(days=steps * days)
    allocation = ", ".join(f"{k} {float(v):.0%}" for k, v in
                           (budget.get("allocation") or {}).items())
    districts = scenario.get("districts") or []
    text = (
        f"Each run simulates {steps} steps of {days} days, from {start:%d %B %Y} to "
        f"{end:%d %B %Y}, on a {space.get('width', '?')} × {space.get('height', '?')} grid "
        f"divided into {len(districts)} districts. The programme has a budget of "
        f"{budget.get('per_week', '?')} resource units per week, allocated as: {allocation}."
    )
    parts = ["<h2>The scenario</h2>", f"<p>{escape(text)}</p>", "<h3>Districts</h3>",
             _districts_table(districts), "<h3>Events</h3>", _events_table(manifest.events, steps)]
    sweep = scenario.get("sweep")
    if sweep and manifest.design.method != "none":
        parts += ["<h3>Parameter design</h3>", _design_text(manifest, sweep)]
    return "".join(parts)


def _districts_table(districts: list[dict[str, Any]]) -> str:
    header = ["district", "insurgency", "access", "armed ex-combatants", "baseline hardship",
              "police units", "army units", "CMO units", "NGOs"]
    rows = [[d.get("name", ""), _share(d.get("insurgency")), _share(d.get("access")),
             _share(d.get("ex_combatants")), _share((d.get("hardship") or {}).get("mean")),
             d.get("police", ""), d.get("army", ""), d.get("cmo_units", ""), d.get("ngos", "")]
            for d in districts]
    return _html_table(header, rows) + (
        "<p class=\"same\">Insurgency and access are 0–1 levels; ex-combatants are a share "
        "of residents; hardship is the mean of the residents' baseline hardship (0–1).</p>")


def _events_table(events: Sequence[EventMarker], steps: int) -> str:
    if not events:
        return "<p>No scheduled events.</p>"
    rows = []
    for e in events:
        details = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in e.details.items()
                            if v is not None)
        when = f"{dt.date.fromisoformat(e.date):%d %b %Y} (step {e.step})"
        if e.step > steps:
            when += " — after the runs end"
        rows.append([when, e.type.replace("_", " "), e.label, e.district or "all", details])
    return _html_table(["when", "event", "what", "district", "details"], rows)


def _design_text(manifest: Manifest, sweep: dict[str, Any]) -> str:
    ranges = "; ".join(
        f"{name} from {r.get('min')} to {r.get('max')}" if r.get("values") is None
        else f"{name} in {r.get('values')}" for name, r in (sweep.get("parameters") or {}).items())
    points = len(manifest.design.points)
    return (f"<p>{escape(manifest.design.method)} design of {points} points "
            f"over: {escape(ranges)}. Each point runs with every policy and replicate.</p>")


def _policies_section(results: Results) -> str:
    scenario = results.manifest.scenario
    declared = scenario.get("policies") or {}
    done = results.summary["policy"].value_counts() if len(results.summary) else {}
    rows = []
    for name in results.policies:
        changes = results.manifest.policies[name].changes
        what = ("the scenario as written" if name == NO_POLICY
                else (declared.get(name) or {}).get("description", ""))
        listed = "; ".join(f"{k} = {_value(v)}" for k, v in changes.items()) or "no changes"
        rows.append([name, what, listed, int(done.get(name, 0))])
    return ("<h2>The policy options</h2><p>Each option changes the scenario as listed; every "
            "option runs with the same random seeds, so differences between options are not "
            "luck of the draw.</p>"
            + _html_table(["option", "description", "changes", "runs done"], rows)
            + _overlap_notes(results))


def _overlap_notes(results: Results) -> str:
    """A note for each option that changes a parameter the design also varies."""
    design = set(results.design_parameters)
    notes = []
    for name in results.policies:
        changes = results.manifest.policies[name].changes
        shared = [k for k in changes if k in design]
        if shared:
            notes.append(f"Option {name} changes {', '.join(shared)}, which the parameter "
                         f"design also varies: at each design point the design's value is "
                         f"used, so this part of the option has no effect in this batch.")
    return "".join(f"<div class=\"note\">{escape(n)}</div>" for n in notes)


def _comparison_section(results: Results, comparison: Comparison | None,
                        measures: Sequence[str] | None) -> str:
    if not len(results.summary):
        return ("<h2>Outcomes</h2><div class=\"note\">No run has finished yet: run the same "
                "<code>ssrsim batch</code> command again to finish the batch.</div>")
    shown = _measures(results, measures, results.headline)
    charts = figures.fan_figures(results, shown, comparison.baseline if comparison else None)
    charts |= figures.distribution_figures(results, shown, STATISTIC)
    if comparison is None:
        return ("<h2>Outcomes</h2><p>The batch has a single option, so there is nothing to "
                "compare; the charts show the spread of outcomes over runs.</p>"
                + _charts(charts, results))
    compared = set(comparison.table["measure"])
    outcome = comparison.measures[0].name
    if {"spent", outcome} <= compared and outcome != "spent":
        charts |= figures.cost_figure(comparison, outcome=outcome, policies=results.policies)
    return "".join([
        f"<h2>Comparison with {escape(comparison.baseline)}, measure by measure</h2>",
        "<h3>Findings</h3><ul class=\"findings\">",
        *(f"<li>{_markdown_bold(s)}</li>" for s in tables.verdict_sentences(comparison)),
        "</ul>",
        *(f"<div class=\"note\">{escape(w)}</div>" for w in comparison.warnings[:6]),
        _more_warnings(comparison.warnings[6:]),
        "<h3>Table</h3>", _comparison_table(comparison),
        *(f"<p class=\"same\">{_markdown_bold(s)}</p>"
          for s in tables.comparison_method(comparison) if s),
        "<h3>Charts</h3>", _charts(charts, results),
    ])


def _more_warnings(rest: list[str]) -> str:
    if not rest:
        return ""
    items = "".join(f"<li>{escape(w)}</li>" for w in rest)
    return f"<details><summary>{len(rest)} more warnings</summary><ul>{items}</ul></details>"


def _comparison_table(comparison: Comparison) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in tables.comparison_header())
    body, last = [], None
    rows = zip(tables.comparison_rows(comparison), tables.comparison_verdicts(comparison),
               strict=True)
    for (measure, policy, *numbers, verdict), (kind, _) in rows:
        css = _verdict_class(kind)
        first = measure != last
        cells = [f"<td>{escape(measure) if first else ''}</td>", f"<td>{escape(policy)}</td>"]
        cells += [f"<td class=\"num\">{escape(c)}</td>" for c in numbers]
        cells.append(f"<td class=\"{css}\">{_verdict_mark(css)}{escape(verdict)}</td>")
        body.append(f"<tr{' class=\"group\"' if first else ''}>{''.join(cells)}</tr>")
        last = measure
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _verdict_class(verdict: Verdict) -> str:
    if verdict in (Verdict.BETTER, Verdict.WORSE):
        return verdict.value
    return "same"


def _verdict_mark(css: str) -> str:
    return {"better": "▲ ", "worse": "▼ "}.get(css, "")


def _discovery_section(results: Results, baseline: str, measures: Sequence[str] | None,
                       burn_in: int) -> str:
    """Where each option loses (PRIM), in words and a table; "" without design or draws."""
    if not discovery.has_points(results):
        return ""
    if discovery.point_count(results) < discovery.MIN_POINTS:
        return f"<h2>Where each option loses</h2><p>{escape(discovery.too_few_words(results))}</p>"
    try:
        regions = discovery.discover(results, baseline, measures=measures,
                                     statistic=STATISTIC, burn_in=burn_in)
    except discovery.DiscoveryUnavailable as missing:
        return f"<h2>Where each option loses</h2><div class=\"note\">{escape(str(missing))}</div>"
    if not regions:
        return ""
    header, rows = discovery.box_rows(regions)
    return "".join([
        f"<h2>{escape(discovery.heading(results))}</h2>",
        "<ul class=\"findings\">",
        *(f"<li>{_markdown_bold(discovery.sentence(r, '**'))}</li>" for r in regions),
        "</ul>", _html_table(header, rows),
        f"<p class=\"same\">{escape(discovery.method_words(regions[0].dense_at))}</p>"])


def _sensitivity_section(results: Results, baseline: str, measures: Sequence[str] | None
                         ) -> str:
    if results.design_method not in METHODS:
        return ""
    head = "<h2>Sensitivity to the design's parameters</h2>"
    try:
        sens = sensitivity(results, measures=_measures(results, measures, results.headline),
                           policy=baseline, statistic=STATISTIC)
    except ResultsError as exc:
        return head + f"<div class=\"note\">{escape(str(exc))}</div>"
    return head + _sensitivity_body(sens, results)


def _sensitivity_body(sens: Sensitivity, results: Results) -> str:
    parts = [f"<p>{_markdown_bold(s)}</p>" for s in tables.sensitivity_method(sens) if s]
    parts += [f"<div class=\"note\">{escape(w)}</div>" for w in sens.warnings]
    parts.append(_html_table(tables.sensitivity_header(sens), tables.sensitivity_rows(sens)))
    second = tables.interaction_rows(sens)
    if second:
        parts += ["<h3>Second-order indices</h3>",
                  _html_table(["measure", "parameter", "other", "S2 ± conf"], second)]
    parts.append(_charts(figures.sensitivity_figure(sens), results, wide=True))
    return "".join(parts)


def _runs_section(manifest: Manifest, written: Mapping[str, Any] | None) -> str:
    counts = manifest.counts
    facts: list[list[Any]] = [
        ["status", manifest.status],
        ["runs planned / done / failed / pending",
         f"{counts.planned} / {counts.done} / {counts.failed} / {counts.pending}"],
        ["root seed", manifest.root_seed],
        ["replicates", manifest.replicates],
        ["scenario file", manifest.scenario_file],
        ["scenario hash (SHA-256)", manifest.identity.get("scenario_hash", "?")],
        ["started / finished", f"{manifest.started} / {manifest.finished}"],
        ["versions", ", ".join(f"{k} {v}" for k, v in manifest.versions.items())],
    ]
    failed = [r for r in manifest.runs if r.status == "failed"]
    parts = ["<h2>How the runs were made</h2>",
             "<p>One root seed gives each replicate its own seed, shared by every option and "
             "design point of that replicate. Each run below can be repeated alone with its "
             "command line, run from the folder the batch was run from.</p>",
             _html_table(["", ""], facts), _repeat_notes(manifest, written)]
    overrides = batch_overrides(written, manifest.scenario) if written is not None else []
    parts.append(_runs_table(manifest, overrides))
    if failed:
        rows = [[r.run_id, _last_line(r.error)] for r in failed[:20]]
        parts += [f"<h3>Failed runs ({len(failed)})</h3>",
                  _html_table(["run", "error (last line)"], rows)]
    return "".join(parts)


def _repeat_notes(manifest: Manifest, written: Mapping[str, Any] | None) -> str:
    """What the batch changed in its scenario file, or that it could not be read."""
    if written is None:
        return (f"<div class=\"note\">The scenario file {escape(manifest.scenario_file)} "
                f"was not read for this report, so any <code>--set</code> given to the batch "
                f"is missing from the command lines; the batch's full scenario is in "
                f"manifest.json.</div>")
    overrides = batch_overrides(written, manifest.scenario)
    if not overrides:
        return "<p>The batch ran the scenario file as written (no <code>--set</code>).</p>"
    items = "".join(f"<li><code>{escape(o)}</code></li>" for o in overrides)
    return (f"<p>The batch changed the scenario file with these settings, included in every "
            f"command line:</p><ul>{items}</ul>")


def _runs_table(manifest: Manifest, overrides: list[str]) -> str:
    """Each run's policy, replicate, seed and command line (the first MAX_RUN_ROWS)."""
    runs = manifest.runs[:MAX_RUN_ROWS]
    rows = "".join(
        f"<tr><td>{escape(r.run_id)}</td><td>{escape(r.policy)}</td><td>{r.replicate}</td>"
        f"<td class=\"num\">{r.seed}</td><td>{escape(r.status)}</td>"
        f"<td><code>{escape(repeat_command(manifest, r, overrides))}</code></td></tr>"
        for r in runs)
    more = (f" (the first {MAX_RUN_ROWS} of {len(manifest.runs)}; manifest.json lists all)"
            if len(manifest.runs) > MAX_RUN_ROWS else "")
    head = "".join(f"<th>{h}</th>" for h in ("run", "option", "replicate", "seed", "status",
                                              "command line"))
    return (f"<details><summary>Every run and its command line{more}</summary><table><thead>"
            f"<tr>{head}</tr></thead><tbody>{rows}</tbody></table></details>")


def _limits_section(source: Path) -> str:
    head = f"<h2>{SECTION}</h2>"
    try:
        groups = read_limits(source)
    except LimitsError as exc:
        return head + (f"<div class=\"note\">{escape(str(exc))}. The model description "
                       f"(docs/model.md in ssrsim's source) lists what the model assumes and "
                       f"leaves out in its section “{SECTION}”.</div>")
    parts = [head, f"<p class=\"same\">From the model description, docs/model.md, section "
                   f"“{SECTION}”, as it read when this report was made.</p>"]
    for group in groups:
        if group.title:
            parts.append(f"<h3>{escape(group.title)}</h3>")
        parts.append("<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in group.items)
                     + "</ul>")
    return "".join(parts)


def _charts(charts: dict[str, Figure], results: Results, *, wide: bool = False) -> str:
    items = []
    for stem, fig in charts.items():
        data = base64.b64encode(figures.png_bytes(fig)).decode("ascii")
        caption = _caption(stem, results)
        items.append(f"<figure><img alt=\"{escape(caption)}\" "
                     f"src=\"data:image/png;base64,{data}\"><figcaption>{escape(caption)}"
                     f"</figcaption></figure>")
    style = " style=\"grid-template-columns:1fr\"" if wide else ""
    return f"<div class=\"charts\"{style}>{''.join(items)}</div>"


def _caption(stem: str, results: Results) -> str:
    """What a chart shows, from its file stem."""
    kind, _, rest = stem.partition("_")
    if kind == "fan":
        return (f"{figures.label(results.info(rest))} over time: median of the runs (line), "
                f"middle 50% and 90% of runs (bands); dashed lines mark events.")
    if kind == "distribution":
        statistic, _, measure = rest.partition("_")
        word = "average over each run" if statistic == "mean" else "value at each run's end"
        return (f"{figures.label(results.info(measure))}: {word}, one point per run; the box "
                f"holds the middle half of the runs.")
    if kind == "cost":
        return ("Cost against outcome: each option's mean spending per step and mean outcome, "
                "with confidence intervals.")
    return "Sensitivity indices per parameter, one panel per measure."


def _value(value: Any) -> str:
    """A parameter value as in a scenario file (true, not True)."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def _html_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _measures(results: Results, named: Sequence[str] | None, default: Iterable[str]
              ) -> list[str]:
    """Named measures (each checked), or the defaults that the batch has."""
    if named:
        for measure in named:
            results.check_measure(measure)
        return list(dict.fromkeys(named))
    known = set(results.measures)
    return [m for m in default if m in known]


def _markdown_bold(text: str) -> str:
    """Escape text, then turn **x** into <strong>x</strong>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(text))


def _share(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}"


def _last_line(error: Any) -> str:
    lines = [s for s in str(error or "").strip().splitlines() if s.strip()]
    return lines[-1] if lines else ""
