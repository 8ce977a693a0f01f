"""Facts without file text: before a worker hands the PCO facts of a shard over, every
place a fact may report at gets its position computed, and the anchor keeps that position
instead of the file's text and position index (a large Bundle would otherwise travel, and
stay in memory, once more for its facts)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pcocheck.finding import JsonPath
from pcocheck.inputs.source import SourceText
from pcocheck.rules.facts import Place
from pcocheck.view import Anchor


class KnownPositions(SourceText):
    """A file's positions for the paths its facts report at, without its text."""

    __slots__ = ("positions",)

    def __init__(self, file: str, first_line: int, record: bool) -> None:
        super().__init__(file, "", first_line=first_line, record=record)
        self.positions: dict[JsonPath, tuple[int | None, int | None]] = {}

    def position(self, path: JsonPath | None) -> tuple[int | None, int | None]:
        return self.positions.get(tuple(path or ()), (None, None))


class Detacher:
    """Rebuilds facts (frozen dataclasses, tuples, lists, dicts) with detached places;
    values without a place that holds file text are returned as they are."""

    def __init__(self) -> None:
        self._anchors: dict[int, tuple[Anchor, Anchor]] = {}  # id(old) -> (old, new)

    def place(self, place: Place) -> Place:
        source = place.anchor.source
        if source is None or not source.text or source.shared:
            return place  # no text held (an NDJSON record line), or the parent has it too
        held = self._anchors.get(id(place.anchor))
        if held is None:
            known = KnownPositions(source.file, source.first_line, source.record)
            held = (place.anchor, dataclasses.replace(place.anchor, source=known))
            self._anchors[id(place.anchor)] = held
        new_anchor = held[1]
        assert isinstance(new_anchor.source, KnownPositions)
        full = place.anchor.base_path + place.path
        new_anchor.source.positions[full] = source.position(full)
        return Place(new_anchor, place.path, place.profile)

    def value(self, value: Any) -> Any:
        if isinstance(value, Place):
            return self.place(value)
        if isinstance(value, tuple):
            items = tuple(self.value(v) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for field in dataclasses.fields(value):
                old = getattr(value, field.name)
                new = self.value(old)
                if new is not old:
                    changes[field.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value


def detach_state(state: Any) -> Any:
    """``state`` (e.g. :class:`pcocheck.rules.RulesState`) with detached places."""
    return Detacher().value(state)
