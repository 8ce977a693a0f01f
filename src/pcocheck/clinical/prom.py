"""PROM score observations, PHQ-9/GAD-7 panels, and PROM goals with their targets."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pcocheck.clinical.facts import (
    codings,
    effective,
    loinc_codes,
    number,
    reference_key,
)
from pcocheck.clinical.gas import GoalFact, PromTarget
from pcocheck.clinical.instruments import (
    ANSWER_SCORES,
    BY_PANEL_CODE,
    BY_TOTAL_CODE,
    INSTRUMENTS,
    PHQ9_UNSCORED_ITEM,
    Instrument,
    band_in_text,
)
from pcocheck.clinical.questionnaire import Scoring
from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.view import Anchor, ResourceView

UCUM = "http://unitsofmeasure.org"
ITEM_CODES = frozenset(code for i in INSTRUMENTS for code in i.items.values())
COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(slots=True)
class PromScore:
    anchor: Anchor
    codes: set[str]
    value: float | None
    when: datetime | None
    goal_key: str | None
    derived_from: list[tuple[str, JsonPath]] = field(default_factory=list)


@dataclass(slots=True)
class Panel:
    """A PHQ-9/GAD-7 panel Observation whose items are separate member Observations."""

    anchor: Anchor
    instrument: Instrument
    members: list[str]


@dataclass(slots=True)
class ItemScore:
    code: str  # item LOINC code, or the total code
    score: float | None


def check_goal_target(view: ResourceView, fact: GoalFact, findings: list[Finding]) -> None:
    """PROM goals: a comparator and a target inside the instrument's range."""
    for index, target in enumerate(listed(view.resource.get("target"))):
        if not isinstance(target, dict):
            continue
        measures = loinc_codes(target.get("measure"))
        instrument = next((BY_TOTAL_CODE[c] for c in measures if c in BY_TOTAL_CODE), None)
        detail = target.get("detailQuantity")
        if not isinstance(detail, dict) or not measures:
            continue
        value = number(detail.get("value"))
        comparator = detail.get("comparator")
        rel: JsonPath = ("target", index, "detailQuantity")
        fact.prom = PromTarget(
            measures, comparator if isinstance(comparator, str) else None, value, rel
        )
        if comparator is None and (instrument or fact.prom):
            findings.append(
                view.finding(
                    "PCO-PROM-008",
                    "the PROM target has no comparator, so it means 'exactly "
                    f"{'' if value is None else f'{value:g}'}'; PROM targets are usually a bound "
                    "such as < 10",
                    rel,
                )
            )
        if instrument is not None and value is not None and not (0 <= value <= instrument.maximum):
            findings.append(
                view.finding(
                    "PCO-PROM-009",
                    f"target {value:g} is outside the {instrument.name} range "
                    f"0-{instrument.maximum}",
                    (*rel, "value"),
                )
            )


def prom_observation(
    view: ResourceView, findings: list[Finding]
) -> tuple[PromScore | None, Panel | None, ItemScore | None]:
    """Checks one Observation that is a PROM total, panel or item; returns its facts."""
    obs = view.resource
    codes = loinc_codes(obs.get("code"))
    item = _item_score(obs, codes)
    panel = next((BY_PANEL_CODE[c] for c in codes if c in BY_PANEL_CODE), None)
    if panel is not None:
        return None, _check_panel(view, panel, findings), item
    instrument = next((BY_TOTAL_CODE[c] for c in codes if c in BY_TOTAL_CODE), None)
    if instrument is None and not _is_prom_score(obs):
        return None, None, item
    quantity = obs.get("valueQuantity")
    value = number(quantity.get("value")) if isinstance(quantity, dict) else None
    if instrument is not None and value is not None:
        _check_total_value(view, instrument, value, ("valueQuantity", "value"), findings)
        _check_interpretation(view, instrument, value, findings)
    if isinstance(quantity, dict) and quantity.get("system") is None and "value" in quantity:
        findings.append(
            view.finding(
                "PCO-PROM-005",
                "the score Quantity has no UCUM system and code; use system "
                "http://unitsofmeasure.org, code '1' (unit 'score')",
                ("valueQuantity",),
            )
        )
    when, _ = effective(obs)
    focus = obs.get("focus")
    goal_key = (
        next((k for k in map(reference_key, focus) if k), None) if isinstance(focus, list) else None
    )
    score = PromScore(view.anchor.detached(), codes, value, when, goal_key)
    for index, ref in enumerate(listed(obs.get("derivedFrom"))):
        key = reference_key(ref)
        if key is not None:
            score.derived_from.append((key, ("derivedFrom", index)))
    return score, None, item


def _is_prom_score(obs: dict[str, Any]) -> bool:
    meta = obs.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return isinstance(profiles, list) and any(
        isinstance(p, str) and "pco-prom-score-observation" in p for p in profiles
    )


def _item_score(obs: dict[str, Any], codes: set[str]) -> ItemScore | None:
    """A member Observation of a panel: an item with an LA answer, or the total."""
    total = next((c for c in codes if c in BY_TOTAL_CODE), None)
    if total is not None:
        quantity = obs.get("valueQuantity")
        value = obs.get("valueInteger")
        if isinstance(quantity, dict):
            value = quantity.get("value")
        return ItemScore(total, number(value))
    code = next((c for c in codes if c in ITEM_CODES), None)
    if code is None:
        return None
    answer = [c for s, c in codings(obs.get("valueCodeableConcept")) if s == "http://loinc.org"]
    if not answer:
        return None
    score = ANSWER_SCORES.get(answer[0])
    return ItemScore(code, None if score is None else float(score))


def _check_total_value(
    view: ResourceView,
    instrument: Instrument,
    value: float,
    rel: JsonPath,
    findings: list[Finding],
) -> None:
    if not 0 <= value <= instrument.maximum:
        findings.append(
            view.finding(
                "PCO-PROM-003",
                f"{instrument.name} total {value:g} is outside the instrument's range "
                f"0-{instrument.maximum}",
                rel,
            )
        )
    elif value != int(value):
        findings.append(
            view.finding(
                "PCO-PROM-004",
                f"{instrument.name} total {value:g} is not a whole number; item scores are "
                "integers",
                rel,
            )
        )


def _check_interpretation(
    view: ResourceView, instrument: Instrument, value: float, findings: list[Finding]
) -> None:
    expected = instrument.band(value)
    for index, concept in enumerate(listed(view.resource.get("interpretation"))):
        if not isinstance(concept, dict):
            continue
        texts = [str(concept.get("text") or "")]
        texts += [
            str(c.get("display") or "")
            for c in listed(concept.get("coding"))
            if isinstance(c, dict)
        ]
        stated = next((b for b in map(band_in_text, texts) if b), None)
        if stated is not None and expected is not None and stated != expected:
            findings.append(
                view.finding(
                    "PCO-PROM-006",
                    f"interpretation says {stated!r} but {instrument.name} {value:g} is in the "
                    f"{expected!r} band",
                    ("interpretation", index),
                )
            )


def _check_panel(view: ResourceView, instrument: Instrument, findings: list[Finding]) -> Panel:
    obs = view.resource
    total: tuple[float, JsonPath] | None = None
    computed: float | None = 0.0
    seen_items = 0
    for index, component in enumerate(listed(obs.get("component"))):
        if not isinstance(component, dict):
            continue
        codes = loinc_codes(component.get("code"))
        if instrument.total_code in codes:
            quantity = component.get("valueQuantity")
            value = number(
                quantity.get("value")
                if isinstance(quantity, dict)
                else component.get("valueInteger")
            )
            if value is not None:
                key = "valueQuantity" if isinstance(quantity, dict) else "valueInteger"
                total = (value, ("component", index, key))
            continue
        if not codes & set(instrument.items.values()) or PHQ9_UNSCORED_ITEM in codes:
            continue
        seen_items += 1
        answers = [
            c for s, c in codings(component.get("valueCodeableConcept")) if s == "http://loinc.org"
        ]
        score = ANSWER_SCORES.get(answers[0]) if answers else None
        if score is None or computed is None:
            computed = None
        else:
            computed += score
    if total is not None:
        _check_total_value(view, instrument, total[0], total[1], findings)
        if seen_items:
            _compare(view.anchor, instrument, total[0], computed, total[1], seen_items, findings)
    members = [k for k in map(reference_key, listed(obs.get("hasMember"))) if k]
    return Panel(view.anchor.detached(), instrument, members)


def _compare(
    anchor: Anchor,
    instrument: Instrument,
    total: float,
    computed: float | None,
    rel: JsonPath,
    items: int,
    findings: list[Finding],
) -> None:
    expected = len(instrument.items)
    if computed is None or items < expected:
        findings.append(
            anchor.finding(
                "PCO-PROM-002",
                f"{instrument.name} total {total:g} cannot be verified: {items} of {expected} "
                "scored items have a scorable answer",
                rel,
            )
        )
    elif computed != total:
        findings.append(
            anchor.finding(
                "PCO-PROM-001",
                f"{instrument.name} total is {total:g} but the item answers add up to {computed:g}",
                rel,
            )
        )


def finish_prom(
    goals: dict[str, GoalFact],
    scores: list[PromScore],
    panels: list[Panel],
    items: dict[str, ItemScore],
    responses: dict[str, Scoring],
) -> list[Finding]:
    findings: list[Finding] = []
    for score in scores:
        for key, _rel in score.derived_from:
            scoring = responses.get(key)
            if scoring is None or score.value is None:
                continue
            if scoring.computed is not None and scoring.computed != score.value:
                findings.append(
                    score.anchor.finding(
                        "PCO-PROM-007",
                        f"score {score.value:g} differs from the {scoring.instrument.name} total "
                        f"computed from {key}'s answers ({scoring.computed:g})",
                        ("valueQuantity", "value"),
                    )
                )
            elif (
                scoring.computed is None
                and scoring.given is not None
                and (scoring.given != score.value)
            ):
                findings.append(
                    score.anchor.finding(
                        "PCO-PROM-007",
                        f"score {score.value:g} differs from the total recorded in {key} "
                        f"({scoring.given:g})",
                        ("valueQuantity", "value"),
                    )
                )
    for panel in panels:
        member_items = [items[k] for k in panel.members if k in items]
        totals = [i for i in member_items if i.code == panel.instrument.total_code]
        scored = [i for i in member_items if i.code in panel.instrument.items.values()]
        if not totals or totals[0].score is None or not scored:
            continue
        computed: float | None = 0.0
        for item in scored:
            computed = None if item.score is None or computed is None else computed + item.score
        _compare(
            panel.anchor,
            panel.instrument,
            totals[0].score,
            computed,
            ("hasMember",),
            len(scored),
            findings,
        )
    findings.extend(_goal_progress(goals, scores))
    return findings


def _equal(left: float, right: float) -> bool:
    return left == right


def _goal_progress(goals: dict[str, GoalFact], scores: list[PromScore]) -> list[Finding]:
    findings: list[Finding] = []
    per_goal: dict[int, tuple[GoalFact, list[PromScore]]] = {}
    for score in scores:
        goal = goals.get(score.goal_key) if score.goal_key else None
        if goal is None or goal.prom is None or score.value is None or score.when is None:
            continue
        if not score.codes & goal.prom.measures:
            continue
        per_goal.setdefault(id(goal), (goal, []))[1].append(score)
    for goal, goal_scores in per_goal.values():
        target = goal.prom
        assert target is not None
        if target.value is None:
            continue
        check: Callable[[float, float], bool] = COMPARATORS.get(target.comparator or "", _equal)
        ordered = sorted(goal_scores, key=lambda s: s.when)  # type: ignore[arg-type,return-value]
        bound = f"{target.comparator or '='} {target.value:g}"
        baseline, latest = ordered[0], ordered[-1]
        assert baseline.value is not None and latest.value is not None
        if check(baseline.value, target.value):
            findings.append(
                goal.anchor.finding(
                    "PCO-PROM-010",
                    f"the baseline score {baseline.value:g} already meets the target {bound}",
                    target.rel,
                )
            )
        if len(ordered) > 1:
            met = check(latest.value, target.value)
            if goal.achievement in ("achieved", "not-achieved") and met != (
                goal.achievement == "achieved"
            ):
                findings.append(
                    goal.anchor.finding(
                        "PCO-PROM-011",
                        f"achievementStatus is {goal.achievement} but the latest score "
                        f"{latest.value:g} {'meets' if met else 'does not meet'} the "
                        f"target {bound}",
                        ("achievementStatus",),
                    )
                )
            elif goal.achievement not in ("achieved", "not-achieved"):
                findings.append(
                    goal.anchor.finding(
                        "PCO-PROM-012",
                        f"as encoded, the latest score {latest.value:g} "
                        f"{'meets' if met else 'does not meet'} the target {bound}",
                        target.rel,
                    )
                )
    return findings
