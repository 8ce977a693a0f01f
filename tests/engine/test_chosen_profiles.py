"""ProfileEngine.profiles_for remembers the claimed, requested and global profiles per
(resource type, claimed urls) when working them out reported nothing: every resource
still gets its own findings about its claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pcocheck.config import RunConfig
from pcocheck.runner import Run, build_checkers

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"


def _run(tmp_path: Path, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "claims.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    config = RunConfig(paths=(str(path),))
    return [f.to_dict() for f in Run(config, build_checkers(config)).execute().findings]


def _patient(pid: str, profiles: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "meta": {"profile": profiles}}


def test_each_resource_gets_its_findings_about_its_claims(tmp_path: Path) -> None:
    unknown = "http://example.org/StructureDefinition/nothing"
    wrong_type = US_CORE + "us-core-organization"
    resources = [
        _patient("a", [unknown]),
        _patient("b", [unknown]),
        _patient("c", [wrong_type]),
        _patient("d", [wrong_type]),
        _patient("e", [{"not": "a url"}, unknown]),
        _patient("f", [{"not": "a url"}, unknown]),
    ]
    findings = _run(tmp_path, resources)
    by_code: dict[str, list[str]] = {}
    for finding in findings:
        by_code.setdefault(finding["code"], []).append(finding["resource"])
    assert by_code["FHIR-PROFILE-001"] == ["Patient/a", "Patient/b", "Patient/e", "Patient/f"]
    assert by_code["FHIR-PROFILE-004"] == ["Patient/c", "Patient/d"]


def test_the_same_claims_on_another_type_are_worked_out_again(tmp_path: Path) -> None:
    # A Patient's claim of US Core Patient is usable; the same claim on an Organization is
    # reported (the type is part of what is remembered).
    claim = [US_CORE + "us-core-patient"]
    resources = [
        _patient("p1", claim),
        _patient("p2", claim),
        {"resourceType": "Organization", "id": "o", "meta": {"profile": claim}},
    ]
    findings = _run(tmp_path, resources)
    wrong = [f["resource"] for f in findings if f["code"] == "FHIR-PROFILE-004"]
    assert wrong == ["Organization/o"]
    profiled = {f["resource"] for f in findings if f.get("profile")}
    assert {"Patient/p1", "Patient/p2"} <= profiled  # both checked against US Core Patient


def _observation(oid: str, system: str, code: str, profiles: list[str] | None = None) -> Any:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2025-01-02",
        "valueQuantity": {"value": 70, "unit": "/min", "system": "http://unitsofmeasure.org"},
    }
    if profiles is not None:
        resource["meta"] = {"profile": profiles}
    return resource


def _shape(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The findings but those summarised once per run (shown for the first resource)."""
    return [
        (f["code"], f["severity"], f["message"], f.get("profile"), f.get("expression"))
        for f in findings
        if f["code"] not in SUMMARISED
    ]


LOINC = "http://loinc.org"
SUMMARISED = {"FHIR-BIND-006", "FHIR-REF-004"}  # once per run, on the first resource
PCO_GAS = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-score-observation"


def test_vital_signs_and_inferred_profiles_are_judged_per_resource(tmp_path: Path) -> None:
    # One (type, claims) pair each, with and without a vital-sign code or a GAS score
    # code: the remembered answer for the pair must not stand in for what the resource's
    # own content implies (R4's vital-signs profile, an inferred PCO profile).
    resources = [
        _observation("plain1", LOINC, "2339-0"),
        _observation("heart", LOINC, "8867-4"),  # vital sign: FHIR-PROFILE-040
        _observation("plain2", LOINC, "2339-0"),
        _observation("gas", LOINC, "107334-5"),  # a GAS score: FHIR-PROFILE-002
        _observation("plain3", LOINC, "2339-0"),
        _observation("claimed1", LOINC, "2339-0", [PCO_GAS]),
        _observation("claimed2", LOINC, "107334-5", [PCO_GAS]),  # claims PCO: none inferred
        _observation("claimed3", LOINC, "8867-4", [PCO_GAS]),
    ]
    together = _run(tmp_path, [{"resourceType": "Patient", "id": "p"}, *resources])
    codes: dict[str, set[str]] = {}
    for resource in resources:
        name = f"Observation/{resource['id']}"
        alone_path = tmp_path / resource["id"]
        alone_path.mkdir()
        alone = _run(alone_path, [{"resourceType": "Patient", "id": "p"}, resource])
        mine = [f for f in together if f["resource"] == name]
        assert _shape(mine) == _shape([f for f in alone if f["resource"] == name]), name
        codes[resource["id"]] = {f["code"] for f in mine}
    assert "FHIR-PROFILE-040" in codes["heart"]
    assert "FHIR-PROFILE-040" in codes["claimed3"]
    assert "FHIR-PROFILE-002" in codes["gas"]
    for oid in ("plain1", "plain2", "plain3", "claimed1", "claimed2"):
        assert not {"FHIR-PROFILE-040", "FHIR-PROFILE-002"} & codes[oid], oid
