"""Units of the server kit: search matching, the plan builder, evidence redaction, Must
Support patterns, and `incomplete` made real for validate."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.runner import Run, build_checkers
from pcocheck.server.evidence import har_entry
from pcocheck.server.http import Exchange
from pcocheck.server.matching import date_matches, matches, reference_matches, token_matches
from pcocheck.server.mustsupport import pattern_matches
from pcocheck.server.plan import load_plan
from pcocheck.view import ResourceView
from tests.conftest import ROOT

OBS = {
    "resourceType": "Observation",
    "id": "o1",
    "subject": {"reference": "Patient/p1"},
    "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
    "effectiveDateTime": "2025-03-03T09:45:00Z",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("44261-6", True),
        ("http://loinc.org|44261-6", True),
        ("http://snomed.info/sct|44261-6", False),
        ("70274-6", False),
        ("70274-6,44261-6", True),
        ("|44261-6", False),  # explicitly no system
    ],
)
def test_token(query: str, expected: bool) -> None:
    assert token_matches([OBS["code"]], query) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("p1", True), ("Patient/p1", True), ("p2", False), ("http://x/fhir/Patient/p1", False)],
)
def test_reference(query: str, expected: bool) -> None:
    assert reference_matches([OBS["subject"]], query, "Patient") is expected
    absolute = {"reference": "http://x/fhir/Patient/p1"}
    assert reference_matches([absolute], "Patient/p1", "Patient")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("2025-03-03", True),
        ("2025-03-03T09:45:00Z", True),
        ("gt2025-03-02", True),
        ("ge2025-03-03", True),
        ("lt2025-03-04", True),
        ("le2025-03-03", True),
        ("gt2025-03-03", False),
        ("lt2025-03-03", False),
        ("2025-03", True),
        ("2024", False),
    ],
)
def test_date(query: str, expected: bool) -> None:
    assert date_matches([OBS["effectiveDateTime"]], query) is expected


def test_period_and_choice_paths() -> None:
    plan = {"resourceType": "CarePlan", "period": {"start": "2025-03-03"}}
    assert matches(plan, "date", ["period"], "gt2025-03-02") is True
    assert matches(plan, "date", ["period"], "2025-03-03") is False  # open period is not eq
    assert matches(OBS, "date", ["effective"], "ge2025-03-01") is True
    assert matches(OBS, "reference", ["subject"], "p1", "Patient") is True


def test_pattern_semantics() -> None:
    pattern = {"coding": [{"system": "s", "code": "survey"}]}
    assert pattern_matches(
        pattern,
        {
            "coding": [
                {"system": "x", "code": "y"},
                {"system": "s", "code": "survey", "display": "S"},
            ]
        },
    )
    assert not pattern_matches(pattern, {"coding": [{"system": "s", "code": "other"}]})


def test_shipped_plan_reads_us_core() -> None:
    plan = load_plan()
    assert plan.label == "hl7.fhir.us.core#6.1.0"
    goal = plan.resources["Goal"]
    assert goal.params["patient"].expectation == "SHALL"
    assert goal.params["patient"].paths == ("subject",)
    assert (("patient", "target-date"), "SHOULD") in goal.combinations
    observation = plan.resources["Observation"]
    assert observation.params["date"].shall_comparators() == ["ge", "gt", "le", "lt"]
    assert observation.params["status"].multiple_or == "SHALL"
    assert plan.resources["QuestionnaireResponse"].expectation == "SHOULD"
    first = {(t, p) for t, p, _ in plan.first_searches()}
    assert ("Observation", ("patient", "code")) in first
    fixed = next(f for t, p, f in plan.first_searches() if p == ("patient", "code"))
    assert [v["code"]["code"] for v in fixed] == [
        "112296-9",
        "107333-7",
        "107334-5",
        "107331-1",
        "44261-6",
        "70274-6",
    ]


def _package(tmp_path: Path) -> Path:
    expectation = "http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation"

    def exp(code: str) -> dict[str, Any]:
        return {"extension": [{"url": expectation, "valueCode": code}]}

    statement = {
        "resourceType": "CapabilityStatement",
        "url": "http://example.org/CapabilityStatement/us-core-server",
        "version": "9.9.9",
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "_format": [exp("SHALL")],
        "rest": [
            {
                "mode": "server",
                "resource": [
                    {
                        **exp("SHALL"),
                        "type": "Goal",
                        "extension": [
                            exp("SHALL")["extension"][0],
                            {
                                "url": "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination",
                                "extension": [
                                    {"url": expectation, "valueCode": "SHOULD"},
                                    {"url": "required", "valueString": "patient"},
                                    {"url": "required", "valueString": "target-date"},
                                ],
                            },
                        ],
                        "interaction": [{**exp("SHALL"), "code": "read"}],
                        "searchParam": [
                            {
                                **exp("SHALL"),
                                "name": "patient",
                                "type": "reference",
                                "definition": "http://example.org/SearchParameter/goal-patient",
                            }
                        ],
                    }
                ],
            }
        ],
    }
    parameter = {
        "resourceType": "SearchParameter",
        "url": "http://example.org/SearchParameter/goal-patient",
        "type": "reference",
        "expression": "Goal.subject.where(resolve() is Patient)",
        "target": ["Patient"],
    }
    path = tmp_path / "pkg.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, document in (("cs.json", statement), ("sp.json", parameter)):
            data = json.dumps(document).encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_plan_builder_turns_a_package_into_data(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_server_plan
    finally:
        sys.path.pop(0)
    out = tmp_path / "plan.json"
    assert build_server_plan.main([str(_package(tmp_path)), "-o", str(out)]) == 0
    plan = json.loads(out.read_text())
    assert plan["source"]["version"] == "9.9.9"
    goal = plan["resources"]["Goal"]
    assert goal["searchParams"]["patient"]["paths"] == ["subject"]
    assert goal["searchParams"]["patient"]["expectation"] == "SHALL"
    assert goal["combinations"] == [{"params": ["patient", "target-date"], "expectation": "SHOULD"}]
    assert "Observation" in plan["notDeclared"]


def test_shipped_plan_is_built_from_the_shipped_us_core_package(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_server_plan
    finally:
        sys.path.pop(0)
    out = tmp_path / "plan.json"
    assert build_server_plan.main(["-o", str(out)]) == 0
    shipped = ROOT / "src" / "pcocheck" / "server" / "plan-us-core-6.1.0.json"
    assert json.loads(out.read_text()) == json.loads(shipped.read_text())


def test_evidence_redacts_credentials() -> None:
    exchange = Exchange(
        "req-0001",
        "POST",
        "http://h/token?x=abc-secret",
        {"Authorization": "Bearer abc-secret", "Cookie": "s=1"},
        request_body=b"client_assertion=eyJ-assertion",
        status=200,
        response_headers={"Set-Cookie": "s=2", "Content-Type": "application/json"},
        body=b'{"access_token": "abc-secret"}',
    )
    text = json.dumps(har_entry(exchange, {"abc-secret", "eyJ-assertion"}))
    assert "abc-secret" not in text and "eyJ-assertion" not in text
    assert "s=1" not in text and "s=2" not in text
    assert text.count("[redacted]") >= 5


class Exploding:
    def check(self, view: ResourceView) -> list[Finding]:
        raise ValueError("boom")

    def finish(self) -> list[Finding]:
        return []


def test_validate_marks_an_internal_error_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"resourceType": "Patient", "id": "p"}', encoding="utf-8")
    config = RunConfig(paths=(str(path),))
    result = Run(config, [*build_checkers(config), Exploding()]).execute()
    assert result.incomplete is not None and "ValueError: boom" in result.incomplete
    assert result.exit_code == 3 and not result.passed
