"""PHQ-9 / GAD-7 QuestionnaireResponses: the answers added up with the standard scores (or
the Questionnaire's own), and the total item judged against the sum (facts §7)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.rules.access import as_dict, as_number
from pcocheck.rules.facts import ResponseTotal, Subject
from pcocheck.rules.forms import Form
from pcocheck.rules.instruments import (
    BY_ITEM,
    BY_NAME,
    BY_PANEL,
    BY_TOTAL,
    Instrument,
    instrument_of_questionnaire,
)
from pcocheck.rules.scoring import Weights, add_up, judge_total, value_score


def response_total(
    subject: Subject, canonical: str, form: Form | None, out: list[Finding]
) -> ResponseTotal | None:
    """Score a PHQ-9 / GAD-7 response and judge its total item; the computed total is kept
    for score Observations derived from it."""
    items = _response_items(subject.resource.get("item"), ())
    instrument = instrument_of_questionnaire(canonical)
    if instrument is None and form is not None:
        # Any Questionnaire: its code, else the LOINC codes of its items (US Core's PHQ-9).
        instrument = next((BY_PANEL[c] for c in form.codes if c in BY_PANEL), None)
        if instrument is None:
            instrument = _by_codes(c for codes in form.item_codes.values() for c in codes)
    inferred = False
    if instrument is None and form is None:
        # Without its Questionnaire: linkIds that are LOINC codes (``/44250-9``).
        instrument = _by_codes(_link_code(item.get("linkId")) for _, item in items)
        inferred = instrument is not None
    if instrument is None:
        return None
    # linkId -> LOINC code: the IG's linkIds, linkIds that are LOINC codes, then the
    # Questionnaire's own item codes.
    link_codes = dict(instrument.items)
    link_codes[instrument.total_link] = instrument.total
    known = instrument.item_codes | {instrument.total}
    for _, item in items:
        link, code = item.get("linkId"), _link_code(item.get("linkId"))
        if isinstance(link, str) and code in known:
            link_codes.setdefault(link, code)
    weights: dict[str, Weights] = {}
    if form is not None:
        weights = form.weights
        for link, codes in form.item_codes.items():
            for code in codes:
                if code in BY_ITEM or code == instrument.total:
                    link_codes[link] = code
    if inferred:
        out.append(
            subject.finding(
                "PCO-PROM-040",
                f"the Questionnaire {canonical or '(none named)'} is not loaded: this response "
                f"was recognised as {instrument.name} by the LOINC codes of its linkIds, and "
                "its scoring was inferred from the standard answer scores",
                ("questionnaire",) if canonical else (),
            )
        )
    scores: dict[str, Decimal | None] = {}
    stated: tuple[Decimal, JsonPath] | None = None
    for path, item in items:
        answered_link = item.get("linkId")
        item_code = link_codes.get(answered_link) if isinstance(answered_link, str) else None
        if item_code is None:
            continue
        answers = listed(item.get("answer"))
        first = as_dict(answers[0]) if answers else {}
        if item_code == instrument.total:
            value, key = _answer_number(first)
            if value is not None and stated is None:
                stated = (value, (*path, "answer", 0, key))
        elif item_code in instrument.item_codes and item_code not in scores:
            scores[item_code] = (
                value_score(first, weights.get(str(answered_link))) if first else None
            )
    computed = add_up(instrument, scores)
    if stated is not None:
        value, rel = stated
        judge_total(instrument, value, computed, "the total item", subject.reporter(rel, out))
    return ResponseTotal(
        instrument.name, computed.total if computed.complete else None, subject.label
    )


def _link_code(link: Any) -> str | None:
    """The LOINC code a linkId spells (``/44250-9``, ``44249-1/44250-9``), if any."""
    if not isinstance(link, str):
        return None
    last = link.rstrip("/").rsplit("/", 1)[-1]
    return last if _LOINC.fullmatch(last) else None


def _by_codes(codes: Iterable[str | None]) -> Instrument | None:
    """The instrument whose item or total LOINC codes these are (two of them at least, so
    that one shared code does not decide)."""
    counts: dict[str, int] = {}
    for code in codes:
        if code is None:
            continue
        instrument = BY_ITEM.get(code) or BY_TOTAL.get(code)
        if instrument is not None:
            counts[instrument.name] = counts.get(instrument.name, 0) + 1
    best = max(counts.items(), key=lambda kv: kv[1], default=None)
    return BY_NAME[best[0]] if best is not None and best[1] >= 2 else None


_LOINC = re.compile(r"\d{1,7}-\d")


def _response_items(items: Any, path: JsonPath) -> list[tuple[JsonPath, dict[str, Any]]]:
    found: list[tuple[JsonPath, dict[str, Any]]] = []
    for index, item in enumerate(listed(items)):
        if not isinstance(item, dict):
            continue
        here = (*path, "item", index)
        found.append((here, item))
        found.extend(_response_items(item.get("item"), here))
        for a_index, answer in enumerate(listed(item.get("answer"))):
            found.extend(_response_items(as_dict(answer).get("item"), (*here, "answer", a_index)))
    return found


def _answer_number(answer: dict[str, Any]) -> tuple[Decimal | None, str]:
    for key in ("valueDecimal", "valueInteger"):
        if key in answer:
            return as_number(answer[key]), key
    if "valueQuantity" in answer:
        return as_number(as_dict(answer["valueQuantity"]).get("value")), "valueQuantity"
    return None, ""
