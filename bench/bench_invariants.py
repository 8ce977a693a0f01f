"""Microseconds per invariant evaluation: native / fast subset vs fhirpathpy.

Every expression is compiled once (fhirpathpy.compile with the R4 model) before
timing; the numbers are per ``InvariantEvaluator.evaluate`` call, medians of several
runs, on a PCO-like Observation and its elements.

    python bench/bench_invariants.py [--repeat 7] [--number 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from pcocheck.definitions.model import Constraint
from pcocheck.engine.invariants import InvariantEvaluator
from pcocheck.engine.invariants_native import NATIVE

XHTML = '<div xmlns="http://www.w3.org/1999/xhtml"><p>GAS baseline</p></div>'
OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "gas-baseline",
    "meta": {
        "profile": ["http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-score-observation"]
    },
    "text": {"status": "generated", "div": XHTML},
    "contained": [{"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe"}]}],
    "status": "final",
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "survey",
                }
            ]
        }
    ],
    "code": {"coding": [{"system": "http://loinc.org", "code": "112296-9"}]},
    "subject": {"reference": "#p1"},
    "focus": [{"reference": "Goal/g1"}],
    "effectivePeriod": {"start": "2025-02-15T10:00:00Z", "end": "2025-02-15T11:00:00+01:00"},
    "valueQuantity": {
        "value": 50,
        "unit": "score",
        "system": "http://unitsofmeasure.org",
        "code": "1",
    },
    "extension": [{"url": "http://example.org/ext", "valueString": "x"}],
}

US_CORE_1 = "$this is DateTime implies $this.toString().length() >= 10"
US_CORE_2 = (
    "(component.empty() and hasMember.empty()) implies "
    "(dataAbsentReason.exists() or value.exists())"
)
US_CORE_3 = (
    "value.ofType(Quantity).system.empty() or "
    "value.ofType(Quantity).system = 'http://unitsofmeasure.org'"
)
DOM_3 = (
    "contained.where((('#'+id in (%resource.descendants().reference | "
    "%resource.descendants().as(canonical) | %resource.descendants().as(uri) | "
    "%resource.descendants().as(url))) or descendants().where(reference = '#').exists() or "
    "descendants().where(as(canonical) = '#').exists() or "
    "descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()"
)
REF_1 = (
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids'))"
)

# (label, key, expression, node, type)
CASES: list[tuple[str, str, str, Any, str]] = [
    (
        "ele-1 CodeableConcept",
        "ele-1",
        "hasValue() or (children().count() > id.count())",
        OBSERVATION["code"],
        "CodeableConcept",
    ),
    (
        "ext-1 Extension",
        "ext-1",
        "extension.exists() != value.exists()",
        OBSERVATION["extension"][0],
        "Extension",
    ),
    ("dom-2 Observation", "dom-2", "contained.contained.empty()", OBSERVATION, "Observation"),
    ("dom-3 Observation", "dom-3", DOM_3, OBSERVATION, "Observation"),
    (
        "dom-4 Observation",
        "dom-4",
        "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
        OBSERVATION,
        "Observation",
    ),
    ("dom-5 Observation", "dom-5", "contained.meta.security.empty()", OBSERVATION, "Observation"),
    ("dom-6 Observation", "dom-6", "text.`div`.exists()", OBSERVATION, "Observation"),
    (
        "per-1 Period",
        "per-1",
        "start.hasValue().not() or end.hasValue().not() or (start <= end)",
        OBSERVATION["effectivePeriod"],
        "Period",
    ),
    (
        "qty-3 Quantity",
        "qty-3",
        "code.empty() or system.exists()",
        OBSERVATION["valueQuantity"],
        "Quantity",
    ),
    ("ref-1 Reference", "ref-1", REF_1, OBSERVATION["subject"], "Reference"),
    ("txt-1 div", "txt-1", "htmlChecks()", XHTML, "xhtml"),
    (
        "obs-6 Observation",
        "obs-6",
        "dataAbsentReason.empty() or value.empty()",
        OBSERVATION,
        "Observation",
    ),
    ("us-core-2 Observation", "us-core-2", US_CORE_2, OBSERVATION, "Observation"),
    ("us-core-3 Observation", "us-core-3", US_CORE_3, OBSERVATION, "Observation"),
    ("us-core-1 dateTime", "us-core-1", US_CORE_1, "2025-02-15", "dateTime"),
]

# The invariants made native in issue 12 (they went through fhirpathpy before):
# (label, key, node, type, resource the node sits in)
NPI = {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}
PRACTITIONER = {"resourceType": "Practitioner", "identifier": [NPI], "name": [{"family": "Doe"}]}
ORGANIZATION = {"resourceType": "Organization", "identifier": [NPI], "name": "Clinic"}
BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"fullUrl": f"http://example.org/fhir/Observation/o{i}", "resource": OBSERVATION}
        for i in range(100)
    ],
}
CONDITION = {
    "resourceType": "Condition",
    "clinicalStatus": {"coding": [{"code": "active"}]},
    "category": [{"coding": [{"code": "problem-list-item"}]}],
    "subject": {"reference": "Patient/p1"},
}
UCUM = "http://unitsofmeasure.org"
GOAL = {"resourceType": "Goal"}
NEW_NATIVES: list[tuple[str, str, Any, str, dict[str, Any]]] = [
    ("us-core-16 Identifier", "us-core-16", NPI, "Identifier", PRACTITIONER),
    ("us-core-17 Identifier", "us-core-17", NPI, "Identifier", PRACTITIONER),
    ("org-1 Organization", "org-1", ORGANIZATION, "Organization", ORGANIZATION),
    ("bdl-4 Bundle (100 entries)", "bdl-4", BUNDLE, "Bundle", BUNDLE),
    ("bdl-8 Bundle.entry", "bdl-8", BUNDLE["entry"][0], "Bundle.entry", BUNDLE),
    ("bdl-11 Bundle (100 entries)", "bdl-11", BUNDLE, "Bundle", BUNDLE),
    ("bdl-12 Bundle (100 entries)", "bdl-12", BUNDLE, "Bundle", BUNDLE),
    ("con-3 Condition", "con-3", CONDITION, "Condition", CONDITION),
    ("tim-4 Timing.repeat", "tim-4", {"duration": 30}, "Timing.repeat", GOAL),
    ("tim-5 Timing.repeat", "tim-5", {"period": 1}, "Timing.repeat", GOAL),
    ("rng-2 Range", "rng-2", {"low": {"value": 1}, "high": {"value": 2}}, "Range", GOAL),
    ("drt-1 Duration", "drt-1", {"value": 3, "system": UCUM, "code": "d"}, "Duration", GOAL),
    ("dis-1 Distance", "dis-1", {"value": 3, "system": UCUM, "code": "km"}, "Distance", GOAL),
]
CASES_WITH_RESOURCE: list[tuple[str, str, str, Any, str, dict[str, Any]]] = [
    (*case, OBSERVATION) for case in CASES
] + [
    (label, key, NATIVE[key][0], node, type_name, resource)
    for label, key, node, type_name, resource in NEW_NATIVES
]


def time_case(
    evaluator: InvariantEvaluator,
    case: tuple[str, str, str, Any, str, dict[str, Any]],
    number: int,
    repeat: int,
) -> float:
    _, key, expression, node, type_name, resource = case
    constraint = Constraint(key, "error", "", expression)
    evaluate = evaluator.evaluate
    outcome = evaluate(
        constraint, node, resource=resource, root=resource, type_name=type_name
    )  # compiles once
    assert outcome.passed is True, (key, outcome)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            evaluate(constraint, node, resource=resource, root=resource, type_name=type_name)
        runs.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    accelerated = InvariantEvaluator()
    plain = InvariantEvaluator(accelerate=False)
    print(
        f"{'invariant':<28} {'strategy':<9} {'pcocheck µs':>12} {'fhirpathpy µs':>14} "
        f"{'speed-up':>9}"
    )
    for case in CASES_WITH_RESOURCE:
        constraint = Constraint(case[1], "error", "", case[2])
        fast = time_case(accelerated, case, args.number, args.repeat)
        slow = time_case(plain, case, max(args.number // 10, 50), args.repeat)
        print(
            f"{case[0]:<28} {accelerated.strategy(constraint):<9} {fast:>12.2f} "
            f"{slow:>14.2f} {slow / fast:>8.0f}x"
        )


if __name__ == "__main__":
    main()
