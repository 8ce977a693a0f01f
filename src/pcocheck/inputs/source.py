"""A piece of JSON text that was read, and where it sits in its file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pcocheck.finding import JsonPath
from pcocheck.inputs.locate import LineMap, PositionIndex, build_index, nearest_offset
from pcocheck.inputs.seek import Seeker

# Texts a process shares with the workers it forks (see :func:`shared`), by number.
_SHARED: dict[int, SourceText] = {}


class SourceText:
    """JSON text of one document: a whole ``.json`` file, or one NDJSON record.

    ``first_line`` is the file line on which ``text`` starts, so NDJSON findings point
    at the record's own line. The position index is built on first use only.
    """

    __slots__ = (
        "_index",
        "_known_arrays",
        "_lines",
        "_regular",
        "_seeker",
        "_shared",
        "file",
        "first_line",
        "record",
        "text",
    )

    def __init__(self, file: str, text: str, first_line: int = 1, record: bool = False) -> None:
        self.file = file
        self.text = text
        self.first_line = first_line
        self.record = record  # one NDJSON line (not a whole file)
        self._index: PositionIndex | None = None
        self._seeker: Seeker | None = None
        self._lines: LineMap | None = None
        self._shared: int | None = None
        self._known_arrays: list[tuple[int, int, Sequence[int]]] = []
        self._regular = False  # see know_regular

    def know_array(self, start: int, end: int, items: Sequence[int]) -> None:
        """What the reader learnt of a large array (see :meth:`Seeker.know_array`)."""
        self._known_arrays.append((start, end, items))

    def know_regular(self) -> None:
        """The reader found the text valid JSON without a repeated key in any object (see
        :meth:`Seeker.know_regular`)."""
        self._regular = True

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A text shared with the process that forked this one travels back as its number
        # (the other process has the same text): results never carry a large file twice.
        number = self._shared
        if number is not None and _SHARED.get(number) is self:
            return (_shared_source, (number,))
        return super().__reduce_ex__(protocol)

    @property
    def shared(self) -> bool:
        """Whether this text is shared with forked workers (see :func:`shared`)."""
        number = self._shared
        return number is not None and _SHARED.get(number) is self

    @property
    def index(self) -> PositionIndex:
        if self._index is None:
            self._index = build_index(self.text)
        return self._index

    def position_of_offset(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = LineMap(self.text)
        line, column = self._lines.position(offset)
        return line + self.first_line - 1, column

    def position(self, path: JsonPath | None) -> tuple[int | None, int | None]:
        """1-based line/column of ``path`` (or its nearest ancestor that exists)."""
        if path is None:
            return None, None
        if self._index is None:
            # Until something needs the whole index (duplicate keys), go down the path:
            # the root of a record needs no scan at all, an element of a large Bundle
            # only a skip over what precedes it (see inputs/seek.py).
            if self._seeker is None:
                self._seeker = Seeker(self.text)
                for start, end, items in self._known_arrays:
                    self._seeker.know_array(start, end, items)
                if self._regular:
                    self._seeker.know_regular()
            found = self._seeker.offset(path)
            if found is not None:
                return self.position_of_offset(found)
        offset = nearest_offset(self.index, path)
        if offset is None:
            return None, None
        return self.position_of_offset(offset)

    def duplicate_keys(self) -> list[tuple[JsonPath, int, int]]:
        out = []
        for path, offset in self.index.duplicates:
            line, column = self.position_of_offset(offset)
            out.append((path, line, column))
        return out


class RecordLine(SourceText):
    """Where an NDJSON record was, without its text: kept by cross-resource facts so that a
    large export does not stay in memory. Findings built from it carry the record's line;
    the column within the line is not known any more."""

    def __init__(self, file: str, line: int) -> None:
        super().__init__(file, "", first_line=line, record=True)

    def position(self, path: JsonPath | None) -> tuple[int | None, int | None]:
        return self.first_line, None


def _shared_source(number: int) -> SourceText:
    return _SHARED[number]


@contextmanager
def shared(sources: Iterable[SourceText]) -> Iterator[None]:
    """While this lasts, ``sources`` pickle as a number that this process and the workers
    it forks meanwhile turn back into the same text (fork copies the registry)."""
    numbers = []
    try:
        for source in sources:
            number = len(_SHARED)
            while number in _SHARED:
                number += 1
            _SHARED[number] = source
            source._shared = number
            numbers.append(number)
        yield
    finally:
        for number in numbers:
            _SHARED.pop(number)._shared = None
