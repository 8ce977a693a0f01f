"""The PCO facts of a run, kept compact until the cross-resource phase.

A fact about an NDJSON record holds only plain values (its places are
:data:`~pcocheck.rules.facts.RecordSpot` tuples, dates their text, numbers their exact
text): such facts are kept as tuples, marshalled and compressed in batches
(:class:`Spool`), and rebuilt one at a time when read. A fact with a place in a whole
file (an :class:`~pcocheck.view.Anchor` that shares the file's text) is kept as it is.
A 1,000,000-record export keeps about 40 bytes per fact this way instead of 400-600.
"""

from __future__ import annotations

import functools
import marshal
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, TypeVar

from pcocheck.resolution import ResourceKey
from pcocheck.rules.dates import When, parse_when
from pcocheck.rules.facts import (
    GasScore,
    GoalFact,
    ItemValue,
    Link,
    Panel,
    Place,
    PromScore,
    PromTarget,
    ResponseTotal,
)
from pcocheck.rules.references import Target

BATCH = 512  # facts per compressed batch
_Fact = TypeVar("_Fact")


class NotPlain(Exception):
    """A fact holds something that is not kept as plain values (a whole file's anchor)."""


# -- plain values <-> facts -------------------------------------------------------------
def _place(place: Place) -> tuple[Any, ...]:
    spot = place._spot
    if not isinstance(spot, tuple):
        raise NotPlain
    return (spot, place.path, place.profile)


def _rebuilder(cls: type[_Fact]) -> Callable[..., _Fact]:
    """A constructor of the frozen slots dataclass ``cls`` that sets its fields, in order,
    to the values given, without ``__init__`` and ``__post_init__``: what the latter shares
    (equal values, one copy) comes back shared from a batch already (marshal keeps one
    copy of an object written several times). About a third of the cost of ``cls(...)``,
    for the facts rebuilt by the cross-resource phase."""
    setters = tuple(cls.__dict__[f.name].__set__ for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def rebuild(*values: Any) -> _Fact:
        fact = new(cls)
        for set_field, value in zip(setters, values, strict=True):
            set_field(fact, value)
        return fact

    return rebuild


def _unplace(value: tuple[Any, ...]) -> Place:
    # Rebuilt without Place.__init__ (the hottest call of the cross-resource phase): the
    # spot is a RecordSpot already, and a batch's paths come back shared (marshal keeps
    # one copy of an object written several times, and paths were shared when encoded).
    place = _new_place(Place)
    place._spot, place.path, place.profile = value
    return place


_new_place = object.__new__


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _unnumber(value: str | None) -> Decimal | None:
    return None if value is None else _decimal(value)


@functools.lru_cache(maxsize=4096)
def _decimal(text: str) -> Decimal:
    """The number ``text`` writes, remembered: scores repeat, and a Decimal is immutable."""
    return Decimal(text)


def _when(when: When | None) -> str | None:
    return None if when is None else when.text


def _unwhen(text: str | None) -> When | None:
    return None if text is None else parse_when(text)


def _target(target: Target | str) -> Any:
    if isinstance(target, str):
        return target
    return (target.status, target.key, target.pending, target.how)


def untarget(value: Any) -> Target | str:
    if isinstance(value, str):
        return value
    status, key, pending, how = value
    return Target(status, key, pending, how)


def _links(links: tuple[Link, ...]) -> tuple[Any, ...]:
    return tuple((_target(link.target), _place(link.place), link.text) for link in links)


def _unlinks(values: tuple[Any, ...]) -> tuple[Link, ...]:
    return tuple(_link(untarget(t), _unplace(p), text) for t, p, text in values)


_goal = _rebuilder(GoalFact)
_prom_target = _rebuilder(PromTarget)
_gas = _rebuilder(GasScore)
_prom = _rebuilder(PromScore)
_link = _rebuilder(Link)


def encode_goal(goal: GoalFact) -> tuple[Any, ...]:
    targets = tuple(
        (t.measures, t.comparator, str(t.value), _place(t.place)) for t in goal.prom_targets
    )
    status_place = None if goal.status_place is None else _place(goal.status_place)
    return (
        goal.label,
        goal.is_gas,
        goal.has_scale,
        goal.levels,
        _when(goal.start),
        goal.status,
        status_place,
        targets,
    )


def decode_goal(value: tuple[Any, ...]) -> GoalFact:
    label, is_gas, has_scale, levels, start, status, status_place, targets = value
    return _goal(
        label,
        is_gas,
        has_scale,
        levels,
        _unwhen(start),
        status,
        None if status_place is None else _unplace(status_place),
        tuple(
            _prom_target(measures, comparator, _decimal(number), _unplace(place))
            for measures, comparator, number, place in targets
        ),
    )


def encode_gas(score: GasScore) -> tuple[Any, ...]:
    return (
        score.label,
        score.role,
        score.level,
        _place(score.value_place),
        _when(score.when),
        _place(score.when_place),
        _links(score.focus),
    )


def decode_gas(value: tuple[Any, ...]) -> GasScore:
    label, role, level, value_place, when, when_place, focus = value
    return _gas(
        label,
        role,
        level,
        _unplace(value_place),
        _unwhen(when),
        _unplace(when_place),
        _unlinks(focus),
    )


def encode_prom(score: PromScore) -> tuple[Any, ...]:
    return (
        score.label,
        score.code,
        _number(score.value),
        _place(score.value_place),
        _when(score.when),
        _place(score.when_place),
        _links(score.focus),
        _links(score.derived_from),
    )


def decode_prom(value: tuple[Any, ...]) -> PromScore:
    label, code, number, value_place, when, when_place, focus, derived = value
    return _prom(
        label,
        code,
        _unnumber(number),
        _unplace(value_place),
        _unwhen(when),
        _unplace(when_place),
        _unlinks(focus),
        _unlinks(derived),
    )


def encode_item(item: ItemValue) -> tuple[Any, ...]:
    return (item.code, _number(item.score), _place(item.place))


def decode_item(value: tuple[Any, ...]) -> ItemValue:
    code, score, place = value
    return ItemValue(code, _unnumber(score), _unplace(place))


def encode_panel(panel: Panel) -> tuple[Any, ...]:
    return (panel.instrument, panel.label, _links(panel.members))


def decode_panel(value: tuple[Any, ...]) -> Panel:
    instrument, label, members = value
    return Panel(instrument, label, _unlinks(members))


def encode_response(response: ResponseTotal) -> tuple[Any, ...]:
    return (response.instrument, _number(response.total), response.label)


def decode_response(value: tuple[Any, ...]) -> ResponseTotal:
    instrument, total, label = value
    return ResponseTotal(instrument, _unnumber(total), label)


# -- compressed batches ---------------------------------------------------------------
@dataclass(slots=True)
class Spool:
    """Plain tuples in the order they were added, in compressed batches (plus the batch
    being filled). Picklable; the same bytes in every process."""

    batches: list[bytes] = field(default_factory=list)
    pending: list[Any] = field(default_factory=list)
    count: int = 0

    def add(self, value: Any) -> None:
        self.pending.append(value)
        self.count += 1
        if len(self.pending) >= BATCH:
            self.seal()

    def seal(self) -> None:
        if self.pending:
            self.batches.append(zlib.compress(marshal.dumps(self.pending), 1))
            self.pending = []

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches:
            yield from marshal.loads(zlib.decompress(batch))
        yield from list(self.pending)


# One part of a fact list: compressed plain facts, or facts kept as they are.
Segment = Spool | list[Any]


@dataclass(slots=True)
class FactLog:
    """Facts of one kind in the order they were found; ``kind`` names the encoder.
    Entries are facts, or ``(key, fact)`` pairs for the facts kept by resource key."""

    kind: str
    keyed: bool = False
    segments: list[Segment] = field(default_factory=list)
    count: int = 0

    def add(self, entry: Any) -> None:
        encode = _ENCODERS[self.kind][0]
        try:
            plain = (entry[0], encode(entry[1])) if self.keyed else encode(entry)
        except NotPlain:
            last = self.segments[-1] if self.segments else None
            if not isinstance(last, list):
                last = []
                self.segments.append(last)
            last.append(entry)
            self.count += 1
        else:
            self.add_plain(plain)

    def add_plain(self, value: Any) -> None:
        """Add an entry already in its plain form (as :meth:`raw` gives one of a log of
        this kind): nothing is rebuilt or encoded."""
        last = self.segments[-1] if self.segments else None
        if not isinstance(last, Spool):
            last = Spool()
            self.segments.append(last)
        last.add(value)
        self.count += 1

    def extend(self, other: FactLog) -> None:
        """Add ``other``'s entries after these (``other`` is handed over, not copied)."""
        for segment in other.segments:
            if isinstance(segment, Spool):
                segment.seal()
                last = self.segments[-1] if self.segments else None
                if isinstance(last, Spool):
                    last.seal()
                    last.batches.extend(segment.batches)
                    last.count += segment.count
                    continue
            self.segments.append(segment)
        self.count += other.count

    def __len__(self) -> int:
        return self.count

    @property
    def plain(self) -> bool:
        """Whether every entry is kept compressed (none as it is: no whole file's anchor,
        so the log can be rebuilt in another process and sent back cheaply)."""
        return all(isinstance(segment, Spool) for segment in self.segments)

    def split(self, count: int) -> list[FactLog]:
        """The entries cut into at most ``count`` logs of consecutive compressed batches
        (and segments kept as they are), in order: each shares this log's batches (nothing
        is copied or decoded); their entries, one log after the other, are this log's.
        The count of each is not known without decoding (0)."""
        units: list[Segment] = []
        for segment in self.segments:
            if isinstance(segment, Spool):
                units.extend(Spool([batch]) for batch in segment.batches)
                if segment.pending:
                    units.append(Spool(pending=list(segment.pending)))
            else:
                units.append(segment)
        count = max(1, min(count, len(units)))
        cut = [units[len(units) * i // count : len(units) * (i + 1) // count] for i in range(count)]
        return [FactLog(self.kind, self.keyed, _joined(piece)) for piece in cut]

    def entries(self) -> Iterator[Any]:
        """Every entry, rebuilt one at a time."""
        decode = _ENCODERS[self.kind][1]
        for segment in self.segments:
            if isinstance(segment, Spool):
                if self.keyed:
                    for key, plain in segment:
                        yield plain_key(key), decode(plain)
                else:
                    for plain in segment:
                        yield decode(plain)
            else:
                yield from segment

    def raw(self) -> Iterator[tuple[bool, Any]]:
        """Every entry as it is kept, nothing rebuilt: ``(True, plain value)`` for a
        compressed one (``(key, plain value)`` in a keyed log), ``(False, entry)`` for one
        kept as it is."""
        for segment in self.segments:
            if isinstance(segment, Spool):
                for plain in segment:
                    yield True, plain
            else:
                for entry in segment:
                    yield False, entry

    def keys(self) -> Iterator[ResourceKey]:
        """The keys of a keyed log, without rebuilding the facts."""
        for segment in self.segments:
            if isinstance(segment, Spool):
                for key, _ in segment:
                    yield plain_key(key)
            else:
                for key, _ in segment:
                    yield key

    # -- the shapes the rest of pcocheck reads -------------------------------------
    def __iter__(self) -> Iterator[Any]:
        return self.entries()

    def values(self) -> Iterator[Any]:
        """The facts of a keyed log (the last one per key, like a dict)."""
        return iter(self.mapping().values())

    def mapping(self) -> dict[ResourceKey, Any]:
        """A keyed log as a dict (a later fact under a key replaces an earlier one)."""
        return dict(self.entries())

    def append(self, fact: Any) -> None:
        self.add(fact)

    def __setitem__(self, key: ResourceKey, value: Any) -> None:
        self.add((key, value))

    def update(self, other: FactLog) -> None:
        self.extend(other)


def _joined(units: list[Segment]) -> list[Segment]:
    """Consecutive one-batch spools joined into one (a log reads the same either way)."""
    joined: list[Segment] = []
    for unit in units:
        last = joined[-1] if joined else None
        if isinstance(unit, Spool) and isinstance(last, Spool) and not last.pending:
            last.batches.extend(unit.batches)
            last.pending = unit.pending
        else:
            joined.append(unit)
    return joined


def plain_key(value: Any) -> ResourceKey:
    file, line, entry, contained = value
    return (file, line, entry, contained)


_ENCODERS: dict[str, tuple[Any, Any]] = {
    "goal": (encode_goal, decode_goal),
    "gas": (encode_gas, decode_gas),
    "prom": (encode_prom, decode_prom),
    "item": (encode_item, decode_item),
    "panel": (encode_panel, decode_panel),
    "response": (encode_response, decode_response),
}


def register(kind: str, encode: Any, decode: Any) -> None:
    """Another kind of entry (e.g. a score with its settled links, see
    :mod:`pcocheck.rules.parts`): ``encode`` raises :class:`NotPlain` for one kept as is."""
    _ENCODERS[kind] = (encode, decode)


def fact_logs() -> dict[str, FactLog]:
    return {
        "goals": FactLog("goal", keyed=True),
        "gas_scores": FactLog("gas"),
        "prom_scores": FactLog("prom"),
        "panels": FactLog("panel"),
        "items": FactLog("item", keyed=True),
        "responses": FactLog("response", keyed=True),
    }


def all_entries(logs: Iterable[FactLog]) -> Iterator[Any]:
    for log in logs:
        yield from log.entries()
