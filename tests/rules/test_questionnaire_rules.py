"""Questionnaire-mode details that the PCO instruments do not exercise: enableWhen,
enableBehavior, ordinalValue weights and required items in in-progress responses."""

from __future__ import annotations

from typing import Any

from pcocheck.finding import Finding
from pcocheck.inputs.source import SourceText
from pcocheck.rules import PcoRules
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
    findings.extend(
        PcoRules(questionnaires=lambda url: _questionnaire() if url == FORM else None).check(view)
    )
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


def test_ordinal_value_weights_on_the_questionnaire_are_honoured() -> None:
    """A GAD-7 form (recognised by its LOINC code) whose answers carry ordinalValue
    weights is scored with those weights, not the standard 0-3."""
    links = ["57541", "57542", "57543", "57544", "57545", "57546", "57547"]
    weighted = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
    options = [
        {
            "valueCoding": {"system": LOINC, "code": code},
            "extension": [{"url": weighted, "valueDecimal": weight}],
        }
        for code, weight in (("LA6568-5", 0), ("LA6569-3", 2), ("LA6570-1", 4), ("LA6571-9", 6))
    ]
    form = {
        "resourceType": "Questionnaire",
        "url": "http://example.org/gad7-weighted",
        "status": "active",
        "code": [{"system": LOINC, "code": "69737-5"}],
        "item": [{"linkId": link, "type": "choice", "answerOption": options} for link in links]
        + [{"linkId": "58628", "type": "decimal"}],
    }
    answers = [
        {"linkId": link, "answer": [{"valueCoding": {"system": LOINC, "code": "LA6569-3"}}]}
        for link in links
    ]

    def run(total: int) -> list[Finding]:
        response = {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": form["url"],
            "item": [*answers, {"linkId": "58628", "answer": [{"valueDecimal": total}]}],
        }
        view = ResourceView(
            response, Anchor(SourceText("qr.json", "{}"), "qr.json", root="QuestionnaireResponse")
        )
        findings: list[Finding] = []
        findings.extend(
            PcoRules(questionnaires=lambda url: form if url == form["url"] else None).check(view)
        )
        return findings

    assert run(14) == []  # 7 answers weighted 2 each
    assert [f.code for f in run(7)] == ["PCO-PROM-001"]  # the standard scores would say 7
