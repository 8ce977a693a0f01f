"""PROM score Observations: PHQ-9 / GAD-7 totals (range, whole number, UCUM unit, severity
band), panels whose items must add up, and scores derived from QuestionnaireResponses
(facts §4.6, §7)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pcocheck.engine.frozen_init import quick_init
from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.resolution import ResourceKey
from pcocheck.rules.access import as_dict, as_number, as_str, codings, fmt, loinc_codes
from pcocheck.rules.codes import PROM_SCORE_PROFILE, PROM_TARGET_MEASURES
from pcocheck.rules.dates import observation_time
from pcocheck.rules.facts import ItemValue, Link, Panel, PromScore, ResponseTotal, Subject
from pcocheck.rules.instruments import BY_ITEM, BY_NAME, BY_PANEL, BY_TOTAL, Instrument, band_named
from pcocheck.rules.references import Target
from pcocheck.rules.scoring import Sum, add_up, judge_total, value_score


@quick_init
@dataclass(frozen=True, slots=True)
class ObservationFacts:
    score: PromScore | None = None
    panel: Panel | None = None
    item: ItemValue | None = None


def _value(resource: dict[str, Any]) -> tuple[Decimal | None, JsonPath]:
    if "valueQuantity" in resource:
        return as_number(as_dict(resource["valueQuantity"]).get("value")), (
            "valueQuantity",
            "value",
        )
    if "valueInteger" in resource:  # pre-STU1 (reported by PCO-STALE-005), still scored
        return as_number(resource["valueInteger"]), ("valueInteger",)
    return None, ()


def prom_observation(subject: Subject, out: list[Finding]) -> ObservationFacts:
    resource = subject.resource
    codes = subject.loinc
    # The first code that is a PROM measure, a panel, an item or total: one loop (this
    # runs once per Observation)
    measure = panel_code = item_code = None
    for code in codes:
        if measure is None and code in PROM_TARGET_MEASURES:
            measure = code
        if panel_code is None and code in BY_PANEL:
            panel_code = code
        if item_code is None and (code in BY_ITEM or code in BY_TOTAL):
            item_code = code
    if measure is None and subject.claims(PROM_SCORE_PROFILE) and codes:
        measure = codes[0]
    score = _score(subject, measure, out) if measure is not None else None
    panel = _panel(subject, BY_PANEL[panel_code], out) if panel_code is not None else None
    item = None
    if item_code is not None and subject.scope.referable:
        value_path = _value_path(resource)
        item = ItemValue(item_code, value_score(resource), subject.place(value_path))
    return ObservationFacts(score, panel, item)


def _value_path(resource: dict[str, Any]) -> JsonPath:
    key = next((k for k in resource if k.startswith("value")), None)
    return (key,) if key is not None else ()


def _score(subject: Subject, measure: str, out: list[Finding]) -> PromScore:
    resource = subject.resource
    value, value_path = _value(resource)
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and value is not None and "system" not in quantity:
        out.append(
            subject.finding(
                "PCO-PROM-005",
                f"the score valueQuantity {fmt(value)} has no UCUM system; add "
                '"system": "http://unitsofmeasure.org", "code": "1" (unit "score")',
                ("valueQuantity",),
            )
        )
    instrument = BY_TOTAL.get(measure)
    if instrument is not None and value is not None:
        judge_total(
            instrument,
            value,
            None,
            f"the {instrument.name} total score ({measure})",
            subject.reporter(value_path, out),
        )
        _interpretation(subject, instrument, value, out)
    when, when_path = observation_time(resource)
    return PromScore(
        label=subject.label,
        code=sys.intern(measure),
        value=value,
        value_place=subject.place(value_path),
        when=when,
        when_place=subject.place(when_path),
        focus=_links(subject, "focus"),
        derived_from=_links(subject, "derivedFrom"),
    )


def _links(subject: Subject, element: str) -> tuple[Link, ...]:
    links: list[Link] = []
    for index, ref in enumerate(listed(subject.resource.get(element))):
        text = as_str(as_dict(ref).get("reference"))
        if text and text.strip():
            links.append(Link(subject.scope.target(text), subject.place((element, index)), text))
    return tuple(links)


def _interpretation(
    subject: Subject, instrument: Instrument, value: Decimal, out: list[Finding]
) -> None:
    band = instrument.band(value)
    if band is None:
        return
    known = {b.name for b in instrument.bands}
    for index, concept in enumerate(listed(subject.resource.get("interpretation"))):
        concept = as_dict(concept)
        texts = [as_str(concept.get("text"))]
        texts += [as_str(c.get("display")) for _, c in codings(concept)]
        named = next((n for t in texts if t and (n := band_named(t)) in known), None)
        if named is not None and named != band.name:
            out.append(
                subject.finding(
                    "PCO-PROM-006",
                    f"interpretation says '{named}' but the {instrument.name} total "
                    f"{fmt(value)} is in the '{band.name}' band ({band.low}-{band.high}; bands: "
                    f"{instrument.describe_bands()})",
                    ("interpretation", index),
                )
            )


def _panel(subject: Subject, instrument: Instrument, out: list[Finding]) -> Panel | None:
    """A panel's components add up here; its hasMember items in the cross-resource phase."""
    scores: dict[str, Decimal | None] = {}
    stated: tuple[Decimal, JsonPath] | None = None
    for index, component in enumerate(listed(subject.resource.get("component"))):
        component = as_dict(component)
        for code in loinc_codes(component.get("code")):
            if code == instrument.total:
                value, path = _value(component)
                if value is not None:
                    stated = (value, ("component", index, *path[:1]))
            elif code in instrument.item_codes:
                scores[code] = value_score(component)
    if stated is not None:
        value, rel = stated
        judge_total(
            instrument,
            value,
            add_up(instrument, scores),
            f"the {instrument.name} total component",
            subject.reporter(rel, out),
        )
    members = _links(subject, "hasMember")
    if not members:
        return None
    return Panel(instrument.name, subject.label, members)


Settle = Callable[[Link], Target]


def finish_derived(
    scores: list[PromScore],
    responses: Mapping[ResourceKey, ResponseTotal],
    settle: Settle,
    out: list[Finding],
) -> None:
    """A score derived from a response in the input equals the response's computed total."""
    for score in scores:
        instrument = BY_TOTAL.get(score.code)
        if instrument is None or score.value is None:
            continue
        for link in score.derived_from:
            target = settle(link)
            response = responses.get(target.key) if target.key is not None else None
            if response is None:
                continue
            if response.instrument != instrument.name:
                out.append(
                    link.place.finding(
                        "PCO-PROM-007",
                        f"this {instrument.name} total ({score.code}) is derived from "
                        f"{response.label} ({target.how}), a {response.instrument} response",
                    )
                )
            elif response.total is not None and response.total != score.value:
                out.append(
                    score.value_place.finding(
                        "PCO-PROM-007",
                        f"the {instrument.name} score {fmt(score.value)} differs from the total "
                        f"{fmt(response.total)} computed from {response.label} (derivedFrom "
                        f"{link.text}, {target.how})",
                    )
                )


def finish_panels(
    panels: list[Panel], items: Mapping[ResourceKey, ItemValue], settle: Settle, out: list[Finding]
) -> None:
    """A panel's hasMember items add up to its hasMember total."""
    for panel in panels:
        instrument = BY_NAME[panel.instrument]
        resolved = [(link, _item(items, settle(link))) for link in panel.members]
        if any(item is None for _, item in resolved):
            continue  # some member is not in the input: nothing certain to say
        scores: dict[str, Decimal | None] = {}
        total: tuple[Link, ItemValue] | None = None
        for link, item in resolved:
            if item is None:
                continue
            if item.code == instrument.total:
                total = (link, item)
            elif item.code in instrument.item_codes and item.code not in scores:
                scores[item.code] = item.score
        if total is None:
            continue
        link, item = total
        stated = item.score
        if stated is None:
            continue
        computed: Sum = add_up(instrument, scores)

        def report(code: str, message: str, link: Link = link) -> None:
            if code in ("PCO-PROM-001", "PCO-PROM-002"):  # range is checked on the member
                out.append(link.place.finding(code, message))

        judge_total(
            instrument,
            stated,
            computed,
            f"the {instrument.name} total of hasMember {link.text}",
            report,
        )


def _item(items: Mapping[ResourceKey, ItemValue], target: Target) -> ItemValue | None:
    return items.get(target.key) if target.key is not None else None
