"""Write fixtures/engine/cases/*.json: copies of a valid journey Bundle, each broken in
exactly one way, one per engine check. Their expected findings live in
fixtures/engine/expected.json (reviewed by hand; ``pytest --update-goldens`` rewrites
it from the current output, to be reviewed with ``git diff``).

    python tools/make_engine_fixtures.py
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"
OUT = ROOT / "fixtures" / "engine" / "cases"
LOINC = "http://loinc.org"
PCO = "http://hl7.org/fhir/us/pco/StructureDefinition/"

Bundle = dict[str, Any]


def res(bundle: Bundle, rid: str) -> dict[str, Any]:
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == rid:
            return entry["resource"]  # type: ignore[no-any-return]
    raise KeyError(rid)


def goal(b: Bundle) -> dict[str, Any]:
    return res(b, "gasJourneyGoal")


def baseline(b: Bundle) -> dict[str, Any]:
    return res(b, "gasJourneyBaseline")


def patient(b: Bundle) -> dict[str, Any]:
    return res(b, "gasJourneyPatient")


def careplan(b: Bundle) -> dict[str, Any]:
    return res(b, "gasJourneyCarePlan")


def add_entry(b: Bundle, resource: dict[str, Any], full_url: str | None = None) -> None:
    url = full_url or f"http://example.org/fhir/{resource['resourceType']}/{resource['id']}"
    b["entry"].append({"fullUrl": url, "resource": resource})


def set_(
    getter: Callable[[Bundle], dict[str, Any]], key: str, value: Any
) -> Callable[[Bundle], None]:
    def apply(b: Bundle) -> None:
        getter(b)[key] = value

    return apply


def drop(getter: Callable[[Bundle], dict[str, Any]], key: str) -> Callable[[Bundle], None]:
    def apply(b: Bundle) -> None:
        del getter(b)[key]

    return apply


def prom_goal_two_targets(b: Bundle) -> None:
    g = copy.deepcopy(goal(b))
    g["id"] = "promGoal"
    g.pop("extension")
    g["meta"] = {"profile": [PCO + "pco-prom-goal-profile"]}
    target = {
        "measure": {"coding": [{"system": LOINC, "code": "70274-6"}]},
        "detailQuantity": {
            "value": 10,
            "comparator": "<",
            "unit": "score",
            "system": "http://unitsofmeasure.org",
            "code": "1",
        },
    }
    g["target"] = [target, copy.deepcopy(target)]
    add_entry(b, g)


def careplan_detail(b: Bundle) -> None:
    careplan(b)["activity"][0]["detail"] = {"status": "scheduled"}


def two_pco_categories(b: Bundle) -> None:
    system = "http://hl7.org/fhir/us/pco/CodeSystem/pco-concepts-temporary"
    goal(b)["category"] = [
        {"coding": [{"system": system, "code": "person-centered"}]},
        {"coding": [{"system": system, "code": "what-matters"}]},
    ]


def gas_missing_progress_text(b: Bundle) -> None:
    goal(b)["extension"][0]["extension"] = [goal(b)["extension"][0]["extension"][0]]


def gas_level_not_in_answer_list(b: Bundle) -> None:
    goal(b)["extension"][0]["extension"][0]["valueCoding"] = {"system": LOINC, "code": "LA6113-0"}


def unknown_extension(b: Bundle) -> None:
    goal(b)["extension"].append(
        {"url": "http://example.org/fhir/StructureDefinition/colour", "valueString": "blue"}
    )


def unknown_modifier(b: Bundle) -> None:
    goal(b)["modifierExtension"] = [
        {"url": "http://example.org/fhir/StructureDefinition/negated", "valueBoolean": True}
    ]


def primitive_extension_misaligned(b: Bundle) -> None:
    name = patient(b)["name"][0]
    name["_given"] = [
        None,
        {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier",
                    "valueCode": "CL",
                }
            ]
        },
    ]


def choice_two_types(b: Bundle) -> None:
    baseline(b)["effectivePeriod"] = {"start": "2025-02-15T15:15:00Z"}


def choice_type_restricted(b: Bundle) -> None:
    obs = baseline(b)
    del obs["valueCodeableConcept"]
    obs["valueString"] = "less than expected"


def obs6_value_and_absent_reason(b: Bundle) -> None:
    baseline(b)["dataAbsentReason"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                "code": "unknown",
            }
        ]
    }


def gol1_detail_without_measure(b: Bundle) -> None:
    g = copy.deepcopy(goal(b))
    g["id"] = "plainGoal"
    g.pop("extension")
    g["meta"] = {"profile": [PCO + "pco-goal-profile"]}
    g["target"] = [{"detailQuantity": {"value": 3}, "dueDate": "2025-07-31"}]
    add_entry(b, g)


def us_core_6_name_empty(b: Bundle) -> None:
    patient(b)["name"] = [{"text": "Samuel Okafor"}]


def npi_check_digit(b: Bundle) -> None:
    res(b, "gasJourneyPractitioner")["identifier"][0]["value"] = "1234567890"


def period_reversed(b: Bundle) -> None:
    careplan(b)["period"] = {"start": "2025-09-30", "end": "2025-02-15"}


def quantity_code_without_system(b: Bundle) -> None:
    g = copy.deepcopy(goal(b))
    g["id"] = "quantityGoal"
    g.pop("extension")
    g["meta"] = {"profile": [PCO + "pco-goal-profile"]}
    g["target"] = [{"measure": {"text": "steps"}, "detailQuantity": {"value": 3, "code": "1"}}]
    add_entry(b, g)


def missing_narrative(b: Bundle) -> None:
    del res(b, "gasJourneyWalkingProgram")["text"]


def contained_unreferenced(b: Bundle) -> None:
    goal(b)["contained"] = [
        {"resourceType": "Basic", "id": "orphan", "code": {"text": "not referenced anywhere"}}
    ]


def contained_reference_dangling(b: Bundle) -> None:
    goal(b)["addresses"] = [{"reference": "#missing"}]


def reference_type_not_allowed(b: Bundle) -> None:
    goal(b)["expressedBy"] = {"reference": "Device/gasJourneyDevice"}


def reference_malformed(b: Bundle) -> None:
    goal(b)["subject"] = {"reference": "Patient gasJourneyPatient"}


def reference_target_nonconformant(b: Bundle) -> None:
    # The Patient claims nothing, so it is valid as a base Patient; the references that
    # require US Core Patient are what must report it.
    del patient(b)["identifier"]
    del patient(b)["meta"]


def careplan_goal_not_pco(b: Bundle) -> None:
    g = copy.deepcopy(goal(b))
    g["id"] = "otherGoal"
    g.pop("extension")
    g.pop("startDate")
    g["meta"] = {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal"]}
    g["target"] = [{"dueDate": "2025-07-31"}]
    add_entry(b, g)
    careplan(b)["goal"] = [{"reference": "Goal/otherGoal"}]


def urn_unresolved(b: Bundle) -> None:
    baseline(b)["focus"] = [{"reference": "urn:uuid:7f3a6f2e-1c1d-4b0e-9a5d-3a0b8c2d4e5f"}]


def fullurl_mismatch(b: Bundle) -> None:
    b["entry"][0]["fullUrl"] = "http://example.org/fhir/Patient/someoneElse"


def duplicate_fullurl(b: Bundle) -> None:
    for entry in b["entry"][1:3]:
        entry["fullUrl"] = "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"


def transaction_without_request(b: Bundle) -> None:
    b["type"] = "transaction"
    for entry in b["entry"][1:]:
        entry["request"] = {
            "method": "PUT",
            "url": f"{entry['resource']['resourceType']}/{entry['resource']['id']}",
        }


def collection_with_request(b: Bundle) -> None:
    b["entry"][0]["request"] = {"method": "POST", "url": "Patient"}


def document_without_composition(b: Bundle) -> None:
    b["type"] = "document"
    b["identifier"] = {
        "system": "urn:ietf:rfc:3986",
        "value": "urn:uuid:0c3d2a44-7c1e-4f0a-9d6b-1e2f3a4b5c6d",
    }
    b["timestamp"] = "2025-04-17T12:00:00Z"


def message_without_header(b: Bundle) -> None:
    b["type"] = "message"
    b["timestamp"] = "2025-04-17T12:00:00Z"


def unknown_profile(b: Bundle) -> None:
    goal(b)["meta"]["profile"] = [PCO + "pco-goal"]


def wrong_type_profile(b: Bundle) -> None:
    baseline(b)["meta"]["profile"].append(PCO + "pco-goal-profile")


def inferred_profile(b: Bundle) -> None:
    del baseline(b)["meta"]


def required_binding(b: Bundle) -> None:
    goal(b)["lifecycleStatus"] = "in-progress"


def extensible_binding(b: Bundle) -> None:
    baseline(b)["code"] = {"coding": [{"system": LOINC, "code": "72133-2"}]}


def fixed_pattern(b: Bundle) -> None:
    goal(b)["target"][0]["measure"] = {"coding": [{"system": LOINC, "code": "70274-6"}]}


def list_code_pattern(b: Bundle) -> None:
    add_entry(
        b,
        {
            "resourceType": "List",
            "id": "priorities",
            "meta": {"profile": [PCO + "pco-personal-priorities-organizer"]},
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Priorities</p></div>',
            },
            "status": "current",
            "mode": "working",
            "code": {"coding": [{"system": LOINC, "code": "81341-0"}]},
            "subject": {"reference": "Patient/gasJourneyPatient"},
            "orderedBy": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/list-order",
                        "code": "priority",
                    }
                ]
            },
            "entry": [{"item": {"reference": "Goal/gasJourneyGoal"}}],
        },
    )


def category_survey_missing(b: Bundle) -> None:
    baseline(b)["category"] = [
        {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",
                    "code": "functional-status",
                }
            ]
        }
    ]


# name -> (description, mutation)
CASES: dict[str, tuple[str, Callable[[Bundle], None]]] = {
    "unknown-element": (
        "Goal has a misspelt element 'categry'",
        set_(goal, "categry", [{"text": "x"}]),
    ),
    "wrong-json-type": ("Goal.lifecycleStatus is a number", set_(goal, "lifecycleStatus", 5)),
    "array-for-single": (
        "Goal.description is an array",
        lambda b: goal(b).update(description=[goal(b)["description"]]),
    ),
    "single-for-array": (
        "Goal.category is an object, not an array",
        lambda b: goal(b).update(category=goal(b)["category"][0]),
    ),
    "empty-object": ("CarePlan.period is {}", set_(careplan, "period", {})),
    "empty-array": ("Goal.note is []", set_(goal, "note", [])),
    "empty-string": (
        "Goal.description.text is ''",
        lambda b: goal(b)["description"].update(text=""),
    ),
    "null-value": ("Goal.priority is null", set_(goal, "priority", None)),
    "primitive-extension-misaligned": (
        "Patient.name[0]._given has 2 items for 1 given",
        primitive_extension_misaligned,
    ),
    "choice-two-types": (
        "GAS baseline has effectiveDateTime and effectivePeriod",
        choice_two_types,
    ),
    "choice-type-restricted": (
        "GAS score uses valueString (profile allows only CodeableConcept)",
        choice_type_restricted,
    ),
    "date-invalid": ("Goal.startDate is 2025-02-30", set_(goal, "startDate", "2025-02-30")),
    "datetime-without-timezone": (
        "effectiveDateTime has a time but no timezone",
        set_(baseline, "effectiveDateTime", "2025-02-15T15:15:00"),
    ),
    "id-invalid": ("the Goal's id has a space", set_(goal, "id", "gas journey goal")),
    "code-whitespace": (
        "Observation.status is 'final ' with trailing space",
        set_(baseline, "status", "final "),
    ),
    "string-whitespace": (
        "Goal.description.text has leading whitespace",
        lambda b: goal(b)["description"].update(text="  Walk to the park"),
    ),
    "integer-as-string": (
        "GAS score issued is not an instant",
        set_(baseline, "issued", "2025-02-15"),
    ),
    "missing-base-required": (
        "Goal.lifecycleStatus missing (base 1..1)",
        drop(goal, "lifecycleStatus"),
    ),
    "missing-profile-required": (
        "Goal.startDate missing (pco-goal-profile 1..1)",
        drop(goal, "startDate"),
    ),
    "too-many": ("PROM goal with two targets (profile 1..1)", prom_goal_two_targets),
    "prohibited-element": (
        "CarePlan.activity.detail present (pco-care-plan 0..0)",
        careplan_detail,
    ),
    "pattern-mismatch": (
        "GAS goal target measure is LOINC 70274-6 (pattern 107332-9)",
        fixed_pattern,
    ),
    "pattern-mismatch-list-code": (
        "priorities List code is 81341-0 (pattern 81340-2)",
        list_code_pattern,
    ),
    "slice-min": ("GAS score without category survey", category_survey_missing),
    "slice-max": ("Goal with two pco categories (slice pco 0..1)", two_pco_categories),
    "slice-profile-discriminator": (
        "CarePlan.goal references a non-PCO goal (SupportedGoals 1..*)",
        careplan_goal_not_pco,
    ),
    "extension-complex-invalid": ("GAS extension without progressText", gas_missing_progress_text),
    "extension-level-not-in-answer-list": (
        "GAS level LA6113-0 is not in LL6900-6",
        gas_level_not_in_answer_list,
    ),
    "extension-unknown": ("Goal carries an extension pcocheck does not know", unknown_extension),
    "modifier-extension-unknown": ("Goal carries an unknown modifierExtension", unknown_modifier),
    "invariant-obs-6": (
        "GAS score with a value and a dataAbsentReason",
        obs6_value_and_absent_reason,
    ),
    "invariant-gol-1": ("Goal target with detail but no measure", gol1_detail_without_measure),
    "invariant-us-core-1": (
        "effectiveDateTime has month precision only",
        set_(baseline, "effectiveDateTime", "2025-02"),
    ),
    "invariant-us-core-6": ("Patient.name without family or given", us_core_6_name_empty),
    "invariant-us-core-17": ("Practitioner NPI with a wrong check digit", npi_check_digit),
    "invariant-per-1": ("CarePlan.period ends before it starts", period_reversed),
    "invariant-qty-3": ("Quantity with code but no system", quantity_code_without_system),
    "invariant-dom-6": ("ServiceRequest without narrative", missing_narrative),
    "invariant-dom-3": ("Goal contains a resource nothing references", contained_unreferenced),
    "binding-required": (
        "Goal.lifecycleStatus 'in-progress' is not a goal-status code",
        required_binding,
    ),
    "binding-extensible": (
        "GAS score coded LOINC 72133-2 (not in goal-attainment-scaling-score)",
        extensible_binding,
    ),
    "reference-type-not-allowed": (
        "Goal.expressedBy points at a Device",
        reference_type_not_allowed,
    ),
    "reference-malformed": ("Goal.subject.reference has a space", reference_malformed),
    "reference-target-nonconformant": (
        "the Patient lacks identifier (US Core 1..*)",
        reference_target_nonconformant,
    ),
    "reference-contained-dangling": ("Goal.addresses -> #missing", contained_reference_dangling),
    "reference-urn-unresolved": ("GAS score focus -> urn:uuid not in the Bundle", urn_unresolved),
    "bundle-fullurl-mismatch": ("entry fullUrl names another Patient id", fullurl_mismatch),
    "bundle-duplicate-fullurl": ("two entries share a fullUrl", duplicate_fullurl),
    "bundle-transaction-without-request": (
        "transaction Bundle, first entry without request",
        transaction_without_request,
    ),
    "bundle-collection-with-request": (
        "collection Bundle entry with a request",
        collection_with_request,
    ),
    "bundle-document-first-entry": (
        "document Bundle whose first entry is not a Composition",
        document_without_composition,
    ),
    "bundle-message-first-entry": (
        "message Bundle whose first entry is not a MessageHeader",
        message_without_header,
    ),
    "profile-unknown": ("Goal claims the pre-STU1 profile id pco-goal", unknown_profile),
    "profile-wrong-type": ("an Observation claims pco-goal-profile", wrong_type_profile),
    "profile-inferred": ("GAS baseline without meta.profile", inferred_profile),
}


CUSTOM_PROFILE = "http://example.org/fhir/StructureDefinition/pcocheck-test-observation"


def custom_base() -> Bundle:
    """A collection Bundle that is valid against the test-only profile in
    fixtures/engine/profiles (loaded with --profiles)."""
    narrative = {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Blood pressure</p></div>',
    }
    observation = {
        "resourceType": "Observation",
        "id": "bp",
        "meta": {"profile": [CUSTOM_PROFILE]},
        "text": narrative,
        "identifier": [{"system": "http://example.org/ids", "value": "bp-1"}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            },
            {"text": "home measurement"},
        ],
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2025-03-01T08:00:00Z",
        "bodySite": {"text": "left arm"},
        "derivedFrom": [{"reference": "QuestionnaireResponse/qr1"}],
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": {
                    "value": 120,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": {
                    "value": 80,
                    "unit": "mmHg",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
        ],
    }
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": "qr1",
        "text": narrative,
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
    }
    patient = {"resourceType": "Patient", "id": "p1", "text": narrative, "gender": "unknown"}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in (observation, response, patient)
        ],
    }


def bp(b: Bundle) -> dict[str, Any]:
    return res(b, "bp")


def component_unmatched(b: Bundle) -> None:
    bp(b)["component"].append(
        {"code": {"coding": [{"system": LOINC, "code": "8867-4"}]}, "valueQuantity": {"value": 60}}
    )


def components_reversed(b: Bundle) -> None:
    bp(b)["component"].reverse()


def category_open_at_end(b: Bundle) -> None:
    bp(b)["category"].reverse()


def identifier_exists(b: Bundle) -> None:
    bp(b)["identifier"][0]["period"] = {"start": "2025-01-01"}


def derived_from_wrong_type(b: Bundle) -> None:
    bp(b)["derivedFrom"] = [{"reference": "Observation/bp"}]


CUSTOM_CASES: dict[str, tuple[str, Callable[[Bundle], None]]] = {
    "fixed-mismatch": (
        "status 'amended' where the profile fixes 'final'",
        set_(bp, "status", "amended"),
    ),
    "slice-closed-unmatched": (
        "a heart-rate component in a closed component slicing",
        component_unmatched,
    ),
    "slice-ordered": ("diastolic before systolic in an ordered slicing", components_reversed),
    "slice-open-at-end": (
        "the unsliced category comes before the sliced one (openAtEnd)",
        category_open_at_end,
    ),
    "slice-exists-discriminator": (
        "the only identifier has a period (slice 'current' needs none)",
        identifier_exists,
    ),
    "slice-type-discriminator": (
        "derivedFrom resolves to an Observation, not a response",
        derived_from_wrong_type,
    ),
    "must-support-absent": (
        "bodySite (Must Support) absent; run with --must-support",
        drop(bp, "bodySite"),
    ),
}


def main() -> None:
    base = json.loads(BASE.read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    index = {}
    for name, (description, mutate) in CASES.items():
        bundle = copy.deepcopy(base)
        mutate(bundle)
        (OUT / f"{name}.json").write_text(json.dumps(bundle, indent=2) + "\n", encoding="utf-8")
        index[name] = description
    (OUT.parent / "cases.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {OUT}")
    custom_out = OUT.parent / "custom-cases"
    custom_out.mkdir(exist_ok=True)
    for old in custom_out.glob("*.json"):
        old.unlink()
    base_bundle = custom_base()
    (OUT.parent / "custom-base.json").write_text(
        json.dumps(base_bundle, indent=2) + "\n", encoding="utf-8"
    )
    custom_index = {}
    for name, (description, mutate) in CUSTOM_CASES.items():
        bundle = copy.deepcopy(base_bundle)
        mutate(bundle)
        (custom_out / f"{name}.json").write_text(
            json.dumps(bundle, indent=2) + "\n", encoding="utf-8"
        )
        custom_index[name] = description
    (OUT.parent / "custom-cases.json").write_text(
        json.dumps(custom_index, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(CUSTOM_CASES)} custom-profile cases to {custom_out}")


if __name__ == "__main__":
    main()
