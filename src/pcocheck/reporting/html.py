"""``--format html``: one self-contained page a person would rather read than the console.

No external asset and no script: a summary (verdict, counts by severity and by profile),
two bar charts drawn as inline SVG (findings by rule and by profile), then the findings
grouped by file and resource, each with the JSON lines around it and the offending spot
highlighted. Input text is HTML-escaped and made printable, so nothing from the input can
become markup.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from html import escape
from typing import TextIO

from pcocheck import __version__
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import RUN_FILE, is_url, ordered_findings, resource_heading, where
from pcocheck.reporting.outcomes import test_outcomes
from pcocheck.reporting.text import printable, shorten
from pcocheck.result import RunResult

MAX_FINDINGS = 5000  # shown in full; the counts and charts always cover every finding
MAX_SOURCE_BYTES = 200 * 1024 * 1024  # larger inputs are not re-read for excerpts
MAX_LINE = 20000  # longer lines (NDJSON) are windowed around the column
CONTEXT = 2  # lines shown before and after the finding's line
_ORDER = sorted(Severity, reverse=True)
COLOURS = {
    Severity.FATAL: "#7f1d1d",
    Severity.ERROR: "#c62828",
    Severity.WARNING: "#b26a00",
    Severity.INFORMATION: "#1565c0",
}

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d232b; background: #f4f6f8; }
header { background: #1d2b3a; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
main { padding: 16px 32px 48px; max-width: 1200px; }
section { background: #fff; border-radius: 8px; padding: 16px 24px; margin: 16px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h2 { margin: 0 0 12px; font-size: 19px; }
.verdict { display: inline-block; padding: 6px 14px; border-radius: 6px; font-weight: 700;
           font-size: 18px; margin: 8px 0; color: #fff; }
.verdict.passed { background: #2e7d32; } .verdict.failed { background: #c62828; }
.cards { display: flex; gap: 14px; flex-wrap: wrap; margin: 12px 0; }
.card { min-width: 130px; padding: 12px 16px; border-radius: 8px; color: #fff; }
.card .n { font-size: 30px; font-weight: 700; display: block; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border-bottom: 1px solid #dde3ea; padding: 4px 10px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; gap: 32px; flex-wrap: wrap; }
details.file { border: 1px solid #dde3ea; border-radius: 6px; margin: 10px 0; }
details.file > summary { cursor: pointer; padding: 8px 12px; font-weight: 600;
                         background: #eef2f6; word-break: break-all; }
.resource { margin: 8px 14px; }
.resource h3 { font-size: 15px; margin: 10px 0 4px; }
.finding { border-left: 4px solid #999; padding: 4px 10px; margin: 8px 0; }
.finding .head { display: flex; gap: 10px; flex-wrap: wrap; align-items: baseline; }
.badge { color: #fff; border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 700; }
.code { font-weight: 700; font-family: ui-monospace, Menlo, Consolas, monospace; }
.loc, .expr, .profile { color: #5a6570; font-size: 13px; word-break: break-all; }
.msg { margin: 2px 0; }
pre.excerpt { background: #0f1720; color: #d8dee9; padding: 6px 0; border-radius: 4px;
              overflow-x: auto; font-size: 12.5px; margin: 4px 0; }
pre.excerpt span.line { display: block; padding: 0 10px; white-space: pre; }
pre.excerpt span.hit { background: #3b2a12; }
pre.excerpt span.no { color: #6b7785; display: inline-block; min-width: 4em; }
pre.excerpt mark { background: #ffb300; color: #000; border-radius: 2px; }
footer { color: #5a6570; font-size: 13px; padding: 0 32px 24px; }
"""


def _h(text: str | None) -> str:
    return escape(printable(text or ""), quote=True)


def _sev_style(severity: Severity) -> str:
    return f"background:{COLOURS[severity]}"


def _profile_name(profile: str | None) -> str:
    if not profile:
        return "(base FHIR R4)"
    canonical = profile.split("|", 1)[0]
    return canonical.rstrip("/").rsplit("/", 1)[-1] or canonical


def bar_chart(title: str, rows: list[tuple[str, int, str]], hidden: int = 0) -> str:
    """A horizontal bar chart as inline SVG (no script, no external asset); each row is
    (label, count, colour); ``hidden`` rows that did not fit are mentioned below it."""
    if not rows:
        return f"<figure><figcaption>{escape(title)}</figcaption><p>No findings.</p></figure>"
    label_width, bar_width, row_height = 260, 300, 24
    height = row_height * len(rows) + 10
    top = max(n for _, n, _ in rows)
    parts = [
        f"<figure><figcaption><strong>{escape(title)}</strong></figcaption>",
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{label_width + bar_width + 60}" height="{height}" '
        f'viewBox="0 0 {label_width + bar_width + 60} {height}">',
    ]
    for index, (label, count, colour) in enumerate(rows):
        y = 5 + index * row_height
        width = max(2, round(bar_width * count / top))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="12" '
            f'fill="#1d232b">{_h(shorten(label, 40))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="{row_height - 8}" '
            f'rx="3" fill="{colour}"><title>{_h(label)}: {count}</title></rect>'
            f'<text x="{label_width + width + 6}" y="{y + 16}" font-size="12" '
            f'fill="#1d232b">{count}</text>'
        )
    parts.append("</svg>")
    if hidden:
        parts.append(f"<p>… and {hidden} more not shown.</p>")
    parts.append("</figure>")
    return "".join(parts)


def _read_lines(file: str, wanted: set[int]) -> dict[int, str]:
    """The wanted lines of a local input, streaming (NDJSON exports can be large)."""
    if not wanted or file in (RUN_FILE, "<stdin>") or is_url(file) or file.endswith(".gz"):
        return {}
    try:
        if not os.path.isfile(file) or os.path.getsize(file) > MAX_SOURCE_BYTES:
            return {}
        found: dict[int, str] = {}
        last = max(wanted)
        with open(file, encoding="utf-8-sig", errors="replace", newline=None) as stream:
            for number, line in enumerate(stream, start=1):
                if number in wanted:
                    found[number] = line.rstrip("\n")
                if number >= last:
                    break
        return found
    except OSError:
        return {}


def _excerpt_line(number: int, text: str, column: int | None, hit: bool) -> str:
    start = 0
    if len(text) > MAX_LINE or (column is not None and len(text) > 400):
        anchor = (column or 1) - 1
        start = max(0, anchor - 120)
        text = text[start : anchor + 280]
    prefix = "…" if start else ""
    if hit and column is not None and column - 1 - start < len(text):
        at = column - 1 - start
        before, rest = text[:at], text[at:]
        # Highlight the token at the column: up to the end of the value or 60 characters.
        end = len(rest)
        for stop in (",\n", ",", "\n"):
            found = rest.find(stop, 1)
            if found != -1:
                end = min(end, found)
        end = min(end, 60) or 1
        body = f"{_h(prefix + before)}<mark>{_h(rest[:end])}</mark>{_h(rest[end:])}"
    else:
        body = _h(prefix + text)
    css = "line hit" if hit else "line"
    return f'<span class="{css}"><span class="no">{number}</span>{body}</span>'


def _excerpt(finding: Finding, lines: dict[int, str]) -> str:
    if finding.line is None or finding.line not in lines:
        return ""
    rows = []
    for number in range(finding.line - CONTEXT, finding.line + CONTEXT + 1):
        if number in lines:
            hit = number == finding.line
            rows.append(_excerpt_line(number, lines[number], finding.column if hit else None, hit))
    return f'<pre class="excerpt">{"".join(rows)}</pre>'


def _finding(finding: Finding, lines: dict[int, str]) -> str:
    parts = [
        f'<div class="finding" style="border-left-color:{COLOURS[finding.severity]}">',
        '<div class="head">',
        f'<span class="badge" style="{_sev_style(finding.severity)}">'
        f"{finding.severity.label}</span>",
        f'<span class="code">{_h(finding.code)}</span>',
        f'<span class="loc">{_h(where(finding))}</span></div>',
        f'<p class="msg">{_h(finding.message)}</p>',
    ]
    if finding.expression:
        parts.append(f'<div class="expr">at {_h(finding.expression)}</div>')
    if finding.profile:
        parts.append(f'<div class="profile">profile {_h(finding.profile)}</div>')
    parts.append(_excerpt(finding, lines))
    parts.append("</div>")
    return "".join(parts)


def _counts_table(findings: Iterable[Finding]) -> str:
    per_profile: dict[str, Counter[Severity]] = defaultdict(Counter)
    for finding in findings:
        per_profile[_profile_name(finding.profile)][finding.severity] += 1
    if not per_profile:
        return ""
    head = "".join(f'<th class="n">{s.label}</th>' for s in _ORDER)
    rows = "".join(
        f"<tr><td>{_h(name)}</td>"
        + "".join(f'<td class="n">{counts.get(s, 0)}</td>' for s in _ORDER)
        + "</tr>"
        for name, counts in sorted(per_profile.items())
    )
    return (
        '<h3>Findings by profile</h3><table id="by-profile"><thead><tr><th>profile</th>'
        f"{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _summary(result: RunResult, findings: list[Finding]) -> str:
    counts = result.counts()
    state = "passed" if result.passed else "failed"
    threshold = result.fail_on.label if result.fail_on is not None else "never"
    cards = "".join(
        f'<div class="card" style="{_sev_style(s)}"><span class="n">{counts[s.label]}</span>'
        f"{s.label}</div>"
        for s in _ORDER
    )
    incomplete = (
        f"<p><strong>Incomplete:</strong> {_h(result.incomplete)}</p>" if result.incomplete else ""
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="verdict {state}">{state.upper()}</div>'
        f"<p>{result.files} file(s), {result.resources} resource(s) checked; "
        f"fail-on <strong>{threshold}</strong>; {len(findings)} finding(s).</p>{incomplete}"
        f'<div class="cards">{cards}</div>{_counts_table(findings)}</section>'
    )


def _chart_rows(
    findings: list[Finding], key: Callable[[Finding], str]
) -> list[tuple[str, int, str]]:
    """Rows by count (then name), each coloured by the worst severity among its findings."""
    counts: Counter[str] = Counter()
    worst: dict[str, Severity] = {}
    for finding in findings:
        name = key(finding)
        counts[name] += 1
        worst[name] = max(worst.get(name, finding.severity), finding.severity)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(name, count, COLOURS[worst[name]]) for name, count in ordered]


def _charts(findings: list[Finding]) -> str:
    by_rule = _chart_rows(findings, lambda f: f.code)
    by_profile = _chart_rows(findings, lambda f: _profile_name(f.profile))
    limit = 20
    return (
        '<section id="charts"><h2>Charts</h2><div class="charts">'
        + bar_chart("Findings by rule", by_rule[:limit], max(0, len(by_rule) - limit))
        + bar_chart("Findings by profile", by_profile[:limit], max(0, len(by_profile) - limit))
        + "</div></section>"
    )


def _findings(findings: list[Finding]) -> str:
    shown = findings[:MAX_FINDINGS]
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in shown:
        by_file[finding.file or RUN_FILE].append(finding)
    parts = ['<section id="findings"><h2>Findings by file and resource</h2>']
    if not findings:
        parts.append("<p>No findings.</p>")
    for file, items in by_file.items():
        wanted: set[int] = set()
        for finding in items:
            if finding.line is not None:
                wanted.update(range(max(1, finding.line - CONTEXT), finding.line + CONTEXT + 1))
        lines = _read_lines(file, wanted)
        tally = Counter(f.severity for f in items)
        label = ", ".join(f"{tally[s]} {s.label}" for s in _ORDER if tally[s])
        parts.append(
            f'<details class="file" open><summary>{_h(file)} <small>({label})</small></summary>'
        )
        current: tuple[str | None, int | None] | None = None
        for finding in items:
            key = (finding.resource, finding.entry)
            if key != current:
                if current is not None:
                    parts.append("</div>")
                current = key
                parts.append(f'<div class="resource"><h3>{_h(resource_heading(*key))}</h3>')
            parts.append(_finding(finding, lines))
        if current is not None:
            parts.append("</div>")
        parts.append("</details>")
    if len(findings) > MAX_FINDINGS:
        parts.append(
            f"<p>{len(findings) - MAX_FINDINGS} more finding(s) are not shown; use "
            "--format json or sarif for the complete list.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _tests(result: RunResult) -> str:
    tests = test_outcomes(result)
    if not tests:
        return ""
    rows = "".join(
        f"<tr><td>{_h(t.group)}</td><td>{_h(t.id)}</td><td>{_h(t.title)}</td>"
        f"<td>{_h(t.result)}</td><td>{_h(t.reason)}</td></tr>"
        for t in tests
    )
    return (
        '<section id="tests"><h2>Server tests</h2><table><thead><tr><th>group</th><th>id</th>'
        f"<th>title</th><th>result</th><th>reason</th></tr></thead><tbody>{rows}</tbody>"
        "</table></section>"
    )


def render_html(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    findings = ordered_findings(result)
    stream.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pcocheck report</title><style>{CSS}</style></head><body>"
        f"<header><h1>pcocheck report</h1><div>pcocheck {escape(__version__)} — FHIR R4 / "
        "HL7 PCO STU1 conformance</div></header><main>"
    )
    stream.write(_summary(result, findings))
    stream.write(_charts(findings))
    stream.write(_tests(result))
    stream.write(_findings(findings))
    stream.write(
        "</main><footer>Generated by pcocheck. Findings are sorted by file, position "
        "and rule code.</footer></body></html>\n"
    )
