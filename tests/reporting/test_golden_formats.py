"""Golden output of every format from the same run (tests/golden/input)."""

from __future__ import annotations

import pytest

from pcocheck.reporting import FORMATS
from tests.conftest import check_golden
from tests.reporting.conftest import GoldenRun

EXTENSIONS = {
    "console": "txt",
    "json": "json",
    "sarif": "sarif",
    "junit": "xml",
    "github": "txt",
    "gitlab": "json",
    "operationoutcome": "json",
    "html": "html",
}


def test_every_format_has_a_golden_file() -> None:
    assert set(EXTENSIONS) == set(FORMATS)


def test_the_golden_input_covers_parse_errors_bundles_and_ndjson(golden_run: GoldenRun) -> None:
    findings = golden_run.result.sorted_findings()
    assert any(f.code == "FHIR-JSON-001" for f in findings)  # a parse error
    assert any(f.file == "input/bundle.json" and f.entry is not None for f in findings)
    assert any(f.file == "input/export.ndjson" and f.line == 2 for f in findings)


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_format_golden(fmt: str, golden_run: GoldenRun, update_goldens: bool) -> None:
    check_golden(f"report-{fmt}.{EXTENSIONS[fmt]}", golden_run.render(fmt), update_goldens)
