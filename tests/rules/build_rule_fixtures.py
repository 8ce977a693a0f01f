"""Writes fixtures/rules/<case>/ (input + expected.json) and fixtures/rules/questionnaires/.

Run ``python -m tests.rules.build_rule_fixtures`` after changing a case here. The expected
findings are written by hand below, next to the input they describe; the tests compare
them with what :class:`pcocheck.rules.PcoRules` reports. Each case breaks one thing, or
(``must not trigger``) shows a near miss that has to stay silent.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
QUESTIONNAIRES = ROOT / "questionnaires"
KEEP = {"cases", "cases.json", "cases-expected.json", "questionnaires"}  # not ours

PCO = "http://hl7.org/fhir/us/pco/"
SD = PCO + "StructureDefinition/"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
BASE = "http://example.org/fhir/"
GAS_EXT = SD + "pco-goal-attainment-scaling"
PHQ9_URL = PCO + "Questionnaire/44249-1"
GAD7_URL = PCO + "Questionnaire/69737-5"
FORM_URL = "http://example.org/fhir/Questionnaire/visit-form"
WEIGHTED_URL = "http://example.org/fhir/Questionnaire/phq-9-local-answers"

Json = dict[str, Any]

# ----------------------------------------------------------------------------------------
# Questionnaires (shapes per the PCO IG: linkIds, item codes, answerOption valueCoding)
# ----------------------------------------------------------------------------------------
FREQUENCY = [
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
]
GAD_ITEM2 = [FREQUENCY[0], FREQUENCY[1], ("LA18938-3", "More days than not"), FREQUENCY[3]]
DIFFICULTY = [
    ("LA6572-7", "Not difficult at all"),
    ("LA6573-5", "Somewhat difficult"),
    ("LA6575-0", "Very difficult"),
    ("LA6574-3", "Extremely difficult"),
]
PHQ9_ITEMS = [
    ("14363", "44250-9", "Little interest or pleasure in doing things"),
    ("14364", "44255-8", "Feeling down, depressed, or hopeless"),
    ("14365", "44259-0", "Trouble falling or staying asleep, or sleeping too much"),
    ("14366", "44254-1", "Feeling tired or having little energy"),
    ("14367", "44251-7", "Poor appetite or overeating"),
    ("14368", "44258-2", "Feeling bad about yourself"),
    ("14369", "44252-5", "Trouble concentrating on things"),
    ("14370", "44253-3", "Moving or speaking slowly, or being fidgety or restless"),
    ("14371", "44260-8", "Thoughts that you would be better off dead or of hurting yourself"),
]
GAD7_ITEMS = [
    ("57541", "69725-0", "Feeling nervous, anxious, or on edge"),
    ("57542", "68509-9", "Not being able to stop or control worrying"),
    ("57543", "69733-4", "Worrying too much about different things"),
    ("57544", "69734-2", "Trouble relaxing"),
    ("57545", "69735-9", "Being so restless that it is hard to sit still"),
    ("57546", "69689-8", "Becoming easily annoyed or irritable"),
    ("57547", "69736-7", "Feeling afraid as if something awful might happen"),
]


def _options(answers: list[tuple[str, str]]) -> list[Json]:
    return [{"valueCoding": {"system": LOINC, "code": c, "display": d}} for c, d in answers]


def phq9_questionnaire() -> Json:
    items: list[Json] = []
    for number, (link, code, text) in enumerate(PHQ9_ITEMS, start=1):
        item: Json = {
            "linkId": link,
            "code": [{"system": LOINC, "code": code}],
            "text": text,
            "type": "choice",
            "answerOption": _options(FREQUENCY),
        }
        if number <= 2:
            item["prefix"] = f"PHQ-9.{number}"
        if number <= 8:  # as shipped: item 9 and item 10 are not required
            item["required"] = True
        items.append(item)
    items.append(
        {
            "linkId": "57492",
            "code": [{"system": LOINC, "code": "69722-7"}],
            "text": "How difficult have these problems made it to do your work or get along?",
            "type": "choice",
            "answerOption": _options(DIFFICULTY),
        }
    )
    items.append({"linkId": "14372", "text": "PHQ-9 total score", "type": "decimal"})
    return {
        "resourceType": "Questionnaire",
        "id": "44249-1",
        "url": PHQ9_URL,
        "name": "PHQ9Fixture",
        "title": "PHQ-9 (test fixture shaped like the PCO IG's)",
        "status": "draft",
        "subjectType": ["Patient"],
        "code": [{"system": LOINC, "code": "44249-1"}],
        "item": items,
    }


def gad7_questionnaire() -> Json:
    items: list[Json] = []
    for number, (link, code, text) in enumerate(GAD7_ITEMS, start=1):
        items.append(
            {
                "linkId": link,
                "code": [{"system": LOINC, "code": code}],
                "prefix": f"GAD7_0{number}",
                "text": text,
                "type": "choice",
                "answerOption": _options(GAD_ITEM2 if number == 2 else FREQUENCY),
            }
        )
    items[4]["enableBehavior"] = "any"  # as shipped: enableBehavior without enableWhen
    items.append({"linkId": "58628", "text": "GAD-7 total score", "type": "decimal"})
    return {
        "resourceType": "Questionnaire",
        "id": "69737-5",
        "url": GAD7_URL,
        "name": "GAD7Fixture",
        "title": "GAD-7 (test fixture shaped like the PCO IG's)",
        "status": "draft",
        "subjectType": ["Patient"],
        "code": [{"system": LOINC, "code": "69737-5"}],
        "item": items,
    }


def weighted_questionnaire() -> Json:
    """PHQ-9 with local answer codes whose scores only the ordinalValue extension gives."""
    q = phq9_questionnaire()
    q.update(id="phq-9-local-answers", url=WEIGHTED_URL, name="PHQ9LocalAnswers", version="2")
    q["title"] = "PHQ-9 with local answer codes scored by ordinalValue"
    for item in q["item"][:9]:
        item["answerOption"] = [
            {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                        "valueDecimal": score,
                    }
                ],
                "valueCoding": {"system": "http://example.org/answers", "code": f"f{score}"},
            }
            for score in range(4)
        ]
    return q


def visit_form() -> Json:
    """A small non-PCO form exercising every questionnaire-mode check."""
    return {
        "resourceType": "Questionnaire",
        "id": "visit-form",
        "url": FORM_URL,
        "version": "1.0",
        "name": "VisitForm",
        "status": "active",
        "item": [
            {"linkId": "intro", "type": "display", "text": "About your visit"},
            {"linkId": "mood", "type": "integer", "text": "Mood today (1-5)", "required": True},
            {
                "linkId": "smoker",
                "type": "boolean",
                "text": "Do you smoke?",
                "required": True,
            },
            {
                "linkId": "packs",
                "type": "decimal",
                "text": "Packs a day",
                "required": True,
                "enableWhen": [{"question": "smoker", "operator": "=", "answerBoolean": True}],
            },
            {
                "linkId": "activity",
                "type": "group",
                "text": "Activity",
                "item": [
                    {
                        "linkId": "activity.kind",
                        "type": "choice",
                        "text": "Kind of activity",
                        "repeats": True,
                        "answerOption": [
                            {"valueCoding": {"system": "http://example.org/activity", "code": c}}
                            for c in ("walk", "swim", "cycle")
                        ],
                    },
                    {"linkId": "activity.minutes", "type": "integer", "text": "Minutes a week"},
                ],
            },
            {"linkId": "notes", "type": "text", "text": "Anything else?"},
        ],
    }


# ----------------------------------------------------------------------------------------
# Resource builders
# ----------------------------------------------------------------------------------------
def meta(profile: str) -> Json:
    return {"profile": [profile]}


def patient(pid: str = "walker") -> Json:
    return {
        "resourceType": "Patient",
        "id": pid,
        "meta": meta("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"),
        "identifier": [{"system": "http://example.org/mrn", "value": f"mrn-{pid}"}],
        "name": [{"family": "Walker", "given": ["Ada"]}],
        "gender": "female",
    }


LEVEL_TEXT = {
    "LA34479-8": "Walks to the shop and back twice a week without resting",
    "LA34480-6": "Walks to the shop and back once a week without resting",
    "LA34481-4": "Walks to the shop once a week, resting once on the way",
    "LA34483-0": "Walks to the end of the street, resting twice",
    "LA34484-8": "Does not leave the house on foot",
}
ALL_LEVELS = ["LA34479-8", "LA34480-6", "LA34481-4", "LA34483-0", "LA34484-8"]


def gas_extension(
    level: str | None, text: str | None = None, text_url: str = "progressText"
) -> Json:
    subs: list[Json] = []
    if level is not None:
        subs.append({"url": "level", "valueCoding": {"system": LOINC, "code": level}})
    subs.append(
        {"url": text_url, "valueString": text if text is not None else LEVEL_TEXT[level or ""]}
    )
    return {"url": GAS_EXT, "extension": subs}


def category(system_id: str, code: str) -> Json:
    return {"coding": [{"system": PCO + "CodeSystem/" + system_id, "code": code}]}


def gas_goal(
    gid: str = "walk-to-shop",
    levels: list[str] | None = None,
    status: str = "in-progress",
    start: str = "2025-02-15",
    profile: str = "pco-gas-goal-profile",
) -> Json:
    goal: Json = {
        "resourceType": "Goal",
        "id": gid,
        "meta": meta(SD + profile),
        "extension": [gas_extension(c) for c in (ALL_LEVELS if levels is None else levels)],
        "lifecycleStatus": "active",
        "achievementStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": status,
                }
            ]
        },
        "category": [
            category("pco-concepts-temporary", "what-matters"),
            category("pco-goal-domains-temporary", "physical-function"),
        ],
        "description": {"text": "Walk to the corner shop without resting"},
        "subject": {"reference": "Patient/walker"},
        "startDate": start,
        "target": [{"dueDate": "2025-07-31"}],
    }
    if not goal["extension"]:
        del goal["extension"]
    return goal


def survey() -> list[Json]:
    return [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "survey",
                }
            ]
        }
    ]


def gas_score(
    oid: str, code: str, level: str, when: str, focus: str | None = "Goal/walk-to-shop"
) -> Json:
    obs: Json = {
        "resourceType": "Observation",
        "id": oid,
        "meta": meta(SD + "pco-gas-score-observation"),
        "status": "final",
        "category": survey(),
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/walker"},
        "effectiveDateTime": when,
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": level}]},
    }
    if focus is not None:
        obs["focus"] = [{"reference": focus}]
    return obs


def gas_series() -> list[Json]:
    """The STU1 example timeline: baseline -1, patient follow-up -1, practitioner 0."""
    return [
        gas_score("gas-baseline", "112296-9", "LA34483-0", "2025-02-15T15:15:00Z"),
        gas_score("gas-patient", "107334-5", "LA34483-0", "2025-03-10T10:15:00Z"),
        gas_score("gas-practitioner", "107333-7", "LA34481-4", "2025-04-17T10:15:00Z"),
    ]


def prom_goal(
    gid: str = "calmer",
    measure: str = "70274-6",
    comparator: str | None = "<",
    value: float = 10,
    status: str = "in-progress",
) -> Json:
    quantity: Json = {"value": value, "unit": "score", "system": UCUM, "code": "1"}
    if comparator is not None:
        quantity = {"comparator": comparator, **quantity}
    return {
        "resourceType": "Goal",
        "id": gid,
        "meta": meta(SD + "pco-prom-goal-profile"),
        "lifecycleStatus": "active",
        "achievementStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                    "code": status,
                }
            ]
        },
        "category": [category("pco-goal-domains-temporary", "emotional-and-mental-health")],
        "description": {"text": "Feel calm enough to take the bus to work"},
        "subject": {"reference": "Patient/walker"},
        "startDate": "2025-02-15",
        "target": [
            {
                "measure": {"coding": [{"system": LOINC, "code": measure}]},
                "detailQuantity": quantity,
                "dueDate": "2025-07-31",
            }
        ],
    }


def prom_score(
    oid: str,
    value: Any,
    when: str,
    code: str = "70274-6",
    focus: str | None = "Goal/calmer",
    derived: str | None = None,
    quantity: Json | None = None,
) -> Json:
    obs: Json = {
        "resourceType": "Observation",
        "id": oid,
        "meta": meta(SD + "pco-prom-score-observation"),
        "status": "final",
        "category": survey(),
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/walker"},
        "effectiveDateTime": when,
        "valueQuantity": quantity
        if quantity is not None
        else {"value": value, "unit": "score", "system": UCUM, "code": "1"},
    }
    if focus is not None:
        obs["focus"] = [{"reference": focus}]
    if derived is not None:
        obs["derivedFrom"] = [{"reference": derived}]
    return obs


def answer(code: str) -> list[Json]:
    return [{"valueCoding": {"system": LOINC, "code": code}}]


SCORE_CODE = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}


def gad7_response(
    rid: str, scores: list[int | None], total: float | None, status: str = "completed"
) -> Json:
    items: list[Json] = []
    for (link, _, _), score in zip(GAD7_ITEMS, scores, strict=True):
        if score is None:
            continue
        code = "LA18938-3" if link == "57542" and score == 2 else SCORE_CODE[score]
        items.append({"linkId": link, "answer": answer(code)})
    if total is not None:
        items.append({"linkId": "58628", "answer": [{"valueDecimal": total}]})
    return response(rid, GAD7_URL, items, status)


def phq9_response(
    rid: str,
    scores: list[int | None],
    total: float | None,
    item10: str | None = None,
    status: str = "completed",
    url: str = PHQ9_URL,
    codes: dict[int, str] | None = None,
) -> Json:
    items: list[Json] = []
    for (link, _, _), score in zip(PHQ9_ITEMS, scores, strict=True):
        if score is None:
            continue
        if codes is None:
            items.append({"linkId": link, "answer": answer(SCORE_CODE[score])})
        else:
            items.append(
                {
                    "linkId": link,
                    "answer": [
                        {
                            "valueCoding": {
                                "system": "http://example.org/answers",
                                "code": codes[score],
                            }
                        }
                    ],
                }
            )
    if item10 is not None:
        items.append({"linkId": "57492", "answer": answer(item10)})
    if total is not None:
        items.append({"linkId": "14372", "answer": [{"valueDecimal": total}]})
    return response(rid, url, items, status)


def response(rid: str, url: str, items: list[Json], status: str = "completed") -> Json:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "meta": meta(
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse"
        ),
        "questionnaire": url,
        "status": status,
        "subject": {"reference": "Patient/walker"},
        "authored": "2025-03-01T09:00:00Z",
        "item": items,
    }


def bundle(resources: list[Json], full_urls: list[str] | None = None) -> Json:
    entries = []
    for index, resource in enumerate(resources):
        url = (
            full_urls[index]
            if full_urls is not None
            else f"{BASE}{resource['resourceType']}/{resource['id']}"
        )
        entries.append({"fullUrl": url, "resource": resource})
    return {"resourceType": "Bundle", "id": "case", "type": "collection", "entry": entries}


# ----------------------------------------------------------------------------------------
# Expectations
# ----------------------------------------------------------------------------------------
def at(entry: int | None, path: str = "", root: str = "Bundle") -> str:
    if entry is None:
        return root + path
    return f"Bundle.entry[{entry}].resource{path}"


def f(code: str, severity: str, expression: str, message: str | None = None) -> Json:
    found: Json = {"code": code, "severity": severity, "expression": expression}
    if message is not None:
        found["message_contains"] = message
    return found


CASES: dict[str, tuple[str, dict[str, Any], list[Json], list[str]]] = {}


def case(
    name: str,
    description: str,
    files: dict[str, Any],
    expected: list[Json],
    silent: tuple[str, ...] = (),
) -> None:
    """``silent``: the codes this case is a near miss for (they must not be reported)."""
    CASES[name] = (description, files, expected, sorted(silent))


def one(resources: list[Json]) -> dict[str, Any]:
    return {"input.json": bundle(resources)}


# --- GAS ---------------------------------------------------------------------------------
IG_GAS = [patient(), gas_goal(), *gas_series()]
case(
    "gas-ig-shapes",
    "must not trigger: the STU1 GAS example timeline (5 levels, baseline -1 on 2025-02-15, "
    "patient follow-up -1 on 2025-03-10, practitioner follow-up 0 on 2025-04-17)",
    one(IG_GAS),
    [],
    silent=(
        "PCO-GAS-001",
        "PCO-GAS-002",
        "PCO-GAS-003",
        "PCO-GAS-004",
        "PCO-GAS-005",
        "PCO-GAS-008",
        "PCO-GAS-009",
        "PCO-GAS-010",
        "PCO-GOAL-002",
        "PCO-STALE-003",
        "PCO-GAS-040",
    ),
)

goal = gas_goal()
goal["extension"][3] = gas_extension("LA34480-6", "Walks to the shop and back once a week")
case(
    "gas-duplicate-level",
    "extension[3] defines +1 a second time (and so -1 is missing)",
    one([patient(), goal, gas_score("gas-baseline", "112296-9", "LA34481-4", "2025-02-15")]),
    [
        f(
            "PCO-GAS-001",
            "error",
            at(1, ".extension[3].extension[0].valueCoding"),
            "LA34480-6 (+1) is defined twice on this goal (extension[1] and extension[3])",
        ),
        f("PCO-GAS-002", "warning", at(1, ".extension[0]"), "missing: LA34483-0 (-1)"),
    ],
)

case(
    "gas-missing-levels",
    "the scale defines -1, 0 and +1 only; scores use defined levels",
    one(
        [
            patient(),
            gas_goal(levels=["LA34480-6", "LA34481-4", "LA34483-0"]),
            *gas_series(),
        ]
    ),
    [
        f(
            "PCO-GAS-002",
            "warning",
            at(1, ".extension[0]"),
            "defines 3 of the five levels; missing: LA34484-8 (-2), LA34479-8 (+2)",
        )
    ],
)

goal = gas_goal()
goal["extension"][2]["extension"][1]["valueString"] = "   "
case(
    "gas-blank-progress-text",
    "the progressText of level 0 is whitespace only",
    one([patient(), goal]),
    [
        f(
            "PCO-GAS-003",
            "warning",
            at(1, ".extension[2].extension[1].valueString"),
            "(level LA34481-4 (0)) is blank",
        )
    ],
)

series = gas_series()
series[1]["valueCodeableConcept"]["coding"][0]["code"] = "LA6568-5"
case(
    "gas-score-not-a-level",
    "the patient follow-up is scored with a PHQ answer code",
    one([patient(), gas_goal(), *series]),
    [f("PCO-GAS-004", "error", at(3, ".valueCodeableConcept"), "(LA6568-5)")],
)

goal = gas_goal()
goal["extension"][4]["extension"][0]["valueCoding"]["code"] = "LA6568-5"
case(
    "gas-goal-level-not-a-level",
    "the -2 level of the GAS scale is coded with a PHQ answer code (the IG's GAS scale is the "
    "five levels -2..+2, whatever LL6900-6 holds)",
    one([patient(), goal]),
    [
        f("PCO-GAS-002", "warning", at(1, ".extension[0]"), "missing: LA34484-8 (-2)"),
        f("PCO-GAS-040", "error", at(1, ".extension[4].extension[0].valueCoding"), "LA6568-5"),
    ],
)

series = gas_series()
series[2]["valueCodeableConcept"]["coding"][0]["code"] = "LA34479-8"
case(
    "gas-level-not-defined",
    "the practitioner follow-up is +2, a level the goal does not define",
    one([patient(), gas_goal(levels=ALL_LEVELS[1:]), *series]),
    [
        f("PCO-GAS-002", "warning", at(1, ".extension[0]"), "missing: LA34479-8 (+2)"),
        f(
            "PCO-GAS-005",
            "error",
            at(4, ".valueCodeableConcept"),
            "LA34479-8 (+2) is not defined on Goal/walk-to-shop",
        ),
    ],
)

series = gas_series()
del series[1]["focus"]
case(
    "gas-focus-missing",
    "the patient follow-up has no focus",
    one([patient(), gas_goal(), *series]),
    [f("PCO-GAS-006", "warning", at(3), "has no focus reference")],
)

series = gas_series()
series[1]["focus"] = [{"reference": "Goal/not-in-this-run"}]
series[2]["focus"] = [{"reference": "Condition/knee"}]
case(
    "gas-focus-unresolved",
    "one follow-up focuses on a goal that is not in the input, one on a Condition",
    one([patient(), gas_goal(), *series]),
    [
        f("PCO-GAS-006", "warning", at(3, ".focus[0]"), "Goal/not-in-this-run is not a Goal among"),
        f("PCO-GAS-006", "warning", at(4, ".focus[0]"), "points at a Condition"),
    ],
)

plain = gas_goal(gid="plain", levels=[], profile="pco-goal-profile")
series = gas_series()
series[1]["focus"] = [{"reference": "Goal/plain"}]
case(
    "gas-focus-not-gas",
    "the patient follow-up focuses on a person-centered goal without a GAS scale",
    one([patient(), gas_goal(), plain, *series]),
    [f("PCO-GAS-007", "warning", at(4, ".focus[0]"), "Goal/plain is not a GAS goal")],
)

series = gas_series()
series[0]["effectiveDateTime"] = "2025-03-20T09:00:00Z"
case(
    "gas-follow-up-before-baseline",
    "the baseline is taken late (2025-03-20), after the patient follow-up (2025-03-10)",
    one([patient(), gas_goal(), *series]),
    [
        f(
            "PCO-GAS-008",
            "warning",
            at(3, ".effectiveDateTime"),
            "before the baseline Observation/gas-baseline dated 2025-03-20T09:00:00Z",
        )
    ],
)

series = gas_series()
series[1]["effectiveDateTime"] = "2025-02-01"
case(
    "gas-follow-up-before-start",
    "the patient follow-up is dated two weeks before the goal starts (no window note too)",
    one([patient(), gas_goal(), *series]),
    [
        f(
            "PCO-GAS-008",
            "warning",
            at(3, ".effectiveDateTime"),
            "before the start of Goal/walk-to-shop",
        )
    ],
)

series = gas_series()
series[2]["effectiveDateTime"] = "2025-10-01T10:00:00Z"
case(
    "gas-follow-up-outside-window",
    "the practitioner follow-up is 228 days after the goal start",
    one([patient(), gas_goal(), *series]),
    [f("PCO-GAS-009", "information", at(4, ".effectiveDateTime"), "is 228 days after")],
)

series = gas_series()
series[1]["effectiveDateTime"] = "2025-03-01"
series[2]["effectiveDateTime"] = "2025-08-16T23:00:00-05:00"
case(
    "gas-window-edges",
    "must not trigger: follow-ups on day 14 and day 182 are inside the window",
    one([patient(), gas_goal(), *series]),
    [],
    silent=("PCO-GAS-008", "PCO-GAS-009"),
)

series = gas_series()
second = gas_score("gas-baseline-2", "112296-9", "LA34484-8", "2025-02-20T08:00:00Z")
case(
    "gas-two-baselines",
    "a second baseline for the same goal",
    one([patient(), gas_goal(), *series, second]),
    [
        f(
            "PCO-GAS-010",
            "warning",
            at(5, ".effectiveDateTime"),
            "already has a GAS baseline (Observation/gas-baseline dated 2025-02-15T15:15:00Z)",
        )
    ],
)

series = gas_series()
series[2]["valueCodeableConcept"]["coding"][0]["code"] = "LA34484-8"
case(
    "gas-achievement-contradiction",
    "achievementStatus achieved while the latest follow-up is -2",
    one([patient(), gas_goal(status="achieved"), *series]),
    [
        f(
            "PCO-GAS-011",
            "warning",
            at(1, ".achievementStatus"),
            "is LA34484-8 (-2) (below 0, i.e. not achieved)",
        )
    ],
)

series = gas_series()
series[2]["valueCodeableConcept"]["coding"][0]["code"] = "LA34480-6"
case(
    "gas-not-achieved-contradiction",
    "achievementStatus not-achieved while the latest follow-up is +1",
    one([patient(), gas_goal(status="not-achieved"), *series]),
    [f("PCO-GAS-011", "warning", at(1, ".achievementStatus"), "'not-achieved'")],
)

case(
    "gas-achievement-consistent",
    "must not trigger: achieved, and the latest follow-up is 0 (the earlier -1 does not count)",
    one([patient(), gas_goal(status="achieved"), *gas_series()]),
    [],
    silent=("PCO-GAS-011",),
)

container = gas_score("gas-contained", "107334-5", "LA34479-8", "2025-03-10", focus="#g")
inner = gas_goal(gid="g", levels=ALL_LEVELS[1:])
del inner["meta"]
container["contained"] = [inner]
case(
    "gas-contained-goal",
    "a follow-up whose goal is contained in it (focus #g); +2 is not on that goal",
    {"Observation-gas-contained.json": container},
    [
        f("PCO-GAS-002", "warning", "Observation.contained[0].extension[0]", "missing"),
        f(
            "PCO-GAS-005",
            "error",
            "Observation.valueCodeableConcept",
            "not defined on contained Goal/g in Observation/gas-contained",
        ),
    ],
)

goal = gas_goal(gid="by-uuid", levels=ALL_LEVELS[1:])
abs_ref = gas_score(
    "abs",
    "107334-5",
    "LA34479-8",
    "2025-03-10",
    focus="https://other.example/fhir/Goal/by-uuid/_history/3",
)
urn_ref = gas_score(
    "urn",
    "107333-7",
    "LA34479-8",
    "2025-04-10",
    focus="urn:uuid:1b6a7a6e-5b7e-4c7e-9f60-2d1e1c0f0a11",
)
case(
    "gas-reference-forms",
    "the goal (fullUrl urn:uuid) is reached by its urn:uuid; an absolute URL on another server "
    "with the same type and id is another resource (FHIR: absolute references match fullUrl)",
    {
        "input.json": bundle(
            [patient(), goal, abs_ref, urn_ref],
            [
                BASE + "Patient/walker",
                "urn:uuid:1b6a7a6e-5b7e-4c7e-9f60-2d1e1c0f0a11",
                BASE + "Observation/abs",
                BASE + "Observation/urn",
            ],
        )
    },
    [
        f("PCO-GAS-002", "warning", at(1, ".extension[0]")),
        f("PCO-GAS-006", "warning", at(2, ".focus[0]"), "is not a Goal among the inputs"),
        f("PCO-GAS-005", "error", at(3, ".valueCodeableConcept"), "Goal/by-uuid"),
    ],
)

series = gas_series()
series[2]["valueCodeableConcept"]["coding"][0]["code"] = "LA34479-8"
case(
    "gas-across-files",
    "the goal is one JSON file, its scores an NDJSON export in the same folder",
    {
        "Goal-walk-to-shop.json": gas_goal(levels=ALL_LEVELS[1:]),
        "scores.ndjson": "\n".join(json.dumps(s) for s in series) + "\n",
    },
    [
        f("PCO-GAS-002", "warning", "Goal.extension[0]"),
        {**f("PCO-GAS-005", "error", "Observation.valueCodeableConcept"), "line": 3},
    ],
)

case(
    "goal-req2-not-recognisable",
    "claims pco-gas-goal-profile with neither GAS extensions nor the 107332-9 measure",
    one([patient(), gas_goal(levels=[])]),
    [f("PCO-GOAL-001", "warning", at(1, ".meta.profile[0]"), "(REQ-2)")],
)

goal = gas_goal(levels=[])
goal["target"][0]["measure"] = {"coding": [{"system": LOINC, "code": "107332-9"}]}
case(
    "goal-req2-measure-only",
    "must not trigger: a GAS goal recognised by its 107332-9 target measure alone",
    one([patient(), goal, *gas_series()]),
    [],
    silent=("PCO-GOAL-001", "PCO-GAS-002", "PCO-GAS-005", "PCO-GAS-006", "PCO-GAS-007"),
)

bare = gas_goal(gid="bare", levels=[], profile="pco-goal-profile")
del bare["category"]
local = gas_goal(gid="local", levels=[], profile="pco-goal-profile")
local["category"] = [{"coding": [{"system": "http://example.org/goal-kind", "code": "mobility"}]}]
case(
    "goal-req3-no-category",
    "PCO goals without a pco or goal-domain category (one has none, one only a local one)",
    one([patient(), bare, local]),
    [
        f("PCO-GOAL-002", "warning", at(1), "(REQ-3)"),
        f("PCO-GOAL-002", "warning", at(2, ".category"), "(REQ-3)"),
    ],
)

# --- PROM goals and scores -----------------------------------------------------------------
IG_PROM = [
    patient(),
    prom_goal(),
    prom_score("gad7-baseline", 15, "2025-02-15T13:15:00Z"),
    prom_score("gad7-follow-up", 10, "2025-04-01T13:15:00Z"),
]
case(
    "prom-ig-shapes",
    "the STU1 PROM example (GAD-7 target < 10, baseline 15, follow-up 10): the follow-up on "
    "the strict bound is information, never an error",
    one(IG_PROM),
    [
        f(
            "PCO-PROM-012",
            "information",
            at(1, ".target[0].detailQuantity"),
            "10 (Observation/gad7-follow-up, 2025-04-01T13:15:00Z) does not meet the target < 10",
        )
    ],
    silent=(
        "PCO-PROM-005",
        "PCO-PROM-008",
        "PCO-PROM-009",
        "PCO-PROM-010",
        "PCO-PROM-013",
        "PCO-GOAL-002",
    ),
)

case(
    "prom-goal-no-comparator",
    "the GAD-7 target has a value but no comparator",
    one([patient(), prom_goal(comparator=None)]),
    [f("PCO-PROM-008", "warning", at(1, ".target[0].detailQuantity"), "no comparator")],
)

case(
    "prom-goal-target-out-of-range",
    "a GAD-7 target of < 30, and a PHQ-9 target of < 0 that no score can meet",
    one(
        [
            patient(),
            prom_goal(value=30),
            prom_goal(gid="mood", measure="44261-6", comparator="<", value=0),
        ]
    ),
    [
        f("PCO-PROM-009", "warning", at(1, ".target[0].detailQuantity.value"), "range 0-21"),
        f(
            "PCO-PROM-009",
            "warning",
            at(2, ".target[0].detailQuantity.value"),
            "no score can meet it",
        ),
    ],
)

case(
    "prom-baseline-meets-target",
    "the baseline GAD-7 score 8 already meets the target < 10",
    one([patient(), prom_goal(), prom_score("gad7-baseline", 8, "2025-02-15T13:15:00Z")]),
    [f("PCO-PROM-010", "information", at(1, ".target[0].detailQuantity"), "already meets")],
)

case(
    "prom-achievement-contradiction",
    "achieved while the latest score 12 does not meet < 10; not-achieved while 5 meets < 10",
    one(
        [
            patient(),
            prom_goal(status="achieved"),
            prom_goal(gid="calmer-2", status="not-achieved"),
            prom_score("a-base", 15, "2025-02-15T13:15:00Z"),
            prom_score("a-follow", 12, "2025-04-01T13:15:00Z"),
            prom_score("b-base", 15, "2025-02-15T13:15:00Z", focus="Goal/calmer-2"),
            prom_score("b-follow", 5, "2025-04-01T13:15:00Z", focus="Goal/calmer-2"),
        ]
    ),
    [
        f("PCO-PROM-011", "warning", at(1, ".achievementStatus"), "12"),
        f("PCO-PROM-011", "warning", at(2, ".achievementStatus"), "5"),
    ],
)

case(
    "prom-achievement-consistent",
    "must not trigger: achieved, and the latest score 9 meets < 10",
    one(
        [
            patient(),
            prom_goal(status="achieved"),
            prom_score("base", 15, "2025-02-15T13:15:00Z"),
            prom_score("follow", 9, "2025-04-01T13:15:00Z"),
        ]
    ),
    [],
    silent=("PCO-PROM-011", "PCO-PROM-012"),
)

case(
    "prom-score-other-measure",
    "a PHQ-9 total focuses on the GAD-7 goal",
    one([patient(), prom_goal(), prom_score("phq", 7, "2025-03-01T10:00:00Z", code="44261-6")]),
    [f("PCO-PROM-013", "warning", at(2, ".focus[0]"), "targets LOINC 70274-6")],
)

case(
    "prom-score-out-of-range",
    "a GAD-7 total of 25",
    one([patient(), prom_score("gad7", 25, "2025-03-01T10:00:00Z", focus=None)]),
    [f("PCO-PROM-003", "error", at(1, ".valueQuantity.value"), "outside the GAD-7 range 0-21")],
)

case(
    "prom-score-not-integer",
    "a PHQ-9 total of 10.5",
    one([patient(), prom_score("phq", 10.5, "2025-03-01T10:00:00Z", code="44261-6", focus=None)]),
    [f("PCO-PROM-004", "error", at(1, ".valueQuantity.value"), "whole numbers")],
)

case(
    "prom-score-without-ucum",
    "a GAD-7 total as a Quantity with a unit but no system",
    one(
        [
            patient(),
            prom_score(
                "gad7",
                12,
                "2025-03-01T10:00:00Z",
                focus=None,
                quantity={"value": 12, "unit": "score"},
            ),
        ]
    ),
    [f("PCO-PROM-005", "warning", at(1, ".valueQuantity"), "no UCUM system")],
)

edges = [
    prom_score("gad7-0", 0, "2025-03-01T10:00:00Z", focus=None),
    prom_score("gad7-21", 21, "2025-03-01T10:00:00Z", focus=None),
    prom_score("phq9-27", 27, "2025-03-01T10:00:00Z", code="44261-6", focus=None),
    prom_score("phq9-15", 15.0, "2025-03-01T10:00:00Z", code="44261-6", focus=None),
]
edges[1]["interpretation"] = [{"text": "Severe anxiety"}]
edges[2]["interpretation"] = [{"text": "Severe depression"}]
edges[3]["interpretation"] = [{"text": "Moderately severe depression"}]
case(
    "prom-score-edges",
    "must not trigger: totals on the range limits (0, 21, 27), 15.0 written as a decimal, and "
    "interpretations matching their bands",
    one([patient(), *edges]),
    [],
    silent=("PCO-PROM-003", "PCO-PROM-004", "PCO-PROM-005", "PCO-PROM-006"),
)

phq_goal = prom_goal(gid="brighter", measure="44261-6", comparator="<=", value=9)
case(
    "prom-phq9-chain",
    "must not trigger: a PHQ-9 response adding up to 12, the score Observation derived from it "
    "(12), focusing on a PHQ-9 goal <= 9",
    one(
        [
            patient(),
            phq_goal,
            phq9_response("phq9", [2, 2, 2, 2, 1, 1, 1, 1, 0], 12, item10="LA6573-5"),
            prom_score(
                "phq9-score",
                12,
                "2025-02-15T10:00:00Z",
                code="44261-6",
                focus="Goal/brighter",
                derived="QuestionnaireResponse/phq9",
            ),
        ]
    ),
    [],
    silent=("PCO-PROM-001", "PCO-PROM-007", "PCO-PROM-010", "PCO-PROM-012", "PCO-PROM-013"),
)

wrong = prom_score("wrong-band", 12, "2025-03-01T10:00:00Z", focus=None)
wrong["interpretation"] = [{"text": "Severe anxiety"}]
right = prom_score("right-band", 12, "2025-03-01T10:00:00Z", focus=None)
right["interpretation"] = [
    {
        "coding": [
            {"system": "http://example.org/bands", "code": "mod", "display": "Moderate anxiety"}
        ]
    }
]
case(
    "prom-interpretation-mismatch",
    "GAD-7 12 interpreted as severe (and a second one, rightly, as moderate)",
    one([patient(), wrong, right]),
    [f("PCO-PROM-006", "warning", at(1, ".interpretation[0]"), "'moderate' band (10-14")],
)

GAD7_14 = [2, 2, 2, 2, 2, 2, 2]
case(
    "prom-derived-mismatch",
    "a GAD-7 score of 15 derived from a response whose answers add up to 14 (a second "
    "score of 14 from the same response is fine)",
    one(
        [
            patient(),
            gad7_response("gad7-answers", GAD7_14, 14),
            prom_score(
                "gad7-15",
                15,
                "2025-03-01T10:00:00Z",
                focus=None,
                derived="QuestionnaireResponse/gad7-answers",
            ),
            prom_score(
                "gad7-14",
                14,
                "2025-03-01T10:00:00Z",
                focus=None,
                derived="QuestionnaireResponse/gad7-answers",
            ),
        ]
    ),
    [f("PCO-PROM-007", "error", at(2, ".valueQuantity.value"), "differs from the total 14")],
)

case(
    "prom-qr-total-mismatch",
    "a GAD-7 response whose answers add up to 14 states a total of 15",
    one([patient(), gad7_response("gad7-answers", GAD7_14, 15)]),
    [f("PCO-PROM-001", "error", at(1, ".item[7].answer[0].valueDecimal"), "add up to 14")],
)

case(
    "prom-qr-phq9-item-10",
    "must not trigger: PHQ-9 item 10 is answered and not counted in the total 9",
    one([patient(), phq9_response("phq9", [1] * 9, 9, item10="LA6574-3")]),
    [],
    silent=("PCO-PROM-001", "PCO-PROM-002", "PCO-QR-004", "PCO-QR-007"),
)

case(
    "prom-qr-total-unverifiable",
    "a completed PHQ-9 response without item 9 (not required) but with a total",
    one([patient(), phq9_response("phq9", [1] * 8 + [None], 8)]),
    [
        f(
            "PCO-PROM-002",
            "warning",
            at(1, ".item[8].answer[0].valueDecimal"),
            "item 9 (44260-8)",
        )
    ],
)

case(
    "prom-qr-total-out-of-range",
    "a PHQ-9 total of 30",
    one([patient(), phq9_response("phq9", [3] * 9, 30)]),
    [
        f(
            "PCO-PROM-003",
            "error",
            at(1, ".item[9].answer[0].valueDecimal"),
            "outside the PHQ-9 range 0-27 (the item scores add up to 27)",
        )
    ],
)

LOCAL = {0: "f0", 1: "f1", 2: "f2", 3: "f3"}
case(
    "prom-qr-ordinal-weights",
    "local answer codes scored by the Questionnaire's ordinalValue: one total right (12), "
    "one wrong (13)",
    one(
        [
            patient(),
            phq9_response(
                "right", [0, 1, 2, 3, 0, 1, 2, 3, 0], 12, url=WEIGHTED_URL + "|2", codes=LOCAL
            ),
            phq9_response("wrong", [0, 1, 2, 3, 0, 1, 2, 3, 0], 13, url=WEIGHTED_URL, codes=LOCAL),
        ]
    ),
    [f("PCO-PROM-001", "error", at(2, ".item[9].answer[0].valueDecimal"), "add up to 12")],
)


def component(code: str, value: Json) -> Json:
    return {"code": {"coding": [{"system": LOINC, "code": code}]}, **value}


panel = {
    "resourceType": "Observation",
    "id": "phq9-panel",
    "status": "final",
    "category": survey(),
    "code": {"coding": [{"system": LOINC, "code": "44249-1"}]},
    "subject": {"reference": "Patient/walker"},
    "effectiveDateTime": "2025-03-01T10:00:00Z",
    "component": [
        *[
            component(
                code,
                {"valueCodeableConcept": {"coding": [{"system": LOINC, "code": SCORE_CODE[1]}]}},
            )
            for _, code, _ in PHQ9_ITEMS
        ],
        component(
            "44261-6",
            {"valueQuantity": {"value": 10, "unit": "score", "system": UCUM, "code": "1"}},
        ),
    ],
}
case(
    "prom-panel-components-mismatch",
    "a PHQ-9 panel whose nine item components add up to 9 carries a total component of 10",
    one([patient(), panel]),
    [f("PCO-PROM-001", "error", at(1, ".component[9].valueQuantity"), "add up to 9")],
)


def member(oid: str, code: str, value: Json) -> Json:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": survey(),
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/walker"},
        "effectiveDateTime": "2025-03-01T10:00:00Z",
        **value,
    }


def gad_panel_export(total: int) -> str:
    members = [
        member(
            f"gad7-item-{n}",
            code,
            {
                "valueCodeableConcept": {
                    "coding": [{"system": LOINC, "code": "LA18938-3" if n == 2 else SCORE_CODE[2]}]
                }
            },
        )
        for n, (_, code, _) in enumerate(GAD7_ITEMS, start=1)
    ]
    members.append(
        member(
            "gad7-total",
            "70274-6",
            {"valueQuantity": {"value": total, "unit": "score", "system": UCUM, "code": "1"}},
        )
    )
    gpanel = member("gad7-panel", "69737-5", {})
    gpanel["hasMember"] = [{"reference": f"Observation/{m['id']}"} for m in members]
    return "\n".join(json.dumps(r) for r in [gpanel, *members]) + "\n"


case(
    "prom-panel-members-mismatch",
    "an NDJSON export: a GAD-7 panel, its seven item members (2 each) and a total member of 12",
    {"export.ndjson": gad_panel_export(12)},
    [
        {
            **f("PCO-PROM-001", "error", "Observation.hasMember[7]", "add up to 14"),
            "line": 1,
        }
    ],
)
case(
    "prom-panel-members-add-up",
    "must not trigger: the same export with a total member of 14",
    {"export.ndjson": gad_panel_export(14)},
    [],
    silent=("PCO-PROM-001", "PCO-PROM-002"),
)


def us_core_phq9_response(rid: str, scores: list[int], total: float) -> Json:
    """A PHQ-9 response shaped like US Core's: linkIds are the LOINC codes (``/44250-9``),
    the total is ``/44261-6``, and its Questionnaire is not loaded."""
    items: list[Json] = [
        {"linkId": f"/{code}", "answer": answer(SCORE_CODE[score])}
        for (_, code, _), score in zip(PHQ9_ITEMS, scores, strict=True)
    ]
    items.append({"linkId": "/44261-6", "answer": [{"valueInteger": total}]})
    return response(rid, "http://example.org/fhir/Questionnaire/us-core-style-phq-9", items)


case(
    "prom-loinc-linkids-total-wrong",
    "a US Core-style PHQ-9 response (LOINC linkIds, Questionnaire not loaded) whose total "
    "item says 12 while the items add up to 10",
    one([patient(), us_core_phq9_response("phq9-us-core", [2, 2, 1, 1, 1, 1, 1, 1, 0], 12)]),
    [
        f("PCO-QR-001", "information", at(1, ".questionnaire"), "not loaded"),
        f("PCO-PROM-040", "information", at(1, ".questionnaire"), "LOINC codes of its linkIds"),
        f("PCO-PROM-001", "error", at(1, ".item[9].answer[0].valueInteger"), "add up to 10"),
    ],
)
case(
    "prom-loinc-linkids-total-right",
    "must not trigger: the same US Core-style response with a total item of 10",
    one([patient(), us_core_phq9_response("phq9-us-core", [2, 2, 1, 1, 1, 1, 1, 1, 0], 10)]),
    [
        f("PCO-QR-001", "information", at(1, ".questionnaire"), "not loaded"),
        f("PCO-PROM-040", "information", at(1, ".questionnaire"), "LOINC codes of its linkIds"),
    ],
    silent=("PCO-PROM-001", "PCO-PROM-002"),
)
case(
    "prom-local-linkids-no-inference",
    "must not trigger: a response to an unloaded Questionnaire whose linkIds are not LOINC codes",
    one(
        [
            patient(),
            response(
                "local",
                "http://example.org/fhir/Questionnaire/local",
                [{"linkId": "q1", "answer": answer("LA6568-5")}],
            ),
        ]
    ),
    [f("PCO-QR-001", "information", at(1, ".questionnaire"), "not loaded")],
    silent=("PCO-PROM-040", "PCO-PROM-001"),
)

# --- QuestionnaireResponse against its Questionnaire --------------------------------------


def form_response(rid: str, items: list[Json], status: str = "completed") -> Json:
    return response(rid, FORM_URL + "|1.0", items, status)


GOOD_FORM = [
    {"linkId": "mood", "answer": [{"valueInteger": 4}]},
    {"linkId": "smoker", "answer": [{"valueBoolean": True}]},
    {"linkId": "packs", "answer": [{"valueDecimal": 0.5}]},
    {
        "linkId": "activity",
        "item": [
            {
                "linkId": "activity.kind",
                "answer": [
                    {"valueCoding": {"system": "http://example.org/activity", "code": "walk"}},
                    {"valueCoding": {"system": "http://example.org/activity", "code": "swim"}},
                ],
            },
            {"linkId": "activity.minutes", "answer": [{"valueInteger": 120}]},
        ],
    },
]


def form_with(changes: dict[int, Json | None], extra: list[Json] | None = None) -> list[Json]:
    items = copy.deepcopy(GOOD_FORM)
    for index, item in sorted(changes.items(), reverse=True):
        if item is None:
            del items[index]
        else:
            items[index] = item
    return items + (extra or [])


case(
    "qr-valid-form",
    "must not trigger: a complete response to the visit form (repeating choice, nested group)",
    one([patient(), form_response("visit", GOOD_FORM)]),
    [],
    silent=(
        "PCO-QR-001",
        "PCO-QR-002",
        "PCO-QR-003",
        "PCO-QR-004",
        "PCO-QR-005",
        "PCO-QR-006",
        "PCO-QR-007",
        "PCO-QR-008",
    ),
)
case(
    "qr-questionnaire-unknown",
    "a response to a Questionnaire that is not loaded",
    one([patient(), response("other", "http://example.org/fhir/Questionnaire/unknown", [])]),
    [f("PCO-QR-001", "information", at(1, ".questionnaire"), "is not loaded")],
)
case(
    "qr-unknown-link-id",
    "an item 'mood-today' the form does not have, and 'activity.minutes' at the top level",
    one(
        [
            patient(),
            form_response(
                "visit",
                form_with(
                    {},
                    [
                        {"linkId": "mood-today", "answer": [{"valueInteger": 3}]},
                        {"linkId": "activity.minutes", "answer": [{"valueInteger": 3}]},
                    ],
                ),
            ),
        ]
    ),
    [
        f("PCO-QR-002", "error", at(1, ".item[4].linkId"), "'mood-today'"),
        f("PCO-QR-002", "error", at(1, ".item[5].linkId"), "defined at another level"),
    ],
)
case(
    "qr-wrong-answer-type",
    "mood answered as a string, and a GAD-7 item answered with text",
    one(
        [
            patient(),
            form_response(
                "visit", form_with({0: {"linkId": "mood", "answer": [{"valueString": "good"}]}})
            ),
            response(
                "gad7",
                GAD7_URL,
                [{"linkId": "57541", "answer": [{"valueString": "Several days"}]}],
                "in-progress",
            ),
        ]
    ),
    [
        f("PCO-QR-003", "error", at(1, ".item[0].answer[0].valueString"), "expected valueInteger"),
        f("PCO-QR-003", "error", at(2, ".item[0].answer[0].valueString"), "expected valueCoding"),
    ],
)
gad = gad7_response("gad7", GAD7_14, 14)
gad["item"][1]["answer"] = answer("LA6570-1")
case(
    "qr-answer-not-an-option",
    "GAD-7 item 2 answered LA6570-1; its options use LA18938-3 (the score still adds up)",
    one([patient(), gad]),
    [f("PCO-QR-004", "error", at(1, ".item[1].answer[0].valueCoding"), "LA18938-3")],
)
case(
    "qr-repeats",
    "two answers to 'mood', and the 'notes' item twice",
    one(
        [
            patient(),
            form_response(
                "visit",
                form_with(
                    {0: {"linkId": "mood", "answer": [{"valueInteger": 4}, {"valueInteger": 2}]}},
                    [
                        {"linkId": "notes", "answer": [{"valueString": "first"}]},
                        {"linkId": "notes", "answer": [{"valueString": "second"}]},
                    ],
                ),
            ),
        ]
    ),
    [
        f("PCO-QR-005", "error", at(1, ".item[0].answer[1]"), "has 2 answers"),
        f("PCO-QR-005", "error", at(1, ".item[5]"), "appears 2 times"),
    ],
)
case(
    "qr-nesting",
    "the 'activity' group has an answer, and 'mood' has nested items",
    one(
        [
            patient(),
            form_response(
                "visit",
                form_with(
                    {
                        0: {
                            "linkId": "mood",
                            "answer": [{"valueInteger": 4}],
                            "item": [{"linkId": "why", "answer": [{"valueString": "sun"}]}],
                        },
                        3: {**GOOD_FORM[3], "answer": [{"valueString": "walking"}]},
                    }
                ),
            ),
        ]
    ),
    [
        f("PCO-QR-006", "error", at(1, ".item[0].item"), "'mood' has nested items"),
        f("PCO-QR-006", "error", at(1, ".item[3].answer"), "group item 'activity' has answers"),
    ],
)
phq = phq9_response("phq9", [1, 1, None, 1, 1, 1, 1, 1, 1], None)
case(
    "qr-required-missing",
    "a completed PHQ-9 response without item 3 (an in-progress copy is fine)",
    one(
        [
            patient(),
            phq,
            {
                **phq9_response(
                    "phq9-draft", [1, 1, None, 1, 1, 1, 1, 1, 1], None, status="in-progress"
                )
            },
        ]
    ),
    [f("PCO-QR-007", "error", at(1, ".item"), "required item '14365'")],
)
case(
    "qr-enable-when",
    "'packs' answered although 'smoker' is false (and, required, it may then be left out)",
    one(
        [
            patient(),
            form_response(
                "visit", form_with({1: {"linkId": "smoker", "answer": [{"valueBoolean": False}]}})
            ),
            form_response(
                "visit-2",
                form_with({1: {"linkId": "smoker", "answer": [{"valueBoolean": False}]}, 2: None}),
            ),
        ]
    ),
    [f("PCO-QR-008", "error", at(1, ".item[2].answer"), "smoker = True")],
)

# --- pre-STU1 content ------------------------------------------------------------------------
old_goal = gas_goal()
old_goal["meta"]["profile"] = [
    SD + "pco-goal",
    "http://mtnlotus.com/uv/pco/StructureDefinition/pco-gas-goal-profile",
]
case(
    "stale-profile",
    "profiles of earlier drafts: pco-goal and the mtnlotus.com base",
    one([patient(), old_goal]),
    [
        f("PCO-STALE-001", "warning", at(1, ".meta.profile[0]"), "pco-goal-profile instead"),
        f(
            "PCO-STALE-001",
            "warning",
            at(1, ".meta.profile[1]"),
            f"{SD}pco-gas-goal-profile instead",
        ),
    ],
)
old_goal = gas_goal()
old_goal["category"] = [
    category("pco-goal-domains", "physical-function"),
    category("pco-concepts", "well-being"),
]
case(
    "stale-code-system",
    "goal categories from the renamed code systems",
    one([patient(), old_goal]),
    [
        f(
            "PCO-STALE-002",
            "warning",
            at(1, ".category[0].coding[0].system"),
            "pco-goal-domains-temporary#physical-function",
        ),
        f(
            "PCO-STALE-002",
            "warning",
            at(1, ".category[1].coding[0].system"),
            "pco-concepts-temporary#wellbeing",
        ),
        f("PCO-GOAL-002", "warning", at(1, ".category"), "(REQ-3)"),
    ],
)
old_goal = gas_goal()
old_goal["extension"][1]["extension"][0]["valueCoding"]["code"] = "LA6112-2"
series = gas_series()
series[0]["code"]["coding"][0]["code"] = "107332-9"
series[1]["code"]["coding"][0]["code"] = "68491"
barrier = {
    "resourceType": "Observation",
    "id": "barrier",
    "status": "final",
    "category": survey(),
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "452341000124107"}]},
    "subject": {"reference": "Patient/walker"},
    "valueString": "Stairs at the front door",
}
case(
    "stale-codes",
    "107332-9 and 68491 as score codes, LA6112-2 as a GAS level, the old barrier code",
    one([patient(), old_goal, *series, barrier]),
    [
        f(
            "PCO-STALE-003",
            "warning",
            at(1, ".extension[1].extension[0].valueCoding.code"),
            "LA34480-6 (+1)",
        ),
        f("PCO-STALE-003", "warning", at(2, ".code.coding[0].code"), "112296-9"),
        f("PCO-STALE-003", "warning", at(3, ".code.coding[0].code"), "107334-5"),
        f("PCO-STALE-003", "warning", at(5, ".code.coding[0].code"), "811791000000103"),
        f("PCO-GAS-040", "error", at(1, ".extension[1].extension[0].valueCoding"), "pre-STU1"),
    ],
)
old_goal = gas_goal()
old_goal["extension"][0] = gas_extension("LA34479-8", text_url="text")
old_goal["extension"][0]["url"] = (
    "http://mtnlotus.com/uv/pco/StructureDefinition/pco-goal-attainment-scaling"
)
case(
    "stale-gas-extension",
    "the first GAS level uses the old extension URL and the 'text' sub-extension",
    one([patient(), old_goal]),
    [
        f("PCO-STALE-004", "warning", at(1, ".extension[0].url"), GAS_EXT),
        f("PCO-STALE-004", "warning", at(1, ".extension[0].extension[1].url"), "progressText"),
    ],
)
old_score = prom_score("gad7", 12, "2025-03-01T10:00:00Z", focus=None)
del old_score["valueQuantity"]
old_score["valueInteger"] = 12
readiness = {
    "resourceType": "Observation",
    "id": "importance",
    "status": "final",
    "category": survey(),
    "code": {
        "coding": [
            {
                "system": PCO + "CodeSystem/readiness-assessment-concepts-temporary",
                "code": "importance",
            }
        ]
    },
    "subject": {"reference": "Patient/walker"},
    "valueQuantity": {"value": 8},
}
case(
    "stale-value-types",
    "a PROM score as valueInteger and a readiness rating as valueQuantity",
    one([patient(), old_score, readiness]),
    [
        f("PCO-STALE-005", "warning", at(1, ".valueInteger"), "valueQuantity"),
        f("PCO-STALE-005", "warning", at(2, ".valueQuantity"), "LL2335-9"),
    ],
)
current = gas_goal(levels=[])
current["target"][0]["measure"] = {"coding": [{"system": LOINC, "code": "107332-9"}]}
ready = copy.deepcopy(readiness)
del ready["valueQuantity"]
ready["valueCodeableConcept"] = {"coding": [{"system": LOINC, "code": "LA6111-4"}]}
case(
    "stale-look-alikes",
    "must not trigger: 107332-9 as a GAS goal's measure, LA6111-4 as a readiness rating",
    one([patient(), current, ready]),
    [],
    silent=("PCO-STALE-001", "PCO-STALE-002", "PCO-STALE-003", "PCO-STALE-004", "PCO-STALE-005"),
)


# ----------------------------------------------------------------------------------------
def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    QUESTIONNAIRES.mkdir(parents=True, exist_ok=True)
    for name, build in (
        ("Questionnaire-phq-9.json", phq9_questionnaire),
        ("Questionnaire-gad-7.json", gad7_questionnaire),
        ("Questionnaire-phq-9-local-answers.json", weighted_questionnaire),
        ("Questionnaire-visit-form.json", visit_form),
    ):
        write_json(QUESTIONNAIRES / name, build())
    for old in ROOT.iterdir():
        if old.is_dir() and old.name not in KEEP and old.name not in CASES:
            shutil.rmtree(old)
    for name, (description, files, expected, silent) in CASES.items():
        folder = ROOT / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        for file_name, content in files.items():
            if isinstance(content, str):
                (folder / file_name).write_text(content, encoding="utf-8")
            else:
                write_json(folder / file_name, content)
        write_json(
            folder / "expected.json",
            {"description": description, "findings": expected, "must_not_trigger": silent},
        )


if __name__ == "__main__":
    main()
