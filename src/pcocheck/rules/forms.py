"""A Questionnaire prepared once for all the responses that use it: its linkIds, the
LOINC codes of its items and the scores its answer options carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pcocheck.rules.access import as_str, loinc_codes
from pcocheck.rules.scoring import Weights, questionnaire_weights, walk_items


@dataclass(frozen=True, slots=True)
class Form:
    resource: dict[str, Any]
    name: str  # the canonical, for messages
    links: frozenset[str]  # every linkId, at any level
    item_codes: dict[str, tuple[str, ...]]  # linkId -> LOINC codes of the item
    weights: dict[str, Weights]  # linkId -> answer-option scores
    codes: tuple[str, ...]  # LOINC codes of Questionnaire.code


def prepare(questionnaire: dict[str, Any]) -> Form:
    links: set[str] = set()
    item_codes: dict[str, tuple[str, ...]] = {}
    for item in walk_items(questionnaire.get("item")):
        link = as_str(item.get("linkId"))
        if link is None:
            continue
        links.add(link)
        codes = loinc_codes({"coding": item.get("code")})
        if codes:
            item_codes.setdefault(link, tuple(codes))
    return Form(
        resource=questionnaire,
        name=as_str(questionnaire.get("url")) or "the Questionnaire",
        links=frozenset(links),
        item_codes=item_codes,
        weights=questionnaire_weights(questionnaire),
        codes=tuple(loinc_codes({"coding": questionnaire.get("code")})),
    )
