"""A self-contained HTML report of a batch that a planner can mail and open offline.

One file: CSS inline, charts embedded as base64 PNG, no scripts and no links to anything
outside it. Every text taken from the results folder is escaped. The report describes the
scenario and the options in plain words, compares the options with a baseline, shows the
sensitivity indices of a Morris or Saltelli batch, and states how the runs were made and what
the model assumes and leaves out.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..results_format import NO_POLICY, EventMarker, Manifest
from . import figures, tables
from .compare import Comparison, Verdict, compare, default_measures
from .results import Results, ResultsError
from .sensitivity import METHODS, Sensitivity, sensitivity

STATISTIC = "mean"
"""The run statistic the report uses: each run's average over its steps."""

ASSUMPTIONS = (
    "Almost every rate, weight and starting level is a modelling assumption; only Epstein's "
    "activation parameters, the vision radius, the rounding rule and the population density "
    "come from published sources, and the cited studies give directions of effects, not "
    "sizes.",
    "No scenario is calibrated to a real country and resource units are abstract (a budget of "
    "10 has no currency). Read results as comparisons between options on the same scenario "
    "and random seeds, not as forecasts.",
    "The functional forms (saturation of spending, how harm and gains combine, linear "
    "cooperation, institutional growth, DDR hazards) are assumptions too.",
    "Not represented: civilians moving or fleeing, insurgents as actors (insurgency is a "
    "district rate), police and army as separate forces, more than one budget or donor, "
    "corruption, community identities and networks, individual reporting of crimes.",
    "Legitimacy cannot be changed directly during a run, and nothing varies over time "
    "except through the scheduled events.",
    "Runs start with everyone quiescent, so the first weeks show a large transient outburst; "
    "the run averages used here include it. Stability and per-step counts such as abuses are "
    "noisy: judge them over many runs.",
    "The only validation so far is docking with Mesa's Epstein civil-violence example; "
    "patterns from real cases (Liberia, Colombia, Mali) are not yet checked.",
)
"""The model's assumptions and limits in brief (docs/model.md, section 9)."""

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
font-size:.85em}
"""


def write_report(
    results: Results,
    path: str | Path,
    *,
    baseline: str | None = None,
    measures: Sequence[str] | None = None,
) -> Path:
    """Write one self-contained HTML report of a batch; returns its path.

    Args:
        results: an opened results folder.
        path: the HTML file to write (its folder is created).
        baseline: the policy options are compared with (default: status_quo if the batch
            has it, else its first policy).
        measures: measures to compare and chart (default: the headline measures, and for
            the comparison also abuses and spending).

    """
    baseline = _baseline(results, baseline)
    body = [
        _title(results),
        _scenario_section(results.manifest),
        _policies_section(results),
        _comparison_section(results, baseline, measures),
        _sensitivity_section(results, baseline, measures),
        _runs_section(results.manifest),
        _assumptions_section(),
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


def _comparison_section(results: Results, baseline: str, measures: Sequence[str] | None
                        ) -> str:
    if not len(results.summary):
        return ("<h2>Outcomes</h2><div class=\"note\">No run has finished yet: run the same "
                "<code>ssrsim batch</code> command again to finish the batch.</div>")
    shown = _measures(results, measures, results.headline)
    charts = figures.fan_figures(results, shown)
    charts |= figures.distribution_figures(results, shown, STATISTIC)
    if len(results.policies) < 2:
        return ("<h2>Outcomes</h2><p>The batch has a single option, so there is nothing to "
                "compare; the charts show the spread of outcomes over runs.</p>"
                + _charts(charts, results))
    wanted = _measures(results, measures, default_measures(results))
    comparison = compare(results, baseline, measures=wanted, statistic=STATISTIC)
    if {"spent", "trust"} <= set(wanted):
        charts |= figures.cost_figure(comparison, outcome="trust", policies=results.policies)
    return "".join([
        f"<h2>Comparison with {escape(baseline)}</h2>",
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


def _runs_section(manifest: Manifest) -> str:
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
             "design point of that replicate; any run can be repeated alone with "
             "<code>ssrsim run --policy P --seed S</code>.</p>",
             _html_table(["", ""], facts)]
    if failed:
        rows = [[r.run_id, _last_line(r.error)] for r in failed[:20]]
        parts += [f"<h3>Failed runs ({len(failed)})</h3>",
                  _html_table(["run", "error (last line)"], rows)]
    return "".join(parts)


def _assumptions_section() -> str:
    items = "".join(f"<li>{escape(a)}</li>" for a in ASSUMPTIONS)
    return ("<h2>Assumptions and limits</h2><ul>" + items + "</ul><p>The full list is in the "
            "model description shipped with ssrsim: <code>docs/model.md</code>, section 9, "
            "“Assumptions and limits”.</p>")


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
