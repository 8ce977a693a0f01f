"""bench/parity.py: which manifest cases it runs, and how it compares verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from tests.conftest import FIXTURES, load_script

HARNESS = FIXTURES.parent / "bench" / "parity.py"


def _harness() -> ModuleType:
    return load_script(HARNESS, "pcocheck_bench_parity")


def _write(folder: Path, name: str, data: object) -> None:
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def test_selects_r4_json_cases_and_compares_verdicts(tmp_path: Path) -> None:
    parity = _harness()
    folder = tmp_path / "validator"
    folder.mkdir()
    _write(folder, "good.json", {"resourceType": "Parameters"})
    _write(folder, "bad.json", {"resourceType": "Location", "id": "/foobar=="})
    _write(
        folder,
        "profile.json",
        {
            "resourceType": "StructureDefinition",
            "url": "http://example.org/fhir/StructureDefinition/named-location",
            "name": "NamedLocation",
            "status": "draft",
            "kind": "resource",
            "abstract": False,
            "type": "Location",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Location",
            "derivation": "constraint",
            "differential": {
                "element": [{"id": "Location.name", "path": "Location.name", "min": 1}]
            },
        },
    )
    manifest = {
        "test-cases": [
            {"name": "good", "file": "good.json", "version": "4.0", "java": {"errorCount": 0}},
            {
                "name": "bad",
                "file": "bad.json",
                "version": "4.0",
                "java": {"errorCount": 1},
                "profile": {"source": "profile.json", "java": {"errorCount": 2}},
            },
            {"name": "r5", "file": "good.json", "java": {"errorCount": 0}},
            {"name": "xml", "file": "x.xml", "version": "4.0", "java": {"errorCount": 0}},
            {
                "name": "pkg",
                "file": "good.json",
                "version": "4.0",
                "packages": ["hl7.fhir.us.mcode#1.0.0"],
                "java": {"errorCount": 0},
            },
            {"name": "gone", "file": "gone.json", "version": "4.0", "java": {"errorCount": 0}},
            {
                "name": "newer",
                "file": "bad.json",
                "version": "4.0",
                "java": {"outcome": {"issue": [{"severity": "error"}, {"severity": "warning"}]}},
            },
            {
                "name": "comments",
                "file": "good.json",
                "version": "4.0",
                "allow-comments": True,
                "java": {"outcome": {"resourceType": "OperationOutcome"}},
            },
        ]
    }
    cases, skipped = parity.select_cases(folder, manifest)
    assert [c.name for c in cases] == ["good", "bad", "bad [profile]", "newer"]
    assert [c.expected_errors for c in cases] == [0, 1, 2, 1]  # errorCount, or outcome errors
    assert {name for name, _ in skipped} == {"r5", "xml", "pkg", "gone", "comments"}
    outcomes = [parity.run_case(case) for case in cases]
    good, bad, profiled, _newer = outcomes
    assert good.errors == 0 and good.verdict_agrees
    assert bad.errors == 1 and bad.count_agrees and "FHIR-STRUCT-010" in bad.codes
    # --profile adds Location.name 1..1: the invalid id and the missing name.
    assert profiled.errors == 2 and profiled.count_agrees
    assert "FHIR-CARD-001" in profiled.codes
    text = parity.report(outcomes, skipped)
    assert "verdict agreement (no error vs some error): 4/4" in text
    assert "error-count agreement: 4/4" in text
