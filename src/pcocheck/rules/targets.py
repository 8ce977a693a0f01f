"""PROM goals: the target on the goal (comparator, range) and the scores of its measure
that focus on it (baseline, latest score, achievementStatus) (facts §4.4, §8.4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.resolution import ResourceKey
from pcocheck.rules.access import as_dict, as_number, fmt, loinc_codes
from pcocheck.rules.codes import ACHIEVED, NOT_ACHIEVED, PROM_TARGET_MEASURES
from pcocheck.rules.dates import When
from pcocheck.rules.facts import GoalFact, Link, PromScore, PromTarget, Subject
from pcocheck.rules.gas import Order
from pcocheck.rules.instruments import BY_TOTAL, Instrument
from pcocheck.rules.references import Target

COMPARATORS = ("<", "<=", ">=", ">")
BASELINE_DAYS = 14  # CQL: a baseline is scored before the follow-up window opens


def meets(score: Decimal, comparator: str | None, target: Decimal) -> bool | None:
    """Whether ``score`` meets ``comparator target``; no comparator means equality (FHIR
    Quantity semantics); None for a comparator pcocheck does not know."""
    if comparator is None:
        return score == target
    if comparator == "<":
        return score < target
    if comparator == "<=":
        return score <= target
    if comparator == ">=":
        return score >= target
    if comparator == ">":
        return score > target
    return None


def _target_text(comparator: str | None, value: Decimal) -> str:
    return f"{comparator} {fmt(value)}" if comparator else f"= {fmt(value)}"


def goal_targets(subject: Subject, out: list[Finding]) -> tuple[PromTarget, ...]:
    """Per-resource checks of a goal's PROM targets, and the targets for the score checks."""
    found: list[PromTarget] = []
    for index, target in enumerate(listed(subject.resource.get("target"))):
        target = as_dict(target)
        measures = tuple(c for c in loinc_codes(target.get("measure")) if c in PROM_TARGET_MEASURES)
        quantity = target.get("detailQuantity")
        if not measures or not isinstance(quantity, dict):
            continue
        value = as_number(quantity.get("value"))
        if value is None:
            continue
        rel: JsonPath = ("target", index, "detailQuantity")
        raw = quantity.get("comparator")
        comparator = raw if isinstance(raw, str) else None
        measure = measures[0]
        instrument = next((BY_TOTAL[m] for m in measures if m in BY_TOTAL), None)
        label = instrument.name if instrument else f"LOINC {measure}"
        if comparator is None:
            out.append(
                subject.finding(
                    "PCO-PROM-008",
                    f"the {label} target {fmt(value)} has no comparator, which means exactly "
                    f"{fmt(value)}; add the comparator (e.g. '<' or '<=')",
                    rel,
                )
            )
        if instrument is not None:
            _target_range(subject, instrument, comparator, value, rel, out)
        found.append(PromTarget(measures, comparator, value, subject.place(rel)))
    return tuple(found)


def _target_range(
    subject: Subject,
    instrument: Instrument,
    comparator: str | None,
    value: Decimal,
    rel: JsonPath,
    out: list[Finding],
) -> None:
    top = instrument.maximum
    if not 0 <= value <= top:
        out.append(
            subject.finding(
                "PCO-PROM-009",
                f"the {instrument.name} target value {fmt(value)} is outside the instrument's "
                f"range 0-{top}",
                (*rel, "value"),
            )
        )
        return
    if comparator not in COMPARATORS:
        return
    reachable = [s for s in range(top + 1) if meets(Decimal(s), comparator, value)]
    if reachable and len(reachable) <= top:
        return
    verdict = "no score can meet it" if not reachable else "every score meets it"
    out.append(
        subject.finding(
            "PCO-PROM-009",
            f"the {instrument.name} target {_target_text(comparator, value)} is not a usable "
            f"target: on the range 0-{top} {verdict}",
            (*rel, "value"),
        )
    )


@dataclass(slots=True)
class _Series:
    goal: GoalFact
    target: PromTarget
    scores: list[tuple[When, Decimal, PromScore]]


def finish_goals(
    goals: Mapping[ResourceKey, GoalFact],
    scores: list[PromScore],
    settle: Callable[[Link], Target],
    out: list[Finding],
    order: Order | None = None,
) -> None:
    """PROM goals against the scores focusing on them (``order``: see
    :func:`pcocheck.rules.gas.finish_gas`; ``out`` starts empty when it is given)."""
    series: dict[tuple[ResourceKey, int], _Series] = {}
    first_number: dict[tuple[ResourceKey, int], int] = {}
    for position, score in enumerate(scores):
        if order is not None:
            order.mark(out, (2, order.numbers[position - 1] if position else -1))
        goal_key, goal, link = _focus(score, goals, settle)
        if goal_key is None or goal is None or link is None or not goal.prom_targets:
            continue
        matching = [(i, t) for i, t in enumerate(goal.prom_targets) if score.code in t.measures]
        if not matching:
            wanted = ", ".join(sorted({m for t in goal.prom_targets for m in t.measures}))
            out.append(
                link.place.finding(
                    "PCO-PROM-013",
                    f"this score is LOINC {score.code} but {goal.label} "
                    f"({settle(link).how}) targets LOINC {wanted}; it does not count towards "
                    "that goal",
                )
            )
            continue
        if score.when is None or score.value is None:
            continue
        index, target = matching[0]
        entry = series.setdefault((goal_key, index), _Series(goal, target, []))
        entry.scores.append((score.when, score.value, score))
        if order is not None:
            first_number.setdefault((goal_key, index), order.numbers[position])
    if order is not None and scores:
        order.mark(out, (2, order.numbers[-1]))
    for series_key, entry in series.items():
        _judge_series(entry, out)
        if order is not None:
            order.mark(out, (3, first_number[series_key]))


def _focus(
    score: PromScore, goals: Mapping[ResourceKey, GoalFact], settle: Callable[[Link], Target]
) -> tuple[ResourceKey | None, GoalFact | None, Link | None]:
    for link in score.focus:
        key = settle(link).key
        goal = goals.get(key) if key is not None else None
        if goal is not None:
            return key, goal, link
    return None, None, None


def _judge_series(entry: _Series, out: list[Finding]) -> None:
    goal, target = entry.goal, entry.target
    ordered = sorted(entry.scores, key=lambda s: s[0].sort_key())
    wanted = _target_text(target.comparator, target.value)
    first_when, first_value, first = ordered[0]
    start = goal.start
    is_baseline = start is None or (first_when.day - start.day).days < BASELINE_DAYS
    if is_baseline and meets(first_value, target.comparator, target.value):
        out.append(
            target.place.finding(
                "PCO-PROM-010",
                f"the baseline score {fmt(first_value)} ({first.label}, {first_when.text}) "
                f"already meets the target {wanted} of {goal.label}; check the target and "
                "comparator",
            )
        )
    last_when, last_value, last = ordered[-1]
    met = meets(last_value, target.comparator, target.value)
    if met is None:
        return
    verdict = "meets" if met else "does not meet"
    if goal.status in (ACHIEVED, NOT_ACHIEVED) and goal.status_place is not None:
        if met != (goal.status == ACHIEVED):
            out.append(
                goal.status_place.finding(
                    "PCO-PROM-011",
                    f"{goal.label} has achievementStatus '{goal.status}' but its latest score "
                    f"{fmt(last_value)} ({last.label}, {last_when.text}) {verdict} the target "
                    f"{wanted}",
                )
            )
        return
    if len(ordered) < 2:
        return
    edge = ""
    if last_value == target.value and target.comparator in ("<", ">"):
        edge = f" (a score equal to the target value does not meet a strict '{target.comparator}')"
    out.append(
        target.place.finding(
            "PCO-PROM-012",
            f"as encoded, the latest score {fmt(last_value)} ({last.label}, {last_when.text}) "
            f"{verdict} the target {wanted} of {goal.label}{edge}",
        )
    )
