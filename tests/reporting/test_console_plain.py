"""The console reporter's plain path (no rich import) prints exactly what rich prints.

The plain path is taken only for reports of plain lines (no colour, no table, no server
tests, short printable ASCII); everything else goes through rich. Here both renderings are
compared on real runs over the shipped fixtures and on made-up results around the edges.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.console import _plain_lines, _render_rich, render_console
from pcocheck.result import RunResult
from pcocheck.runner import Run, build_checkers

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "fixtures/journeys/gas-goal-journey.json",
    "fixtures/journeys/prom-journey.json",
    "fixtures/broken",
    "fixtures/ig-examples",
)


@cache
def _real(path: str, fail_on: Severity | None) -> RunResult:
    config = RunConfig(paths=(str(ROOT / path),))
    result = Run(config, build_checkers(config)).execute()
    return RunResult(
        findings=result.findings,
        files=result.files,
        resources=result.resources,
        fail_on=fail_on,
        incomplete=result.incomplete,
    )


def _made_up() -> list[RunResult]:
    def finding(**extra: object) -> Finding:
        fields: dict[str, object] = {
            "code": "FHIR-JSON-001",
            "severity": Severity.ERROR,
            "type": "structure",
            "message": "a message",
        }
        fields.update(extra)
        return Finding(**fields)  # type: ignore[arg-type]

    return [
        RunResult(),
        RunResult(files=1, resources=3),
        RunResult(files=2, resources=2, incomplete="the server did not answer"),
        RunResult(findings=[finding()], files=1, resources=1),
        RunResult(findings=[finding(file="a.json", resource="Patient/p")], fail_on=None),
        RunResult(findings=[finding(file="a.json", message="x" * 120)], files=1),
        RunResult(findings=[finding(file="b.json", expression="Patient.name")], files=1),
        RunResult(findings=[finding(file="c.json", message="ünïcode", line=2, column=3)]),
        RunResult(findings=[finding(file="d.json", message="[bold]markup[/bold] :smile:")]),
        RunResult(findings=[finding(file="e.json", severity=Severity.WARNING)], files=1),
    ]


OPTIONS = [
    ReportOptions(),
    ReportOptions(quiet=True),
    ReportOptions(quiet=True, verbose=True),
    ReportOptions(quiet=True, baselined=3),
    ReportOptions(baselined=1),
    ReportOptions(quiet=True, width=40),
]


def _both(result: RunResult, options: ReportOptions) -> tuple[str, str]:
    plain, rich = io.StringIO(), io.StringIO()
    render_console(result, plain, options)
    _render_rich(result, rich, options)
    return plain.getvalue(), rich.getvalue()


def _cases() -> list[tuple[RunResult, ReportOptions]]:
    results = [_real(path, fail_on) for path in FILES for fail_on in (Severity.ERROR, None)]
    return [(result, options) for result in [*results, *_made_up()] for options in OPTIONS]


def test_plain_and_rich_renderings_agree() -> None:
    plain_taken = 0
    for result, options in _cases():
        plain, rich = _both(result, options)
        assert plain == rich, (result.counts(), options)
        plain_taken += _plain_lines(result, options) is not None
    assert plain_taken >= 10  # the plain path is really exercised


@pytest.mark.parametrize(
    "options", [ReportOptions(color=True), ReportOptions(color=True, quiet=True)]
)
def test_colour_always_goes_through_rich(options: ReportOptions) -> None:
    assert _plain_lines(RunResult(files=1, resources=1), options) is None


def test_a_passing_quiet_run_prints_only_the_verdict() -> None:
    result = RunResult(files=1, resources=9)
    lines = _plain_lines(result, ReportOptions(quiet=True))
    assert lines == ["", "PASSED (no findings; fail-on error)"]
