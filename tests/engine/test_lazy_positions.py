"""Positions only when needed: a finding on the root of a record needs no scan of its
text, and gives the same line and column as the scan would."""

from __future__ import annotations

from pcocheck.inputs.source import SourceText
from pcocheck.view import Anchor


def test_a_root_finding_does_not_build_the_position_index() -> None:
    text = '  \n {"resourceType": "Patient", "id": "p"}'
    source = SourceText("a.ndjson", text, first_line=7, record=True)
    finding = Anchor(source=source, file="a.ndjson", root="Patient").finding(
        "FHIR-INV-002", "dom-6"
    )
    assert source._index is None
    scanned = SourceText("a.ndjson", text, first_line=7, record=True)
    assert scanned.index is not None  # built first: the scan answers
    assert (finding.line, finding.column) == scanned.position(())
    assert (finding.line, finding.column) == (8, 2)


def test_a_nested_finding_seeks_without_the_full_index() -> None:
    text = '{"resourceType": "Patient",\n "name": [{"family": 1}]}'
    source = SourceText("a.json", text)
    finding = Anchor(source=source, file="a.json", root="Patient").finding(
        "FHIR-STRUCT-002", "x", ("name", 0, "family")
    )
    assert (finding.line, finding.column) == (2, 12)  # the member key
    assert source._index is None  # found by inputs/seek.py
    scanned = SourceText("a.json", text)
    assert scanned.index is not None
    assert scanned.position(("name", 0, "family")) == (2, 12)
