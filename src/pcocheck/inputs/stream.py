"""A large Bundle without its parsed tree: entries are parsed one at a time, when needed.

The parsed tree of a Bundle costs about five times its text. :func:`slim_bundle` walks
the top-level object member by member and the ``entry`` array element by element with the
standard library's C scanner (``JSONDecoder.raw_decode`` at an offset), parses each entry
once to check it (duplicate keys, limits) and to keep what the Bundle-level checks need,
and drops it. What stays is a :class:`SlimBundle`: the root's own members, and per entry
its members with the resource replaced by a stub (``resourceType``, ``id``, ``url``,
``meta.versionId`` and ``meta.profile``: what the fullUrl, bdl-* and search checks, the
Bundle's reference scope and the first pass's index read), plus the offsets of each entry
in the text. An entry's resource is parsed
again from its offsets when it is checked or is the target of a reference, through a
small bounded cache (entries refer mostly to their neighbours).

Anything irregular (a duplicate key anywhere, a limit, text the scanner refuses, trailing
text, not a Bundle) makes :func:`slim_bundle` give up (``None``): the caller parses the
whole text as before, so findings are the same either way. A check that reads every
entry's resource (a document's reachability from its Composition) gets each through its
``BundleEntry`` in turn; a profile on the Bundle itself gets the whole tree (``whole``).
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pcocheck.jsonutil import MAX_DEPTH, parse_int

# Smaller documents are parsed whole: their tree is small, and one parse is cheaper than
# a scan plus one parse per entry. Tests lower it to run every fixture through this path.
STREAM_MIN_CHARS = 1024 * 1024
CACHED_RESOURCES = 64  # entry resources kept parsed (the current one, recent targets)
_WS = re.compile(r"[ \t\n\r]*")


class _Irregular(Exception):
    """Text this reader leaves to the whole-document parser."""


def _no_constant(token: str) -> Any:
    raise _Irregular(token)


class _EntryDecoder:
    """Parses one JSON value at an offset exactly as :class:`pcocheck.inputs.read._Parser`
    parses a whole text (decimals, integers, constants), noting repeated keys."""

    __slots__ = ("decoder", "duplicates")

    def __init__(self) -> None:
        self.duplicates = False
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self._pairs,
            parse_float=Decimal,
            parse_int=parse_int,
            parse_constant=_no_constant,
        )

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            self.duplicates = True
        return result

    def value_at(self, text: str, start: int) -> tuple[Any, int]:
        value, end = self.decoder.raw_decode(text, start)
        return value, end


# Parsing an entry again: the scan found no repeated key, no over-long integer and no
# NaN in it, so the plain C parser gives the same value, faster than with the hooks.
_REPARSE = json.JSONDecoder(parse_float=Decimal)


class SlimBundle(dict[str, Any]):
    """The root of a large Bundle with slim entries (see the module docstring); a plain
    ``dict`` to every check. :meth:`resource_at` parses an entry's resource."""

    __slots__ = ("_cache", "_starts", "entries_span", "summaries", "text")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self._starts = array("q")  # where each top-level entry starts in the text
        self.entries_span: tuple[int, int] | None = None  # the entry array: [ at, after ]
        self._cache: dict[int, Any] = {}
        # (first entry, entries, summary) of each piece of the entry array a helper scanned
        # and summarized (see PieceScanner): what the first pass need not work out here.
        # Lifetime: until the first pass takes them.
        self.summaries: list[tuple[int, int, Any]] = []

    def __reduce__(self) -> Any:
        # Never pickled with its text: forked workers share it, Dask workers read the file
        # themselves. Pickled anyway, it is the plain root with its stubs.
        return (dict, (dict(self),))

    @property
    def entry_count(self) -> int:
        return len(self._starts)

    @property
    def entry_starts(self) -> Sequence[int]:
        """Where each top-level entry starts in the text."""
        return self._starts

    def entry_span(self, index: int) -> tuple[int, int]:
        """Where top-level entry ``index`` lies in the text: from its ``{`` to the next
        entry's (or the end of the array), so the span may hold a comma and spaces too."""
        starts = self._starts
        if index + 1 < len(starts):
            return starts[index], starts[index + 1]
        assert self.entries_span is not None  # a slim Bundle with entries has its span
        return starts[index], self.entries_span[1]

    def resource_at(self, index: int) -> Any:
        """The resource of top-level entry ``index``, parsed from the text (the same
        value the whole-document parser gives). The last few are kept: an entry is
        asked for by its own check and by the references to it, mostly from near by."""
        cache = self._cache
        resource = cache.get(index)
        if resource is not None:
            return resource
        entry, _ = _REPARSE.raw_decode(self.text, self._starts[index])
        resource = entry.get("resource") if isinstance(entry, dict) else None
        cache[index] = resource
        if len(cache) > CACHED_RESOURCES:
            del cache[next(iter(cache))]  # the oldest
        return resource

    def whole(self) -> dict[str, Any]:
        """The whole parsed tree (for the rare check that reads every entry's resource
        from the root, e.g. a profile on the Bundle itself); parsed once, not kept."""
        value, _ = _EntryDecoder().value_at(self.text, _WS.match(self.text).end())  # type: ignore[union-attr]
        assert isinstance(value, dict)
        return value


def _stub(resource: Any, metas: dict[tuple[str, ...], dict[str, Any]]) -> Any:
    """What the Bundle-level checks and the first pass (identities: type, id, claimed
    profiles, canonical url) read of an entry's resource. What repeats from entry to
    entry is kept once: type strings, and equal ``meta`` stubs (``metas``; checks never
    modify what they read). Written member by member, and a ``meta`` seen before found
    by its profile list before any copy is made: this runs once per entry of every large
    Bundle read (10,000 entries: about 22 -> 10 ms)."""
    if type(resource) is not dict:
        return resource
    stub: dict[str, Any] = {}
    rtype = resource.get("resourceType", _ABSENT)
    if rtype is not _ABSENT:
        stub["resourceType"] = sys.intern(rtype) if type(rtype) is str else rtype
    rid = resource.get("id", _ABSENT)
    if rid is not _ABSENT:
        stub["id"] = rid
    url = resource.get("url", _ABSENT)
    if url is not _ABSENT:
        stub["url"] = url
    meta = resource.get("meta")
    if type(meta) is dict:
        if "versionId" in meta:
            stub["meta"] = _slim_meta(meta, metas)
        elif "profile" in meta:
            # the usual case: only profiles, a list seen before (a list with anything but
            # strings is never shared, so a hit holds strings only)
            profiles = meta["profile"]
            shared = None
            if type(profiles) is list:
                try:
                    shared = metas.get(tuple(profiles))
                except TypeError:  # an object or array among them
                    shared = None
            stub["meta"] = shared if shared is not None else _slim_meta(meta, metas)
    return stub


def _slim_meta(meta: dict[str, Any], metas: dict[tuple[str, ...], dict[str, Any]]) -> Any:
    """The ``meta`` of a stub: its versionId and profiles (interned, and shared in
    ``metas`` when there is no versionId)."""
    slim_meta: dict[str, Any] = {k: meta[k] for k in ("versionId", "profile") if k in meta}
    profiles = slim_meta.get("profile")
    if type(profiles) is list and all(type(p) is str for p in profiles):
        slim_meta["profile"] = [sys.intern(p) for p in profiles]
        if "versionId" not in slim_meta:
            slim_meta = metas.setdefault(tuple(profiles), slim_meta)
    return slim_meta


_ABSENT: Any = object()


WHOLE_FOR_INDEX = frozenset({"Questionnaire"})
"""Entry types whose whole resource a first pass reads (the PCO rules remember every
Questionnaire of the run); the others are indexed from their stubs."""


def slim_bundle(text: str) -> SlimBundle | None:
    """The :class:`SlimBundle` of ``text``, or None when it must be parsed whole."""
    if len(text) < STREAM_MIN_CHARS:
        return None
    try:
        root = _scan(text)
    except (_Irregular, ValueError, IndexError, RecursionError):
        return None
    if root.get("resourceType") != "Bundle":
        return None
    return root


def _openers(text: str, start: int, end: int) -> int:
    return text.count("{", start, end) + text.count("[", start, end)


def _scan(text: str) -> SlimBundle:
    ws = _WS.match
    decoder = _EntryDecoder()
    root = SlimBundle(text)
    pos = ws(text, 0).end()  # type: ignore[union-attr]
    if text[pos] != "{":
        raise _Irregular
    pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
    if text[pos] == "}":
        raise _Irregular
    while True:
        if text[pos] != '"':
            raise _Irregular
        key, end = decoder.value_at(text, pos)
        if key in root:
            raise _Irregular  # duplicate key: the whole parser reports it
        colon = ws(text, end).end()  # type: ignore[union-attr]
        if text[colon] != ":":
            raise _Irregular
        start = ws(text, colon + 1).end()  # type: ignore[union-attr]
        if key == "entry" and text[start] == "[":
            root[key], end = _scan_entries(text, start, root, decoder)
            root.entries_span = (start, end)
        else:
            root[key], end = decoder.value_at(text, start)
            if _openers(text, start, end) + 1 > MAX_DEPTH:
                raise _Irregular  # maybe too deep: the whole parser decides
        if decoder.duplicates:
            raise _Irregular
        pos = ws(text, end).end()  # type: ignore[union-attr]
        if text[pos] == "}":
            break
        if text[pos] != ",":
            raise _Irregular
        pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
    if ws(text, pos + 1).end() != len(text):  # type: ignore[union-attr]
        raise _Irregular  # trailing text: the whole parser reports it
    return root


def _scan_entries(
    text: str, start: int, root: SlimBundle, decoder: _EntryDecoder
) -> tuple[list[Any], int]:
    """The slim entries of the array at ``start``, and the offset after it."""
    entries: list[Any] = []
    starts = root._starts
    metas: dict[tuple[str, ...], dict[str, Any]] = {}  # equal meta stubs, kept once
    pos = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    if text[pos] == "]":
        return entries, pos + 1
    scanner = _piece_scanner.get()
    if scanner is None or len(text) < PARALLEL_SCAN_MIN_CHARS:
        pos, _ = _scan_run(text, pos, _NEVER, decoder, entries, starts, metas)
        return entries, pos
    # The first entry here, to learn what separates entries; then pieces further on are
    # scanned by helpers while this process scans up to the first of them.
    pos, closed = _scan_run(text, pos, pos + 1, decoder, entries, starts, metas)
    if closed:
        return entries, pos
    cuts = piece_starts(text, starts[0], pos, scanner.pieces, scanner.first_weight)
    if not cuts:
        pos, _ = _scan_run(text, pos, _NEVER, decoder, entries, starts, metas)
        return entries, pos
    pending = scanner.start(text, cuts)
    try:
        pos, closed = _scan_run(text, pos, cuts[0], decoder, entries, starts, metas)
        summarize = scanner.summarize
        if summarize is not None and pending:
            # this process's piece summarized as the helpers summarize theirs, while they
            # may still scan: what is left after the scan is only appending the summaries
            root.summaries.append((0, len(entries), summarize(entries)))
        for number, cut in enumerate(cuts):
            if closed or pos != cut:
                break  # the helpers' pieces from here on start at no entry: not used
            piece = pending[number]() if number < len(pending) else None
            if piece is None:  # the helper failed (or was not forked): this process scans on
                break
            if piece.irregular:
                raise _Irregular
            if piece.summary is not None:
                root.summaries.append((len(entries), len(piece.entries), piece.summary))
            entries += piece.entries
            starts.extend(piece.starts)
            pos, closed = piece.end, piece.closed
    finally:
        scanner.stop(pending)
    if not closed:
        pos, _ = _scan_run(text, pos, _NEVER, decoder, entries, starts, metas)
    return entries, pos


_NEVER = sys.maxsize  # no stop: a scan runs to the end of the array


def _scan_run(
    text: str,
    pos: int,
    stop: int,
    decoder: _EntryDecoder,
    entries: list[Any],
    starts: array[int],
    metas: dict[tuple[str, ...], dict[str, Any]],
) -> tuple[int, bool]:
    """Scan the entries from the one at ``pos`` into ``entries`` and ``starts``, up to the
    first that starts at or after ``stop``. Returns (offset, closed): closed, the offset
    after the array's ``]``; else where that next entry starts."""
    ws = _WS.match
    intern = sys.intern
    while pos < stop:
        entry, end = decoder.value_at(text, pos)
        if decoder.duplicates or _openers(text, pos, end) + 2 > MAX_DEPTH:
            raise _Irregular
        if type(entry) is dict and "resource" in entry:
            # kept per entry: the keys interned, one copy each ("fullUrl", "resource"); the
            # resource's value replaced in place (a dict keeps a key's position)
            slim = {intern(k): v for k, v in entry.items()}
            slim["resource"] = _stub(slim["resource"], metas)
            entry = slim
        entries.append(entry)
        starts.append(pos)
        pos = ws(text, end).end()  # type: ignore[union-attr]
        if text[pos] == "]":
            return pos + 1, True
        if text[pos] != ",":
            raise _Irregular
        pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
    return pos, False


# -- the entry array in pieces, scanned by helper processes (pcocheck.parallel.scan) --------
# A parallel run scans the entry array of its one large Bundle on every core: this process
# scans from the first entry, each helper from a guessed entry start further on. A guess is
# where the text that separates the first two entries (``}``, comma, blanks, ``{`` and the
# first key) occurs again; it may be wrong (a Bundle inside an entry): a piece is used only
# when the scan before it stopped exactly at its start, so the result is the serial scan's.
PARALLEL_SCAN_MIN_CHARS = 2 * 1024 * 1024  # smaller: a fork costs more than it saves
# This process's piece against a helper's (measured, 10,000 entries, 9 MB: a helper's
# fork and pickling cost about a fifth of its half's scan, the parent's unpickling little)
FIRST_PIECE_WEIGHT = 1.15


@dataclass(slots=True)
class Piece:
    """What a helper found from one guessed entry start: the slim entries and their
    starts, and where it stopped (``closed``: after the array; else at the next guess)."""

    entries: list[Any]
    starts: array[int]
    end: int
    closed: bool
    irregular: bool = False  # what the serial scan would give up on (see slim_bundle)
    # What the scanner made of the entries where it scanned them (see PieceScanner), kept
    # on the slim Bundle for the first pass (SlimBundle.summaries); None: nothing.
    summary: Any = None


class PieceScanner(Protocol):
    """Runs :func:`scan_piece` for each guessed start elsewhere (see pcocheck.parallel.scan)."""

    pieces: int  # how many pieces helpers scan (besides this process's first one)
    # This process's piece against a helper's, in size (see piece_starts): larger when a
    # helper's own costs (fork, pickling) exceed what this process does besides its piece.
    first_weight: float
    # Run on each piece's slim entries where it was scanned (this process's piece too, once
    # helpers run), its result kept in SlimBundle.summaries; None: no summaries.
    summarize: Callable[[list[Any]], Any] | None

    def start(self, text: str, cuts: list[int]) -> list[Callable[[], Piece | None]]:
        """Start scanning ``cuts`` (each piece up to the next cut); per piece, a call that
        waits for its result (None: it could not be had)."""
        ...

    def stop(self, pending: list[Callable[[], Piece | None]]) -> None:
        """End what is still running (its results are not needed)."""
        ...


# Per thread (and asyncio task): a parallel run in one thread never makes another
# thread's reading fork.
_piece_scanner: ContextVar[PieceScanner | None] = ContextVar("piece_scanner", default=None)


@contextmanager
def scanning_pieces(scanner: PieceScanner) -> Iterator[None]:
    """Large Bundles read in this block have their entry arrays scanned in pieces."""
    token = _piece_scanner.set(scanner)
    try:
        yield
    finally:
        _piece_scanner.reset(token)


def piece_starts(
    text: str, first: int, second: int, pieces: int, weight: float = FIRST_PIECE_WEIGHT
) -> list[int]:
    """Up to ``pieces`` guessed entry starts spread over the rest of the text, the first
    piece (this process's) ``weight`` times a helper's, from the first two entries' starts;
    ascending, after ``second``."""
    if pieces < 1 or text[second] != "{":
        return []
    gap = _WS.match(text, second + 1).end()  # type: ignore[union-attr]
    if text[gap] != '"':
        return []
    try:
        _, key_end = json.JSONDecoder().raw_decode(text, gap)
    except ValueError:
        return []
    end_of_first = text.rfind("}", first, second)  # the first entry's closing brace
    if end_of_first < 0:
        return []
    pattern = text[end_of_first:key_end]
    lead = second - end_of_first  # from the pattern's start to the entry's
    cuts: list[int] = []
    size = len(text) - second
    for number in range(1, pieces + 1):
        # this process's piece a little larger: a helper also forks, and pickles its piece
        target = second + int(size * (weight + number - 1) / (weight + pieces))
        found = text.find(pattern, max(target, cuts[-1] if cuts else second + 1))
        if found < 0:
            break
        if not cuts or found + lead > cuts[-1]:
            cuts.append(found + lead)
    return cuts


def scan_piece(text: str, start: int, stop: int) -> Piece:
    """The slim entries from the (guessed) entry start ``start`` up to the first at or after
    ``stop``; when the scan passes ``stop`` without an entry starting there, to the end of
    the array (the pieces after it start at no entry)."""
    decoder = _EntryDecoder()
    entries: list[Any] = []
    starts = array("q")
    metas: dict[tuple[str, ...], dict[str, Any]] = {}
    try:
        end, closed = _scan_run(text, start, stop, decoder, entries, starts, metas)
        if not closed and end != stop:
            end, closed = _scan_run(text, end, _NEVER, decoder, entries, starts, metas)
    except (_Irregular, ValueError, IndexError, RecursionError):
        return Piece([], array("q"), start, True, irregular=True)
    return Piece(entries, starts, end, closed)
