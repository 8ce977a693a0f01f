"""What the resolver and a Bundle's scope remember gives the answers they would compute:
candidates follow the run-wide index as it grows or is replaced; a Bundle's local match
depends on the referring entry's server base; a large Bundle entry's element-id precheck
on its own text finds what the whole-document path finds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.api import validate
from pcocheck.inputs import stream
from pcocheck.inputs.source import SourceText
from pcocheck.resolution import Resolver, RunIndex
from pcocheck.resolution.bundle import BundleScope
from pcocheck.view import Anchor, ResourceView


def _record(file: str, line: int, resource: dict[str, Any]) -> ResourceView:
    source = SourceText(file, json.dumps(resource), first_line=line, record=True)
    label = f"{resource['resourceType']}/{resource['id']}"
    return ResourceView(resource, Anchor(source, file, resource["resourceType"], (), None, label))


def test_candidates_follow_the_index() -> None:
    resolver = Resolver()
    patient = {"resourceType": "Patient", "id": "p1"}
    resolver.add(_record("a.ndjson", 1, patient))
    first = resolver.candidates("Patient/p1", None, "a.ndjson")
    assert [c.line for c in first] == [1]
    assert resolver.candidates("Patient/p1", None, "a.ndjson") == first
    resolver.add(_record("a.ndjson", 5, patient))  # the index grows: asked again
    assert [c.line for c in resolver.candidates("Patient/p1", None, "a.ndjson")] == [1, 5]
    resolver.index = RunIndex()  # a merged or received index replaces it
    assert resolver.candidates("Patient/p1", None, "a.ndjson") == ()


def test_a_bundle_match_depends_on_the_referring_base() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "http://a.example/fhir/Patient/1",
                "resource": {"resourceType": "Patient", "id": "1"},
            },
            {
                "fullUrl": "http://b.example/fhir/Patient/1",
                "resource": {"resourceType": "Patient", "id": "1"},
            },
        ],
    }
    scope = BundleScope(bundle)
    for _ in range(2):  # asked again: the same answers
        from_a = scope.match("Patient/1", "http://a.example/fhir/Observation/x")
        from_b = scope.match("Patient/1", "http://b.example/fhir/Observation/y")
        from_urn = scope.match("Patient/1", "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0")
        assert from_a.entry is not None and from_a.entry.index == 0
        assert from_b.entry is not None and from_b.entry.index == 1
        assert from_urn.status == "multiple"


def _bundle_with_repeated_ids() -> str:
    entries = []
    for index in range(4):
        patient: dict[str, Any] = {"resourceType": "Patient", "id": f"p{index}"}
        if index == 2:
            patient["name"] = [{"id": "n", "family": "Doe"}]
            patient["address"] = [{"id": "n", "city": "Springfield"}]
        elif index == 3:  # an id key spelt with an escape: the text is not trusted
            patient["name"] = [{"id": "m", "family": "Roe"}]
            patient["address"] = [{"id": "m", "city": "Shelbyville"}]
        entries.append(
            {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{index}", "resource": patient}
        )
    text = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    return text.replace('{"id": "m"', '{"i\\u0064": "m"')


@pytest.mark.parametrize("slim", [False, True])
def test_repeated_element_ids_in_a_large_bundle_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slim: bool
) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(_bundle_with_repeated_ids(), encoding="utf-8")
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0 if slim else 10**12)
    found = [f for f in validate(str(path)).findings if f.code == "FHIR-STRUCT-132"]
    assert [f.entry for f in found] == [2, 3]
