"""Make text from the input safe to write in every report format.

Inputs are hostile: an id, a key or ``meta.profile`` may hold a lone surrogate
(``"\\ud800"`` is valid JSON but cannot be encoded as UTF-8), a file name that is not
valid UTF-8 arrives as surrogate escapes, and a message may carry terminal escape
sequences or newlines that would clear a screen or print a fake verdict. Every
reporter passes text that came from the input through one of these functions, so a
report is always complete, encodable and shows exactly what the input said.
"""

from __future__ import annotations

import re
from typing import Any

# Characters that a report cannot show as they are: C0 and C1 controls, DEL, lone
# surrogates (a valid astral character is one code point in a Python str, so this
# range only ever matches lone halves) and the bidirectional overrides that can make
# text read differently from what it is ("Trojan source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# XML 1.0 cannot carry C0 controls other than tab, newline and carriage return at all.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:
        # A byte that was not valid UTF-8 (Python's surrogateescape): show the byte.
        return f"\\x{point - 0xDC00:02x}"
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}"


def printable(text: str) -> str:
    """One line of plain text: every control, bidi and unencodable character escaped."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: _escape_char(m.group()), text)


def encodable(text: str) -> str:
    """Text that UTF-8 can encode: lone surrogates escaped, everything else kept.

    For formats that escape control characters themselves (JSON)."""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: _escape_char(m.group()), text)


def xml_safe(text: str) -> str:
    """Text that XML 1.0 can carry (tab and newlines kept; markup is escaped by the writer)."""
    if _XML_UNSAFE.search(text) is None:
        return text
    return _XML_UNSAFE.sub(lambda m: _escape_char(m.group()), text)


def encodable_tree(value: Any) -> Any:
    """A JSON-like value with every string (keys included) made encodable."""
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, dict):
        return {encodable(str(k)): encodable_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable_tree(v) for v in value]
    return value


def shorten(text: str, limit: int = 300) -> str:
    """At most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
