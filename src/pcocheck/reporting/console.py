"""The console report (rich): a summary table by severity and file, then findings
grouped by file and resource. For people, not for parsing.

Everything that comes from the input (file names, ids, expressions, messages, server
answers) is shown through :func:`printable`: escape sequences, control characters and
newlines are escaped, so a crafted file cannot clear the screen or print a fake verdict.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pcocheck import __version__
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import ordered_findings
from pcocheck.reporting.outcomes import test_outcomes
from pcocheck.reporting.text import printable
from pcocheck.result import RunResult

_STYLE = {
    Severity.FATAL: "bold white on red",
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFORMATION: "cyan",
}
_ORDER = sorted(Severity, reverse=True)


def _location(finding: Finding) -> str:
    place = printable(finding.file or "<run>")
    if finding.line is not None:
        place += f":{finding.line}"
        if finding.column is not None:
            place += f":{finding.column}"
    return place


def _summary_table(result: RunResult, findings: list[Finding]) -> Table:
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


def _verdict(result: RunResult) -> Text:
    counts = result.counts()
    parts = [f"{counts[s.label]} {s.label}" for s in _ORDER if counts[s.label]]
    tally = ", ".join(parts) if parts else "no findings"
    threshold = result.fail_on.label if result.fail_on is not None else "never"
    if result.passed:
        return Text(f"PASSED ({tally}; fail-on {threshold})", style="bold green")
    return Text(f"FAILED ({tally}; fail-on {threshold})", style="bold red")


def render_console(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    console = Console(
        file=stream,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="auto" if options.color else None,
        width=options.width or (None if options.color else 100),
        highlight=False,
        soft_wrap=False,
    )
    findings = ordered_findings(result)
    if options.quiet and result.fail_on is not None:
        threshold = result.fail_on
        findings = [f for f in findings if f.severity >= threshold]
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

    current_file: str | None = None
    current_resource: tuple[str | None, int | None] | None = None
    for finding in findings:
        file = finding.file or "<run>"
        if file != current_file:
            current_file = file
            current_resource = None
            batch.append(Text(""))
            batch.append(Text(printable(file), style="bold underline"))
        resource_key = (finding.resource, finding.entry)
        if resource_key != current_resource:
            current_resource = resource_key
            heading = printable(finding.resource or "(document)")
            if finding.entry is not None:
                heading += f"  [entry {finding.entry}]"
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
        console.print(Text("Server tests", style="bold underline"))
        for test in tests:
            line = Text(f"  {test.result:<6} ", style="green" if test.result == "pass" else "bold")
            line.append(printable(f"{test.id} {test.title}"))
            if test.reason:
                line.append(printable(f": {test.reason}"), style="dim")
            console.print(line)
    console.print()
    if options.baselined:
        console.print(Text(f"{options.baselined} known finding(s) hidden by the baseline"))
    console.print(_verdict(result))
