"""Read inputs into parsed JSON documents, turning every problem into a finding.

``.json`` files are read whole; NDJSON is streamed line by line so that a huge bulk
export never has to fit in memory. The standard ``json`` parser does the parsing
(fast); positions are computed lazily by :mod:`pcocheck.inputs.locate`.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile
from pcocheck.inputs.source import SourceText
from pcocheck.view import Anchor

UTF8_BOM = b"\xef\xbb\xbf"
_TRAILING_CONTEXT = 40


@dataclass(slots=True)
class Document:
    """One parsed JSON text: a whole file, or one NDJSON record."""

    source: SourceText
    value: Any


class _NonFiniteNumber(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _reject_constant(token: str) -> Any:
    raise _NonFiniteNumber(token)


class _Parser:
    """``json.loads`` that remembers whether any object repeated a key."""

    __slots__ = ("had_duplicates",)

    def __init__(self) -> None:
        self.had_duplicates = False

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            self.had_duplicates = True
        return result

    def loads(self, text: str) -> Any:
        return json.loads(text, object_pairs_hook=self._pairs, parse_constant=_reject_constant)


def _describe_decode_error(error: json.JSONDecodeError, text: str) -> tuple[str, str]:
    """(code, message): truncated input gets its own code, it is a common failure."""
    rest = text[error.pos :].strip()
    if not rest or error.msg.startswith("Unterminated string"):
        return (
            "FHIR-JSON-002",
            f"JSON ends unexpectedly ({error.msg.lower()}): the file looks truncated",
        )
    snippet = rest[:_TRAILING_CONTEXT].splitlines()[0] if rest else ""
    return "FHIR-JSON-001", f"invalid JSON: {error.msg} (near {snippet!r})"


def parse_text(text: str, source: SourceText, anchor: Anchor) -> tuple[Any, list[Finding]]:
    """Parse one JSON text; returns (value or None, findings)."""
    parser = _Parser()
    try:
        value = parser.loads(text)
    except json.JSONDecodeError as error:
        code, message = _describe_decode_error(error, text)
        line, column = source.position_of_offset(error.pos)
        return None, [anchor.finding(code, message, line=line, column=column)]
    except _NonFiniteNumber as error:
        match = re.search(re.escape(error.token), text)
        line, column = source.position_of_offset(match.start() if match else 0)
        message = f"invalid JSON: {error.token} is not a JSON number (FHIR forbids it)"
        return None, [anchor.finding("FHIR-JSON-001", message, line=line, column=column)]
    except RecursionError:
        message = "invalid JSON: nesting is too deep to be FHIR content"
        return None, [anchor.finding("FHIR-JSON-001", message, line=1, column=1)]
    findings = []
    if parser.had_duplicates:
        root = value.get("resourceType") if isinstance(value, dict) else None
        if isinstance(root, str):
            anchor = Anchor(source=source, file=anchor.file, root=root)
        for path, line, column in source.duplicate_keys():
            findings.append(
                anchor.finding(
                    "FHIR-JSON-003",
                    f"duplicate JSON key {path[-1]!r}: FHIR forbids repeated property names "
                    "(only the last value was kept)",
                    path,
                    line=line,
                    column=column,
                )
            )
    return value, findings


def _decode(
    data: bytes, source_name: str, first_line: int, anchor: Anchor, allow_bom: bool
) -> tuple[str | None, list[Finding]]:
    findings: list[Finding] = []
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        if allow_bom:
            findings.append(
                anchor.finding(
                    "FHIR-JSON-009",
                    "file starts with a UTF-8 byte order mark; it was ignored",
                    line=first_line,
                    column=1,
                )
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        message = "file is UTF-16 encoded; FHIR JSON must be UTF-8"
        return None, [anchor.finding("FHIR-JSON-008", message, line=first_line, column=1)]
    try:
        return data.decode("utf-8"), findings
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = first_line + before.count(b"\n")
        column = error.start - (before.rfind(b"\n") + 1) + 1
        message = f"bytes at offset {error.start} are not valid UTF-8 ({error.reason})"
        findings.append(anchor.finding("FHIR-JSON-008", message, line=line, column=column))
        return None, findings


def _open_binary(item: InputFile, stdin: IO[bytes] | None) -> IO[bytes]:
    if item.data is not None:
        data = io.BytesIO(item.data)
        return cast(IO[bytes], gzip.GzipFile(fileobj=data)) if item.gzipped else data
    if item.path is None:
        raw: IO[bytes] = stdin if stdin is not None else sys.stdin.buffer
        return raw
    if item.gzipped:
        return cast(IO[bytes], gzip.open(item.path, "rb"))
    return open(item.path, "rb")


def _read_error(item: InputFile, error: Exception) -> Finding:
    anchor = Anchor(source=None, file=item.display)
    if isinstance(error, (gzip.BadGzipFile, zlib.error, EOFError)):
        return anchor.finding("FHIR-JSON-013", f"cannot decompress gzip data: {error}")
    reason = getattr(error, "strerror", None) or str(error)
    return anchor.finding("FHIR-JSON-007", f"cannot read {item.display}: {reason}")


def read_documents(item: InputFile, stdin: IO[bytes] | None = None) -> Iterator[Document | Finding]:
    """Yield parsed documents and findings for one input, never raising for bad input."""
    if item.ndjson:
        yield from _read_ndjson(item, stdin)
        return
    try:
        with _open_binary(item, stdin) as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        yield _read_error(item, error)
        return
    anchor = Anchor(source=None, file=item.display)
    if not data.strip():
        yield anchor.finding("FHIR-JSON-012", f"{item.display} is empty", line=1, column=1)
        return
    text, findings = _decode(data, item.display, 1, anchor, allow_bom=True)
    yield from findings
    if text is None:
        return
    source = SourceText(item.display, text)
    value, findings = parse_text(text, source, Anchor(source=source, file=item.display))
    yield from findings
    if value is not None or not findings:  # a JSON null parsed fine: FHIR-JSON-004 later
        yield Document(source, value)


def _read_ndjson(item: InputFile, stdin: IO[bytes] | None) -> Iterator[Document | Finding]:
    anchor = Anchor(source=None, file=item.display)
    records = 0
    try:
        with _open_binary(item, stdin) as handle:
            for line_number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                records += 1
                text, findings = _decode(
                    raw.rstrip(b"\r\n"), item.display, line_number, anchor, line_number == 1
                )
                yield from findings
                if text is None:
                    continue
                source = SourceText(item.display, text, first_line=line_number, record=True)
                record_anchor = Anchor(source=source, file=item.display)
                value, findings = parse_text(text, source, record_anchor)
                yield from findings
                if value is not None or not findings:  # null: FHIR-JSON-004 later
                    yield Document(source, value)
    except (OSError, EOFError, zlib.error) as error:
        yield _read_error(item, error)
        return
    if records == 0:
        yield anchor.finding("FHIR-JSON-012", f"{item.display} holds no NDJSON records")
