"""Data-driven binding, CodeableConcept and code-syntax cases (fixtures/terminology/cases)."""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.catalog import lookup
from pcocheck.finding import Severity
from pcocheck.terminology import TerminologyService

from .conftest import load_cases

BINDINGS = load_cases("bindings.json")
CODEABLE = load_cases("codeable-concepts.json")
SYNTAX = load_cases("code-syntax.json")


@pytest.mark.parametrize("case", BINDINGS, ids=[c["id"] for c in BINDINGS])
def test_binding_case(service: TerminologyService, case: dict[str, Any]) -> None:
    issues = service.check_binding(
        value_set=case["value_set"],
        strength=case["strength"],
        system=case["system"],
        code=case["code"],
        display=case.get("display"),
        version=case.get("version"),
    )
    assert sorted(i.code for i in issues) == case["expect"], [i.message for i in issues]
    for issue in issues:
        lookup(issue.code)  # documented
        assert issue.coding_index is None


@pytest.mark.parametrize("case", CODEABLE, ids=[c["id"] for c in CODEABLE])
def test_codeable_concept_case(service: TerminologyService, case: dict[str, Any]) -> None:
    codings = [tuple(c) for c in case["codings"]]
    issues = service.check_codeable_concept(
        value_set=case["value_set"],
        strength=case["strength"],
        codings=codings,
        text=case["text"],
    )
    got = sorted(([i.code, i.coding_index] for i in issues), key=repr)
    assert got == sorted(case["expect"], key=repr), [i.message for i in issues]


@pytest.mark.parametrize("case", SYNTAX, ids=[c["id"] for c in SYNTAX])
def test_code_syntax_case(service: TerminologyService, case: dict[str, Any]) -> None:
    issues = service.check_code_syntax(case["system"], case["code"], case.get("display"))
    assert sorted(i.code for i in issues) == case["expect"], [i.message for i in issues]


def test_every_pco_value_set_has_cases_in_and_out() -> None:
    """Evidence rule: each PCO value set and answer list has a member and a non-member case."""
    pco = [
        "pco-categories",
        "pco-goal-domain-categories",
        "wellbeing-domains-example",
        "what-matters-codes-example",
        "readiness-assessment-codes",
        "prom-target-measures",
        "goal-attainment-scaling-score",
        "pco-goal-barrier-types-example-vs",
        "goal-barrier-codes",
    ]
    urls = [f"http://hl7.org/fhir/us/pco/ValueSet/{v}" for v in pco]
    urls += ["http://loinc.org/vs/LL6900-6", "http://loinc.org/vs/LL2335-9"]
    for url in urls:
        cases = [c for c in BINDINGS if c["value_set"] == url]
        assert any(not c["expect"] for c in cases), f"{url}: no member case"
        assert any(c["expect"] for c in cases), f"{url}: no non-member case"


STRENGTH_SEVERITY = {
    "required": Severity.ERROR,
    "extensible": Severity.WARNING,
}


@pytest.mark.parametrize("strength", ["required", "extensible", "preferred", "example"])
def test_severity_follows_strength(service: TerminologyService, strength: str) -> None:
    issues = service.check_binding(
        value_set="http://hl7.org/fhir/us/pco/ValueSet/pco-goal-domain-categories",
        strength=strength,
        system="http://hl7.org/fhir/us/pco/CodeSystem/pco-goal-domains-temporary",
        code="legal",
        display="Legal",
    )
    assert issues == []
    issues = service.check_binding(
        value_set="http://hl7.org/fhir/us/pco/ValueSet/pco-goal-domain-categories",
        strength=strength,
        system="http://snomed.info/sct",
        code="22253000",
    )
    if strength in STRENGTH_SEVERITY:
        assert [i.severity for i in issues] == [STRENGTH_SEVERITY[strength]]
        message = issues[0].message
        assert "pco-goal-domain-categories" in message
        assert strength in message
        assert "http://snomed.info/sct|22253000" in message
    else:
        assert issues == []
