"""The CLI through Typer's runner, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from pcocheck import __version__
from pcocheck.cli import app
from tests.conftest import FIXTURES

RUNNER = CliRunner()
SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "src/pcocheck/reporting/schemas/"
        "pcocheck-report-1.schema.json"
    ).read_text(encoding="utf-8")
)
GOOD = '{"resourceType": "Basic", "id": "ok", "code": {"text": "fine"}}'


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_version() -> None:
    result = RUNNER.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"pcocheck {__version__}"


@pytest.mark.parametrize("command", [[], ["validate"], ["rules"], ["explain"]])
def test_help_is_useful_and_lists_exit_codes(command: list[str]) -> None:
    result = RUNNER.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    if command in ([], ["validate"]):
        assert "Exit codes" in result.output
        assert "could not complete" in result.output


def test_bad_input_exits_1_without_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", "{nope")
    result = RUNNER.invoke(app, ["validate", bad])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "FHIR-JSON-001" in result.output
    assert f"{bad}:1:2" in result.output


def test_fail_on_and_never(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    args = ["validate", str(bom), "--select", "FHIR-JSON"]
    assert RUNNER.invoke(app, args).exit_code == 0
    assert RUNNER.invoke(app, [*args, "--fail-on", "warning"]).exit_code == 1
    bad = write(tmp_path, "bad.json", "{nope")
    assert RUNNER.invoke(app, ["validate", bad, "--fail-on", "never"]).exit_code == 0


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", GOOD)
    for args in (
        ["validate", good, "--fail-on", "loud"],
        ["validate", good, "--format", "xml"],
        ["validate", good, "--nope"],
        ["explain", "NOPE-1"],
    ):
        result = RUNNER.invoke(app, args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output


def test_json_output_file_is_written_atomically_and_valid(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", '{"resourceType": "Nope"}')
    out = tmp_path / "report.json"
    result = RUNNER.invoke(app, ["validate", bad, "-f", "json", "-o", str(out)])
    assert result.exit_code == 1
    assert result.output == ""
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, SCHEMA)
    assert report["summary"]["passed"] is False
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_output_to_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", GOOD)
    result = RUNNER.invoke(app, ["validate", good, "-o", str(tmp_path / "no/such/dir.json")])
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_select_and_ignore(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", "{nope")
    out = RUNNER.invoke(app, ["validate", bad, "-f", "json", "--ignore", "FHIR-JSON-001"])
    assert json.loads(out.output)["issues"] == []
    assert out.exit_code == 0


def test_quiet_shows_only_failing_findings(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    result = RUNNER.invoke(app, ["validate", str(bom), "-q", "--select", "FHIR-JSON"])
    assert "FHIR-JSON-009" not in result.output
    assert "PASSED" in result.output


def test_stdin_is_read() -> None:
    result = RUNNER.invoke(app, ["validate", "-", "-f", "json"], input="[1]")
    report = json.loads(result.output)
    assert [(i["code"], i["file"]) for i in report["issues"]] == [("FHIR-JSON-004", "<stdin>")]


def test_rules_and_explain() -> None:
    listing = RUNNER.invoke(app, ["rules"])
    assert listing.exit_code == 0
    assert "FHIR-JSON-003" in listing.output
    explained = RUNNER.invoke(app, ["explain", "fhir-json-003"])
    assert explained.exit_code == 0
    for heading in ("What it checks", "Why it matters", "Example", "How to fix"):
        assert heading in explained.output


def test_real_subprocess_on_mixed_folder(tmp_path: Path) -> None:
    """The done-when scenario: good files, broken JSON, an NDJSON with one bad line."""
    write(tmp_path, "good.json", GOOD)
    write(tmp_path, "broken.json", '{"resourceType": "Basic",\n  "id": }')
    write(tmp_path, "export.ndjson", f"{GOOD}\n{{bad\n{GOOD}\n")
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pcocheck", "validate", str(tmp_path), "--select", "FHIR-JSON"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"{tmp_path / 'broken.json'}:2:9" in proc.stdout
    assert f"{tmp_path / 'export.ndjson'}:2:2" in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_bundled_fixture_folder_reports_every_problem() -> None:
    result = RUNNER.invoke(
        app, ["validate", str(FIXTURES / "broken"), "-f", "json", "--select", "FHIR-JSON"]
    )
    report = json.loads(result.output)
    jsonschema.validate(report, SCHEMA)
    assert result.exit_code == 1
    assert all(i["line"] is not None for i in report["issues"] if not i["file"].endswith(".gz"))


def test_help_lists_every_report_format_and_diff_exit_codes() -> None:
    from pcocheck.reporting import FORMATS

    text = RUNNER.invoke(app, ["validate", "--help"]).output
    for fmt in FORMATS:
        assert fmt in text
    diff_help = RUNNER.invoke(app, ["diff", "--help"])
    assert diff_help.exit_code == 0 and "Exit codes" in diff_help.output
