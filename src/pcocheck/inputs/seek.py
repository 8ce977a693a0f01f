"""Find the offset of one JSON path without indexing the whole document.

:func:`pcocheck.inputs.locate.build_index` scans every character in Python: on a 9 MB
Bundle that is about 1.4 s, paid for the first finding that needs a line. A
:class:`Seeker` goes down the path instead, container by container, and skips every value
before the one it wants with the standard library's C scanner (about 0.25 s for the whole
9 MB; an object on the path is read whole, an array only as far as asked). What it
learns about each container is kept, so a thousand findings in a Bundle cost a couple of
C-speed passes at most.

It answers exactly what ``nearest_offset(build_index(text), path)`` answers (the offset
of a member's key, of an array item, of the root; else of the nearest ancestor that
exists) for valid JSON without duplicate keys in the objects on the path. On anything
else (a duplicate key, text the C scanner refuses, nesting too deep for it) it gives up
for good (``None``), and the caller builds the full index, which knows how to answer
there.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Sequence
from typing import Any

from pcocheck.finding import JsonPath

_WS = re.compile(r"[ \t\n\r]*")
_decoder: Any = json.JSONDecoder()
_scan_once: Any = json.scanner.make_scanner(_decoder)
_scanstring: Any = vars(json.decoder)["scanstring"]  # untyped in typeshed


# Containers remembered before the nested ones are forgotten (see Seeker._make_room).
MAX_CONTAINERS = 4096


class _GiveUp(Exception):
    pass


class _Container:
    """What is known of one object or array: its members (key -> key offset, value
    offset) or item offsets so far, and where to read on."""

    __slots__ = ("done", "items", "members", "pending", "pos")

    def __init__(self, pos: int) -> None:
        self.members: dict[str, tuple[int, int]] = {}  # objects: read whole at once
        self.items: Sequence[int] = []  # arrays: read as far as asked
        self.pos = pos  # just after the opening bracket, or after the last value read
        self.pending = False  # the value at ``pos`` has not been skipped yet
        self.done = False


class Seeker:
    """Offsets of JSON paths in ``text``, found on demand (see the module docstring)."""

    __slots__ = ("_containers", "_ends", "_failed", "_regular", "_root", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._containers: dict[int, _Container] = {}
        self._ends: dict[int, int] = {}  # where known arrays end: skipped without a scan
        self._root = _WS.match(text, 0).end()  # type: ignore[union-attr]
        self._failed = False
        self._regular = False  # see know_regular

    def know_regular(self) -> None:
        """The text is valid JSON without a repeated key in any object, as whoever read it
        found (a large Bundle read slim, see inputs/stream.py): an object on a path is then
        read only as far as the member asked for (its other members' values are not
        parsed only to skip them; the member's own value not at all: the next step goes
        into it), since no later member can repeat the key."""
        self._regular = True

    def know_array(self, start: int, end: int, items: Sequence[int]) -> None:
        """The array at ``start`` ends just before ``end`` and its items start at
        ``items``, as whoever read the text found (a large Bundle's entries, see
        inputs/stream.py): seeking then neither scans it again nor builds its values."""
        container = _Container(start + 1)
        container.items = items
        container.done = True
        self._containers[start] = container
        self._ends[start] = end

    def offset(self, path: JsonPath) -> int | None:
        """The offset ``nearest_offset(build_index(text), path)`` gives; None when this
        seeker cannot tell (then build the index)."""
        if self._failed:
            return None
        try:
            return self._offset(path)
        except (_GiveUp, ValueError, IndexError, StopIteration, RecursionError):
            self._failed = True
            return None

    def _offset(self, path: JsonPath) -> int:
        text = self.text
        found = node = self._root
        for step in path:
            if node >= len(text):
                break
            opening = text[node]
            if opening == "{" and isinstance(step, str):
                member = self._member(node, step)
                if member is None:
                    break
                found, node = member
            elif opening == "[" and isinstance(step, int) and step >= 0:
                item = self._item(node, step)
                if item is None:
                    break
                found = node = item
            else:
                break
        return found

    def _member(self, start: int, key: str) -> tuple[int, int] | None:
        container = self._containers.get(start)
        if container is None:
            self._make_room()
            if not self._regular:
                container = self._containers[start] = self._read_object(start)
                return container.members.get(key)
            container = self._containers[start] = _Container(start + 1)
        found = container.members.get(key)
        if found is not None or container.done:
            return found
        return self._read_until(container, key)

    def _read_until(self, container: _Container, key: str) -> tuple[int, int] | None:
        """Read a regular text's object on from where its reading stopped, up to the member
        ``key`` (None when the object ends first). ``pending``: the value at ``pos`` is the
        last member's, not skipped yet."""
        members = container.members
        text = self.text
        ws = _WS.match
        pos = container.pos
        if container.pending:
            end = self._ends.get(pos)
            pos = _scan_once(text, pos)[1] if end is None else end
            container.pending = False
        pos = ws(text, pos).end()  # type: ignore[union-attr]
        while True:
            if text[pos] == "}":
                container.done = True
                container.pos = pos
                return None
            if members:
                if text[pos] != ",":
                    raise _GiveUp
                pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
            if text[pos] != '"':
                raise _GiveUp
            name, end = _scanstring(text, pos + 1)
            colon = ws(text, end).end()  # type: ignore[union-attr]
            if text[colon] != ":":
                raise _GiveUp
            value = ws(text, colon + 1).end()  # type: ignore[union-attr]
            members[name] = found = (pos, value)
            if name == key:
                container.pos, container.pending = value, True
                return found
            end = self._ends.get(value)
            pos = _scan_once(text, value)[1] if end is None else end
            pos = ws(text, pos).end()  # type: ignore[union-attr]

    def _make_room(self) -> None:
        """Forget what was learnt of nested containers once there is a lot of it: a large
        Bundle with findings in every entry would otherwise keep every entry's members
        until the end of the run. The root and the known arrays stay (the costly ones to
        learn again); anything forgotten is read again if asked for."""
        containers = self._containers
        if len(containers) < MAX_CONTAINERS:
            return
        kept = {
            start: containers[start] for start in (self._root, *self._ends) if start in containers
        }
        containers.clear()
        containers.update(kept)

    def _read_object(self, start: int) -> _Container:
        """Every member of the object at ``start`` (key and value offsets), its values
        skipped at C speed. Read to the end, so that a duplicate key anywhere in it makes
        the seeker give up (the full index answers for duplicates)."""
        container = _Container(start + 1)
        members = container.members
        text = self.text
        ws = _WS.match
        container.done = True  # read whole (or given up on)
        pos = ws(text, start + 1).end()  # type: ignore[union-attr]
        if text[pos] == "}":
            return container
        while True:
            if text[pos] != '"':
                raise _GiveUp
            name, end = _scanstring(text, pos + 1)
            if name in members:
                raise _GiveUp
            colon = ws(text, end).end()  # type: ignore[union-attr]
            if text[colon] != ":":
                raise _GiveUp
            value = ws(text, colon + 1).end()  # type: ignore[union-attr]
            members[name] = (pos, value)
            end = self._ends.get(value)
            if end is None:
                end = _scan_once(text, value)[1]
            pos = ws(text, end).end()  # type: ignore[union-attr]
            if text[pos] == "}":
                return container
            if text[pos] != ",":
                raise _GiveUp
            pos = ws(text, pos + 1).end()  # type: ignore[union-attr]

    def _item(self, start: int, index: int) -> int | None:
        container = self._containers.get(start)
        if container is None:
            self._make_room()
            container = self._containers[start] = _Container(start + 1)
        items = container.items
        if index < len(items):
            return items[index]
        if container.done:
            return None
        assert isinstance(items, list)  # only known arrays (done) hold another sequence
        text = self.text
        ws = _WS.match
        pos = container.pos
        while len(items) <= index:
            if container.pending:
                pos = _scan_once(text, pos)[1]
                container.pending = False
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            char = text[pos]
            if char == "]":
                container.done = True
                container.pos = pos
                return None
            if items:
                if char != ",":
                    raise _GiveUp
                pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
            items.append(pos)
            container.pos, container.pending = pos, True
        return pos  # items[index]: the loop stops once that is appended
