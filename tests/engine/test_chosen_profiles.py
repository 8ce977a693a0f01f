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
