"""The engine changes the US Core examples needed, each on a minimal case that fails
without it: inferred PCO profiles only warn, a profile's base-type reference targets stay
allowed next to its profiled ones, and FHIRPath's logical operators take non-Boolean
operands the way the HL7 validator does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.runner import validate_config

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
PCO = "http://hl7.org/fhir/us/pco/StructureDefinition/"
NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


def _validate(tmp_path: Path, *resources: dict[str, Any]) -> list[Finding]:
    bundle = {
        "resourceType": "Bundle",
        "id": "b",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return validate_config(RunConfig(paths=(str(path),))).findings


def _patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p",
        "meta": {"profile": [US_CORE + "us-core-patient"]},
        "text": NARRATIVE,
        "identifier": [{"system": "http://example.org/mrn", "value": "1"}],
        "name": [{"family": "Doe", "given": ["Jo"]}],
        "gender": "unknown",
    }


def _phq9_total(value: dict[str, Any], profile: str | None = None) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "o",
        "text": NARRATIVE,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2024-01-02T10:00:00Z",
        **value,
    }
    if profile:
        observation["meta"] = {"profile": [profile]}
    return observation


def test_findings_of_an_inferred_pco_profile_are_at_most_warnings(tmp_path: Path) -> None:
    findings = _validate(tmp_path, _patient(), _phq9_total({"valueString": "12"}))
    assert "FHIR-PROFILE-002" in {f.code for f in findings}
    wrong_type = [f for f in findings if f.code == "FHIR-STRUCT-009"]
    assert wrong_type and all(f.severity.label == "warning" for f in wrong_type)
    # claiming the profile makes it the producer's promise: an error again
    claimed = _phq9_total({"valueString": "12"}, PCO + "pco-prom-score-observation")
    findings = _validate(tmp_path, _patient(), claimed)
    assert any(f.code == "FHIR-STRUCT-009" and f.severity.label == "error" for f in findings)


def _simple_observation(derived_from: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "s",
        "meta": {"profile": [US_CORE + "us-core-simple-observation"]},
        "text": NARRATIVE,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",
                        "code": "sdoh",
                    }
                ]
            }
        ],
        "code": {"text": "something observed"},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2024-01-02T10:00:00Z",
        "valueString": "yes",
        "derivedFrom": [{"reference": derived_from}],
    }


def test_base_type_targets_stay_allowed_next_to_profiled_ones(tmp_path: Path) -> None:
    source = _phq9_total({"valueQuantity": {"value": 3}})
    findings = _validate(tmp_path, _patient(), source, _simple_observation("Observation/o"))
    assert not [f for f in findings if f.code == "FHIR-REF-001"]
    findings = _validate(tmp_path, _patient(), _simple_observation("Patient/p"))
    assert [f.code for f in findings if f.code == "FHIR-REF-001"]


def _role(**contact: Any) -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "id": "r",
        "meta": {"profile": [US_CORE + "us-core-practitionerrole"]},
        "text": NARRATIVE,
        "practitioner": {"reference": "Practitioner/x", "display": "Dr X"},
        **contact,
    }


def test_logical_operators_take_non_boolean_operands(tmp_path: Path) -> None:
    """pd-1 (``telecom or endpoint``) and us-core-13 (``practitioner or organization or
    ...``) used to be FHIR-INV-003: fhirpathpy rejects non-Boolean operands, where FHIRPath
    singleton evaluation (and the HL7 validator) treats present content as true."""
    phone = {"system": "phone", "value": "1"}
    for telecom in ([phone], [phone, {"system": "email", "value": "a@b.c"}]):
        findings = _validate(tmp_path, _role(telecom=telecom))
        unevaluated = [f.message for f in findings if f.code == "FHIR-INV-003"]
        assert unevaluated == []
        assert not [f for f in findings if f.code == "FHIR-INV-001"]
