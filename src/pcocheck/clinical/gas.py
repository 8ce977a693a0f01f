"""Goal Attainment Scaling: the scale on a goal, and the scores against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pcocheck.clinical.facts import (
    as_date,
    claims,
    codings,
    effective,
    loinc_codes,
    parse_when,
    reference_key,
)
from pcocheck.clinical.instruments import (
    GAS_BASELINE,
    GAS_EXTENSION,
    GAS_FOLLOW_UPS,
    GAS_GOAL_PROFILE,
    GAS_LEVELS,
    GAS_STALE_BASELINE,
    GAS_TARGET_MEASURE,
    GAS_WINDOW_DAYS,
    LOINC,
    PCO_GOAL_PROFILES,
    level_label,
)
from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.view import Anchor, ResourceView

PCO_CATEGORY_SYSTEMS = frozenset(
    {
        "http://hl7.org/fhir/us/pco/CodeSystem/pco-concepts-temporary",
        "http://hl7.org/fhir/us/pco/CodeSystem/pco-goal-domains-temporary",
    }
)
STALE_GAS_ANSWERS = frozenset({"LA6111-4", "LA6112-2", "LA6113-0"})


@dataclass(slots=True)
class PromTarget:
    measures: set[str]
    comparator: str | None
    value: float | None
    rel: JsonPath


@dataclass(slots=True)
class GoalFact:
    anchor: Anchor
    levels: dict[str, int] = field(default_factory=dict)  # level code -> extension index
    is_gas: bool = False
    start: date | None = None
    achievement: str | None = None
    prom: PromTarget | None = None


@dataclass(slots=True)
class GasScore:
    anchor: Anchor
    role: str  # baseline | practitioner | patient | caregiver
    level: str | None
    when: datetime | None
    when_rel: JsonPath
    goal_key: str | None
    focus_given: bool


def goal_fact(view: ResourceView, findings: list[Finding]) -> GoalFact:
    """Checks one Goal's GAS scale and PCO categories; returns what later checks need."""
    goal = view.resource
    fact = GoalFact(anchor=view.anchor.detached())
    fact.start = as_date(parse_when(goal.get("startDate")))
    status = goal.get("achievementStatus")
    for system, code in codings(status):
        if system == "http://terminology.hl7.org/CodeSystem/goal-achievement":
            fact.achievement = code
    raw = goal.get("extension")
    extensions: list[Any] = raw if isinstance(raw, list) else []
    gas_indexes = [
        i for i, e in enumerate(extensions) if isinstance(e, dict) and e.get("url") == GAS_EXTENSION
    ]
    for index in gas_indexes:
        _check_gas_extension(view, extensions[index], index, fact, findings)
    measures: set[str] = set()
    for target in listed(goal.get("target")):
        if isinstance(target, dict):
            measures |= loinc_codes(target.get("measure"))
    claims_gas = claims(goal, frozenset({GAS_GOAL_PROFILE}))
    fact.is_gas = bool(gas_indexes) or GAS_TARGET_MEASURE in measures or claims_gas
    if gas_indexes:
        missing = [c for c in GAS_LEVELS if c not in fact.levels]
        if missing and fact.levels:
            names = ", ".join(level_label(c) for c in missing)
            findings.append(
                view.finding(
                    "PCO-GAS-002",
                    f"the goal's attainment scale defines {len(fact.levels)} of the five "
                    "GAS levels; "
                    f"missing: {names}",
                    ("extension", gas_indexes[0]),
                )
            )
    if claims_gas and not gas_indexes and GAS_TARGET_MEASURE not in measures:
        findings.append(
            view.finding(
                "PCO-GOAL-001",
                "the goal claims pco-gas-goal-profile but has neither a GAS extension nor a "
                "target.measure of LOINC 107332-9, so it cannot be recognised as a GAS goal "
                "(REQ-2)",
                ("meta", "profile"),
            )
        )
    categories = goal.get("category")
    if isinstance(categories, dict):  # a malformed single value (reported by the engine)
        categories = [categories]
    if claims(goal, PCO_GOAL_PROFILES) and not any(
        system in PCO_CATEGORY_SYSTEMS
        for category in (categories if isinstance(categories, list) else [])
        for system, _ in codings(category)
    ):
        findings.append(
            view.finding(
                "PCO-GOAL-002",
                "the goal has no category from pco-categories or pco-goal-domain-categories, so "
                "measures cannot recognise it as person-centered (REQ-3)",
                ("category",) if "category" in goal else (),
            )
        )
    return fact


def _check_gas_extension(
    view: ResourceView, extension: Any, index: int, fact: GoalFact, findings: list[Finding]
) -> None:
    parts = extension.get("extension") if isinstance(extension, dict) else None
    if not isinstance(parts, list):
        return
    for position, part in enumerate(parts):
        if not isinstance(part, dict):
            continue
        rel: JsonPath = ("extension", index, "extension", position)
        if part.get("url") == "level":
            coding = part.get("valueCoding")
            code = coding.get("code") if isinstance(coding, dict) else None
            if not isinstance(code, str) or code not in GAS_LEVELS:
                continue
            if code in fact.levels:
                findings.append(
                    view.finding(
                        "PCO-GAS-001",
                        f"GAS level {level_label(code)} is defined twice on this goal "
                        f"(extension[{fact.levels[code]}] and extension[{index}])",
                        (*rel, "valueCoding"),
                    )
                )
            else:
                fact.levels[code] = index
        elif part.get("url") == "progressText":
            text = part.get("valueString")
            if isinstance(text, str) and not text.strip():
                findings.append(
                    view.finding(
                        "PCO-GAS-003",
                        "the GAS level's progress text is blank",
                        (*rel, "valueString"),
                    )
                )


def gas_score(view: ResourceView, findings: list[Finding]) -> GasScore | None:
    """A GAS score Observation's facts (None when the Observation is not one)."""
    obs = view.resource
    codes = loinc_codes(obs.get("code"))
    if GAS_BASELINE in codes or GAS_STALE_BASELINE in codes:
        role = "baseline"
    else:
        role = next((GAS_FOLLOW_UPS[c] for c in codes if c in GAS_FOLLOW_UPS), "")
        if not role:
            return None
    level: str | None = None
    value = obs.get("valueCodeableConcept")
    if isinstance(value, dict):
        answers = [c for s, c in codings(value) if s == LOINC]
        level = next((c for c in answers if c in GAS_LEVELS), None)
        if level is None and not any(c in STALE_GAS_ANSWERS for c in answers):
            findings.append(
                view.finding(
                    "PCO-GAS-004",
                    "the score is not one of the five GAS levels (LA34484-8 −2, LA34483-0 −1, "
                    "LA34481-4 0, LA34480-6 +1, LA34479-8 +2), so it cannot be scored",
                    ("valueCodeableConcept",),
                )
            )
    when, when_rel = effective(obs)
    focus = obs.get("focus")
    goal_key = None
    if isinstance(focus, list):
        goal_key = next((k for k in map(reference_key, focus) if k), None)
    return GasScore(view.anchor.detached(), role, level, when, when_rel, goal_key, bool(focus))


def finish_gas(goals: dict[str, GoalFact], scores: list[GasScore]) -> list[Finding]:
    findings: list[Finding] = []
    per_goal: dict[int, tuple[GoalFact, list[GasScore]]] = {}
    for score in scores:
        goal = goals.get(score.goal_key) if score.goal_key else None
        if goal is None:
            if not score.focus_given:
                findings.append(
                    score.anchor.finding(
                        "PCO-GAS-006",
                        "the GAS score has no focus, so the goal it scores is unknown and its "
                        "level "
                        "and timing could not be checked",
                    )
                )
            else:
                findings.append(
                    score.anchor.finding(
                        "PCO-GAS-006",
                        f"focus {score.goal_key} is not in the input, so the score's level and "
                        "timing could not be checked against the goal",
                        ("focus", 0),
                    )
                )
            continue
        if not goal.is_gas:
            findings.append(
                score.anchor.finding(
                    "PCO-GAS-007",
                    f"focus {score.goal_key} is not a GAS goal (no GAS extension, no "
                    "107332-9 target "
                    "measure, no pco-gas-goal-profile claim)",
                    ("focus", 0),
                )
            )
        if score.level and goal.levels and score.level not in goal.levels:
            defined = ", ".join(level_label(c) for c in GAS_LEVELS if c in goal.levels)
            findings.append(
                score.anchor.finding(
                    "PCO-GAS-005",
                    f"GAS level {level_label(score.level)} is not defined on {score.goal_key} "
                    f"(it defines {defined})",
                    ("valueCodeableConcept",),
                )
            )
        per_goal.setdefault(id(goal), (goal, []))[1].append(score)
    for goal, goal_scores in per_goal.values():
        findings.extend(_timing(goal, goal_scores))
    return findings


def _timing(goal: GoalFact, scores: list[GasScore]) -> list[Finding]:
    findings: list[Finding] = []
    baselines = sorted((s for s in scores if s.role == "baseline" and s.when), key=_when)
    for extra in baselines[1:]:
        findings.append(
            extra.anchor.finding(
                "PCO-GAS-010",
                f"more than one GAS baseline for the same goal (first on {_day(baselines[0])}); "
                "follow-ups are compared with the earliest",
                extra.when_rel,
            )
        )
    follow_ups = sorted((s for s in scores if s.role != "baseline" and s.when), key=_when)
    first_baseline = baselines[0] if baselines else None
    for score in follow_ups:
        day = as_date(score.when)
        if (
            first_baseline
            and score.when
            and first_baseline.when
            and score.when < first_baseline.when
        ):
            findings.append(
                score.anchor.finding(
                    "PCO-GAS-008",
                    f"{score.role} follow-up on {day} is before the GAS baseline "
                    f"({_day(first_baseline)})",
                    score.when_rel,
                )
            )
        elif goal.start and day and day < goal.start:
            findings.append(
                score.anchor.finding(
                    "PCO-GAS-008",
                    f"{score.role} follow-up on {day} is before the goal's start date "
                    f"({goal.start})",
                    score.when_rel,
                )
            )
        elif goal.start and day:
            offset = (day - goal.start).days
            low, high = GAS_WINDOW_DAYS
            if not low <= offset <= high:
                findings.append(
                    score.anchor.finding(
                        "PCO-GAS-009",
                        f"{score.role} follow-up on {day} is {offset} days after the goal start "
                        f"({goal.start}); PCO measures count follow-ups 2 to 26 weeks after it",
                        score.when_rel,
                    )
                )
    scored = [s for s in follow_ups if s.level]
    if scored and goal.achievement in ("achieved", "not-achieved"):
        latest = scored[-1]
        achieved = GAS_LEVELS[str(latest.level)] >= 0
        if achieved != (goal.achievement == "achieved"):
            findings.append(
                goal.anchor.finding(
                    "PCO-GAS-011",
                    f"achievementStatus is {goal.achievement} but the latest follow-up "
                    f"({_day(latest)}, {latest.role}) is {level_label(str(latest.level))}, which "
                    f"means {'achieved' if achieved else 'not achieved'} (level ≥ 0 = achieved)",
                    ("achievementStatus",),
                )
            )
    return findings


def _when(score: GasScore) -> datetime:
    assert score.when is not None
    return score.when


def _day(score: GasScore) -> str:
    return str(as_date(score.when))
