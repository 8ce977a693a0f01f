"""Map a JSON path inside a document to its 1-based line and column.

Documents are parsed with the fast standard parser; positions are only needed for
elements that have a finding, so this scanner runs lazily, once per document that has
one, and indexes every member key and array item in a single pass.

Strings are skipped with ``str.find`` rather than a regular expression: ``re`` keeps
state for every repetition of a group, which cost about 120 bytes per character of a
long string (a 20 MB base64 attachment took 2.4 GB). Memory now grows with the number of
elements, not with the length of the text.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from pcocheck.finding import JsonPath

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"[^,\]\}\s]+")


@dataclass(slots=True)
class PositionIndex:
    """Offsets of every member key / array item, keyed by JSON path."""

    offsets: dict[JsonPath, int] = field(default_factory=dict)
    duplicates: list[tuple[JsonPath, int]] = field(default_factory=list)


class _Frame:
    __slots__ = ("is_object", "item", "key", "path", "seen")

    def __init__(self, path: JsonPath, is_object: bool) -> None:
        self.path = path
        self.is_object = is_object
        self.item = 0
        self.key = ""
        self.seen: set[str] = set()


class _StopScan(Exception):
    pass


def build_index(text: str) -> PositionIndex:
    """Scan ``text`` (JSON that may be broken) and index element offsets.

    Scanning stops quietly at the first syntax problem: the parser has already
    reported it, and the positions gathered so far remain useful.
    """
    index = PositionIndex()
    ws = _WS.match
    pos = ws(text, 0).end()  # type: ignore[union-attr]
    stack: list[_Frame] = []
    path: JsonPath = ()
    index.offsets[path] = pos
    expecting_value = True
    n = len(text)
    try:
        while pos < n:
            if expecting_value:
                ch = text[pos]
                if ch in "{[":
                    frame = _Frame(path, ch == "{")
                    stack.append(frame)
                    pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
                    if pos < n and text[pos] == ("}" if frame.is_object else "]"):
                        stack.pop()
                        pos += 1
                        expecting_value = False
                    elif frame.is_object:
                        pos = _read_key(text, pos, frame, index)
                        path = frame.path + (frame.key,)
                    else:
                        path = frame.path + (0,)
                        index.offsets[path] = pos
                    continue
                if ch == '"':
                    end = string_end(text, pos)
                    if end < 0:
                        return index
                    pos = end
                else:
                    m = _SCALAR.match(text, pos)
                    if m is None:
                        return index
                    pos = m.end()
                expecting_value = False
                continue
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            if pos >= n or not stack:
                return index
            ch = text[pos]
            frame = stack[-1]
            if ch == ",":
                pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
                if frame.is_object:
                    pos = _read_key(text, pos, frame, index)
                    path = frame.path + (frame.key,)
                else:
                    frame.item += 1
                    path = frame.path + (frame.item,)
                    index.offsets[path] = pos
                expecting_value = True
            elif ch in "}]":
                stack.pop()
                path = frame.path
                pos += 1
            else:
                return index
    except _StopScan:
        return index
    return index


def string_end(text: str, pos: int) -> int:
    """Offset just past the JSON string that starts with the quote at ``pos``; -1 when it
    is not closed. Linear, and constant memory whatever the length of the string."""
    find = text.find
    quote = find('"', pos + 1)
    while quote != -1:
        backslashes = 0
        probe = quote - 1
        while text[probe] == "\\":
            backslashes += 1
            probe -= 1
        if backslashes % 2 == 0:
            return quote + 1
        quote = find('"', quote + 1)
    return -1


def find_outside_strings(text: str, token: str, start: int = 0) -> int:
    """Offset of the first ``token`` that is not inside a JSON string, or -1 (a NaN is
    reported where it stands, not at a "NaN" in some narrative). Linear: the next
    occurrence of ``token`` is searched again only once a string has passed over it (a
    search per string made a NaN after 30,000 strings of a 9 MB Bundle cost minutes)."""
    find = text.find
    pos = start
    hit = find(token, pos)
    while hit != -1:
        quote = find('"', pos, hit)
        if quote == -1:
            return hit
        end = string_end(text, quote)
        if end < 0:
            return -1
        pos = end
        if hit < pos:  # inside that string
            hit = find(token, pos)
    return -1


_BRACKET_OR_QUOTE = re.compile(r'[\[\]{}"]')


def nesting_offset(text: str, limit: int) -> int:
    """Offset of the first bracket outside strings that opens level ``limit + 1``, or 0
    (where a finding about nesting beyond the limit points when the parser gave up
    before it could name a path)."""
    depth = 0
    pos = 0
    search = _BRACKET_OR_QUOTE.search
    while (hit := search(text, pos)) is not None:
        char, at = hit.group(), hit.start()
        if char == '"':
            pos = string_end(text, at)
            if pos < 0:
                return 0
            continue
        if char in "[{":
            depth += 1
            if depth > limit:
                return at
        else:
            depth -= 1
        pos = at + 1
    return 0


def _read_key(text: str, pos: int, frame: _Frame, index: PositionIndex) -> int:
    if pos >= len(text) or text[pos] != '"':
        raise _StopScan
    end = string_end(text, pos)
    if end < 0:
        raise _StopScan
    raw = text[pos + 1 : end - 1]
    key = _unescape(raw) if "\\" in raw else raw
    member_path = frame.path + (key,)
    if key in frame.seen:
        index.duplicates.append((member_path, pos))
    else:
        frame.seen.add(key)
        index.offsets[member_path] = pos
    frame.key = key
    after = _WS.match(text, end).end()  # type: ignore[union-attr]
    if after >= len(text) or text[after] != ":":
        raise _StopScan
    return _WS.match(text, after + 1).end()  # type: ignore[union-attr]


def _unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


class LineMap:
    """Converts character offsets to 1-based (line, column)."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def nearest_offset(index: PositionIndex, path: JsonPath) -> int | None:
    """Offset of ``path``, or of its closest indexed ancestor."""
    probe = path
    while True:
        found = index.offsets.get(probe)
        if found is not None:
            return found
        if not probe:
            return None
        probe = probe[:-1]
