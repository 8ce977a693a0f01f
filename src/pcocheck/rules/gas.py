"""Goal Attainment Scaling: the five-level scale on a goal, the scores against it, and how
scores, goal dates and achievementStatus fit together (facts §4.2, §4.5, §6.2.1, §8)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pcocheck.engine.frozen_init import quick_init
from pcocheck.finding import Finding
from pcocheck.jsonutil import listed
from pcocheck.resolution import ResourceKey
from pcocheck.rules.access import as_dict, codings, reference_of
from pcocheck.rules.codes import (
    ACHIEVED,
    BASELINE,
    FOLLOW_UP,
    GAS_BASELINE,
    GAS_EXTENSION,
    GAS_FOLLOW_UPS,
    GAS_LEVELS,
    GAS_SCORE_PROFILE,
    LEVEL_CODES,
    LOINC,
    NOT_ACHIEVED,
    OLD_GAS_EXTENSION,
    level_label,
    level_text,
)
from pcocheck.rules.dates import observation_time
from pcocheck.rules.facts import GasScore, GoalFact, Link, Subject
from pcocheck.rules.references import Target, explicit_type
from pcocheck.rules.stale import STALE_GAS_SCORE_CODES, stale_level

WINDOW_FIRST_DAY = 14  # 2 weeks after the goal start
WINDOW_LAST_DAY = 182  # 26 weeks after the goal start
ALL_LEVELS = frozenset(GAS_LEVELS.values())


def level_of(coding: dict[str, Any]) -> int | None:
    """The GAS level a Coding stands for (pre-STU1 level codes included)."""
    code = coding.get("code")
    if not isinstance(code, str):
        return None
    system = coding.get("system")
    if code in GAS_LEVELS and system in (LOINC, None):
        return GAS_LEVELS[code]
    return stale_level(code)


FIVE_LEVELS = ", ".join(LEVEL_CODES[lv] for lv in sorted(LEVEL_CODES))


def is_gas_level(coding: dict[str, Any]) -> bool:
    """One of the five STU1 GAS level codes (LOINC LA34484-8 ... LA34479-8)."""
    code, system = coding.get("code"), coding.get("system")
    return isinstance(code, str) and code in GAS_LEVELS and system in (LOINC, None)


def _shown(coding: dict[str, Any]) -> str:
    code = coding.get("code")
    return str(code) if code is not None else "without a code"


def _stale_note(coding: dict[str, Any]) -> str:
    code = coding.get("code")
    if isinstance(code, str) and stale_level(code) is not None:
        return " (a pre-STU1 level code, see PCO-STALE)"
    return ""


@quick_init
@dataclass(frozen=True, slots=True)
class Scale:
    has_scale: bool
    levels: frozenset[int]


def check_scale(subject: Subject, out: list[Finding]) -> Scale:
    """The GAS extensions of a Goal: each level at most once, all five present, each with
    progress text that says something."""
    first_seen: dict[int, int] = {}
    gas_extensions: list[int] = []
    for index, ext in enumerate(listed(subject.resource.get("extension"))):
        ext = as_dict(ext)
        if ext.get("url") not in (GAS_EXTENSION, OLD_GAS_EXTENSION):
            continue
        gas_extensions.append(index)
        for sub_index, sub in enumerate(listed(ext.get("extension"))):
            sub = as_dict(sub)
            rel = ("extension", index, "extension", sub_index)
            if sub.get("url") == "level":
                coding = as_dict(sub.get("valueCoding"))
                if not is_gas_level(coding):
                    out.append(
                        subject.finding(
                            "PCO-GAS-040",
                            f"GAS level {_shown(coding)} is not one of the five GAS levels "
                            f"{FIVE_LEVELS}{_stale_note(coding)}",
                            (*rel, "valueCoding"),
                        )
                    )
                level = level_of(coding)
                if level is None:
                    continue
                earlier = first_seen.setdefault(level, index)
                if earlier != index:
                    out.append(
                        subject.finding(
                            "PCO-GAS-001",
                            f"GAS level {level_text(level)} is defined twice on this goal "
                            f"(extension[{earlier}] and extension[{index}])",
                            (*rel, "valueCoding"),
                        )
                    )
            elif sub.get("url") == "progressText":
                text = sub.get("valueString")
                if isinstance(text, str) and not text.strip():
                    level_note = _level_in(ext)
                    out.append(
                        subject.finding(
                            "PCO-GAS-003",
                            f"the progressText of GAS extension[{index}]{level_note} is blank; "
                            "describe what this level of attainment looks like",
                            (*rel, "valueString"),
                        )
                    )
    levels = frozenset(first_seen)
    if levels == ALL_LEVELS:
        levels = ALL_LEVELS  # one shared set for the usual complete scale
    if gas_extensions and levels != ALL_LEVELS:
        missing = [level_text(level) for level in sorted(ALL_LEVELS - levels)]
        out.append(
            subject.finding(
                "PCO-GAS-002",
                f"the GAS scale on this goal defines {len(levels)} of the five levels; "
                f"missing: {', '.join(missing)}",
                ("extension", gas_extensions[0]),
            )
        )
    return Scale(bool(gas_extensions), levels)


def _level_in(ext: dict[str, Any]) -> str:
    for sub in listed(ext.get("extension")):
        sub = as_dict(sub)
        if sub.get("url") == "level":
            level = level_of(as_dict(sub.get("valueCoding")))
            if level is not None:
                return f" (level {level_text(level)})"
    return ""


def score_role(loinc: list[str]) -> str | None:
    """baseline / follow-up from the LOINC codes of Observation.code (pre-STU1 score codes
    included)."""
    for code in loinc:
        if code == GAS_BASELINE:
            return BASELINE
        if code in GAS_FOLLOW_UPS:
            return FOLLOW_UP
        if code in STALE_GAS_SCORE_CODES:
            return STALE_GAS_SCORE_CODES[code][1]
    return None


def gas_score(subject: Subject, out: list[Finding]) -> GasScore | None:
    """Per-resource checks of a GAS score Observation, and its fact for the goal checks."""
    resource = subject.resource
    role = score_role(subject.loinc)
    if role is None and not subject.claims(GAS_SCORE_PROFILE):
        return None
    level = None
    concept = resource.get("valueCodeableConcept")
    if isinstance(concept, dict):
        found = [(level_of(c), c) for _, c in codings(concept)]
        level = next((lv for lv, _ in found if lv is not None), None)
        if not any(is_gas_level(c) for _, c in found):
            # The IG defines GAS as the five-point -2..+2 scale: any other answer (an
            # unknown or a pre-STU1 code) cannot be scored, whatever LL6900-6 may hold.
            shown = ", ".join(_shown(c) for _, c in found) or "no coding"
            note = next((_stale_note(c) for _, c in found if _stale_note(c)), "")
            out.append(
                subject.finding(
                    "PCO-GAS-004",
                    f"GAS score value ({shown}) is not one of the five GAS levels "
                    f"{FIVE_LEVELS}{note}",
                    ("valueCodeableConcept",),
                )
            )
    links: list[Link] = []
    for index, focus in enumerate(listed(resource.get("focus"))):
        ref = reference_of(focus)
        if ref is not None:
            links.append(Link(subject.scope.target(ref), subject.place(("focus", index)), ref))
    if not links:
        where = ("focus", 0) if listed(resource.get("focus")) else ()
        out.append(
            subject.finding(
                "PCO-GAS-006",
                "this GAS score has no focus reference to its goal, so its level and timing "
                "cannot be checked against the goal",
                where,
            )
        )
    when, when_path = observation_time(resource)
    return GasScore(
        label=subject.label,
        role=role,
        level=level,
        value_place=subject.place(("valueCodeableConcept",)),
        when=when,
        when_place=subject.place(when_path),
        focus=tuple(links),
    )


Settle = Callable[[Link], Target]


def finish_gas(
    goals: Mapping[ResourceKey, GoalFact],
    scores: list[GasScore],
    settle: Settle,
    order: Order | None = None,
) -> list[Finding]:
    """The cross-resource GAS checks. ``order``: the scores' numbers in the run and the
    list that gets each finding's place in the run's order (for a run checked part by
    part, see :meth:`pcocheck.rules.PcoRules.finish`)."""
    out: list[Finding] = []
    per_goal: dict[ResourceKey, tuple[GoalFact, list[GasScore]]] = {}
    first_number: dict[ResourceKey, int] = {}
    for position, score in enumerate(scores):
        found = _focus_goal(score, goals, settle, out)
        if order is not None:
            order.mark(out, (0, order.numbers[position]))
        if found is None:
            continue
        goal_key, goal, how = found
        if goal.has_scale and score.level is not None and score.level not in goal.levels:
            defined = ", ".join(level_label(lv) for lv in sorted(goal.levels)) or "none"
            out.append(
                score.value_place.finding(
                    "PCO-GAS-005",
                    f"GAS score level {level_text(score.level)} is not defined on "
                    f"{goal.label} ({how}), whose scale defines: {defined}",
                )
            )
        if order is not None:
            order.mark(out, (0, order.numbers[position]))
            first_number.setdefault(goal_key, order.numbers[position])
        per_goal.setdefault(goal_key, (goal, []))[1].append(score)
    for goal_key, (goal, group) in per_goal.items():
        _check_timeline(goal, group, out)
        _check_achievement(goal, group, out)
        if order is not None:
            order.mark(out, (1, first_number[goal_key]))
    return out


class Order:
    """Where findings go in the run's order when facts are checked part by part: the
    numbers of the facts passed (in the run), and one tag per finding made."""

    __slots__ = ("numbers", "tags")

    def __init__(self, numbers: list[int]) -> None:
        self.numbers = numbers
        self.tags: list[tuple[int, int]] = []

    def mark(self, out: list[Finding], tag: tuple[int, int]) -> None:
        """Tag the findings added to ``out`` since the last mark."""
        self.tags.extend([tag] * (len(out) - len(self.tags)))


def _focus_goal(
    score: GasScore, goals: Mapping[ResourceKey, GoalFact], settle: Settle, out: list[Finding]
) -> tuple[ResourceKey, GoalFact, str] | None:
    if not score.focus:
        return None  # reported with the score itself
    first: Target | None = None
    for link in score.focus:
        target = settle(link)
        first = first or target
        goal = goals.get(target.key) if target.key is not None else None
        if goal is None or target.key is None:
            continue
        if not goal.is_gas:
            out.append(
                link.place.finding(
                    "PCO-GAS-007",
                    f"focus {_named(link.text, goal.label)} is not a GAS goal ({target.how}; "
                    "no GAS "
                    "extension, no LOINC 107332-9 target measure, no pco-gas-goal-profile "
                    "claim); point the score at its GAS goal",
                )
            )
            return None
        return target.key, goal, target.how
    link = score.focus[0]
    named = explicit_type(link.text)
    status = first.status if first is not None else "not-found"
    if named is not None and named != "Goal":
        why = f"points at a {named}, not a Goal"
    elif status == "ambiguous" and first is not None:
        why = f"is {first.how}"
    elif status in ("multiple", "version-mismatch", "urn-missing") and first is not None:
        why = f"does not resolve ({first.how})"
    else:
        why = "is not a Goal among the inputs of this run"
    out.append(
        link.place.finding(
            "PCO-GAS-006",
            f"focus {link.text} {why}, so this GAS score's level and timing were not checked "
            "against its goal",
        )
    )
    return None


def _named(reference: str, label: str) -> str:
    return label if reference == label else f"{reference} ({label})"


def _check_timeline(goal: GoalFact, group: list[GasScore], out: list[Finding]) -> None:
    baselines = [s for s in group if s.role == BASELINE]
    dated = sorted((s for s in baselines if s.when is not None), key=_when_key)
    first = dated[0] if dated else (baselines[0] if baselines else None)
    for other in baselines:
        if other is first or first is None:
            continue
        dated_text = f" dated {first.when.text}" if first.when is not None else ""
        out.append(
            other.when_place.finding(
                "PCO-GAS-010",
                f"{goal.label} already has a GAS baseline ({first.label}{dated_text}); "
                f"{len(baselines)} baselines (LOINC 112296-9) focus on this goal",
            )
        )
    baseline = dated[0] if dated else None
    start = goal.start
    for score in group:
        when = score.when
        if score.role != FOLLOW_UP or when is None:
            continue
        if start is not None and when.day < start.day:
            out.append(
                score.when_place.finding(
                    "PCO-GAS-008",
                    f"GAS follow-up dated {when.text} is before the start of {goal.label} "
                    f"({start.text}); check the date or the score code",
                )
            )
            continue
        if baseline is not None and baseline.when is not None and when.before(baseline.when):
            out.append(
                score.when_place.finding(
                    "PCO-GAS-008",
                    f"GAS follow-up dated {when.text} is before the baseline {baseline.label} "
                    f"dated {baseline.when.text} for {goal.label}; check the date or the "
                    "score code (baseline 112296-9 vs follow-up)",
                )
            )
        if start is not None:
            days = (when.day - start.day).days
            if not WINDOW_FIRST_DAY <= days <= WINDOW_LAST_DAY:
                out.append(
                    score.when_place.finding(
                        "PCO-GAS-009",
                        f"GAS follow-up dated {when.text} is {days} days after {goal.label} "
                        f"started ({start.text}); the PCO follow-up window is days "
                        f"{WINDOW_FIRST_DAY}-{WINDOW_LAST_DAY} (2-26 weeks), so PCO measures "
                        "do not count it",
                    )
                )


def _check_achievement(goal: GoalFact, group: list[GasScore], out: list[Finding]) -> None:
    if goal.status not in (ACHIEVED, NOT_ACHIEVED) or goal.status_place is None:
        return
    follow_ups = [
        s for s in group if s.role == FOLLOW_UP and s.when is not None and s.level is not None
    ]
    if not follow_ups:
        return
    latest_key = max(_when_key(s) for s in follow_ups)
    latest = [s for s in follow_ups if _when_key(s) == latest_key]
    verdicts = {s.level is not None and s.level >= 0 for s in latest}
    if len(verdicts) != 1:
        return  # same-time follow-ups disagree with each other: nothing to compare with
    achieved = verdicts.pop()
    if achieved == (goal.status == ACHIEVED):
        return
    score = latest[0]
    assert score.level is not None and score.when is not None
    meaning = "0 or better, i.e. achieved" if achieved else "below 0, i.e. not achieved"
    out.append(
        goal.status_place.finding(
            "PCO-GAS-011",
            f"{goal.label} has achievementStatus '{goal.status}' but its latest GAS follow-up "
            f"({score.label}, {score.when.text}) is {level_text(score.level)} ({meaning})",
        )
    )


def _when_key(score: GasScore) -> tuple[Any, ...]:
    assert score.when is not None
    return score.when.sort_key()
