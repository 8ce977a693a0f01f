"""Duplicate element ids (FHIR-STRUCT-132) are found whatever the JSON text looks like:
the text count that lets most resources skip the id walk never hides a repeat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcocheck.api import validate

PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"id": "n", "family": "Doe"}],
    "address": [{"id": "n", "city": "Springfield"}],
}


def _codes(source: object) -> list[str]:
    return [f.code for f in validate(source).findings]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(PATIENT),
        json.dumps(PATIENT, indent=1),
        json.dumps(PATIENT).replace('"id": "n"', '"i\\u0064": "n"'),  # keys as escapes
        json.dumps({**PATIENT, "id": "x"}).replace('"id": "x", ', ""),  # no Resource.id
    ],
)
def test_repeated_element_id_is_found(text: str) -> None:
    assert _codes(text).count("FHIR-STRUCT-132") == 1


def test_single_element_id_is_fine(tmp_path: Path) -> None:
    one = {**PATIENT, "address": [{"city": "Springfield"}]}
    path = tmp_path / "records.ndjson"
    path.write_text(json.dumps(one) + "\n" + json.dumps(PATIENT) + "\n", encoding="utf-8")
    findings = [f for f in validate(str(path)).findings if f.code == "FHIR-STRUCT-132"]
    assert [f.line for f in findings] == [2]
