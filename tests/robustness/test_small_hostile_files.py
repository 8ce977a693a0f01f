"""Issue 14 item 2: one small hostile file is a finding on that file; the run goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcocheck.jsonutil import MAX_DEPTH, deeper_than
from tests.robustness.helpers import (
    PATIENT,
    codes,
    nested_contained,
    nested_extensions,
    only,
    run_paths,
)

HOSTILE = {
    "extensions-250.json": json.dumps(nested_extensions(250)),
    "modifier-extensions-250.json": json.dumps(nested_extensions(250, "modifierExtension")),
    "contained-140.json": json.dumps(nested_contained(140)),
    "deep-array-5000.json": "[" * 5000 + "]" * 5000,
    "integer-5000-digits.json": (
        '{"resourceType": "Patient", "id": "n", "extension": [{"url": "http://x", '
        '"valueInteger": ' + "9" * 5000 + "}]}"
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_one_finding_and_the_other_file_is_checked(
    tmp_path: Path, name: str
) -> None:
    hostile = tmp_path / name
    hostile.write_text(HOSTILE[name], encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text('{"resourceType": "Patient", "id": "x", "gender": "nonsense"}')
    result = run_paths(hostile, good)
    assert codes(result, hostile) in (["FHIR-JSON-014"], ["FHIR-JSON-015"])
    assert "FHIR-BIND-001" in codes(result, good)  # the other file was still checked
    assert result.resources == 1
    assert all(f.line is not None for f in result.findings if f.file == str(hostile))


def test_hostile_ndjson_line_does_not_stop_the_following_lines(tmp_path: Path) -> None:
    export = tmp_path / "export.ndjson"
    lines = [PATIENT, json.dumps(nested_extensions(300)), PATIENT.replace('"ok"', '"ok2"')]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_paths(export)
    deep = only(result, "FHIR-JSON-014")
    assert deep.line == 2 and deep.column is not None and deep.column > 1
    assert result.resources == 2


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])  # checked, or the parser gives up
def test_too_deep_ndjson_line_points_at_its_own_line_and_bracket(
    tmp_path: Path, depth: int
) -> None:
    prefix = '{"resourceType": "Basic", "id": "d", "note": "[[{{ not brackets", "x": '
    deep = prefix + "[" * depth + "]" * depth + "}"
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join([PATIENT, PATIENT, deep, PATIENT]) + "\n", encoding="utf-8")
    result = run_paths(export)
    finding = only(result, "FHIR-JSON-014")
    # The object is level 1, so the bracket that opens level MAX_DEPTH + 1 is the
    # MAX_DEPTH-th "[" (the brackets inside the string do not count).
    assert (finding.line, finding.column) == (3, len(prefix) + MAX_DEPTH)
    assert result.resources == 3


def test_long_integer_is_located_at_the_literal_not_inside_a_string(tmp_path: Path) -> None:
    digits = "7" * 1200
    text = (
        '{"resourceType": "Patient", "id": "n",\n "text": {"status": "generated", "div": '
        f'"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">{digits}</div>"}},\n'
        f' "multipleBirthInteger": {digits}}}'
    )
    path = tmp_path / "long.json"
    path.write_text(text, encoding="utf-8")
    finding = only(run_paths(path), "FHIR-JSON-015")
    assert (finding.line, finding.column) == (3, 26)
    assert "1,200 digits" in finding.message


def test_depth_guard_is_iterative_and_finds_the_deep_path() -> None:
    value: object = "leaf"
    for _ in range(50_000):  # far beyond any recursion limit
        value = [value]
    path = deeper_than(value)
    assert path is not None and len(path) == MAX_DEPTH
    assert deeper_than(nested_extensions(10)) is None


@pytest.mark.parametrize(
    ("body", "code", "line", "column"),
    [
        (b'{"resourceType": "Patient",\n "id": "a\xffb"}', "FHIR-JSON-008", 2, 10),
        ('{"resourceType": "Patient"}'.encode("utf-16"), "FHIR-JSON-008", 1, 1),
        (b'{"resourceType": "Patient",\n "id": }', "FHIR-JSON-001", 2, 8),
    ],
)
def test_a_server_body_is_located_like_a_file(
    body: bytes, code: str, line: int, column: int
) -> None:
    from pcocheck.runner import document_from_bytes

    document, findings = document_from_bytes(body, "http://example.org/fhir/Patient/a")
    assert document is None
    assert [(f.code, f.file, f.line, f.column) for f in findings] == [
        (code, "http://example.org/fhir/Patient/a", line, column)
    ]
