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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcocheck.config import RunConfig
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.console import _plain_lines, _render_rich, render_console
from pcocheck.reporting.plain import one_cell_each, table_like_rich, wrap_like_rich
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


# -- the layout itself: rich's wrapping and table, byte for byte ---------------------------
def _rich_text(text: str, width: int) -> str:
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=False,
        no_color=True,
        color_system=None,
        width=width,
        highlight=False,
        soft_wrap=False,
    )
    console.print(Text(text))
    return out.getvalue()


# One-cell characters (ASCII, Latin-1 with the no-break space, Greek, Cyrillic, box
# drawing), others rich measures with its tables (wide, combining, zero width, a soft
# hyphen, the line separator), and plenty of spaces so that words break.
_ALPHABET = (
    "abcdefghij ABC 0123 .,;:/[]()-_  ",
    "éßøÆ\u00a0\u00a0ΩπЖж─━│",
    "漢字ｱ\u0301\u200b\u00ad\u2028\u3000\U0001f600",
)


def _texts(wide: bool = True) -> st.SearchStrategy[str]:
    alphabet = "".join(_ALPHABET if wide else _ALPHABET[:2])
    words = st.text(alphabet=alphabet, max_size=30)
    long_words = st.text(alphabet="xyzé", min_size=20, max_size=250)
    return st.lists(st.one_of(words, long_words), max_size=8).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_texts(), width=st.integers(min_value=1, max_value=120))
def test_wrap_like_rich_is_what_rich_prints(text: str, width: int) -> None:
    lines = wrap_like_rich(text, width)
    if lines is not None:
        assert "".join(f"{line}\n" for line in lines) == _rich_text(text, width)
    else:  # only where rich's own measure is needed
        assert "\n" in text or not one_cell_each(text)


@settings(max_examples=200, deadline=None)
@given(text=_texts(wide=False), width=st.integers(min_value=1, max_value=120))
def test_one_cell_texts_are_always_laid_out_here(text: str, width: int) -> None:
    lines = wrap_like_rich(text, width)
    assert lines is not None
    assert "".join(f"{line}\n" for line in lines) == _rich_text(text, width)


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("", 10),
        (" ", 1),
        ("x" * 250, 100),  # a word longer than the line: folded
        ("a " + "x" * 250 + " b", 100),
        ("word   " * 40, 100),  # spaces at every break
        ("      at " + "Patient.name.where(x)" * 9, 100),
        ("      " + "y" * 95 + "      z", 100),  # spaces beyond the width are stripped
        ("ab" + " " * 300, 100),
        ("\u00a0" * 120 + "x", 100),  # the no-break space is whitespace to rich
        ("ünïcödé " * 30, 40),
    ],
)
def test_wrap_like_rich_edges(text: str, width: int) -> None:
    lines = wrap_like_rich(text, width)
    assert lines is not None
    assert "".join(f"{line}\n" for line in lines) == _rich_text(text, width)


def test_every_character_taken_as_one_cell_is_one_cell_to_rich() -> None:
    from rich.cells import cell_len

    accepted = [chr(point) for point in range(0x110000) if one_cell_each(chr(point))]
    assert len(accepted) > 1000
    assert [c for c in accepted if cell_len(c) != 1 or cell_len(c * 3) != 3] == []


def _rich_table(headers: list[str], right: list[bool], rows: list[list[str]], width: int) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = io.StringIO()
    console = Console(
        file=out, no_color=True, color_system=None, width=width, highlight=False, soft_wrap=False
    )
    table = Table(title="Findings by file", title_justify="left", show_lines=False)
    for header, at_right in zip(headers, right, strict=True):
        table.add_column(header, justify="right" if at_right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
    return out.getvalue()


_CELL = st.one_of(
    st.text(alphabet="".join(_ALPHABET[:2]), max_size=40),
    st.text(alphabet="".join(_ALPHABET[:2]), max_size=8),
    st.text(alphabet="".join(_ALPHABET), max_size=40),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(_CELL, st.integers(0, 10**7), st.integers(0, 99), _CELL), min_size=1, max_size=5
    ),
    width=st.integers(min_value=20, max_value=140),
)
def test_table_like_rich_is_what_rich_prints(
    rows: list[tuple[str, int, int, str]], width: int
) -> None:
    headers = ["file", "fatal", "error", "notes"]
    right = [False, True, True, True]
    cells = [[name, str(a), str(b), note] for name, a, b, note in rows]
    lines = table_like_rich("Findings by file", headers, right, cells, width)
    if lines is not None:
        assert "".join(f"{line}\n" for line in lines) == _rich_table(headers, right, cells, width)


@pytest.mark.parametrize("width", [40, 53, 54, 100])
def test_table_like_rich_at_and_around_its_natural_width(width: int) -> None:
    headers = ["file", "fatal", "error", "warning", "information"]
    right = [False, True, True, True, True]
    rows = [["dir/with space/ünïcode.json", "0", "12", "3", "1000000"], ["total", *"0000"]]
    lines = table_like_rich("Findings by file", headers, right, rows, width)
    natural = len("".join(f"{line}\n" for line in lines or [""]).splitlines()[0])
    if lines is None:
        assert width < 70
    else:
        assert natural <= width
        assert "".join(f"{line}\n" for line in lines) == _rich_table(headers, right, rows, width)


def test_the_plain_path_takes_reports_with_findings_and_tables() -> None:
    """Not only quiet runs: a report of many findings, with its summary table, is laid out
    here (and agrees with rich, see test_plain_and_rich_renderings_agree)."""
    result = _real("fixtures/broken", Severity.ERROR)
    assert result.findings
    lines = _plain_lines(result, ReportOptions())
    assert lines is not None
    assert any(line.startswith("┏") for line in lines)


def test_a_stream_that_cannot_encode_the_box_goes_through_rich() -> None:
    result = _real("fixtures/broken", Severity.ERROR)
    assert _plain_lines(result, ReportOptions(), "ascii") is None
    assert _plain_lines(result, ReportOptions(quiet=True), "ascii") is not None
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="replace")
    render_console(result, stream, ReportOptions())
    stream.flush()
    assert b"+-" in stream.buffer.getvalue() or b"|" in stream.buffer.getvalue()
