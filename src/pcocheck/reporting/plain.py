"""Plain console text, exactly as rich lays it out without colour, without importing rich.

Importing rich and rendering through it cost a small run about a third of its start-up,
and the report of a 10,000-resource run 0.18 s (this module: 0.01 s). Most reports are
written to a file or a pipe, without colour: then every line is laid out here, as rich
would lay it out, and rich is used only when this module cannot promise the same bytes
(colour, characters whose width rich measures with its Unicode tables, a table too wide
for the page). tests/reporting/test_console_plain.py compares both renderings byte for
byte, on the fixtures and on random texts.

Only characters that rich itself measures as one cell without a table are accepted (its
``cells._SINGLE_CELL_UNICODE_RANGES``: printable Latin, Greek, Cyrillic, box drawing and
Braille): for them rich's cell length is the string length, whatever its Unicode version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

# The ranges rich measures as one cell per character (rich/cells.py).
_ONE_CELL_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xAC),
    (0xAE, 0x2FF),
    (0x370, 0x482),
    (0x2500, 0x25FC),
    (0x2800, 0x28FF),
)
_ONE_CELL = frozenset(
    chr(point) for first, last in _ONE_CELL_RANGES for point in range(first, last + 1)
)
one_cell_each = _ONE_CELL.issuperset  # whether every character of a text is one cell wide

_WORD = re.compile(r"\s*\S+\s*")  # rich's word: the word and the whitespace around it
_TRAILING_SPACE = re.compile(r"\s+$")


def _break_offsets(text: str, width: int) -> list[int]:
    """Where rich breaks ``text`` (one cell per character) to fit ``width``: its
    ``_wrap.divide_line`` with folding, which puts a word longer than a line on lines of
    its own."""
    breaks: list[int] = []
    offset = 0  # cells used on the current line
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for number, piece in enumerate(pieces, 1):
                if start:
                    breaks.append(start)
                if number == len(pieces):
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def wrap_like_rich(text: str, width: int) -> list[str] | None:
    """The lines rich prints for ``Text(text)`` on a console ``width`` cells wide (no
    markup, left as it is, overflow folded); None when ``text`` holds a newline or a
    character rich measures with its tables."""
    if len(text) <= width and one_cell_each(text) and width > 0:
        return [text]  # the common case: it fits (every word fits, nothing is stripped)
    if width < 1 or "\n" in text or not one_cell_each(text):
        return None
    bounds = [0, *_break_offsets(text, width), len(text)]
    lines: list[str] = []
    for start, end in pairwise(bounds):
        line = text[start:end]
        excess = len(line) - width
        if excess > 0:  # Text.rstrip_end: trailing whitespace beyond the width goes
            space = _TRAILING_SPACE.search(line)
            if space is not None:
                line = line[: len(line) - min(len(space.group()), excess)]
        lines.append(line[:width])  # Text.truncate (fold): what still does not fit
    return lines


def table_like_rich(
    title: str,
    headers: Sequence[str],
    right: Sequence[bool],
    rows: Sequence[Sequence[str]],
    width: int,
) -> list[str] | None:
    """The lines of rich's default ``Table`` (heavy head box, one cell of padding, title
    on the left) with these headers and rows of one-line cells (``right``: the columns
    justified right), when every column gets its natural width on a console ``width``
    cells wide; None when rich would shrink or wrap a column, or measure a character
    with its tables."""
    columns = len(headers)
    cells = [list(headers), *(list(row) for row in rows)]
    for row in cells:
        if len(row) != columns:
            raise ValueError("a table row needs one cell per column")
        for cell in row:
            if "\n" in cell or not one_cell_each(cell):
                return None
    contents = [max(len(row[index]) for row in cells) for index in range(columns)]
    table_width = sum(contents) + 2 * columns + columns + 1
    if table_width > width or len(title) > table_width or not one_cell_each(title):
        return None
    if any(cell != cell.rstrip() for row in cells for cell, r in zip(row, right, strict=True) if r):
        return None  # a right-justified cell loses its trailing space in rich

    def line(row: Sequence[str], edge: str, inner: str) -> str:
        shown = [
            cell.rjust(size) if at_right else cell.ljust(size)
            for cell, size, at_right in zip(row, contents, right, strict=True)
        ]
        return edge + inner.join(f" {cell} " for cell in shown) + edge

    def rule(left: str, fill: str, middle: str, end: str) -> str:
        return left + middle.join(fill * (size + 2) for size in contents) + end

    lines = [title.ljust(table_width), rule("┏", "━", "┳", "┓"), line(headers, "┃", "┃")]
    lines.append(rule("┡", "━", "╇", "┩"))
    lines += [line(row, "│", "│") for row in rows]
    lines.append(rule("└", "─", "┴", "┘"))
    return lines
