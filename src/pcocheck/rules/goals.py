"""Goals: what the cross-resource checks need to know about each one, and the
"at least one of" requirements StructureDefinitions cannot express (REQ-2, REQ-3)."""

from __future__ import annotations

from pcocheck.finding import Finding
from pcocheck.jsonutil import listed
from pcocheck.rules.access import as_dict, canonical_base, codings, has_code, loinc_codes
from pcocheck.rules.codes import (
    GAS_GOAL_PROFILE,
    GAS_MEASURE,
    GOAL_ACHIEVEMENT,
    GOAL_DOMAIN_CODES,
    GOAL_DOMAIN_SYSTEM,
    PCO_CATEGORY_CODES,
    PCO_CATEGORY_SYSTEM,
    PCO_GOAL_PROFILES,
)
from pcocheck.rules.dates import parse_when
from pcocheck.rules.facts import GoalFact, Place, Subject
from pcocheck.rules.gas import check_scale
from pcocheck.rules.targets import goal_targets


def goal_fact(subject: Subject, out: list[Finding]) -> GoalFact:
    resource = subject.resource
    scale = check_scale(subject, out)
    targets = [as_dict(t) for t in listed(resource.get("target"))]
    gas_measure = any(GAS_MEASURE in loinc_codes(t.get("measure")) for t in targets)
    claims_gas = subject.claims(GAS_GOAL_PROFILE)
    if claims_gas and not scale.has_scale and not gas_measure:
        out.append(
            subject.finding(
                "PCO-GOAL-001",
                "this goal claims pco-gas-goal-profile but has neither a GAS extension nor a "
                "target.measure of LOINC 107332-9, so it cannot be recognised as a GAS goal "
                "(REQ-2); add the GAS levels or the 107332-9 measure",
                ("meta", "profile", _claim_index(subject, GAS_GOAL_PROFILE)),
            )
        )
    _categories(subject, out)
    status, status_place = _status(subject)
    return GoalFact(
        label=subject.label,
        is_gas=claims_gas or scale.has_scale or gas_measure,
        has_scale=scale.has_scale,
        levels=scale.levels,
        start=parse_when(resource.get("startDate")),
        status=status,
        status_place=status_place,
        prom_targets=goal_targets(subject, out),
    )


def _claim_index(subject: Subject, profile: str) -> int:
    """Where in meta.profile ``profile`` is claimed."""
    claimed = listed(as_dict(subject.resource.get("meta")).get("profile"))
    return next(
        (i for i, p in enumerate(claimed) if isinstance(p, str) and canonical_base(p) == profile),
        0,
    )


def _categories(subject: Subject, out: list[Finding]) -> None:
    if not any(canonical_base(p) in PCO_GOAL_PROFILES for p in subject.profiles):
        return
    categories = listed(subject.resource.get("category"))
    for concept in categories:
        if has_code(concept, PCO_CATEGORY_SYSTEM, PCO_CATEGORY_CODES) or has_code(
            concept, GOAL_DOMAIN_SYSTEM, GOAL_DOMAIN_CODES
        ):
            return
    out.append(
        subject.finding(
            "PCO-GOAL-002",
            "this PCO goal has no category from pco-categories or pco-goal-domain-categories, "
            "so PCO measures cannot recognise it as person-centered (REQ-3); add e.g. "
            f"{PCO_CATEGORY_SYSTEM}#what-matters or a {GOAL_DOMAIN_SYSTEM} code",
            ("category",) if categories else (),
        )
    )


def _status(subject: Subject) -> tuple[str | None, Place | None]:
    concept = subject.resource.get("achievementStatus")
    for _, coding in codings(concept):
        code = coding.get("code")
        if coding.get("system") in (GOAL_ACHIEVEMENT, None) and isinstance(code, str):
            return code, subject.place(("achievementStatus",))
    return None, None
