"""Adding up PHQ-9 / GAD-7 answers and judging a stated total against the sum.

An answer's score comes from the Questionnaire when it carries ordinalValue/itemWeight
on the answer option, else from the answer Coding's own ordinalValue, else from the
standard LOINC answer scores. PHQ-9 item 10 is never part of the total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pcocheck.jsonutil import listed
from pcocheck.rules.access import as_dict, as_number, as_str, fmt
from pcocheck.rules.codes import LOINC, WEIGHT_EXTENSIONS
from pcocheck.rules.instruments import ANSWER_SCORES, Instrument

Report = Callable[[str, str], None]  # (code, message)
Weights = dict[tuple[str | None, str], Decimal]  # (system, code) -> score, for one item


def weight_of(element: Any) -> Decimal | None:
    """The ordinalValue/itemWeight on an answer option or Coding, if any."""
    for ext in listed(as_dict(element).get("extension")):
        ext = as_dict(ext)
        if as_str(ext.get("url")) in WEIGHT_EXTENSIONS:
            for key in ("valueDecimal", "valueInteger"):
                number = as_number(ext.get(key))
                if number is not None:
                    return number
    return None


def walk_items(items: Any) -> Iterator[dict[str, Any]]:
    """Every item of a Questionnaire or QuestionnaireResponse tree, depth first (answers'
    nested items included)."""
    for item in listed(items):
        if not isinstance(item, dict):
            continue
        yield item
        yield from walk_items(item.get("item"))
        for answer in listed(item.get("answer")):
            yield from walk_items(as_dict(answer).get("item"))


def questionnaire_weights(questionnaire: dict[str, Any]) -> dict[str, Weights]:
    """linkId -> answer-option scores, for the items whose options carry weights."""
    found: dict[str, Weights] = {}
    for item in walk_items(questionnaire.get("item")):
        link = item.get("linkId")
        if not isinstance(link, str):
            continue
        weights: Weights = {}
        for option in listed(item.get("answerOption")):
            coding = as_dict(as_dict(option).get("valueCoding"))
            code = coding.get("code")
            if not isinstance(code, str):
                continue
            weight = weight_of(option)
            if weight is None:
                weight = weight_of(coding)
            if weight is not None:
                system = coding.get("system")
                weights[(system if isinstance(system, str) else None, code)] = weight
        if weights:
            found[link] = weights
    return found


def coding_score(coding: dict[str, Any], weights: Weights | None = None) -> Decimal | None:
    code = coding.get("code")
    if not isinstance(code, str):
        return None
    system = coding.get("system")
    system = system if isinstance(system, str) else None
    if weights:
        for key in ((system, code), (None, code)):
            if key in weights:
                return weights[key]
        if system is None:
            for (_, option_code), weight in weights.items():
                if option_code == code:
                    return weight
    own = weight_of(coding)
    if own is not None:
        return own
    if system in (LOINC, None) and code in ANSWER_SCORES:
        return ANSWER_SCORES[code]
    return None


def value_score(holder: dict[str, Any], weights: Weights | None = None) -> Decimal | None:
    """The score of one answer / component / Observation value: a coded answer, or a number
    recorded as the item's score."""
    concept = holder.get("valueCodeableConcept")
    if concept is not None:
        for coding in listed(as_dict(concept).get("coding")):
            if isinstance(coding, dict):
                score = coding_score(coding, weights)
                if score is not None:
                    return score
        return None
    if "valueCoding" in holder:
        return coding_score(as_dict(holder.get("valueCoding")), weights)
    for key in ("valueInteger", "valueDecimal"):
        if key in holder:
            return as_number(holder.get(key))
    if "valueQuantity" in holder:
        return as_number(as_dict(holder.get("valueQuantity")).get("value"))
    return None


@dataclass(frozen=True, slots=True)
class Sum:
    """The sum of the scored items that have a score, and the ones that do not."""

    total: Decimal
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def add_up(instrument: Instrument, scores: dict[str, Decimal | None]) -> Sum:
    """Sum ``scores`` (LOINC item code -> score or None) over the instrument's scored items."""
    total = Decimal(0)
    missing: list[str] = []
    for number, (_, code) in enumerate(instrument.items, start=1):
        score = scores.get(code)
        if score is None:
            missing.append(f"item {number} ({code})")
        else:
            total += score
    return Sum(total, tuple(missing))


def judge_total(
    instrument: Instrument, stated: Decimal, computed: Sum | None, what: str, report: Report
) -> None:
    """Check a stated total: range and whole number always; the sum when items are known.

    ``what`` names the total in messages (e.g. "the total item 14372").
    """
    name = instrument.name
    known = computed is not None and computed.complete
    sum_note = f" (the item scores add up to {fmt(computed.total)})" if computed and known else ""
    if not 0 <= stated <= instrument.maximum:
        report(
            "PCO-PROM-003",
            f"{what} is {fmt(stated)}, outside the {name} range 0-{instrument.maximum}{sum_note}",
        )
        return  # one finding for one wrong number; the sum is in the message
    if stated != int(stated):
        report(
            "PCO-PROM-004",
            f"{what} is {fmt(stated)}; {name} totals are whole numbers{sum_note}",
        )
        return
    if computed is None:
        return
    if computed.complete:
        if computed.total != stated:
            report(
                "PCO-PROM-001",
                f"{what} is {fmt(stated)} but the {name} item scores add up to "
                f"{fmt(computed.total)}",
            )
    else:
        report(
            "PCO-PROM-002",
            f"{what} is {fmt(stated)} but {len(computed.missing)} scored {name} item(s) have "
            f"no score ({_listing(computed.missing)}), so the total cannot be verified",
        )


def _listing(parts: Iterable[str], limit: int = 4) -> str:
    shown = list(parts)
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + f" and {len(shown) - limit} more"
    return ", ".join(shown)
