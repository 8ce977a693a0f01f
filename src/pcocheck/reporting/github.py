"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=…,line=…,col=…,title=CODE::message`` (warnings as ``::warning``,
information as ``::notice``). GitHub shows only a few annotations per step, so when
``$GITHUB_STEP_SUMMARY`` is set a Markdown job summary (counts, then the findings in a
table) is appended to it as well. Chosen automatically when ``GITHUB_ACTIONS=true`` and
no format was given.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from pcocheck import __version__
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import ordered_findings, where
from pcocheck.reporting.outcomes import test_outcomes
from pcocheck.reporting.output import OutputError
from pcocheck.reporting.text import printable, shorten
from pcocheck.result import RunResult

COMMANDS = {
    Severity.FATAL: "error",
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
}
SUMMARY_ROWS = 200  # the job summary is for people; the full list is in the annotations
_ORDER = sorted(Severity, reverse=True)


def _data(text: str) -> str:
    """Escape a command's message (GitHub's toolkit rules), then anything unprintable."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    props: list[str] = []
    if finding.file and finding.file != "<stdin>":
        props.append(f"file={_property(finding.file)}")
        if finding.line is not None:
            props.append(f"line={finding.line}")
            if finding.column is not None:
                props.append(f"col={finding.column}")
    props.append(f"title={_property(finding.code)}")
    message = finding.message
    if finding.expression:
        message += f" (at {finding.expression})"
    return f"::{COMMANDS[finding.severity]} {','.join(props)}::{_data(message)}"


def _verdict(result: RunResult) -> str:
    counts = result.counts()
    tally = ", ".join(f"{counts[s.label]} {s.label}" for s in _ORDER if counts[s.label])
    threshold = result.fail_on.label if result.fail_on is not None else "never"
    state = "PASSED" if result.passed else "FAILED"
    return f"pcocheck {state} ({tally or 'no findings'}; fail-on {threshold})"


def _md(text: str) -> str:
    """Text for a Markdown table cell: no HTML, no pipes, no line breaks."""
    text = printable(text)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(char, entity)
    for char in "`*_[]":
        text = text.replace(char, "\\" + char)
    return text


def job_summary(result: RunResult) -> str:
    counts = result.counts()
    lines = [
        f"## pcocheck {'✅ passed' if result.passed else '❌ failed'}",
        "",
        f"{result.files} file(s), {result.resources} resource(s) checked with pcocheck "
        f"{__version__}; fail-on {result.fail_on.label if result.fail_on else 'never'}.",
        "",
        "| severity | findings |",
        "|---|---:|",
        *(f"| {s.label} | {counts[s.label]} |" for s in _ORDER),
        "",
    ]
    findings = ordered_findings(result)
    if findings:
        by_code = Counter(f.code for f in findings)
        lines += ["| rule | findings |", "|---|---:|"]
        lines += [f"| {code} | {n} |" for code, n in sorted(by_code.items())]
        lines += ["", "| severity | rule | where | message |", "|---|---|---|---|"]
        for finding in findings[:SUMMARY_ROWS]:
            lines.append(
                f"| {finding.severity.label} | {finding.code} | {_md(where(finding))} | "
                f"{_md(shorten(finding.message, 400))} |"
            )
        if len(findings) > SUMMARY_ROWS:
            lines.append("")
            lines.append(f"… and {len(findings) - SUMMARY_ROWS} more (see the annotations).")
    tests = test_outcomes(result)
    if tests:
        lines += ["", "| test | result | reason |", "|---|---|---|"]
        lines += [
            f"| {_md(t.id)} {_md(t.title)} | {t.result} | {_md(t.reason or '')} |" for t in tests
        ]
    return "\n".join(lines) + "\n"


def render_github(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    for finding in ordered_findings(result):
        stream.write(annotation(finding) + "\n")
    for test in test_outcomes(result):
        if test.failed:
            text = f"{test.id} {test.title}: {test.reason or test.result}"
            command = COMMANDS[test.severity]
            stream.write(f"::{command} title={_property(test.id)}::{_data(text)}\n")
    stream.write(_verdict(result) + "\n")
    if options.summary_path:
        # Appended, as GitHub expects: other steps' summaries stay.
        try:
            with open(
                options.summary_path, "a", encoding="utf-8", errors="backslashreplace"
            ) as out:
                out.write(job_summary(result))
        except OSError as error:
            raise OutputError(
                f"cannot write the job summary {printable(options.summary_path)}: "
                f"{error.strerror or error}"
            ) from None
