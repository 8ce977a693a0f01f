"""Questionnaire-mode details that the PCO instruments do not exercise: enableWhen,
enableBehavior, ordinalValue weights and required items in in-progress responses."""

from __future__ import annotations

from typing import Any

from pcocheck.clinical.questionnaire import check_response
from pcocheck.finding import Finding
from pcocheck.inputs.source import SourceText
from pcocheck.view import Anchor, ResourceView

FORM = "http://example.org/fhir/Questionnaire/smoking"
LOINC = "http://loinc.org"


def _questionnaire() -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "url": FORM,
        "status": "active",
        "item": [
            {"linkId": "smokes", "type": "boolean", "required": True, "text": "Do you smoke?"},
            {
                "linkId": "perDay",
                "type": "integer",
                "required": True,
                "text": "How many?",
                "enableWhen": [{"question": "smokes", "operator": "=", "answerBoolean": True}],
            },
            {
                "linkId": "either",
                "type": "string",
                "enableBehavior": "any",
                "enableWhen": [
                    {"question": "smokes", "operator": "=", "answerBoolean": True},
                    {"question": "perDay", "operator": ">", "answerInteger": 10},
                ],
            },
        ],
    }


def _check(items: list[dict[str, Any]], status: str = "completed") -> list[Finding]:
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": FORM,
        "status": status,
        "item": items,
    }
    view = ResourceView(
        response, Anchor(SourceText("qr.json", "{}"), "qr.json", root="QuestionnaireResponse")
    )
    findings: list[Finding] = []
    check_response(view, lambda url: _questionnaire() if url == FORM else None, findings)
    return findings


def test_answer_to_disabled_item_is_reported() -> None:
    findings = _check(
        [
            {"linkId": "smokes", "answer": [{"valueBoolean": False}]},
            {"linkId": "perDay", "answer": [{"valueInteger": 5}]},
        ]
    )
    assert [f.code for f in findings] == ["PCO-QR-008"]
    assert findings[0].expression == "QuestionnaireResponse.item[1].answer"


def test_disabled_required_item_may_be_missing_and_enabled_one_may_not() -> None:
    assert _check([{"linkId": "smokes", "answer": [{"valueBoolean": False}]}]) == []
    missing = _check([{"linkId": "smokes", "answer": [{"valueBoolean": True}]}])
    assert [f.code for f in missing] == ["PCO-QR-007"]


def test_enable_behavior_any() -> None:
    findings = _check(
        [
            {"linkId": "smokes", "answer": [{"valueBoolean": True}]},
            {"linkId": "perDay", "answer": [{"valueInteger": 3}]},
            {"linkId": "either", "answer": [{"valueString": "since 2010"}]},
        ]
    )
    assert findings == []


def test_required_items_are_not_demanded_of_in_progress_responses() -> None:
    assert _check([], status="in-progress") == []
