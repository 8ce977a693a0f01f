"""Write fixtures/rules/cases/*.json: the valid GAS and PROM journeys, each broken in one
way per PCO clinical rule. The valid journeys (and the IG examples) are the cases that
must not trigger them. Expected findings: fixtures/rules/cases-expected.json (reviewed;
``pytest --update-goldens`` rewrites it from the current output).

    python tools/make_rule_fixtures.py
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = ROOT / "fixtures" / "journeys"
OUT = ROOT / "fixtures" / "rules" / "cases"
LOINC = "http://loinc.org"
PCO = "http://hl7.org/fhir/us/pco/"
Bundle = dict[str, Any]
Resource = dict[str, Any]


def of_type(b: Bundle, rtype: str, index: int = 0) -> Resource:
    found = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == rtype]
    return found[index]  # type: ignore[no-any-return]


def by_id(b: Bundle, rid: str) -> Resource:
    return next(e["resource"] for e in b["entry"] if e["resource"].get("id") == rid)  # type: ignore[no-any-return]


def add(b: Bundle, resource: Resource) -> None:
    b["entry"].append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})


# -- GAS journey -------------------------------------------------------------------------
def goal(b: Bundle) -> Resource:
    return by_id(b, "gasJourneyGoal")


def level_part(b: Bundle, index: int) -> Resource:
    return goal(b)["extension"][index]["extension"][0]  # type: ignore[no-any-return]


def duplicate_level(b: Bundle) -> None:
    level_part(b, 3)["valueCoding"] = copy.deepcopy(level_part(b, 1)["valueCoding"])


def missing_levels(b: Bundle) -> None:
    goal(b)["extension"] = goal(b)["extension"][:3]


def blank_progress(b: Bundle) -> None:
    goal(b)["extension"][2]["extension"][1]["valueString"] = "   "


def score_not_a_level(b: Bundle) -> None:
    by_id(b, "gasJourneyPatientFollowUp")["valueCodeableConcept"] = {
        "coding": [{"system": LOINC, "code": "LA6568-5"}]
    }


def level_not_defined(b: Bundle) -> None:
    followup = by_id(b, "gasJourneyPractitionerFollowUp")
    code = followup["valueCodeableConcept"]["coding"][0]["code"]
    goal(b)["extension"] = [
        e for e in goal(b)["extension"] if e["extension"][0]["valueCoding"]["code"] != code
    ]


def focus_missing(b: Bundle) -> None:
    del by_id(b, "gasJourneyPatientFollowUp")["focus"]


def focus_unresolved(b: Bundle) -> None:
    by_id(b, "gasJourneyPatientFollowUp")["focus"] = [{"reference": "Goal/notInThisBundle"}]


def focus_not_gas(b: Bundle) -> None:
    plain = copy.deepcopy(goal(b))
    plain["id"] = "plainGoal"
    plain.pop("extension")
    plain["meta"] = {"profile": [PCO + "StructureDefinition/pco-goal-profile"]}
    plain["target"] = [{"dueDate": "2025-07-31"}]
    b["entry"].append({"fullUrl": "http://example.org/fhir/Goal/plainGoal", "resource": plain})
    by_id(b, "gasJourneyPatientFollowUp")["focus"] = [{"reference": "Goal/plainGoal"}]


def follow_up_before_baseline(b: Bundle) -> None:
    by_id(b, "gasJourneyPatientFollowUp")["effectiveDateTime"] = "2025-02-10T10:00:00Z"


def follow_up_outside_window(b: Bundle) -> None:
    by_id(b, "gasJourneyPractitionerFollowUp")["effectiveDateTime"] = "2025-12-01T10:00:00Z"


def two_baselines(b: Bundle) -> None:
    second = copy.deepcopy(by_id(b, "gasJourneyBaseline"))
    second["id"] = "gasJourneyBaseline2"
    second["effectiveDateTime"] = "2025-02-20T10:00:00Z"
    b["entry"].append(
        {"fullUrl": "http://example.org/fhir/Observation/gasJourneyBaseline2", "resource": second}
    )


def achievement_contradiction(b: Bundle) -> None:
    goal(b)["achievementStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                "code": "not-achieved",
            }
        ]
    }


def req2_not_recognisable(b: Bundle) -> None:
    goal(b).pop("extension")
    goal(b)["target"] = [{"dueDate": "2025-07-31"}]


def req3_no_category(b: Bundle) -> None:
    goal(b).pop("category")


def stale_profile(b: Bundle) -> None:
    goal(b)["meta"]["profile"] = [PCO + "StructureDefinition/pco-goal"]


def stale_code_system(b: Bundle) -> None:
    goal(b)["category"][-1]["coding"][0]["system"] = PCO + "CodeSystem/pco-goal-domains"


def stale_placeholder_code(b: Bundle) -> None:
    goal(b)["target"][0]["measure"] = {"coding": [{"system": LOINC, "code": "68489"}]}


def stale_baseline_code(b: Bundle) -> None:
    by_id(b, "gasJourneyBaseline")["code"] = {"coding": [{"system": LOINC, "code": "107332-9"}]}


def stale_text_subextension(b: Bundle) -> None:
    goal(b)["extension"][0]["extension"][1]["url"] = "text"


# -- PROM journey ------------------------------------------------------------------------
def response(b: Bundle) -> Resource:
    return of_type(b, "QuestionnaireResponse")


def prom_goal(b: Bundle) -> Resource:
    return of_type(b, "Goal")


def baseline_score(b: Bundle) -> Resource:
    return of_type(b, "Observation", 0)


def followup_score(b: Bundle) -> Resource:
    return of_type(b, "Observation", 1)


def qr_item(b: Bundle, link: str) -> Resource:
    return next(i for i in response(b)["item"] if i["linkId"] == link)


def total_answer(b: Bundle) -> Resource:
    return qr_item(b, "58628")["answer"][0]  # type: ignore[no-any-return]


def total_mismatch(b: Bundle) -> None:
    total_answer(b)["valueDecimal"] = 15


def total_unverifiable(b: Bundle) -> None:
    response(b)["item"] = [i for i in response(b)["item"] if i["linkId"] != "57547"]


def total_out_of_range(b: Bundle) -> None:
    total_answer(b)["valueDecimal"] = 25


def score_not_integer(b: Bundle) -> None:
    followup_score(b)["valueQuantity"]["value"] = 8.5


def score_without_ucum(b: Bundle) -> None:
    quantity = followup_score(b)["valueQuantity"]
    del quantity["system"], quantity["code"]


def interpretation_mismatch(b: Bundle) -> None:
    baseline_score(b)["interpretation"] = [{"text": "Severe anxiety"}]


def derived_mismatch(b: Bundle) -> None:
    baseline_score(b)["valueQuantity"]["value"] = 15


def goal_without_comparator(b: Bundle) -> None:
    del prom_goal(b)["target"][0]["detailQuantity"]["comparator"]


def goal_target_out_of_range(b: Bundle) -> None:
    prom_goal(b)["target"][0]["detailQuantity"]["value"] = 30


def baseline_meets_target(b: Bundle) -> None:
    prom_goal(b)["target"][0]["detailQuantity"]["value"] = 20


def prom_achievement_contradiction(b: Bundle) -> None:
    prom_goal(b)["achievementStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                "code": "not-achieved",
            }
        ]
    }


def qr_unknown_link(b: Bundle) -> None:
    qr_item(b, "57546")["linkId"] = "57599"


def qr_wrong_type(b: Bundle) -> None:
    qr_item(b, "57541")["answer"] = [{"valueString": "More than half the days"}]


def qr_not_an_option(b: Bundle) -> None:
    qr_item(b, "57542")["answer"] = [
        {"valueCoding": {"system": LOINC, "code": "LA6570-1", "display": "More than half the days"}}
    ]


def qr_repeats(b: Bundle) -> None:
    item = qr_item(b, "57545")
    item["answer"].append(copy.deepcopy(item["answer"][0]))


def qr_nesting(b: Bundle) -> None:
    qr_item(b, "57543")["item"] = [{"linkId": "57543.1", "answer": [{"valueString": "x"}]}]


def qr_questionnaire_unknown(b: Bundle) -> None:
    response(b)["questionnaire"] = "http://example.org/fhir/Questionnaire/local-anxiety-form"


def qr_required_missing(b: Bundle) -> None:
    answers = [
        "LA6569-3",
        "LA6568-5",
        "LA6570-1",
        "LA6569-3",
        "LA6568-5",
        "LA6568-5",
        "LA6569-3",
        "LA6568-5",
    ]
    links = ["14363", "14364", "14366", "14367", "14368", "14369", "14370", "14371"]  # no 14365
    phq = copy.deepcopy(response(b))
    phq["id"] = "8b0c6a52-1d2e-4f3a-9b8c-7d6e5f4a3b21"
    phq["questionnaire"] = PCO + "Questionnaire/44249-1"
    phq["item"] = [
        {"linkId": link, "answer": [{"valueCoding": {"system": LOINC, "code": code}}]}
        for link, code in zip(links, answers, strict=True)
    ]
    add(b, phq)


def panel(b: Bundle, components: list[Resource]) -> Resource:
    base = copy.deepcopy(baseline_score(b))
    for key in ("meta", "valueQuantity", "derivedFrom", "focus"):
        base.pop(key, None)
    base["code"] = {"coding": [{"system": LOINC, "code": "69737-5"}]}
    base["component"] = components
    return base


GAD7_ITEMS = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
GAD7_ANSWERS = [
    "LA6570-1",
    "LA18938-3",
    "LA6571-9",
    "LA6570-1",
    "LA6569-3",
    "LA6570-1",
    "LA6570-1",
]  # 2+2+3+2+1+2+2 = 14


def panel_components_mismatch(b: Bundle) -> None:
    components: list[Resource] = [
        {
            "code": {"coding": [{"system": LOINC, "code": item}]},
            "valueCodeableConcept": {"coding": [{"system": LOINC, "code": answer}]},
        }
        for item, answer in zip(GAD7_ITEMS, GAD7_ANSWERS, strict=True)
    ]
    components.append(
        {
            "code": {"coding": [{"system": LOINC, "code": "70274-6"}]},
            "valueQuantity": {
                "value": 16,
                "unit": "score",
                "system": "http://unitsofmeasure.org",
                "code": "1",
            },
        }
    )
    observation = panel(b, components)
    observation["id"] = "3c2b1a09-8f7e-4d6c-b5a4-392817161504"
    add(b, observation)


def panel_members_mismatch(b: Bundle) -> None:
    template = copy.deepcopy(baseline_score(b))
    for key in ("meta", "valueQuantity", "derivedFrom", "focus"):
        template.pop(key, None)
    members = []
    for number, (item, answer) in enumerate(zip(GAD7_ITEMS, GAD7_ANSWERS, strict=True)):
        member = copy.deepcopy(template)
        member["id"] = f"aa00000{number}-0000-4000-8000-00000000000{number}"
        member["code"] = {"coding": [{"system": LOINC, "code": item}]}
        member["valueCodeableConcept"] = {"coding": [{"system": LOINC, "code": answer}]}
        members.append(member)
    total = copy.deepcopy(template)
    total["id"] = "aa000009-0000-4000-8000-000000000009"
    total["code"] = {"coding": [{"system": LOINC, "code": "70274-6"}]}
    total["valueQuantity"] = {
        "value": 12,
        "unit": "score",
        "system": "http://unitsofmeasure.org",
        "code": "1",
    }
    members.append(total)
    observation = panel(b, [])
    observation.pop("component")
    observation["id"] = "bb000000-0000-4000-8000-000000000010"
    observation["hasMember"] = [{"reference": f"urn:uuid:{m['id']}"} for m in members]
    for member in members:
        member["derivedFrom"] = [{"reference": f"urn:uuid:{observation['id']}"}]
        add(b, member)
    add(b, observation)


def stale_prom_integer(b: Bundle) -> None:
    score = followup_score(b)
    del score["valueQuantity"]
    score["valueInteger"] = 8


GAS = "gas-goal-journey.json"
PROM = "prom-journey.json"
CASES: dict[str, tuple[str, str, Callable[[Bundle], None]]] = {
    "gas-duplicate-level": (GAS, "two extensions define +1", duplicate_level),
    "gas-missing-levels": (GAS, "the scale stops after three levels", missing_levels),
    "gas-blank-progress-text": (GAS, "a level's progressText is blank", blank_progress),
    "gas-score-not-a-level": (GAS, "a follow-up scored LA6568-5", score_not_a_level),
    "gas-level-not-defined": (GAS, "the follow-up's level is not on the goal", level_not_defined),
    "gas-focus-missing": (GAS, "a follow-up without focus", focus_missing),
    "gas-focus-unresolved": (
        GAS,
        "a follow-up focusing on a goal not in the input",
        focus_unresolved,
    ),
    "gas-focus-not-gas": (GAS, "a follow-up focusing on a non-GAS goal", focus_not_gas),
    "gas-follow-up-before-baseline": (
        GAS,
        "patient follow-up dated before the baseline",
        follow_up_before_baseline,
    ),
    "gas-follow-up-outside-window": (
        GAS,
        "practitioner follow-up 289 days after the start",
        follow_up_outside_window,
    ),
    "gas-two-baselines": (GAS, "a second baseline for the goal", two_baselines),
    "gas-achievement-contradiction": (
        GAS,
        "not-achieved while the latest follow-up is +1",
        achievement_contradiction,
    ),
    "goal-req2-not-recognisable": (
        GAS,
        "a GAS goal with no extension and no 107332-9 measure",
        req2_not_recognisable,
    ),
    "goal-req3-no-category": (GAS, "a PCO goal without any PCO category", req3_no_category),
    "stale-profile": (GAS, "the goal claims the pre-STU1 profile id pco-goal", stale_profile),
    "stale-code-system": (
        GAS,
        "goal domain from the pre-STU1 pco-goal-domains system",
        stale_code_system,
    ),
    "stale-placeholder-code": (GAS, "GAS target measure LOINC 68489", stale_placeholder_code),
    "stale-baseline-code": (GAS, "GAS baseline coded 107332-9", stale_baseline_code),
    "stale-text-subextension": (
        GAS,
        "GAS sub-extension 'text' instead of 'progressText'",
        stale_text_subextension,
    ),
    "prom-total-mismatch": (PROM, "GAD-7 total 15 for answers adding up to 14", total_mismatch),
    "prom-total-unverifiable": (PROM, "an item unanswered, total still given", total_unverifiable),
    "prom-total-out-of-range": (PROM, "GAD-7 total 25", total_out_of_range),
    "prom-score-not-integer": (PROM, "follow-up score 8.5", score_not_integer),
    "prom-score-without-ucum": (PROM, "follow-up score Quantity without UCUM", score_without_ucum),
    "prom-interpretation-mismatch": (PROM, "14 interpreted as severe", interpretation_mismatch),
    "prom-derived-mismatch": (
        PROM,
        "score 15 derived from a response adding up to 14",
        derived_mismatch,
    ),
    "prom-goal-no-comparator": (PROM, "target without comparator", goal_without_comparator),
    "prom-goal-target-out-of-range": (PROM, "GAD-7 target 30", goal_target_out_of_range),
    "prom-baseline-meets-target": (PROM, "target < 20 with baseline 14", baseline_meets_target),
    "prom-achievement-contradiction": (
        PROM,
        "not-achieved while the latest score meets < 10",
        prom_achievement_contradiction,
    ),
    "prom-panel-components-mismatch": (
        PROM,
        "GAD-7 panel components add to 14, total 16",
        panel_components_mismatch,
    ),
    "prom-panel-members-mismatch": (
        PROM,
        "GAD-7 panel members add to 14, member total 12",
        panel_members_mismatch,
    ),
    "qr-unknown-link-id": (PROM, "a response item with a linkId the form lacks", qr_unknown_link),
    "qr-wrong-answer-type": (PROM, "valueString for a choice item", qr_wrong_type),
    "qr-answer-not-an-option": (PROM, "LA6570-1 for GAD-7 item 2", qr_not_an_option),
    "qr-repeats": (PROM, "two answers to a non-repeating item", qr_repeats),
    "qr-nesting": (PROM, "a nested item under a question", qr_nesting),
    "qr-questionnaire-unknown": (
        PROM,
        "the response's Questionnaire is not loaded",
        qr_questionnaire_unknown,
    ),
    "qr-required-missing": (PROM, "a completed PHQ-9 without required item 3", qr_required_missing),
    "stale-prom-value-integer": (PROM, "PROM follow-up with valueInteger", stale_prom_integer),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    bases = {
        name: json.loads((JOURNEYS / name).read_text(encoding="utf-8")) for name in (GAS, PROM)
    }
    index = {}
    for name, (base, description, mutate) in CASES.items():
        bundle = copy.deepcopy(bases[base])
        mutate(bundle)
        (OUT / f"{name}.json").write_text(json.dumps(bundle, indent=2) + "\n", encoding="utf-8")
        index[name] = {"base": f"journeys/{base}", "description": description}
    (OUT.parent / "cases.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
