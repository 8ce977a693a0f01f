"""The resource being checked, and the compact facts kept for the cross-resource phase.

Facts hold a :class:`Place` (a detached anchor and a JSON path) instead of the resource:
on a large NDJSON export only PCO-relevant resources leave a fact, and a fact holds
only what the cross-resource checks compare.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pcocheck.finding import Finding, JsonPath
from pcocheck.rules.access import canonical_base, claimed_profiles, loinc_codes
from pcocheck.rules.codes import PCO_SD
from pcocheck.rules.dates import When
from pcocheck.rules.references import Scope, Target
from pcocheck.view import Anchor, ResourceView


@dataclass(frozen=True, slots=True)
class Place:
    """An element to report at once the resource itself is gone."""

    anchor: Anchor
    path: JsonPath
    profile: str | None = None

    def finding(self, code: str, message: str) -> Finding:
        return self.anchor.finding(code, message, self.path, profile=self.profile)

    def at(self, *steps: str | int) -> Place:
        return Place(self.anchor, self.path + steps, self.profile)


class Subject:
    """One resource under check: a resource read from the input, or one contained in it."""

    __slots__ = (
        "_anchor",
        "_loinc",
        "label",
        "prefix",
        "profile",
        "profiles",
        "resource",
        "scope",
        "view",
    )

    def __init__(
        self, view: ResourceView, resource: dict[str, Any], prefix: JsonPath, scope: Scope
    ) -> None:
        self.view = view
        self.resource = resource
        self.prefix = prefix
        self.scope = scope
        self.profiles = claimed_profiles(resource)
        claimed = next((p for p in self.profiles if p.startswith(PCO_SD)), None)
        self.profile = sys.intern(claimed) if claimed is not None else None
        rtype = resource.get("resourceType")
        rid = resource.get("id")
        own = f"{rtype}/{rid}" if isinstance(rid, str) else str(rtype)
        if not prefix and own == view.anchor.resource:
            own = view.anchor.resource  # one string per resource, kept by facts and anchor
        self.label = own if not prefix else f"contained {own} in {view.label}"
        self._anchor: Anchor | None = None
        self._loinc: list[str] | None = None

    @property
    def loinc(self) -> list[str]:
        """The LOINC codes of the resource's ``code`` (computed once)."""
        if self._loinc is None:
            self._loinc = loinc_codes(self.resource.get("code"))
        return self._loinc

    @property
    def resource_type(self) -> str:
        value = self.resource.get("resourceType")
        return value if isinstance(value, str) else ""

    def claims(self, profile: str) -> bool:
        return any(canonical_base(p) == profile for p in self.profiles)

    def finding(self, code: str, message: str, rel: JsonPath = ()) -> Finding:
        return self.view.finding(code, message, self.prefix + rel, profile=self.profile)

    def reporter(self, rel: JsonPath, out: list[Finding]) -> Callable[[str, str], None]:
        """A ``(code, message)`` callback adding findings at ``rel`` to ``out``."""

        def report(code: str, message: str) -> None:
            out.append(self.finding(code, message, rel))

        return report

    def place(self, rel: JsonPath = ()) -> Place:
        if self._anchor is None:
            self._anchor = self.view.anchor.detached()
        return Place(self._anchor, self.prefix + rel, self.profile)


@dataclass(frozen=True, slots=True)
class Link:
    """One reference to follow later: what it resolved to (or waits for) and where it was
    written."""

    target: Target | str  # a str: the Type/id of a relative reference to look up at the end
    place: Place
    text: str


@dataclass(frozen=True, slots=True)
class PromTarget:
    """A PROM goal's target: measure codes, comparator and value (detailQuantity)."""

    measures: tuple[str, ...]
    comparator: str | None
    value: Decimal
    place: Place  # target[i].detailQuantity


@dataclass(frozen=True, slots=True)
class GoalFact:
    label: str
    is_gas: bool  # claims the GAS profile, has a GAS extension or the 107332-9 measure
    has_scale: bool  # has GAS extensions
    levels: frozenset[int]
    start: When | None
    status: str | None  # goal-achievement code of achievementStatus
    status_place: Place | None
    prom_targets: tuple[PromTarget, ...]


@dataclass(frozen=True, slots=True)
class GasScore:
    label: str
    role: str | None  # "baseline", "follow-up", or None when the code says neither
    level: int | None
    value_place: Place
    when: When | None
    when_place: Place
    focus: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class PromScore:
    label: str
    code: str  # the LOINC measure code
    value: Decimal | None
    value_place: Place
    when: When | None
    when_place: Place
    focus: tuple[Link, ...]
    derived_from: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class ItemValue:
    """A PHQ-9/GAD-7 item or total Observation that a panel's hasMember may point at."""

    code: str
    score: Decimal | None  # the item's score, or the total's value
    place: Place


@dataclass(frozen=True, slots=True)
class Panel:
    """A PHQ-9/GAD-7 panel Observation whose hasMember items must add up."""

    instrument: str
    label: str
    members: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class ResponseTotal:
    """What a PHQ-9/GAD-7 QuestionnaireResponse adds up to (None when incomplete)."""

    instrument: str
    total: Decimal | None
    label: str
