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
from typing import Any, TypeVar

from pcocheck.engine.frozen_init import quick_init
from pcocheck.finding import Finding, JsonPath
from pcocheck.inputs.source import RecordLine
from pcocheck.pickling import pickled_by_fields
from pcocheck.rules.access import canonical_base, loinc_codes
from pcocheck.rules.codes import PCO_SD
from pcocheck.rules.dates import When
from pcocheck.rules.references import Scope, Target
from pcocheck.view import Anchor, ResourceView

# Where an NDJSON record's resource was, kept instead of its detached Anchor (an Anchor and
# a RecordLine cost about 230 bytes per resource, this tuple about 100): file, first line,
# root type, base path, entry, resource label. One per resource, shared by its places.
RecordSpot = tuple[str | None, int, str, JsonPath, int | None, str | None]

# Shared copies of what many facts repeat (JSON paths, codes, small score values, level
# sets, dates). Bounded: past the bound, values are kept as they are (still correct, less
# shared). Lifetime: one run (see :func:`forget_shared`). Small: the facts of NDJSON
# records are kept compressed (pcocheck.rules.store), so sharing matters for the facts of
# whole files and while facts are rebuilt, and a large table would itself grow the run.
_SHARED_LIMIT = 10_000
_PATHS: dict[JsonPath, JsonPath] = {}
_VALUES: dict[object, object] = {}
_WHENS: dict[When, When] = {}  # equal texts give equal Whens: dates repeat in an export
_T = TypeVar("_T")


def forget_shared() -> None:
    """Let go of the shared copies (a run's facts are gone, or a new run starts)."""
    _PATHS.clear()
    _VALUES.clear()
    _WHENS.clear()


def shared_path(path: JsonPath) -> JsonPath:
    if len(_PATHS) >= _SHARED_LIMIT:
        return _PATHS.get(path, path)
    return _PATHS.setdefault(path, path)


def _shared(value: _T) -> _T:
    if value is None:
        return value
    key = (type(value), str(value)) if isinstance(value, Decimal) else value
    if len(_VALUES) >= _SHARED_LIMIT:
        found = _VALUES.get(key, value)
    else:
        found = _VALUES.setdefault(key, value)
    return found  # type: ignore[return-value]


def _shared_when(when: When | None) -> When | None:
    if when is None:
        return None
    if len(_WHENS) >= _SHARED_LIMIT:
        return _WHENS.get(when, when)
    return _WHENS.setdefault(when, when)


def spot_of(anchor: Anchor) -> Anchor | RecordSpot:
    """What a fact keeps of ``anchor``: a :data:`RecordSpot` for an NDJSON record (its text
    is not kept), else the anchor itself (a whole file's text is shared by its resources)."""
    source = anchor.source
    if source is None or not source.record:
        return anchor
    return (
        anchor.file,
        source.first_line,
        anchor.root,
        anchor.base_path,
        anchor.entry,
        anchor.resource,
    )


def _anchor_of(spot: Anchor | RecordSpot) -> Anchor:
    if isinstance(spot, Anchor):
        return spot
    file, line, root, base_path, entry, resource = spot
    return Anchor(RecordLine(file or "", line), file, root, base_path, entry, resource)


def referrer_of(spot: Anchor | RecordSpot) -> tuple[str, int | None]:
    """The file and NDJSON line (None: not a record) of the anchor ``spot`` stands for."""
    if isinstance(spot, tuple):
        return spot[0] or "", spot[1]
    source = spot.source
    return spot.file or "", source.first_line if source is not None and source.record else None


class Place:
    """An element to report at once the resource itself is gone.

    Keeps a compact spot (see :func:`spot_of`); :attr:`anchor` rebuilds the detached
    anchor when a finding is reported or a reference settled."""

    __slots__ = ("_spot", "path", "profile")

    def __init__(
        self, anchor: Anchor | RecordSpot, path: JsonPath, profile: str | None = None
    ) -> None:
        self._spot = spot_of(anchor) if isinstance(anchor, Anchor) else anchor
        self.path = shared_path(path)
        self.profile = profile

    @property
    def anchor(self) -> Anchor:
        return _anchor_of(self._spot)

    @property
    def referrer(self) -> tuple[str, int | None]:
        """The file and the NDJSON line (None: not a record) of the resource, as
        :func:`~pcocheck.rules.references.settle` reads its anchor (none is rebuilt)."""
        return referrer_of(self._spot)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Place, (self._spot, self.path, self.profile))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Place):
            return NotImplemented
        return (self._spot, self.path, self.profile) == (other._spot, other.path, other.profile)

    def __hash__(self) -> int:
        return hash((self.path, self.profile))

    def __repr__(self) -> str:
        return f"Place(anchor={self.anchor!r}, path={self.path!r}, profile={self.profile!r})"

    def finding(self, code: str, message: str) -> Finding:
        return self.anchor.finding(code, message, self.path, profile=self.profile)

    def at(self, *steps: str | int) -> Place:
        return Place(self._spot, self.path + steps, self.profile)


class Subject:
    """One resource under check: a resource read from the input, or one contained in it."""

    __slots__ = (
        "_bases",
        "_loinc",
        "_spot",
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
        # claimed_profiles(resource), and the first PCO profile among them, inline: this
        # runs once per resource
        meta = resource.get("meta")
        listed_profiles = meta.get("profile") if isinstance(meta, dict) else None
        profiles: list[str] = []
        claimed = None
        if isinstance(listed_profiles, list):
            profiles = [p for p in listed_profiles if isinstance(p, str)]
            for profile in profiles:
                if profile.startswith(PCO_SD):
                    claimed = sys.intern(profile)
                    break
        self.profiles = profiles
        self.profile = claimed
        rtype = resource.get("resourceType")
        rid = resource.get("id")
        own = f"{rtype}/{rid}" if isinstance(rid, str) else str(rtype)
        if not prefix and own == view.anchor.resource:
            own = view.anchor.resource  # one string per resource, kept by facts and anchor
        self.label = own if not prefix else f"contained {own} in {view.label}"
        self._spot: Anchor | RecordSpot | None = None
        self._loinc: list[str] | None = None
        self._bases: frozenset[str] | None = None

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
        if self._bases is None:
            self._bases = frozenset(map(canonical_base, self.profiles))
        return profile in self._bases

    def finding(self, code: str, message: str, rel: JsonPath = ()) -> Finding:
        return self.view.finding(code, message, self.prefix + rel, profile=self.profile)

    def reporter(self, rel: JsonPath, out: list[Finding]) -> Callable[[str, str], None]:
        """A ``(code, message)`` callback adding findings at ``rel`` to ``out``."""

        def report(code: str, message: str) -> None:
            out.append(self.finding(code, message, rel))

        return report

    def place(self, rel: JsonPath = ()) -> Place:
        if self._spot is None:
            self._spot = spot_of(self.view.anchor)
        return Place(self._spot, self.prefix + rel, self.profile)


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class Link:
    """One reference to follow later: what it resolved to (or waits for) and where it was
    written."""

    target: Target | str  # a str: the Type/id of a relative reference to look up at the end
    place: Place
    text: str

    def __post_init__(self) -> None:  # share what many facts repeat
        if self.target == self.text:  # the target's key is interned: shared by all links
            object.__setattr__(self, "text", self.target)


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class PromTarget:
    """A PROM goal's target: measure codes, comparator and value (detailQuantity)."""

    measures: tuple[str, ...]
    comparator: str | None
    value: Decimal
    place: Place  # target[i].detailQuantity

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "measures", _shared(tuple(map(_shared, self.measures))))
        object.__setattr__(self, "comparator", _shared(self.comparator))
        object.__setattr__(self, "value", _shared(self.value))


@pickled_by_fields
@quick_init
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

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "levels", _shared(self.levels))
        object.__setattr__(self, "status", _shared(self.status))
        object.__setattr__(self, "start", _shared_when(self.start))


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class GasScore:
    label: str
    role: str | None  # "baseline", "follow-up", or None when the code says neither
    level: int | None
    value_place: Place
    when: When | None
    when_place: Place
    focus: tuple[Link, ...]

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "role", _shared(self.role))
        object.__setattr__(self, "when", _shared_when(self.when))


@pickled_by_fields
@quick_init
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

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "code", _shared(self.code))
        object.__setattr__(self, "value", _shared(self.value))
        object.__setattr__(self, "when", _shared_when(self.when))


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class ItemValue:
    """A PHQ-9/GAD-7 item or total Observation that a panel's hasMember may point at."""

    code: str
    score: Decimal | None  # the item's score, or the total's value
    place: Place

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "code", _shared(self.code))
        object.__setattr__(self, "score", _shared(self.score))


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class Panel:
    """A PHQ-9/GAD-7 panel Observation whose hasMember items must add up."""

    instrument: str
    label: str
    members: tuple[Link, ...]

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "instrument", _shared(self.instrument))


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class ResponseTotal:
    """What a PHQ-9/GAD-7 QuestionnaireResponse adds up to (None when incomplete)."""

    instrument: str
    total: Decimal | None
    label: str

    def __post_init__(self) -> None:  # share what many facts repeat
        object.__setattr__(self, "instrument", _shared(self.instrument))
        object.__setattr__(self, "total", _shared(self.total))
