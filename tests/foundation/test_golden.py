"""Golden output for the console and JSON reports (paths normalised, no colour)."""

from __future__ import annotations

import io
import os

from pcocheck import __version__
from pcocheck.config import RunConfig
from pcocheck.reporting import ReportOptions, reporters
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES, check_golden


def _render(fmt: str) -> str:
    here = os.getcwd()
    os.chdir(FIXTURES)
    try:
        result = validate_config(RunConfig(paths=("broken",), select=("FHIR-JSON",)))
    finally:
        os.chdir(here)
    buffer = io.StringIO()
    reporters()[fmt](result, buffer, ReportOptions(color=False, width=100))
    return buffer.getvalue().replace(__version__, "<version>")


def test_console_golden(update_goldens: bool) -> None:
    check_golden("broken-console.txt", _render("console"), update_goldens)


def test_json_golden(update_goldens: bool) -> None:
    check_golden("broken-report.json", _render("json"), update_goldens)
