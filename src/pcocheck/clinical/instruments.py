"""Clinical facts PCO rules score with: GAS levels, and the PHQ-9 / GAD-7 instruments
(items, answer scores, totals, ranges, severity bands). Facts from the PCO STU1 fact
sheet §6.2 and §7; standard instrument scoring."""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
PCO = "http://hl7.org/fhir/us/pco/"
GAS_EXTENSION = PCO + "StructureDefinition/pco-goal-attainment-scaling"
GAS_GOAL_PROFILE = PCO + "StructureDefinition/pco-gas-goal-profile"
PCO_GOAL_PROFILES = frozenset(
    PCO + f"StructureDefinition/{name}"
    for name in ("pco-goal-profile", "pco-gas-goal-profile", "pco-prom-goal-profile")
)
GAS_TARGET_MEASURE = "107332-9"

# LOINC answer code -> GAS level (−2..+2), in scale order.
GAS_LEVELS: dict[str, int] = {
    "LA34484-8": -2,
    "LA34483-0": -1,
    "LA34481-4": 0,
    "LA34480-6": 1,
    "LA34479-8": 2,
}
GAS_BASELINE = "112296-9"
GAS_STALE_BASELINE = "107332-9"  # the baseline score code before STU1
GAS_FOLLOW_UPS = {"107333-7": "practitioner", "107334-5": "patient", "107331-1": "caregiver"}
GAS_WINDOW_DAYS = (14, 182)  # follow-up 2..26 weeks after the goal start (CQL parameter)


def level_label(code: str) -> str:
    """``LA34480-6 (+1)``; the code alone when it is not a GAS level."""
    level = GAS_LEVELS.get(code)
    if level is None:
        return code
    return f"{code} ({level:+d})" if level else f"{code} (0)"


# Standard answer scores of the PHQ/GAD frequency answers.
ANSWER_SCORES: dict[str, int] = {
    "LA6568-5": 0,  # Not at all
    "LA6569-3": 1,  # Several days
    "LA6570-1": 2,  # More than half the days
    "LA18938-3": 2,  # More days than not (GAD-7 item 2)
    "LA6571-9": 3,  # Nearly every day
}


@dataclass(frozen=True, slots=True)
class Instrument:
    name: str
    panel_code: str
    total_code: str
    total_link_id: str
    questionnaire: str
    items: dict[str, str]  # linkId -> item LOINC code (scored items only)
    maximum: int
    bands: tuple[tuple[int, int, str], ...]

    def band(self, score: float) -> str | None:
        for low, high, label in self.bands:
            if low <= score <= high:
                return label
        return None


PHQ9 = Instrument(
    name="PHQ-9",
    panel_code="44249-1",
    total_code="44261-6",
    total_link_id="14372",
    questionnaire=PCO + "Questionnaire/44249-1",
    items={
        "14363": "44250-9",
        "14364": "44255-8",
        "14365": "44259-0",
        "14366": "44254-1",
        "14367": "44251-7",
        "14368": "44258-2",
        "14369": "44252-5",
        "14370": "44253-3",
        "14371": "44260-8",
    },
    maximum=27,
    bands=(
        (0, 4, "none-minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),
        (20, 27, "severe"),
    ),
)
PHQ9_UNSCORED_ITEM = "69722-7"  # item 10, functional difficulty: never part of the total

GAD7 = Instrument(
    name="GAD-7",
    panel_code="69737-5",
    total_code="70274-6",
    total_link_id="58628",
    questionnaire=PCO + "Questionnaire/69737-5",
    items={
        "57541": "69725-0",
        "57542": "68509-9",
        "57543": "69733-4",
        "57544": "69734-2",
        "57545": "69735-9",
        "57546": "69689-8",
        "57547": "69736-7",
    },
    maximum=21,
    bands=((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")),
)

INSTRUMENTS = (PHQ9, GAD7)
BY_TOTAL_CODE = {i.total_code: i for i in INSTRUMENTS}
BY_PANEL_CODE = {i.panel_code: i for i in INSTRUMENTS}
BY_QUESTIONNAIRE = {i.questionnaire: i for i in INSTRUMENTS}
# Band words that may appear in an interpretation; longest first ("moderately severe").
BAND_WORDS = ("moderately severe", "none-minimal", "minimal", "mild", "moderate", "severe", "none")


def band_in_text(text: str) -> str | None:
    lowered = text.lower()
    for word in BAND_WORDS:
        if word in lowered:
            return "none-minimal" if word in ("none", "none-minimal") else word
    return None
