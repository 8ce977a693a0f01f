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


def test_bundle_entries_count_their_own_ids_not_the_whole_bundle_text() -> None:
    # An entry's source text is the whole Bundle: counting '"id"' in it for every entry
    # made a 10,000-entry Bundle quadratic (88 s instead of 6 s). An entry counts the
    # "'id': " members of its own resource's repr() instead (C speed, linear).
    from pcocheck.engine.element_ids import _too_few_ids
    from pcocheck.inputs.source import SourceText
    from pcocheck.view import Anchor, ResourceView

    text = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [PATIENT, PATIENT]})
    source = SourceText("b.json", text)
    root = ResourceView(json.loads(text), Anchor(source=source, file="b.json"))
    at = {"source": source, "file": "b.json", "base_path": ("entry", 0, "resource"), "entry": 0}
    plain = ResourceView({"resourceType": "Patient", "id": "p"}, Anchor(**at))  # type: ignore[arg-type]
    named = ResourceView(PATIENT, Anchor(**at))  # type: ignore[arg-type]
    assert not _too_few_ids(root, root.resource)  # a whole document: its own text decides
    assert _too_few_ids(plain, plain.resource)  # the Bundle text has ids; this entry none
    assert not _too_few_ids(named, named.resource)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a1", "resource": PATIENT},
            {
                "fullUrl": "urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a2",
                "resource": {"resourceType": "Patient", "id": "q", "gender": "'id': 'id': "},
            },
        ],
    }
    assert _codes(json.dumps(bundle)).count("FHIR-STRUCT-132") == 1
