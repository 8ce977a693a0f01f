"""PHQ-9 and GAD-7 as the PCO IG ships them (facts §7): linkIds, LOINC item codes, the
standard answer scores, total ranges and severity bands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pcocheck.rules.codes import PCO_BASE
from pcocheck.terminology.known_codes import GAD7_ITEMS, PHQ9_DIFFICULTY_ITEM, PHQ9_ITEMS

# Standard scores of the LOINC frequency answers (LA18938-3 "More days than not" is
# GAD-7 item 2's third option and scores 2 by position).
ANSWER_SCORES: dict[str, Decimal] = {
    code: Decimal(score)
    for code, score in {
        "LA6568-5": 0,
        "LA6569-3": 1,
        "LA6570-1": 2,
        "LA18938-3": 2,
        "LA6571-9": 3,
    }.items()
}


@dataclass(frozen=True, slots=True)
class Band:
    low: int
    high: int
    name: str


@dataclass(frozen=True, slots=True)
class Instrument:
    name: str
    panel: str  # LOINC code of the panel / Questionnaire.code
    total: str  # LOINC code of the total score
    questionnaire: str  # canonical of the IG's Questionnaire
    total_link: str  # linkId of the total item in the IG's Questionnaire
    items: tuple[tuple[str, str], ...]  # scored items: (linkId, LOINC code)
    unscored: tuple[tuple[str, str], ...]  # answered but never counted
    maximum: int
    bands: tuple[Band, ...]

    @property
    def item_codes(self) -> frozenset[str]:
        return frozenset(code for _, code in self.items)

    @property
    def item_links(self) -> dict[str, str]:
        return dict(self.items)

    def band(self, total: Decimal) -> Band | None:
        return next((b for b in self.bands if b.low <= total <= b.high), None)

    def describe_bands(self) -> str:
        return ", ".join(f"{b.low}-{b.high} {b.name}" for b in self.bands)


PHQ9 = Instrument(
    name="PHQ-9",
    panel="44249-1",
    total="44261-6",
    questionnaire=PCO_BASE + "Questionnaire/44249-1",
    total_link="14372",
    items=PHQ9_ITEMS,
    unscored=(PHQ9_DIFFICULTY_ITEM,),
    maximum=27,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
)

GAD7 = Instrument(
    name="GAD-7",
    panel="69737-5",
    total="70274-6",
    questionnaire=PCO_BASE + "Questionnaire/69737-5",
    total_link="58628",
    items=GAD7_ITEMS,
    unscored=(),
    maximum=21,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
)

INSTRUMENTS = (PHQ9, GAD7)
BY_TOTAL = {i.total: i for i in INSTRUMENTS}
BY_PANEL = {i.panel: i for i in INSTRUMENTS}
BY_NAME = {i.name: i for i in INSTRUMENTS}
BY_ITEM = {code: i for i in INSTRUMENTS for _, code in (*i.items, *i.unscored)}


def instrument_of_questionnaire(canonical: str) -> Instrument | None:
    """The instrument a QuestionnaireResponse.questionnaire names: the IG's canonical, or any
    canonical whose last segment is the LOINC panel code (``.../Questionnaire/44249-1``)."""
    base = canonical.split("|", 1)[0].rstrip("/")
    last = base.rsplit("/", 1)[-1]
    return BY_PANEL.get(last)


# Severity words, most specific first ("moderately severe" before "severe" and "moderate").
_BAND_WORDS = (
    (re.compile(r"\bmoderately[\s-]+severe\b"), "moderately severe"),
    (re.compile(r"\bsevere\b"), "severe"),
    (re.compile(r"\bmoderate\b"), "moderate"),
    (re.compile(r"\bmild\b"), "mild"),
    (re.compile(r"\b(minimal|none|no (depression|anxiety))\b"), "minimal"),
)


def band_named(text: str) -> str | None:
    """The severity band a free-text interpretation names, if any."""
    lowered = text.lower()
    for pattern, name in _BAND_WORDS:
        if pattern.search(lowered):
            return name
    return None
