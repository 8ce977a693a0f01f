"""The value set engine: includes, excludes, imports, filters, expansions, caching."""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.terminology import TerminologyService, Verdict

from .conftest import FakeRegistry

T = "http://example.org/fhir/ValueSet/"
ANIMALS = "http://example.org/fhir/CodeSystem/animals"
CASE = "http://example.org/fhir/CodeSystem/case"
PCO_CS = "http://hl7.org/fhir/us/pco/CodeSystem/"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def codes(service: TerminologyService, url: str) -> set[str]:
    expansion = service.expand(url)
    assert expansion is not None, url
    return {c.code for c in expansion.concepts}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("is-a", {"mammal", "dog", "cat"}),
        ("descendent-of", {"mammal", "dog", "cat", "bird", "parrot"}),
        ("is-not-a", {"plant", "rock"}),
        ("generalizes", {"dog", "mammal", "animal"}),
        ("parent-property", {"plant", "rock"}),
        ("regex", {"parrot", "plant"}),
        ("equals", {"dog", "parrot"}),
        ("in", {"dog", "parrot"}),
        ("two-filters", {"dog", "parrot"}),
        ("intersection", {"dog"}),
        ("import-and-system", {"dog"}),
    ],
)
def test_filters_and_imports_on_local_code_systems(
    service: TerminologyService, name: str, expected: set[str]
) -> None:
    assert codes(service, T + name) == expected


def test_exclude_removes_codes(service: TerminologyService) -> None:
    url = T + "exclude"
    assert "housing" not in codes(service, url)
    assert len(codes(service, url)) == 11
    assert service.is_member(url, PCO_CS + "pco-goal-domains-temporary", "housing") is False
    assert service.is_member(url, PCO_CS + "pco-goal-domains-temporary", "legal") is True


def test_case_insensitive_code_system(service: TerminologyService) -> None:
    # test-animals declares caseSensitive false
    assert service.is_member(T + "is-a", ANIMALS, "DOG") is True
    # test-case is case-sensitive
    assert service.is_member(T + "case", CASE, "alpha") is False
    assert service.is_member(T + "case", CASE, "Alpha") is True


def test_version_restricts_membership(service: TerminologyService) -> None:
    url = T + "versioned"
    assert service.verdict(url, CASE, "Alpha", "1.0") is Verdict.MEMBER
    assert service.verdict(url, CASE, "Alpha") is Verdict.MEMBER
    assert service.verdict(url, CASE, "Alpha", "2.0") is Verdict.NOT_MEMBER
    issues = service.check_binding(
        value_set=url, strength="required", system=CASE, code="Alpha", version="2.0"
    )
    assert [i.code for i in issues] == ["FHIR-BIND-001"]
    assert "only in version 1.0" in issues[0].message


def test_unknown_import_is_undecidable(service: TerminologyService) -> None:
    assert service.is_member(T + "import-unknown", ANIMALS, "dog") is None
    assert service.expand(T + "import-unknown") is None
    issues = service.check_binding(
        value_set=T + "import-unknown", strength="required", system=ANIMALS, code="dog"
    )
    assert [i.code for i in issues] == ["FHIR-BIND-005"]
    assert "missing" in issues[0].message


def test_mixed_enumerable_and_open_parts(service: TerminologyService) -> None:
    url = T + "mixed-open"
    assert service.is_member(url, PCO_CS + "pco-concepts-temporary", "wellbeing") is True
    assert service.is_member(url, PCO_CS + "pco-concepts-temporary", "well-being") is False
    assert service.is_member(url, SCT, "404684003") is None  # all of SNOMED CT, not shipped
    assert service.is_member(url, SCT, "22253000") is False  # explicitly excluded
    assert service.is_member(url, SCT, "123") is False  # cannot be a SNOMED CT concept id
    assert service.is_member(url, LOINC, "44261-6") is False  # system not included
    assert service.expand(url) is None


def test_open_exclude_makes_members_undecidable(service: TerminologyService) -> None:
    url = T + "exclude-open"
    # the exclusion (LOINC filters) cannot touch a PCO code, but may touch a LOINC code
    assert service.is_member(url, PCO_CS + "pco-concepts-temporary", "wellbeing") is True
    assert service.is_member(url, LOINC, "44261-6") is None


def test_fragment_code_system(service: TerminologyService) -> None:
    url = T + "fragment"
    system = "http://example.org/fhir/CodeSystem/fragment"
    assert service.is_member(url, system, "a") is True
    assert service.is_member(url, system, "zzz") is None


def test_grammar_system_include(service: TerminologyService) -> None:
    url = T + "ucum-all"
    assert service.is_member(url, "http://unitsofmeasure.org", "mm[Hg]") is True
    assert service.is_member(url, "http://unitsofmeasure.org", "mm Hg") is False


def test_include_of_unloaded_system(service: TerminologyService) -> None:
    url = T + "unknown-system-all"
    assert service.is_member(url, "http://example.org/fhir/CodeSystem/not-loaded", "x") is None
    assert service.is_member(url, SCT, "22253000") is False


def test_expansion_only_value_set(service: TerminologyService) -> None:
    url = T + "expansion-only"
    assert codes(service, url) == {"Alpha", "dog"}  # the abstract 'animal' is left out
    assert service.is_member(url, ANIMALS, "animal") is False


def test_paged_expansion_is_partial(service: TerminologyService) -> None:
    url = T + "expansion-paged"
    assert service.is_member(url, SCT, "22253000") is True
    assert service.is_member(url, SCT, "404684003") is None
    assert service.expand(url) is None


def test_value_set_without_content(service: TerminologyService) -> None:
    assert service.is_member(T + "empty", SCT, "22253000") is None


def test_import_cycle_terminates(service: TerminologyService) -> None:
    member = service.is_member(T + "cycle-a", PCO_CS + "pco-concepts-temporary", "wellbeing")
    assert member is True
    assert service.is_member(T + "cycle-a", ANIMALS, "dog") is None


def test_unknown_value_set(service: TerminologyService) -> None:
    assert service.is_member("http://example.org/nowhere", SCT, "22253000") is None
    assert service.expand("http://example.org/nowhere") is None


def test_unconfirmed_answer_list_expansion(service: TerminologyService) -> None:
    expansion = service.expand("http://loinc.org/vs/LL6900-6")
    assert expansion is not None
    assert not expansion.complete
    assert len(expansion) == 5
    assert expansion.contains(LOINC, "LA34484-8")
    assert service.is_member("http://loinc.org/vs/LL6900-6", LOINC, "LA6113-0") is None
    assert service.is_member("http://loinc.org/vs/LL6900-6", LOINC, "44261-6") is False


def test_builtin_answer_lists_without_definitions() -> None:
    service = TerminologyService(FakeRegistry([]))
    assert service.is_member("http://loinc.org/vs/LL6900-6", LOINC, "LA34479-8") is True
    assert service.is_member("http://loinc.org/vs/LL2335-9", LOINC, "LA10140-4") is True
    assert service.display_of(LOINC, "LA34479-8") == "Much better than expected"


def test_complete_expansion_and_display(service: TerminologyService) -> None:
    expansion = service.expand("http://hl7.org/fhir/us/pco/ValueSet/prom-target-measures")
    assert expansion is not None and expansion.complete and len(expansion) == 34
    assert service.display_of(PCO_CS + "pco-concepts-temporary", "wellbeing") == "Well-Being"
    assert service.display_of(LOINC, "44261-6") == (
        "Patient health questionnaire 9 item (PHQ-9) total score [Reported]"
    )
    assert service.display_of(SCT, "404684003") is None


def test_definitions_are_fetched_once_per_run(registry: FakeRegistry) -> None:
    service = TerminologyService(registry)
    url = "http://hl7.org/fhir/us/pco/ValueSet/pco-categories"
    system = PCO_CS + "pco-concepts-temporary"
    service.check_binding(value_set=url, strength="required", system=system, code="wellbeing")
    calls = registry.calls
    for code in ("wellbeing", "what-matters", "nope", "person-centered"):
        service.check_binding(value_set=url, strength="required", system=system, code=code)
        service.is_member(url, system, code)
    assert registry.calls == calls


def test_results_are_not_shared_lists(service: TerminologyService) -> None:
    args = {
        "value_set": "http://loinc.org/vs/LL6900-6",
        "strength": "required",
        "system": LOINC,
        "code": "44261-6",
    }
    first = service.check_binding(**args)
    first.clear()
    assert len(service.check_binding(**args)) == 1


def test_display_check_can_be_turned_off(registry: FakeRegistry) -> None:
    service = TerminologyService(registry, display_check=False)
    issues = service.check_binding(
        value_set="http://loinc.org/vs/LL6900-6",
        strength="required",
        system=LOINC,
        code="LA34481-4",
        display="Realistic goal",
    )
    assert issues == []
    assert service.check_code_syntax(LOINC, "81340-2", "Goals") == []


def test_malformed_inputs_do_not_crash(service: TerminologyService) -> None:
    url = "http://loinc.org/vs/LL6900-6"
    odd: list[Any] = [12, {"a": 1}, ["x"], None]
    for value in odd:
        service.check_binding(
            value_set=url, strength="required", system=value, code="LA34481-4", display=value
        )
        service.check_binding(value_set=url, strength="required", system=LOINC, code=value)
        service.check_code_syntax(LOINC, value, value)
    codings: list[Any] = [[LOINC, {"code": 1}, None], (LOINC, "LA34481-4", 7)]
    issues = service.check_codeable_concept(
        value_set=url, strength="required", codings=codings, text=None
    )
    assert issues == []
