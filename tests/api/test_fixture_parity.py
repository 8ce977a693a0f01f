"""The Python API gives the same findings as ``pcocheck validate -f json``: on every
fixture, given as paths, as in-memory content under the same names, and through the
``validate_config`` adapter the command line can be built on.

The command line runs once, as a real subprocess over the whole fixture tree; the API
runs over the same inputs in the same order (cross-file references resolve the same
way), and each fixture file is compared as a test of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pcocheck
from pcocheck.api import validate_config
from pcocheck.config import RunConfig
from pcocheck.inputs.discover import InputFile, discover
from tests.conftest import FIXTURES, ROOT

FIXTURE_INPUTS, _ = discover([str(FIXTURES)])
FIXTURE_NAMES = [item.display for item in FIXTURE_INPUTS]


def _id(display: str) -> str:
    return Path(display).relative_to(FIXTURES).as_posix()


def _in_memory(item: InputFile) -> pcocheck.NamedInput:
    """A fixture's bytes under its own name (which says JSON, NDJSON or gzip)."""
    assert item.path is not None
    return pcocheck.NamedInput(item.display, item.path.read_bytes())


@pytest.fixture(scope="session")
def parity(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, pcocheck.Report]]:
    """The command line's JSON report of the fixture tree, and the API's reports of it."""
    out = tmp_path_factory.mktemp("cli") / "report.json"
    # The command line runs in its own process while the API runs here (two cores).
    command = [sys.executable, "-m", "pcocheck", "validate", str(FIXTURES), "-f", "json"]
    process = subprocess.Popen(
        [*command, "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    reports = {
        "path": pcocheck.validate(FIXTURES),
        "memory": pcocheck.validate([_in_memory(item) for item in FIXTURE_INPUTS]),
        # the adapter the command line can be built on: its RunConfig in, a Report out
        "config": validate_config(RunConfig(paths=(str(FIXTURES),))),
    }
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 1, stderr.decode()  # the fixtures hold errors on purpose
    return out.read_text(encoding="utf-8"), reports


@pytest.fixture(scope="session")
def cli_json(parity: tuple[str, dict[str, pcocheck.Report]]) -> str:
    return parity[0]


@pytest.fixture(scope="session")
def cli_report(cli_json: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(cli_json)
    return report


@pytest.fixture(scope="session")
def api_reports(parity: tuple[str, dict[str, pcocheck.Report]]) -> dict[str, pcocheck.Report]:
    return parity[1]


def test_the_fixture_tree_holds_every_kind_of_input() -> None:
    assert len(FIXTURE_INPUTS) > 300
    assert any(item.ndjson for item in FIXTURE_INPUTS)
    assert any(item.gzipped for item in FIXTURE_INPUTS)


@pytest.mark.parametrize("mode", ["path", "memory", "config"])
def test_whole_report_is_the_cli_report(
    mode: str, api_reports: dict[str, pcocheck.Report], cli_json: str
) -> None:
    report = api_reports[mode]
    assert report.to_json() == cli_json
    assert report.exit_code == 1
    assert not report.passed


@pytest.mark.parametrize("mode", ["path", "memory", "config"])
@pytest.mark.parametrize("name", FIXTURE_NAMES, ids=[_id(n) for n in FIXTURE_NAMES])
def test_fixture_findings_match_the_cli(
    name: str, mode: str, api_reports: dict[str, pcocheck.Report], cli_report: dict[str, Any]
) -> None:
    expected = [issue for issue in cli_report["issues"] if issue["file"] == name]
    actual = [f.to_dict() for f in api_reports[mode].findings if f.file == name]
    assert actual == expected


def test_summary_and_counts_match(
    api_reports: dict[str, pcocheck.Report], cli_report: dict[str, Any]
) -> None:
    for report in api_reports.values():
        assert report.summary == cli_report["summary"]
        assert report.summary["files"] == len(FIXTURE_INPUTS)
        assert len(report.findings) == len(cli_report["issues"])
