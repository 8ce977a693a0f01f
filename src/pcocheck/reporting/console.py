"""The console report (rich): a summary table by severity and file, then findings
grouped by file and resource. For people, not for parsing.

Everything that comes from the input (file names, ids, expressions, messages, server
answers) is shown through :func:`printable`: escape sequences, control characters and
newlines are escaped, so a crafted file cannot clear the screen or print a fake verdict.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from pcocheck import __version__
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import ordered_findings
from pcocheck.reporting.outcomes import test_outcomes
from pcocheck.reporting.plain import table_like_rich, wrap_like_rich
from pcocheck.reporting.text import printable
from pcocheck.result import RunResult

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

_STYLE = {
    Severity.FATAL: "bold white on red",
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFORMATION: "cyan",
}
_ORDER = sorted(Severity, reverse=True)


def _grouped(
    findings: Iterable[Finding],
) -> Iterator[tuple[str | None, str | None, Finding]]:
    """Each finding with the file heading and the resource heading that start before it
    (None when the previous finding had the same), escaped for the terminal."""
    current_file: str | None = None
    current_resource: tuple[str | None, int | None] | None = None
    for finding in findings:
        file_heading = resource_heading = None
        file = finding.file or "<run>"
        if file != current_file:
            current_file, current_resource = file, None
            file_heading = printable(file)
        resource_key = (finding.resource, finding.entry)
        if resource_key != current_resource:
            current_resource = resource_key
            resource_heading = printable(finding.resource or "(document)")
            if finding.entry is not None:
                resource_heading += f"  [entry {finding.entry}]"
        yield file_heading, resource_heading, finding


def _location(finding: Finding) -> str:
    place = printable(finding.file or "<run>")
    if finding.line is not None:
        place += f":{finding.line}"
        if finding.column is not None:
            place += f":{finding.column}"
    return place


def _summary_table(result: RunResult, findings: list[Finding]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Findings by file", title_justify="left", show_lines=False)
    table.add_column("file", overflow="fold")
    for severity in _ORDER:
        table.add_column(severity.label, justify="right", style=_STYLE[severity])
    per_file: dict[str, Counter[Severity]] = defaultdict(Counter)
    for finding in findings:
        per_file[finding.file or "<run>"][finding.severity] += 1
    for file in sorted(per_file):
        counts = per_file[file]
        table.add_row(Text(printable(file)), *(str(counts.get(s, 0)) for s in _ORDER))
    totals = result.counts()
    table.add_row(Text("total", style="bold"), *(str(totals[s.label]) for s in _ORDER))
    return table


def _verdict_line(result: RunResult) -> str:
    counts = result.counts()
    parts = [f"{counts[s.label]} {s.label}" for s in _ORDER if counts[s.label]]
    tally = ", ".join(parts) if parts else "no findings"
    threshold = result.fail_on.label if result.fail_on is not None else "never"
    return f"{'PASSED' if result.passed else 'FAILED'} ({tally}; fail-on {threshold})"


def _verdict(result: RunResult) -> Text:
    from rich.text import Text

    return Text(_verdict_line(result), style="bold green" if result.passed else "bold red")


_RESULT_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "skip": "yellow",
    "omit": "dim",
    "error": "bold white on red",
}


def _tests_table(result: RunResult) -> Table:
    """pcocheck server: one row per test, with its reason and the requests showing it."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Server tests", title_justify="left", show_lines=False)
    table.add_column("result")
    table.add_column("expect")
    table.add_column("test", overflow="fold")
    table.add_column("reason", overflow="fold")
    for test in test_outcomes(result):
        table.add_row(
            Text(test.result, style=_RESULT_STYLE.get(test.result, "")),
            Text(printable(test.expectation or "")),
            Text(printable(test.id)),
            Text(printable(test.reason or "")),
        )
    return table


def _must_support_table(rows: list[dict[str, Any]]) -> Table:
    """pcocheck server: per PCO profile, the Must Support elements seen and not seen."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Must Support coverage", title_justify="left", show_lines=False)
    table.add_column("profile", overflow="fold")
    table.add_column("instances", justify="right")
    table.add_column("seen", justify="right")
    table.add_column("not seen / undecided", overflow="fold")
    for row in rows:
        missing = [str(m) for m in row.get("missing") or []]
        undecided = [str(u) for u in row.get("undecided") or []]
        gaps = ", ".join(missing) + (f" / {', '.join(undecided)}" if undecided else "")
        table.add_row(
            Text(printable(str(row.get("profile", "")).rsplit("/", 1)[-1])),
            str(row.get("instances", 0)),
            str(len(row.get("seen") or [])),
            Text(printable(gaps or "-")),
        )
    return table


def _shown_findings(result: RunResult, options: ReportOptions) -> list[Finding]:
    findings = ordered_findings(result)
    if options.quiet and result.fail_on is not None:
        threshold = result.fail_on
        findings = [f for f in findings if f.severity >= threshold]
    return findings


def _plain_lines(
    result: RunResult, options: ReportOptions, encoding: str = "utf-8"
) -> list[str] | None:
    """The report as the plain lines rich prints without colour, laid out here (see
    :mod:`pcocheck.reporting.plain`); None when only rich can promise the same bytes:
    colour, server tests, characters rich measures with its Unicode tables, a summary
    table too wide for the page. Importing rich and rendering through it was a third of a
    small run's start-up and 0.18 s of a 10,000-resource run's report; most runs end here."""
    if options.color or test_outcomes(result):
        return None
    width = options.width or 100
    findings = _shown_findings(result, options)
    lines: list[str] = []
    logical: list[str] = []
    if not options.quiet:
        header = (
            f"pcocheck {__version__}: {result.files} file(s), "
            f"{result.resources} resource(s) checked"
        )
        if "[" in header or header.count(":") != 1:  # printed as markup, emoji codes
            return None
        logical.append(header)
        if findings:
            table = _plain_summary(result, findings, width, encoding)
            if table is None:
                return None
            if not _wrapped(logical, width, lines):
                return None
            logical = []
            lines += table
    for file, heading, finding in _grouped(findings):
        if file is not None:
            logical += ["", file]
        if heading is not None:
            logical.append(f"  {heading}")
        severity = f"{finding.severity.label:<11}"
        logical.append(f"    {severity} {finding.code:<15} {_location(finding)}")
        if finding.expression:
            logical.append(f"      at {printable(finding.expression)}")
        logical.append(f"      {printable(finding.message)}")
        if options.verbose and finding.profile:
            logical.append(f"      profile {printable(finding.profile)}")
    if result.incomplete is not None:
        logical += ["", f"INCOMPLETE: {printable(result.incomplete)}"]
    logical.append("")
    if options.baselined:
        logical.append(f"{options.baselined} known finding(s) hidden by the baseline")
    logical.append(_verdict_line(result))
    if not _wrapped(logical, width, lines):
        return None
    return lines


def _wrapped(logical: list[str], width: int, lines: list[str]) -> bool:
    """Append ``logical`` lines to ``lines`` as rich wraps them; False if it cannot say."""
    for text in logical:
        wrapped = wrap_like_rich(text, width)
        if wrapped is None:
            return False
        lines += wrapped
    return True


def _plain_summary(
    result: RunResult, findings: list[Finding], width: int, encoding: str
) -> list[str] | None:
    """:func:`_summary_table` as plain lines, or None (see :func:`table_like_rich`). rich
    draws the box with ASCII when the stream cannot encode it, and with other characters
    on legacy Windows consoles: left to rich."""
    if not encoding.lower().startswith("utf") or sys.platform == "win32":
        return None
    per_file: dict[str, Counter[Severity]] = defaultdict(Counter)
    for finding in findings:
        per_file[finding.file or "<run>"][finding.severity] += 1
    rows = [
        [printable(file), *(str(per_file[file].get(s, 0)) for s in _ORDER)]
        for file in sorted(per_file)
    ]
    totals = result.counts()
    rows.append(["total", *(str(totals[s.label]) for s in _ORDER)])
    headers = ["file", *(s.label for s in _ORDER)]
    right = [False, *(True for _ in _ORDER)]
    return table_like_rich("Findings by file", headers, right, rows, width)


def render_console(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    # rich reads the stream's encoding the same way (Console.encoding)
    encoding = getattr(stream, "encoding", None) or "utf-8"
    lines = _plain_lines(result, options, encoding)
    if lines is not None:
        stream.write("".join(f"{line}\n" for line in lines))
        return
    _render_rich(result, stream, options)


def _render_rich(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="auto" if options.color else None,
        width=options.width or (None if options.color else 100),
        highlight=False,
        soft_wrap=False,
    )
    findings = _shown_findings(result, options)
    if not options.quiet:
        console.print(
            f"pcocheck {__version__}: {result.files} file(s), "
            f"{result.resources} resource(s) checked"
        )
        if findings:
            console.print(_summary_table(result, findings))
    # The findings are printed in batches of joined lines: one rich render per batch
    # instead of one per line (20,000 findings took 20 s line by line).
    batch: list[Text] = []

    def flush() -> None:
        if batch:
            console.print(Text("\n").join(batch))
            batch.clear()

    for file, heading, finding in _grouped(findings):
        if file is not None:
            batch.append(Text(""))
            batch.append(Text(file, style="bold underline"))
        if heading is not None:
            batch.append(Text(f"  {heading}", style="bold"))
        line = Text("    ")
        line.append(f"{finding.severity.label:<11}", style=_STYLE[finding.severity])
        line.append(f" {finding.code:<15} ", style="bold")
        line.append(_location(finding), style="dim")
        batch.append(line)
        if finding.expression:
            batch.append(Text(f"      at {printable(finding.expression)}", style="dim"))
        batch.append(Text(f"      {printable(finding.message)}"))
        if options.verbose and finding.profile:
            batch.append(Text(f"      profile {printable(finding.profile)}", style="dim"))
        if len(batch) >= 500:
            flush()
    flush()
    tests = test_outcomes(result)
    if tests:
        console.print()
        console.print(_tests_table(result))
        coverage = (result.server or {}).get("mustSupport")
        if coverage:
            console.print(_must_support_table(coverage))
        tally = Counter(test.result for test in tests)
        console.print(", ".join(f"{tally[k]} {k}" for k in _RESULT_STYLE if tally[k]))
    if result.incomplete is not None:
        console.print()
        console.print(Text(f"INCOMPLETE: {printable(result.incomplete)}", style="bold red"))
    console.print()
    if options.baselined:
        console.print(Text(f"{options.baselined} known finding(s) hidden by the baseline"))
    console.print(_verdict(result))
