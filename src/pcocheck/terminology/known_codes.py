"""Terminology facts pcocheck carries without any definition file.

Only facts live here (codes, displays, scores, mappings), taken from the PCO IG STU1 and
the instruments it uses (reference: pco-ig-facts.md §6, §7, §11). Logic that uses them
is in :mod:`pcocheck.terminology.service`. Other parts of pcocheck (PCO rules, the stale
content rule) read these tables directly.
"""

from __future__ import annotations

from typing import Any, Final

LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
UCUM: Final = "http://unitsofmeasure.org"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
BCP47: Final = "urn:ietf:bcp:47"
BCP13: Final = "urn:ietf:bcp:13"
ISO3166: Final = "urn:iso:std:iso:3166"
ISO3166_2: Final = "urn:iso:std:iso:3166:-2"

PCO_CS: Final = "http://hl7.org/fhir/us/pco/CodeSystem/"
PCO_VS: Final = "http://hl7.org/fhir/us/pco/ValueSet/"
OLD_PCO_CS: Final = "http://mtnlotus.com/uv/pco/CodeSystem/"

GAS_ANSWERS_VS: Final = "http://loinc.org/vs/LL6900-6"
RATING_0_10_VS: Final = "http://loinc.org/vs/LL2335-9"
GAS_SCORE_VS: Final = PCO_VS + "goal-attainment-scaling-score"
PROM_TARGET_VS: Final = PCO_VS + "prom-target-measures"

# --------------------------------------------------------------------------- systems

# Code systems too large (or grammar-based) to ship; pcocheck checks their syntax only.
LARGE_SYSTEMS: Final = frozenset(
    {
        LOINC,
        SNOMED,
        UCUM,
        RXNORM,
        BCP47,
        ISO3166,
        ISO3166_2,
        BCP13,
        "urn:iso:std:iso:4217",  # currencies
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-9-cm",
        "http://hl7.org/fhir/sid/ndc",
        "http://hl7.org/fhir/sid/cvx",
        "http://www.ama-assn.org/go/cpt",
        "http://nucc.org/provider-taxonomy",
        "http://www.nlm.nih.gov/research/umls",
        "urn:oid:2.16.840.1.113883.6.238",  # CDC Race & Ethnicity
        "http://www.cms.gov/Medicare/Coding/ICD10",
        "https://www.usps.com/",
    }
)

# Systems defined by a grammar: a syntactically valid code is a member of "all codes".
GRAMMAR_SYSTEMS: Final = frozenset({UCUM, BCP47, BCP13})

# Case sensitivity of systems pcocheck knows without a CodeSystem resource.
CASE_SENSITIVE: Final = {
    LOINC: False,
    SNOMED: True,
    UCUM: True,
    RXNORM: True,
    BCP47: False,
    BCP13: False,
    ISO3166: False,
    ISO3166_2: False,
}

SYSTEM_NAMES: Final = {
    LOINC: "LOINC",
    SNOMED: "SNOMED CT",
    UCUM: "UCUM",
    RXNORM: "RxNorm",
    BCP47: "BCP-47 language",
    BCP13: "BCP-13 media type",
    ISO3166: "ISO 3166 country",
    ISO3166_2: "ISO 3166-2 subdivision",
}

# Wrong spellings of well-known system URIs → the URI FHIR requires.
SYSTEM_ALIASES: Final = {
    "loinc.org": LOINC,
    "http://loinc.org/": LOINC,
    "https://loinc.org": LOINC,
    "https://loinc.org/": LOINC,
    "http://www.loinc.org": LOINC,
    "https://www.loinc.org": LOINC,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "LOINC": LOINC,
    "http://snomed.info/sct/": SNOMED,
    "https://snomed.info/sct": SNOMED,
    "http://snomed.info": SNOMED,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "SNOMED": SNOMED,
    "SNOMED CT": SNOMED,
    "SNOMEDCT": SNOMED,
    "http://unitsofmeasure.org/": UCUM,
    "https://unitsofmeasure.org": UCUM,
    "http://unitsofmeasure.org/ucum": UCUM,
    "urn:oid:2.16.840.1.113883.6.8": UCUM,
    "UCUM": UCUM,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "http://www.nlm.nih.gov/research/umls/rxnorm/": RXNORM,
}

# --------------------------------------------------------------------------- LOINC

# LOINC codes whose display pcocheck can check: every accepted spelling, LOINC's name
# first, then the displays the IG itself uses.
LOINC_DISPLAYS: Final[dict[str, tuple[str, ...]]] = {
    # PROM total scores (facts §6.1, §7.1): LOINC name and the IG-authored display.
    "70274-6": (
        "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
        "Generalized anxiety disorder 7 item (GAD-7) total score",
    ),
    "44261-6": (
        "Patient health questionnaire 9 item (PHQ-9) total score [Reported]",
        "Patient health questionnaire 9 item (PHQ-9) total score",
    ),
    # GAS (facts §6.2.2)
    "112296-9": ("Goal attainment scale GAS baseline",),
    "107332-9": (
        "Goal attainment scale - Reported",
        "Goal attainment scale GAS follow-up assessment - Reported",
        "Goal attainment scale",
    ),
    "107333-7": ("Practitioner follow-up goal attainment scaling score",),
    "107334-5": ("Patient follow-up goal attainment scaling score",),
    "107331-1": ("Caregiver follow-up goal attainment scaling score",),
    # Questionnaires and the priorities list (facts §6.2.4, §7)
    "81340-2": ("Goals AndOr preferences in order of priority",),
    "44249-1": ("PHQ-9 quick depression assessment panel [Reported.PHQ]",),
    "69737-5": ("Generalized anxiety disorder 7 item (GAD-7)",),
    # GAS answers, LL6900-6 (facts §6.2.1)
    "LA34479-8": ("Much better than expected",),
    "LA34480-6": ("Better than expected",),
    "LA34481-4": ("Expected outcome",),
    "LA34483-0": ("Less than expected",),
    "LA34484-8": ("Much less than expected",),
    # PHQ-9 / GAD-7 answers (facts §7.1)
    "LA6568-5": ("Not at all",),
    "LA6569-3": ("Several days",),
    "LA6570-1": ("More than half the days",),
    "LA18938-3": ("More days than not",),
    "LA6571-9": ("Nearly every day",),
    "LA6572-7": ("Not difficult at all",),
    "LA6573-5": ("Somewhat difficult",),
    "LA6575-0": ("Very difficult",),
    "LA6574-3": ("Extremely difficult",),
    # 0-10 numeric answers (facts §6.2.3)
    "LA6111-4": ("0",),
    "LA6112-2": ("1",),
    "LA6113-0": ("2", "2 or more"),
    "LA6114-8": ("3",),
    "LA6115-5": ("4",),
    "LA10137-0": ("5",),
    "LA10138-8": ("6",),
    "LA10139-6": ("7",),
    "LA10140-4": ("8",),
    "LA10141-2": ("9",),
    "LA13942-0": ("10",),
}

# prom-target-measures: displays authored by the IG, not LOINC's names (facts §6.1). They
# are accepted but never used to report a mismatch: LOINC's own name is not known here.
IG_AUTHORED_LOINC_DISPLAYS: Final[dict[str, str]] = {
    "77854-8": (
        "PROMIS Ability to Participate in Social Roles and Activities - Short Form v2.0 - 8a"
    ),
    "77848-0": "PROMIS Alcohol Use - Short Form v1.0 - 7a",
    "89921-1": "PROMIS Anger - Short Form v1.1 -  (5a)",
    "77862-1": "PROMIS Anxiety Short Form 7a",
    "81531-6": "PROMIS Cognitive Function - Short Form v2.0 - 8a",
    "71965-8": "PROMIS Depression",
    "92149-4": "PROMIS Dyspnea Severity - Short Form v1.0 - 10a",
    "77864-7": "PROMIS Fatigue - Short Form v1.0 - 7a",
    "77851-4": "PROMIS Informational Support - Short Form v2.0 - 8a",
    "77850-6": "PROMIS Instrumental Support- Short Form v2.0 - 8a",
    "91614-8": "PROMIS Mobility Item Bank v2.1",
    "77856-3": "PROMIS Pain behavior – v1.0 - 7a",
    "77865-4": "PROMIS - Pain Interference - Short Form v1.0 - 6a",
    "91721-1": "PROMIS Physical Function - Short Form v2.0 - 10a",
    "77855-5": "PROMIS Satisfaction with Participation in Social Roles - Short Form v1.0 - 8a",
    "92391-2": "PROMIS Self-Efficacy for Managing Daily Activities - Short Form v1.0 - 8a",
    "92329-2": "PROMIS Self-Efficacy for Managing Emotions - Short Form v1.0 - 8a",
    "92418-3": (
        "PROMIS Self-Efficacy for Managing Medications and Treatments - Short Form v1.0 - 8a"
    ),
    "92448-0": "PROMIS Self-Efficacy for Managing Symptoms - Short Form v1.0 - 8a",
    "77859-7": "PROMIS Sleep-Related Impairment - Short Form v1.0 - 8a",
    "92266-6": (
        "PROMIS Smoking: Negative Health Expectancies for All Smokers – Short Form v1.0 - 6a"
    ),
    "92305-2": "PROMIS Smoking: Nicotine Dependence for All Smokers – Short Form v1.0 - 8a",
    "77849-8": "PROMIS Social Isolation - Short Form v2.0 - 8a",
    "92213-8": "PROMIS_ Smoking: Coping Expectancies for All Smokers – Short Form v1.0 - 4a",
    "89676-1": "PROMIS cancer fatigue - version 1.0 T-score",
    "71969-0": "PROMIS-10 Global Health, GMH, T score",
    "71971-6": "PROMIS-10 Global Health, GPH, T score",
    "71955-9": "PROMIS-29 Sleep Disturbance, T score",
    "71957-5": "PROMIS-29 Satisfaction with Participation in Social Roles, T score",
    "71959-1": "PROMIS-29 Physical Function, T score",
    "71961-7": "PROMIS-29 Pain Interference, T score",
    "71963-3": "PROMIS-29 Fatigue, T score",
}

# PHQ-9 and GAD-7 items: (linkId, LOINC item code); the total-score items carry no code
# in the Questionnaires and are mapped by linkId (facts §7.1).
PHQ9_QUESTIONNAIRE: Final = "http://hl7.org/fhir/us/pco/Questionnaire/44249-1"
GAD7_QUESTIONNAIRE: Final = "http://hl7.org/fhir/us/pco/Questionnaire/69737-5"
PHQ9_ITEMS: Final = (
    ("14363", "44250-9"),
    ("14364", "44255-8"),
    ("14365", "44259-0"),
    ("14366", "44254-1"),
    ("14367", "44251-7"),
    ("14368", "44258-2"),
    ("14369", "44252-5"),
    ("14370", "44253-3"),
    ("14371", "44260-8"),
)
PHQ9_DIFFICULTY_ITEM: Final = ("57492", "69722-7")  # item 10, not part of the total
GAD7_ITEMS: Final = (
    ("57541", "69725-0"),
    ("57542", "68509-9"),
    ("57543", "69733-4"),
    ("57544", "69734-2"),
    ("57545", "69735-9"),
    ("57546", "69689-8"),
    ("57547", "69736-7"),
)
TOTAL_SCORE_ITEMS: Final = {"14372": "44261-6", "58628": "70274-6"}  # linkId → LOINC
SCORE_RANGES: Final = {"44261-6": (0, 27), "70274-6": (0, 21)}

# Standard score of each PHQ/GAD frequency answer; LA18938-3 is scored by position.
ANSWER_SCORES: Final = {
    "LA6568-5": 0,
    "LA6569-3": 1,
    "LA6570-1": 2,
    "LA18938-3": 2,
    "LA6571-9": 3,
}
UNSCORED_ANSWERS: Final = frozenset({"LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"})

# GAS answers (LL6900-6) and their level on the -2..+2 scale; level >= 0 is achieved.
GAS_LEVELS: Final = {
    "LA34479-8": 2,
    "LA34480-6": 1,
    "LA34481-4": 0,
    "LA34483-0": -1,
    "LA34484-8": -2,
}

# 0-10 numeric answers known to belong to LL2335-9 (membership beyond them unconfirmed).
RATING_0_10: Final = (
    "LA6111-4",
    "LA6112-2",
    "LA6113-0",
    "LA6114-8",
    "LA6115-5",
    "LA10137-0",
    "LA10138-8",
    "LA10139-6",
    "LA10140-4",
    "LA10141-2",
    "LA13942-0",
)

# LOINC codes known to exist whose display pcocheck does not know.
LOINC_CODES_WITHOUT_DISPLAY: Final = frozenset(
    {code for _, code in PHQ9_ITEMS}
    | {code for _, code in GAD7_ITEMS}
    | {PHQ9_DIFFICULTY_ITEM[1], "LA14495-8"}
)

KNOWN_LOINC: Final = (
    frozenset(LOINC_DISPLAYS) | frozenset(IG_AUTHORED_LOINC_DISPLAYS) | LOINC_CODES_WITHOUT_DISPLAY
)

# --------------------------------------------------------------------------- SNOMED CT

# SNOMED CT concepts the IG uses, with the display the IG gives. SNOMED CT has several
# acceptable terms per concept, so these are accepted but never reported as mismatches.
KNOWN_SNOMED: Final[dict[str, str]] = {
    "247751003": "Sense of purpose",
    "363702006": "Has focus",
    "811791000000103": "Identifying barriers to goal achievement",
    "22253000": "Pain",
    "48694002": "Feeling anxious",
    "224960004": "Feeling tired",
    "15188001": "Difficulty hearing",
    "165232002": "Urinary incontinence",
    "1259023009": "Mindfulness Based Stress Reduction program",
    "452341000124107": "Assessment of barriers to meet care plan goals performed",
}

# --------------------------------------------------------------------------- UCUM

# Units seen in PCO content; informative only (any plausible UCUM expression is accepted).
COMMON_UCUM: Final = frozenset(
    {
        "1",
        "{score}",
        "/min",
        "kg",
        "g",
        "cm",
        "m",
        "mm[Hg]",
        "%",
        "a",
        "mo",
        "wk",
        "d",
        "h",
        "min",
        "s",
        "kg/m2",
        "[lb_av]",
        "[in_i]",
        "Cel",
        "[degF]",
        "mL",
        "L",
        "mg",
        "{#}",
    }
)

# --------------------------------------------------------------------------- value sets

# Value sets whose full membership is not confirmed: a code outside the known members
# may still belong, so it is never an error (facts §6.2.1, §6.2.3, §13 item 5). The value
# is why; answer lists only ever hold LOINC answer codes (LA), so anything else is out.
UNCONFIRMED_VALUE_SETS: Final = {
    GAS_ANSWERS_VS: "only the five GAS answers the IG uses are known",
    RATING_0_10_VS: "only the numeric answers 0 to 10 (LA6111-4 ... LA13942-0) are known",
}


def _answer_list(url: str, name: str, title: str, codes: tuple[str, ...]) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "url": url,
        "name": name,
        "title": title,
        "status": "active",
        "compose": {
            "include": [
                {
                    "system": LOINC,
                    "concept": [{"code": c, "display": LOINC_DISPLAYS[c][0]} for c in codes],
                }
            ]
        },
    }


# Used when no loaded package defines these answer lists.
BUILTIN_VALUE_SETS: Final[dict[str, dict[str, Any]]] = {
    GAS_ANSWERS_VS: _answer_list(
        GAS_ANSWERS_VS, "LL6900_6", "Goal attainment scale answers", tuple(GAS_LEVELS)
    ),
    RATING_0_10_VS: _answer_list(RATING_0_10_VS, "LL2335_9", "0-10 rating", RATING_0_10),
}

# --------------------------------------------------------------------------- stale content

_GAS_MEASURE_TEXT = (
    "use LOINC 107332-9 for a GAS goal's target.measure, or 112296-9 for a baseline GAS score"
)


def _old_bases(cs_id: str) -> tuple[str, ...]:
    return (OLD_PCO_CS + cs_id, PCO_CS + cs_id)


def _stale_codes() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {
        (LOINC, "68489"): "pre-release placeholder for the GAS code; " + _GAS_MEASURE_TEXT,
        (LOINC, "68490"): "pre-release placeholder; use LOINC 107333-7 "
        "(practitioner follow-up goal attainment scaling score)",
        (LOINC, "68491"): "pre-release placeholder; use LOINC 107334-5 "
        "(patient follow-up goal attainment scaling score)",
        (LOINC, "68492"): "pre-release placeholder; use LOINC 107331-1 "
        "(caregiver follow-up goal attainment scaling score)",
        (SNOMED, "452341000124107"): "the pre-STU1 barrier assessment code; "
        "use SNOMED CT 811791000000103 (Identifying barriers to goal achievement)",
    }
    gas_levels = {
        "much-better-than-expected": "LA34479-8",
        "better-than-expected": "LA34480-6",
        "expected-outcome": "LA34481-4",
        "less-than-expected": "LA34483-0",
        "much-less-than-expected": "LA34484-8",
    }
    for system in _old_bases("pco-gas-codes-temporary"):
        table[(system, "goal-attainment-scaling")] = "temporary GAS code; " + _GAS_MEASURE_TEXT
        for level, answer in gas_levels.items():
            text = f"temporary GAS level code; use LOINC {answer} (answer list LL6900-6)"
            table[(system, f"gas-{level}")] = text
            for role in ("patient", "caregiver", "practitioner"):
                table[(system, f"{role}-gas-{level}")] = text
    wellbeing = f"use {PCO_CS}pco-concepts-temporary#wellbeing"
    for cs_id in ("pco-concepts-temporary", "pco-concepts"):
        for system in _old_bases(cs_id):
            table[(system, "well-being")] = wellbeing
    what_matters = f"use {PCO_CS}pco-concepts-temporary#what-matters"
    for cs_id in ("wellbeing-concepts", "personal-health-inventory-temporary"):
        for system in _old_bases(cs_id):
            table[(system, "what-matters")] = what_matters
    for cs_id in ("readiness-assessment-concepts-temporary", "readiness-assessment-concepts"):
        for system in _old_bases(cs_id):
            table[(system, "readiness-assessent")] = (
                f"misspelt code; use {PCO_CS}readiness-assessment-concepts-temporary"
                "#readiness-assessment"
            )
    return table


# (system, code) → "use X instead" for codes of pre-STU1 drafts (facts §11.3). Only codes
# that are wrong wherever they appear; see STALE_IN_VALUE_SET for context-dependent ones.
STALE_CODES: Final[dict[tuple[str, str], str]] = _stale_codes()

# (value set, system, code) → advice, for codes valid elsewhere but replaced in this value
# set by STU1 (107332-9 is still the GAS target.measure; LA6111-4.. are 0-10 answers).
STALE_IN_VALUE_SET: Final[dict[tuple[str, str, str], str]] = {
    (GAS_SCORE_VS, LOINC, "107332-9"): "removed from this value set in STU1; "
    "use LOINC 112296-9 (Goal attainment scale GAS baseline) for a baseline score",
    (GAS_ANSWERS_VS, LOINC, "LA6113-0"): "a pre-STU1 GAS level; use LA34479-8 for +2",
    (GAS_ANSWERS_VS, LOINC, "LA6112-2"): "a pre-STU1 GAS level; use LA34480-6 for +1",
    (GAS_ANSWERS_VS, LOINC, "LA6111-4"): "a pre-STU1 GAS level; use LA34481-4 for 0",
}


def _stale_systems() -> dict[str, str]:
    renames = {
        "ncqa-goal-domains": "pco-goal-domains-temporary",
        "pco-goal-domains": "pco-goal-domains-temporary",
        "pco": "pco-concepts-temporary",
        "pco-codes": "pco-concepts-temporary",
        "pco-concepts": "pco-concepts-temporary",
        "what-matters-rating": "what-matters-concepts-temporary",
        "what-matters-concepts": "what-matters-concepts-temporary",
        "va-whole-health": "personal-health-inventory-temporary",
        "va-whole-health-example": "personal-health-inventory-temporary",
        "personal-health-inventory": "personal-health-inventory-temporary",
        "personal-health-inventory-temporary-example": "personal-health-inventory-temporary",
        "readiness-assessment-concepts": "readiness-assessment-concepts-temporary",
    }
    table: dict[str, str] = {}
    for old, new in renames.items():
        for system in _old_bases(old):
            table[system] = f"use {PCO_CS}{new}"
    for system in _old_bases("wellbeing-concepts"):
        table[system] = (
            f"use {PCO_CS}pco-concepts-temporary (#what-matters) or "
            f"{PCO_CS}what-matters-concepts-temporary (#now-rating, #future-rating ...)"
        )
    for system in _old_bases("pco-gas-codes-temporary"):
        table[system] = "use LOINC: 107332-9/112296-9 and the LL6900-6 answers"
    for cs_id in (
        "pco-goal-domains-temporary",
        "pco-concepts-temporary",
        "what-matters-concepts-temporary",
        "personal-health-inventory-temporary",
        "readiness-assessment-concepts-temporary",
    ):
        table[OLD_PCO_CS + cs_id] = f"use {PCO_CS}{cs_id}"
    return table


# Code system URLs of pre-STU1 drafts → "use X instead" (facts §11.2).
STALE_SYSTEMS: Final[dict[str, str]] = _stale_systems()

# Displays of earlier drafts, by (system, code).
STALE_DISPLAYS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    (PCO_CS + "personal-health-inventory-temporary", "body"): ("Food and Drink", "Healthy Body"),
    (PCO_CS + "personal-health-inventory-temporary", "mind"): ("Healthy Mind",),
}
