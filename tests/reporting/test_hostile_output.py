"""Writing reports safely (issue 14, items 1, 3 and 7): outputs that are devices, pipes,
links or inputs; text every format must escape; a closed pipe; terminal injection."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import xmlschema
from typer.testing import CliRunner

from pcocheck.cli import app
from pcocheck.reporting import FORMATS
from tests.reporting.conftest import SCHEMAS

RUNNER = CliRunner()
NARRATIVE = {
    "status": "generated",
    "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>',
}
GOOD = json.dumps({"resourceType": "Basic", "id": "ok", "text": NARRATIVE, "code": {"text": "a"}})
ENV = {**os.environ, "NO_COLOR": "1"}


def pcocheck(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "pcocheck", *args],
        capture_output=True,
        timeout=120,
        check=False,
        env=ENV,
        **kwargs,
    )


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(GOOD, encoding="utf-8")
    return path


# --- item 1: --output must not destroy what it writes to -----------------------------


def test_dev_null_is_written_through_not_replaced(good: Path) -> None:
    result = RUNNER.invoke(app, ["validate", str(good), "--no-config", "-o", "/dev/null"])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_device_is_an_error_with_one_line(good: Path) -> None:
    proc = pcocheck("validate", str(good), "--no-config", "-f", "json", "-o", "/dev/full")
    assert proc.returncode == 3
    lines = proc.stderr.decode().strip().splitlines()
    assert lines == ["pcocheck: error: cannot write /dev/full: no space left on the device"]
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_dev_stdout_receives_the_report(good: Path) -> None:
    proc = pcocheck("validate", str(good), "--no-config", "-f", "json", "-o", "/dev/stdout")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["passed"] is True


def test_a_fifo_is_written_through(good: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = RUNNER.invoke(
        app, ["validate", str(good), "--no-config", "-f", "json", "-o", str(fifo)]
    )
    reader.join(timeout=30)
    assert result.exit_code == 0
    assert json.loads(received[0])["schema"] == "pcocheck-report/1"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlink_stays_and_its_target_gets_the_report(good: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = RUNNER.invoke(
        app, ["validate", str(good), "--no-config", "-f", "json", "-o", str(link)]
    )
    assert result.exit_code == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert json.loads(target.read_text())["schema"] == "pcocheck-report/1"


def test_an_existing_reports_mode_is_kept_and_new_files_follow_the_umask(
    good: Path, tmp_path: Path
) -> None:
    existing = tmp_path / "existing.json"
    existing.write_text("old")
    existing.chmod(0o640)
    RUNNER.invoke(app, ["validate", str(good), "--no-config", "-f", "json", "-o", str(existing)])
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.json"
    mask = os.umask(0o022)
    try:
        RUNNER.invoke(app, ["validate", str(good), "--no-config", "-f", "json", "-o", str(fresh)])
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_an_output_that_is_an_input_is_refused(good: Path, tmp_path: Path) -> None:
    before = good.read_bytes()
    for args in (
        [str(good), "-o", str(good)],
        [str(tmp_path), "-f", "json", "-o", str(good)],  # found inside a folder
        [str(good), "--write-baseline", str(good)],
    ):
        result = RUNNER.invoke(app, ["validate", *args, "--no-config"])
        assert result.exit_code == 2, args
        assert "is one of the inputs" in result.output
    link = tmp_path / "alias.json"
    link.symlink_to(good)
    result = RUNNER.invoke(app, ["validate", str(good), "--no-config", "-o", str(link)])
    assert result.exit_code == 2
    assert good.read_bytes() == before


def test_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    for index in range(300):  # a report larger than a pipe buffer
        (tmp_path / f"r{index:03}.json").write_text('{"resourceType": "Basic", "id": "x!"}')
    process = subprocess.Popen(
        [sys.executable, "-m", "pcocheck", "validate", str(tmp_path), "--no-config", "-f", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.read(100)  # like `| head -c 100`
    process.stdout.close()
    errors = process.stderr.read()
    process.stderr.close()
    code = process.wait(timeout=120)
    assert first.startswith(b"{")
    assert errors == b"", errors.decode()
    assert code == 1  # the run's own verdict (findings), not a write failure


# --- item 3: every format escapes what it cannot encode ------------------------------

HOSTILE = (
    '{"resourceType": "Basic", "id": "a\\ud800b", "text": '
    + json.dumps(NARRATIVE)
    + ', "meta": {"profile": ["http://x.org/\\udfff\\u001b[2J\\nPASSED (no findings)"]},'
    ' "code": {"text": "ok"}, "k\\udc80ey": 1}'
)


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "hostile.json").write_text(HOSTILE, encoding="utf-8")
    # A file name that is not valid UTF-8.
    with open(os.path.join(os.fsencode(folder), b"bad\xffname.json"), "wb") as stream:
        stream.write(b'{"resourceType": "Nope"}')
    return folder


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_hostile_text_completely(
    fmt: str, hostile_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / f"report.{fmt}"
    result = RUNNER.invoke(
        app, ["validate", str(hostile_folder), "--no-config", "-f", fmt, "-o", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert result.output == ""  # no traceback, no warning
    text = out.read_bytes().decode("utf-8")  # strict: everything was encodable
    assert "\x1b" not in text
    if fmt in ("json", "sarif", "gitlab", "operationoutcome"):
        json.loads(text)
    if fmt == "junit":
        xmlschema.XMLSchema(str(SCHEMAS / "jenkins-junit.xsd")).validate(text)
    if fmt in ("json", "sarif", "junit", "console", "html", "github"):
        shown = ("bad\\xffname.json", "bad\\\\xffname.json", "bad%FFname.json")
        assert any(name in text for name in shown), text[:2000]


def test_stdout_reports_of_hostile_input_are_complete(hostile_folder: Path) -> None:
    proc = pcocheck("validate", str(hostile_folder), "--no-config", "-f", "json")
    report = json.loads(proc.stdout.decode("utf-8"))
    assert proc.returncode == 1 and proc.stderr == b""
    assert any("a\\ud800b" in (i["resource"] or "") for i in report["issues"])


# --- item 7: no terminal injection through the console report ------------------------


def test_console_escapes_control_sequences_and_newlines(hostile_folder: Path) -> None:
    proc = pcocheck("validate", str(hostile_folder), "--no-config")
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 1
    assert "\x1b" not in out
    assert "\\x1b[2J\\nPASSED (no findings)" in out
    lines = out.splitlines()
    assert not any(line.lstrip().startswith("PASSED") for line in lines)
    assert lines[-1].startswith("FAILED")


def test_console_on_a_terminal_keeps_colour_but_escapes_input(tmp_path: Path) -> None:
    from io import StringIO

    from pcocheck.finding import Finding, Severity
    from pcocheck.reporting import ReportOptions
    from pcocheck.reporting.console import render_console
    from pcocheck.result import RunResult

    finding = Finding(
        "FHIR-STRUCT-001",
        Severity.ERROR,
        "structure",
        "x\x1b]0;title\x07\r\nPASSED",
        "f\x1b.json",
        1,
        1,
    )
    buffer = StringIO()
    render_console(RunResult(findings=[finding], files=1), buffer, ReportOptions(color=True))
    text = buffer.getvalue()
    assert "\x1b]0;" not in text and "\x07" not in text and "\r" not in text
    assert "x\\x1b]0;title\\x07\\r\\nPASSED" in text
    assert "\x1b[" in text  # pcocheck's own colours are still there
