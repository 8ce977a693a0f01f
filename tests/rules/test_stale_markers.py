"""The text pre-check of the pre-STU1 Coding walk (rules/stale.may_be_stale) lets through
every Coding the walk reports, however its JSON is written, and skips current content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.rules.codes import LOINC, PCO_CS
from pcocheck.rules.stale import (
    _OLD_LEVEL_WORDS,
    _PHI,
    _PLACEHOLDERS,
    FOREIGN_OLD_SYSTEMS,
    GAS_CODES_SYSTEM,
    OLD_BASE,
    RENAMED_CODES,
    RENAMED_SYSTEMS,
    SNOMED,
    _problem,
    may_be_stale,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _stale_codings() -> list[dict[str, Any]]:
    """One Coding per way a Coding is reported, built from the same tables."""
    found = [{"system": PCO_CS + old_id, "code": "x"} for old_id in RENAMED_SYSTEMS]
    found += [
        {"system": OLD_BASE + "CodeSystem/" + old_id, "code": "x"} for old_id in RENAMED_SYSTEMS
    ]
    found += [{"system": OLD_BASE + "CodeSystem/anything-else", "code": "x"}]
    found += [{"system": system, "code": "x"} for system in FOREIGN_OLD_SYSTEMS]
    found += [{"system": base + GAS_CODES_SYSTEM, "code": "x"} for base in (PCO_CS, OLD_BASE)]
    found += [{"system": LOINC, "code": code} for code in _PLACEHOLDERS]
    found += [
        {"system": "http://example.org/cs", "code": prefix + word}
        for word in _OLD_LEVEL_WORDS
        for prefix in ("", "patient-", "caregiver-", "practitioner-")
    ]
    found += [
        {"system": SNOMED, "code": "452341000124107"},
        {"system": _PHI, "code": "what-matters"},
    ]
    found += [{"system": system, "code": code} for system, code in RENAMED_CODES]
    return found


@pytest.mark.parametrize("coding", _stale_codings(), ids=lambda c: f"{c['system']}#{c['code']}")
def test_every_reported_coding_passes_the_text_check(coding: dict[str, Any]) -> None:
    assert _problem(coding) is not None  # the table entry is one the walk reports
    resource = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1-8"}, coding]},
        "text": {"div": '<div xmlns="http://www.w3.org/1999/xhtml">caf\u00e9</div>'},
    }
    for text in (
        json.dumps(resource),
        json.dumps(resource, ensure_ascii=False),
        json.dumps(resource, indent=2).replace("/", "\\/"),  # JSON allows "\/"
        json.dumps(resource).replace("a", "\\u0061"),
    ):
        assert may_be_stale(text), text


def test_current_pco_content_needs_no_walk() -> None:
    resource = {
        "resourceType": "Goal",
        "meta": {
            "profile": ["http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-goal-profile"]
        },
        "category": [
            {"coding": [{"system": PCO_CS + "pco-concepts-temporary", "code": "what-matters"}]}
        ],
        "text": {"div": '<div xmlns="http://www.w3.org/1999/xhtml">Jos\u00e9 "gas"</div>'},
    }
    assert not may_be_stale(json.dumps(resource))
    assert not may_be_stale(json.dumps(resource, ensure_ascii=False))


def test_every_walk_marker_holds_one_of_the_cheaper_probes() -> None:
    # may_be_stale first looks for the probes: a marker without one would be missed.
    from pcocheck.rules.stale import _MARKER_PROBES, WALK_MARKERS

    for marker in WALK_MARKERS:
        assert any(probe in marker for probe in _MARKER_PROBES), marker
