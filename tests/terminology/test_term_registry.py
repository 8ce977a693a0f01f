"""Integration with the real DefinitionRegistry (compiled R4 core + profiles/).

Skipped when the registry or its core archive is not available in this checkout.
"""

from __future__ import annotations

import pytest

from pcocheck.terminology import TerminologyService


@pytest.fixture(scope="module")
def real() -> TerminologyService:
    try:
        from pcocheck.definitions.registry import default_registry

        registry = default_registry()
        service = TerminologyService(registry)
        if service.expand("http://hl7.org/fhir/ValueSet/observation-status") is None:
            pytest.fail("the compiled R4 core archive has no observation-status")
    except (ImportError, OSError) as exc:
        pytest.fail(f"definition registry not available: {exc}")
    return service


@pytest.mark.parametrize(
    ("value_set", "system", "code", "expected"),
    [
        ("http://hl7.org/fhir/ValueSet/observation-status", None, "final", []),
        ("http://hl7.org/fhir/ValueSet/observation-status", None, "done", ["FHIR-BIND-001"]),
        ("http://hl7.org/fhir/ValueSet/goal-status", None, "active", []),
        ("http://hl7.org/fhir/ValueSet/administrative-gender", None, "M", ["FHIR-BIND-001"]),
        ("http://hl7.org/fhir/ValueSet/care-plan-intent", None, "plan", []),
        ("http://hl7.org/fhir/ValueSet/ucum-units", "http://unitsofmeasure.org", "mm[Hg]", []),
        ("http://hl7.org/fhir/ValueSet/mimetypes", "urn:ietf:bcp:13", "text/plain", []),
        (
            "http://hl7.org/fhir/us/core/ValueSet/us-core-simple-observation-category",
            "http://terminology.hl7.org/CodeSystem/observation-category",
            "survey",
            [],
        ),
        (
            "http://hl7.org/fhir/us/pco/ValueSet/pco-categories",
            "http://hl7.org/fhir/us/pco/CodeSystem/pco-concepts-temporary",
            "well-being",
            ["FHIR-BIND-001", "FHIR-BIND-008"],
        ),
        (
            "http://loinc.org/vs/LL6900-6",
            "http://loinc.org",
            "LA6113-0",
            ["FHIR-BIND-003"],
        ),
    ],
)
def test_required_bindings_with_the_shipped_registry(
    real: TerminologyService,
    value_set: str,
    system: str | None,
    code: str,
    expected: list[str],
) -> None:
    issues = real.check_binding(value_set=value_set, strength="required", system=system, code=code)
    assert sorted(i.code for i in issues) == expected, [i.message for i in issues]
