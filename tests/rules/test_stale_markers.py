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


def _any_probe(text: str, probes: tuple[str, ...]) -> bool:
    return any(probe in text for probe in probes)


def test_grouped_probes_find_exactly_what_the_probes_find() -> None:
    # may_be_stale searches the probes grouped by first character: the same verdict as a
    # substring test per probe, on texts made of probe pieces (near misses included).
    import random

    from pcocheck.rules.stale import _MARKER_PROBES, _PROBE_ALONE, _PROBE_GROUPS, _grouped_probes

    def grouped(text: str) -> bool:
        return _any_probe(text, _PROBE_ALONE) or any(p(text) is not None for p in _PROBE_GROUPS)

    pieces = [p[:cut] for p in _MARKER_PROBES for cut in range(1, len(p) + 1)]
    pieces += ['"', "-", "x", " ", "\\", '\\"']
    chooser = random.Random(12)
    for _ in range(20_000):
        text = "".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 6)))
        assert grouped(text) == _any_probe(text, _MARKER_PROBES), text
    for probe in _MARKER_PROBES:
        assert grouped(f"before {probe} after") and not grouped(probe[:-1])
    # Probes of one character, and one probe the prefix of another, group correctly too.
    alone, groups = _grouped_probes(("ab", "a", "b.c", "bd", "q"))
    for text in ("a", "xb.c", "bd", "b", "bc", "q", "", "b.d"):
        found = _any_probe(text, alone) or any(g(text) is not None for g in groups)
        assert found == _any_probe(text, ("ab", "a", "b.c", "bd", "q")), text
