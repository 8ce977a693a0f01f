"""Canonical URLs and codes the PCO rules key on (PCO IG STU1, facts §3, §6, §7)."""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"

PCO_BASE = "http://hl7.org/fhir/us/pco/"
PCO_SD = PCO_BASE + "StructureDefinition/"
PCO_CS = PCO_BASE + "CodeSystem/"

GOAL_PROFILE = PCO_SD + "pco-goal-profile"
GAS_GOAL_PROFILE = PCO_SD + "pco-gas-goal-profile"
PROM_GOAL_PROFILE = PCO_SD + "pco-prom-goal-profile"
GAS_SCORE_PROFILE = PCO_SD + "pco-gas-score-observation"
PROM_SCORE_PROFILE = PCO_SD + "pco-prom-score-observation"
READINESS_PROFILE = PCO_SD + "pco-readiness-assessment"
PCO_GOAL_PROFILES = frozenset({GOAL_PROFILE, GAS_GOAL_PROFILE, PROM_GOAL_PROFILE})

GAS_EXTENSION = PCO_SD + "pco-goal-attainment-scaling"
OLD_GAS_EXTENSION = "http://mtnlotus.com/uv/pco/StructureDefinition/pco-goal-attainment-scaling"

# GAS levels (LOINC answer list LL6900-6): code -> numeric level.
GAS_LEVELS: dict[str, int] = {
    "LA34484-8": -2,
    "LA34483-0": -1,
    "LA34481-4": 0,
    "LA34480-6": 1,
    "LA34479-8": 2,
}
LEVEL_CODES: dict[int, str] = {level: code for code, level in GAS_LEVELS.items()}

# The GAS goal's target.measure pattern, and the GAS score codes of STU1.
GAS_MEASURE = "107332-9"
GAS_BASELINE = "112296-9"
GAS_FOLLOW_UPS: dict[str, str] = {
    "107333-7": "practitioner follow-up",
    "107334-5": "patient follow-up",
    "107331-1": "caregiver follow-up",
}

BASELINE = "baseline"
FOLLOW_UP = "follow-up"

# Goal.achievementStatus codes the achievement checks compare with.
ACHIEVED = "achieved"
NOT_ACHIEVED = "not-achieved"

# Categories that make a goal recognisably person-centered (REQ-3).
PCO_CATEGORY_SYSTEM = PCO_CS + "pco-concepts-temporary"
PCO_CATEGORY_CODES = frozenset({"person-centered", "what-matters", "wellbeing"})
GOAL_DOMAIN_SYSTEM = PCO_CS + "pco-goal-domains-temporary"
GOAL_DOMAIN_CODES = frozenset(
    {
        "housing",
        "access-to-services",
        "caregiver-needs",
        "end-of-life",
        "independence",
        "legal",
        "managing-conditions",
        "medication-management",
        "improving-health-and-wellness",
        "physical-function",
        "social-functioning",
        "emotional-and-mental-health",
    }
)

READINESS_SYSTEM = PCO_CS + "readiness-assessment-concepts-temporary"

# ValueSet prom-target-measures (34 LOINC codes, identical in ballot and STU1).
PROM_TARGET_MEASURES = frozenset(
    {
        "70274-6",
        "44261-6",
        "77854-8",
        "77848-0",
        "89921-1",
        "77862-1",
        "81531-6",
        "71965-8",
        "92149-4",
        "77864-7",
        "77851-4",
        "77850-6",
        "91614-8",
        "77856-3",
        "77865-4",
        "91721-1",
        "77855-5",
        "92391-2",
        "92329-2",
        "92418-3",
        "92448-0",
        "77859-7",
        "92266-6",
        "92305-2",
        "77849-8",
        "92213-8",
        "89676-1",
        "71969-0",
        "71971-6",
        "71955-9",
        "71957-5",
        "71959-1",
        "71961-7",
        "71963-3",
    }
)

# Questionnaire extensions that give an answer option its numeric score.
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
WEIGHT_EXTENSIONS = frozenset(
    {ORDINAL_VALUE, ITEM_WEIGHT, "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"}
)


def level_label(level: int) -> str:
    """``+1``, ``0``, ``-2``: how a GAS level is written in messages."""
    return f"+{level}" if level > 0 else str(level)


def level_text(level: int) -> str:
    """``LA34480-6 (+1)``."""
    return f"{LEVEL_CODES[level]} ({level_label(level)})"
