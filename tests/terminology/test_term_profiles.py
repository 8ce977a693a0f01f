"""Cross-check against the definitions shipped in profiles/ (missing data fails the build).

The fixture definitions in fixtures/terminology are authored from the IG facts; the
profiles/ JSON is authored separately. Both must give every PCO value set the same
members, and the binding cases must hold against the shipped definitions too.
"""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.terminology import TerminologyService

from .conftest import PROFILES, FakeRegistry, load_cases, load_folder

PCO_VALUE_SETS = [
    "http://hl7.org/fhir/us/pco/ValueSet/" + name
    for name in (
        "pco-categories",
        "pco-goal-domain-categories",
        "wellbeing-domains-example",
        "what-matters-codes-example",
        "readiness-assessment-codes",
        "prom-target-measures",
        "goal-attainment-scaling-score",
        "pco-goal-barrier-types-example-vs",
        "goal-barrier-codes",
    )
] + ["http://loinc.org/vs/LL6900-6", "http://loinc.org/vs/LL2335-9"]


@pytest.fixture(scope="module")
def shipped() -> FakeRegistry:
    resources = load_folder(PROFILES) if PROFILES.is_dir() else []
    if not any(r.get("resourceType") in ("ValueSet", "CodeSystem") for r in resources):
        pytest.fail("profiles/ holds no ValueSet or CodeSystem: shipped data is missing")
    return FakeRegistry(resources)


@pytest.mark.parametrize("url", PCO_VALUE_SETS)
def test_shipped_value_set_matches_the_facts(
    shipped: FakeRegistry, registry: FakeRegistry, url: str
) -> None:
    if url not in shipped.value_sets:
        pytest.fail(f"{url} is not in profiles/: shipped data is missing")
    theirs = TerminologyService(shipped).expand(url)
    ours = TerminologyService(registry).expand(url)
    assert ours is not None
    assert theirs is not None, f"{url} is not enumerable from profiles/ (code system missing?)"
    assert {(c.system, c.code) for c in theirs.concepts} == {
        (c.system, c.code) for c in ours.concepts
    }


def _pco_cases() -> list[dict[str, Any]]:
    return [c for c in load_cases("bindings.json") if c["value_set"] in PCO_VALUE_SETS]


@pytest.mark.parametrize("case", _pco_cases(), ids=lambda c: c["id"])
def test_binding_cases_hold_with_shipped_definitions(
    shipped: FakeRegistry, case: dict[str, Any]
) -> None:
    if case["value_set"] not in shipped.value_sets:
        pytest.fail("value set not in profiles/: shipped data is missing")
    service = TerminologyService(shipped)
    issues = service.check_binding(
        value_set=case["value_set"],
        strength=case["strength"],
        system=case["system"],
        code=case["code"],
        display=case.get("display"),
    )
    assert sorted(i.code for i in issues) == case["expect"], [i.message for i in issues]
