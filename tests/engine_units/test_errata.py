"""The R4 invariant errata (pcocheck.engine.errata): each published expression is really
published by R4 4.0.1 under its key, and each correction changes the verdict on an instance
where the published expression is wrong and keeps it where it is right."""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.definitions.model import Constraint
from pcocheck.definitions.registry import shared_core
from pcocheck.engine.errata import ERRATA, Erratum, corrected, erratum_for, normalise
from pcocheck.engine.invariants import InvariantEvaluator

EVALUATOR = InvariantEvaluator(accelerate=False)


def _published_in_r4() -> dict[str, set[str]]:
    """Erratum key -> keys of the R4 constraints that publish its defective expression."""
    core = shared_core()
    found: dict[str, set[str]] = {}
    for url in core.structure_urls():
        sd = core.structure(url)
        if sd is None:
            continue
        for element in sd.elements:
            for c in element.constraints:
                erratum = erratum_for(c)
                if erratum is not None:
                    found.setdefault(erratum.key, set()).add(c.key)
    return found


def test_every_erratum_is_published_by_r4() -> None:
    published = _published_in_r4()
    for erratum in ERRATA:
        assert erratum.key in published, f"{erratum.key}: published expression not in R4"
        if erratum.key != "*":
            assert published[erratum.key] == {erratum.key}
    assert len(published["*"]) >= 30  # the name rule of the canonical resources


def test_a_correction_applies_only_to_the_exact_published_expression() -> None:
    que12 = next(e for e in ERRATA if e.key == "que-12")
    fixed = Constraint("que-12", "error", "", que12.corrected)
    assert corrected(fixed) is fixed
    other = Constraint("que-13", "error", "", que12.published)
    assert corrected(other) is other
    spaced = Constraint("que-12", "error", "", "  " + que12.published.replace(" ", "   "))
    assert normalise(corrected(spaced).expression or "") == normalise(que12.corrected)


WHEN = [{"question": "a", "operator": "=", "answerBoolean": True}]
# (key, node, type, verdict of the published expression, verdict of the corrected one).
# pcocheck, like the reference validator, fails a constraint whose result is empty, so the
# published bdl-8, ras-2, ref-1 and name rules fail valid content without the correction;
# the published verdict is None where it is not asserted.
CASES: list[tuple[str, Any, str, bool, bool]] = [
    (
        "que-12",
        {"linkId": "c", "type": "string", "enableWhen": WHEN * 2},
        "Questionnaire.item",
        True,
        False,
    ),
    (
        "que-12",
        {"linkId": "c", "type": "string", "enableWhen": WHEN * 2, "enableBehavior": "all"},
        "Questionnaire.item",
        True,
        True,
    ),
    (
        "que-7",
        {"question": "a", "operator": "exists", "answerBoolean": True},
        "Questionnaire.item.enableWhen",
        None,
        True,
    ),
    (
        "que-7",
        {"question": "a", "operator": "exists", "answerString": "x"},
        "Questionnaire.item.enableWhen",
        False,
        False,
    ),
    ("bdl-8", {"resource": {"resourceType": "Basic"}}, "Bundle.entry", False, True),
    ("bdl-8", {"fullUrl": "http://x.org/Basic/1/_history/2"}, "Bundle.entry", False, False),
    ("ras-2", {"outcome": {"text": "x"}}, "RiskAssessment.prediction", False, True),
    ("ref-1", {"identifier": {"value": "123"}}, "Reference", False, True),
    ("ref-1", {"display": "Dr. Who"}, "Reference", False, True),
    ("ref-1", {"reference": "#nowhere"}, "Reference", False, False),
    ("ref-1", {"reference": "Patient/1"}, "Reference", True, True),
    ("ras-2", {"probabilityDecimal": 120}, "RiskAssessment.prediction", False, False),
    ("tim-9", {"when": ["MORN", "EVE"], "offset": 30}, "Timing.repeat", None, True),
    ("tim-9", {"when": ["AC", "C"], "offset": 30}, "Timing.repeat", None, False),
]


def _verdict(key: str, expression: str, node: Any, path: str) -> bool | None:
    resource = {"resourceType": path.split(".")[0], "x": node}
    outcome = EVALUATOR.evaluate(
        Constraint(key, "error", "", expression),
        node,
        resource=resource,
        root=resource,
        type_name="BackboneElement" if "." in path else path,
        path=path if "." in path else None,
    )
    return outcome.passed


def _erratum(key: str) -> Erratum:
    return next(e for e in ERRATA if e.key == key)


@pytest.mark.parametrize(("key", "node", "path", "published", "fixed"), CASES)
def test_correction_changes_the_verdict_where_r4_is_wrong(
    key: str, node: Any, path: str, published: bool | None, fixed: bool
) -> None:
    erratum = _erratum(key)
    if published is not None:
        assert _verdict(key, erratum.published, node, path) is published
    assert _verdict(key, erratum.corrected, node, path) is fixed


def test_con_3_and_name_rule_corrections() -> None:
    con3 = _erratum("con-3")
    condition = {
        "resourceType": "Condition",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "encounter-diagnosis",
                    }
                ]
            }
        ],
        "subject": {"reference": "Patient/p"},
    }
    for expression, expected in ((con3.published, False), (con3.corrected, True)):
        outcome = EVALUATOR.evaluate(
            Constraint("con-3", "warning", "", expression),
            condition,
            resource=condition,
            root=condition,
            type_name="Condition",
        )
        assert outcome.passed is expected
    name_rule = _erratum("*")
    library = {"resourceType": "Library", "status": "draft", "type": {"text": "x"}}
    for expression, expected in ((name_rule.corrected, True),):
        outcome = EVALUATOR.evaluate(
            Constraint("lib-0", "warning", "", expression),
            library,
            resource=library,
            root=library,
            type_name="Library",
        )
        assert outcome.passed is expected
