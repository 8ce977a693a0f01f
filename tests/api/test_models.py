"""fhir.resources model instances given to the API: serialised with their own JSON
export, validated as R4, and — for R5/R4B models — a finding naming what R4 lacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.goal import Goal
from fhir.resources.observation import Observation
from fhir.resources.R4B.bundle import Bundle as BundleR4B
from fhir.resources.R4B.goal import Goal as GoalR4B
from fhir.resources.STU3.patient import Patient as PatientSTU3

import pcocheck
from pcocheck.definitions.registry import default_registry
from pcocheck.models import elements_not_in_r4, is_model, model_info, model_json
from tests.conftest import FIXTURES

JOURNEY = FIXTURES / "journeys" / "gas-goal-journey.json"
GAS_GOAL = FIXTURES / "ig-examples" / "Goal-pcoGoalSocialConnectionsWithGAS.json"
GOAL: dict[str, Any] = {
    "resourceType": "Goal",
    "id": "g1",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">walk</div>'},
    "lifecycleStatus": "active",
    "description": {"text": "Walk to the shop"},
    "subject": {"reference": "Patient/p1"},
}


def by_code(report: pcocheck.Report, code: str) -> list[pcocheck.Finding]:
    return [f for f in report.findings if f.code == code]


def test_an_r5_model_with_r5_only_elements() -> None:
    goal = Goal.model_validate({**GOAL, "continuous": True})
    report = pcocheck.validate(goal)
    [notice] = by_code(report, "FHIR-PROFILE-090")
    assert notice.severity is pcocheck.Severity.WARNING
    assert notice.message == (
        "a fhir.resources FHIR R5 model (fhir.resources.goal.Goal) was validated as FHIR R4 "
        "(4.0.1); elements that do not exist in R4: Goal.continuous"
    )
    assert (notice.file, notice.resource, notice.expression) == ("<input 1>", "Goal/g1", "Goal")
    # the R4 engine reports the element where it stands in the model's own JSON export
    [unknown] = by_code(report, "FHIR-STRUCT-001")
    text = goal.model_dump_json(indent=2, exclude_comments=True)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"continuous"' in t)
    assert (unknown.expression, unknown.line) == ("Goal.continuous", line)
    assert not report.passed


def test_an_r5_model_lists_choice_types_and_nested_elements_r4_lacks() -> None:
    observation = Observation.model_validate(
        {
            "resourceType": "Observation",
            "id": "o1",
            "status": "final",
            "code": {"text": "note"},
            "valueAttachment": {"contentType": "text/plain"},
            "triggeredBy": [{"observation": {"reference": "Observation/o0"}, "type": "reflex"}],
            "component": [{"code": {"text": "c"}, "valueReference": {"reference": "Patient/p"}}],
            "contained": [{"resourceType": "Patient", "id": "p"}],
        }
    )
    [notice] = by_code(pcocheck.validate(observation), "FHIR-PROFILE-090")
    assert notice.message.endswith(
        "elements that do not exist in R4: Observation.triggeredBy, "
        "Observation.valueAttachment, Observation.component.valueReference"
    )


def test_an_r4b_model_of_r4_content_gives_the_dict_findings_and_a_notice() -> None:
    data = json.loads(JOURNEY.read_text(encoding="utf-8"))
    bundle = BundleR4B.model_validate(data)
    assert model_info(bundle).release == "R4B"
    from_model = pcocheck.validate(bundle)
    from_dict = pcocheck.validate(data)
    [notice] = by_code(from_model, "FHIR-PROFILE-091")
    assert notice.severity is pcocheck.Severity.INFORMATION
    assert "R4B model (fhir.resources.R4B.bundle.Bundle)" in notice.message
    assert "all its elements exist in R4" in notice.message

    # the rest: the same findings (the export orders keys its own way, so lines differ)
    def key(f: pcocheck.Finding) -> tuple[Any, ...]:
        return (f.code, f.expression, f.message, f.profile)

    rest = [f for f in from_model.findings if f.code != "FHIR-PROFILE-091"]
    assert sorted(map(key, rest)) == sorted(map(key, from_dict.findings))
    assert from_model.passed and from_dict.passed


def test_a_pco_goal_model_checked_against_its_profile() -> None:
    data = json.loads(GAS_GOAL.read_text(encoding="utf-8"))
    good = GoalR4B.model_validate(data)
    assert pcocheck.validate(good, ignore="FHIR-PROFILE-09").passed
    # a PHQ-9-style measure where the GAS goal profile fixes LOINC 107332-9
    data["target"][0]["measure"] = {"coding": [{"system": "http://loinc.org", "code": "70274-6"}]}
    broken = GoalR4B.model_validate(data)
    report = pcocheck.validate(broken)
    assert not report.passed
    [failure] = report.failures
    assert failure.code == "FHIR-FIXED-002" and failure.expression == "Goal.target[0].measure"
    assert failure.profile and "pco-gas-goal-profile" in failure.profile


def test_models_mix_with_other_sources_and_select_ignore_apply() -> None:
    goal = GoalR4B.model_validate(GOAL)
    report = pcocheck.validate([goal, pcocheck.NamedInput("plain.json", GOAL)])
    assert [f.file for f in by_code(report, "FHIR-PROFILE-091")] == ["<input 1>"]
    named = pcocheck.validate(pcocheck.NamedInput("goal-model", goal))
    assert [f.file for f in by_code(named, "FHIR-PROFILE-091")] == ["goal-model"]
    assert not by_code(pcocheck.validate(goal, ignore="FHIR-PROFILE"), "FHIR-PROFILE-091")


def test_an_stu3_model_is_named_by_its_release() -> None:
    patient = PatientSTU3.model_validate(
        {"resourceType": "Patient", "id": "p", "animal": {"species": {"text": "dog"}}}
    )
    [notice] = by_code(pcocheck.validate(patient), "FHIR-PROFILE-090")
    assert "FHIR STU3 model" in notice.message and notice.message.endswith("Patient.animal")


def test_a_bundle_model_with_a_resource_type_r4_does_not_have() -> None:
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"resource": {"resourceType": "Patient", "id": "p"}},
                {
                    "resource": {
                        "resourceType": "Transport",
                        "status": "completed",
                        "intent": "order",
                        "currentLocation": {"reference": "Location/1"},
                        "requestedLocation": {"reference": "Location/1"},
                    }
                },
            ],
        }
    )
    report = pcocheck.validate(bundle)
    [notice] = by_code(report, "FHIR-PROFILE-090")
    assert notice.message.endswith(
        "elements that do not exist in R4: Bundle.entry.resource.ofType(Transport)"
    )
    assert by_code(report, "FHIR-JSON-006")  # the R4 run: not an R4 resource type


def test_model_detection_and_export() -> None:
    goal = Goal.model_validate(GOAL)
    assert is_model(goal) and not is_model(GOAL) and not is_model(Goal)
    info = model_info(goal)
    assert (info.class_name, info.resource_type, info.fhir_version, info.is_r4) == (
        "fhir.resources.goal.Goal",
        "Goal",
        "5.0.0",
        False,
    )
    assert json.loads(model_json(goal)) == GOAL


# -- the R4 comparison on its own ---------------------------------------------------------


@pytest.fixture(scope="module")
def structure() -> Any:
    return default_registry().structure


@pytest.mark.parametrize(
    ("resource", "missing"),
    [
        (json.loads(GAS_GOAL.read_text(encoding="utf-8")), []),
        (
            {"resourceType": "Goal", "startDate": "2024", "startBoolean": True},
            ["Goal.startBoolean"],
        ),
        ({"resourceType": "Goal", "_lifecycleStatus": {"id": "x"}, "_nope": {}}, ["Goal.nope"]),
        (
            {
                "resourceType": "Questionnaire",
                "item": [
                    {
                        "linkId": "1",
                        "type": "group",
                        "item": [{"linkId": "2", "type": "string", "x": 1}],
                    }
                ],
            },
            ["Questionnaire.item.item.x"],
        ),
        (
            {
                "resourceType": "Goal",
                "contained": [{"resourceType": "Patient", "bogus": 1}],
                "bogus": 2,
            },
            ["Goal.contained.ofType(Patient).bogus", "Goal.bogus"],
        ),
        (
            {"resourceType": "Goal", "note": [{"text": "a", "x": 1}, {"text": "b", "x": 2}]},
            ["Goal.note.x"],
        ),
        (
            {"resourceType": "Goal", "extension": [{"url": "u", "valueCodeableReference": {}}]},
            ["Goal.extension.valueCodeableReference"],
        ),
        ({"resourceType": "Transport"}, ["Transport"]),
    ],
    ids=[
        "r4-content",
        "choice-type",
        "primitive-extension",
        "content-reference",
        "contained",
        "once-each",
        "extension-value",
        "unknown-type",
    ],
)
def test_elements_not_in_r4(resource: dict[str, Any], missing: list[str], structure: Any) -> None:
    assert elements_not_in_r4(resource, structure) == missing
