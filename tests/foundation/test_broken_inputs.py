"""Every broken input produces the documented finding with file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcocheck.config import RunConfig
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

EXPECTED = json.loads((FIXTURES / "broken-expected.json").read_text(encoding="utf-8"))["files"]


@pytest.fixture(scope="module")
def broken_report() -> dict[str, list[dict[str, object]]]:
    import os

    here = os.getcwd()
    os.chdir(FIXTURES / "broken")
    try:
        result = validate_config(RunConfig(paths=(".",), select=("FHIR-JSON",)))
    finally:
        os.chdir(here)
    found: dict[str, list[dict[str, object]]] = {}
    for f in result.sorted_findings():
        row = {
            "code": f.code,
            "severity": f.severity.label,
            "line": f.line,
            "column": f.column,
            "expression": f.expression,
        }
        found.setdefault(str(f.file), []).append(row)
    return found


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_broken_file_reports_expected_findings(
    file_name: str, broken_report: dict[str, list[dict[str, object]]]
) -> None:
    assert broken_report.get(file_name) == EXPECTED[file_name]


def test_every_broken_fixture_has_expectations() -> None:
    on_disk = {p.name for p in (FIXTURES / "broken").iterdir()}
    assert on_disk == set(EXPECTED), "each broken fixture needs an entry in broken-expected.json"


def test_good_ndjson_lines_are_still_checked(tmp_path: Path) -> None:
    lines = [
        '{"resourceType": "Basic", "id": "a", "code": {"text": "x"}}',
        "{oops",
        '{"resourceType": "Basic", "id": "b", "code": {"text": "y"}}',
    ]
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_config(RunConfig(paths=(str(path),), select=("FHIR-JSON",)))
    assert result.resources == 2
    assert [(f.code, f.line) for f in result.findings] == [("FHIR-JSON-001", 2)]


def test_gzip_variants_are_read(tmp_path: Path) -> None:
    import gzip

    resource = b'{"resourceType": "Basic", "id": "z", "code": {"text": "x"}}\n'
    (tmp_path / "one.json.gz").write_bytes(gzip.compress(resource))
    (tmp_path / "many.ndjson.gz").write_bytes(gzip.compress(resource * 3))
    result = validate_config(RunConfig(paths=(str(tmp_path),), select=("FHIR-JSON",)))
    assert result.files == 2
    assert result.resources == 4
    assert result.findings == []


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not FHIR", encoding="utf-8")
    missing = str(tmp_path / "nope.json")
    result = validate_config(RunConfig(paths=(str(empty), missing, str(tmp_path / "*.xyz"))))
    assert sorted(f.code for f in result.findings) == [
        "FHIR-JSON-010",
        "FHIR-JSON-010",
        "FHIR-JSON-011",
    ]


def test_bundle_of_any_type_yields_entries_with_index(tmp_path: Path) -> None:
    for bundle_type in ("collection", "transaction", "batch", "searchset", "document", "message"):
        bundle = {
            "resourceType": "Bundle",
            "type": bundle_type,
            "entry": [
                {
                    "fullUrl": "urn:uuid:0d7a8e7c-4f7e-4a3b-9d11-2b1b5b0f1a01",
                    "resource": {"resourceType": "Basic", "code": {"text": "x"}},
                },
                {"resource": {"resourceType": "goal"}},
            ],
        }
        path = tmp_path / f"{bundle_type}.json"
        path.write_text(json.dumps(bundle, indent=1), encoding="utf-8")
        result = validate_config(RunConfig(paths=(str(path),), select=("FHIR-JSON",)))
        assert result.resources == 2
        (finding,) = result.findings
        assert finding.entry == 1
        assert finding.expression == "Bundle.entry[1].resource.resourceType"
