"""Read inputs into parsed JSON documents, turning every problem into a finding.

``.json`` files are read whole; NDJSON is streamed line by line so that a huge bulk
export never has to fit in memory. The standard ``json`` parser does the parsing
(fast); positions are computed lazily by :mod:`pcocheck.inputs.locate`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, cast

from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile
from pcocheck.inputs.locate import find_outside_strings, nesting_offset
from pcocheck.inputs.source import SourceText
from pcocheck.inputs.stream import slim_bundle
from pcocheck.jsonutil import (
    MAX_DEPTH,
    IntegerTooLong,
    JsonLimitError,
    bounded_decoder,
    decode_bounded,
    quote,
)
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


class _Parser(threading.local):
    """``json.loads`` that remembers whether any object repeated a key. One per thread
    (:data:`_PARSER`), its decoders made once (see :func:`bounded_decoder`)."""

    def __init__(self) -> None:
        self.had_duplicates = False
        # FHIR decimals keep their exact text and value (15.10 is not 15.1, 1e400 is not inf)
        self.strict = bounded_decoder(
            object_pairs_hook=self._pairs, parse_constant=_reject_constant, parse_float=Decimal
        )
        # Without the hook (about a third of the parse) json builds the same dicts: a
        # repeated key keeps its first place and its last value either way
        # (tests/inputs/test_index_reading.py).
        self.quick = bounded_decoder(parse_constant=_reject_constant, parse_float=Decimal)

    def _pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            self.had_duplicates = True
        return result

    def loads(self, text: str, duplicates: bool) -> Any:
        """The value of ``text``; ``duplicates``: note repeated keys in ``had_duplicates``."""
        self.had_duplicates = False
        return decode_bounded(self.strict if duplicates else self.quick, text)


_PARSER = _Parser()


def _describe_decode_error(error: json.JSONDecodeError, text: str) -> tuple[str, str]:
    """(code, message): truncated input gets its own code, it is a common failure."""
    rest = text[error.pos : error.pos + 4 * _TRAILING_CONTEXT].strip()
    if not rest or error.msg.startswith("Unterminated string"):
        return (
            "FHIR-JSON-002",
            f"JSON ends unexpectedly ({error.msg.lower()}): the file looks truncated",
        )
    snippet = rest[:_TRAILING_CONTEXT].splitlines()[0] if rest else ""
    return "FHIR-JSON-001", f"invalid JSON: {error.msg} (near {quote(snippet)})"


def _token_finding(
    code: str, message: str, token: str, text: str, source: SourceText, anchor: Anchor
) -> Finding:
    offset = find_outside_strings(text, token)
    line, column = source.position_of_offset(max(offset, 0))
    return anchor.finding(code, message, line=line, column=column)


def parse_text(
    text: str, source: SourceText, anchor: Anchor | None = None, duplicates: bool = True
) -> tuple[Any, list[Finding]]:
    """Parse one JSON text; returns (value or None, findings).

    JSON beyond pcocheck's limits (nesting, number length) is one finding and no value:
    the checks never see a tree deep enough to exhaust their recursion. ``duplicates``
    False: repeated keys are not looked for (the first pass, whose findings are dropped:
    the value is the same, and so is whether there is one). ``anchor`` None: the
    document's own (made only for a finding)."""
    parser = _PARSER
    try:
        value = parser.loads(text, duplicates)
    except (json.JSONDecodeError, _NonFiniteNumber, JsonLimitError) as error:
        if anchor is None:
            anchor = Anchor(source=source, file=source.file)
        return None, _parse_problem(error, text, source, anchor)
    if not parser.had_duplicates:
        return value, []
    if anchor is None:
        anchor = Anchor(source=source, file=source.file)
    findings = []
    root = value.get("resourceType") if isinstance(value, dict) else None
    if isinstance(root, str):
        anchor = Anchor(source=source, file=anchor.file, root=root)
    for path, line, column in source.duplicate_keys():
        findings.append(
            anchor.finding(
                "FHIR-JSON-003",
                f"duplicate JSON key {quote(path[-1])}: FHIR forbids repeated property "
                "names (only the last value was kept)",
                path,
                line=line,
                column=column,
            )
        )
    return value, findings


def _parse_problem(
    error: json.JSONDecodeError | _NonFiniteNumber | JsonLimitError,
    text: str,
    source: SourceText,
    anchor: Anchor,
) -> list[Finding]:
    """The finding for text :func:`parse_text` could not parse."""
    if isinstance(error, json.JSONDecodeError):
        code, message = _describe_decode_error(error, text)
        line, column = source.position_of_offset(error.pos)
        return [anchor.finding(code, message, line=line, column=column)]
    if isinstance(error, _NonFiniteNumber):
        message = f"invalid JSON: {error.token} is not a JSON number (FHIR forbids it)"
        return [_token_finding("FHIR-JSON-001", message, error.token, text, source, anchor)]
    if isinstance(error, IntegerTooLong):
        message = f"{error}: not a FHIR number; the document was not checked further"
        return [_token_finding("FHIR-JSON-015", message, error.token, text, source, anchor)]
    message = f"{error}; the document was not checked further"
    if error.path:
        return [anchor.finding("FHIR-JSON-014", message, error.path)]
    # The parser gave up before a path could be named: point at the bracket that opens
    # the level beyond the limit (a record's own line, not line 1 of the file).
    line, column = source.position_of_offset(nesting_offset(text, MAX_DEPTH))
    return [anchor.finding("FHIR-JSON-014", message, line=line, column=column)]


# Size limits (bytes, after decompression). A legitimate FHIR JSON document of this size
# already needs a few GB to validate; NDJSON records are single resources. A gzip file may
# not expand beyond the larger of the floor and the ratio: real FHIR compresses 5-30x
# (synthetic, repetitive corpora about 50x), gzip bombs 1000x. So a bomb costs at most a
# few times what a genuine file of its size would.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
GZIP_RATIO_LIMIT = 100
GZIP_FLOOR_BYTES = 256 * 1024 * 1024
# An over-long NDJSON line is skipped to its end, but not forever (a FIFO fed from
# /dev/zero has no end): past this, the rest of the input is not read.
MAX_SKIPPED_LINE_BYTES = 1024 * 1024 * 1024
_CHUNK = 1024 * 1024

_UTF32_BOMS = {b"\xff\xfe\x00\x00": "UTF-32LE", b"\x00\x00\xfe\xff": "UTF-32BE"}
_UTF16_BOMS = {b"\xff\xfe": "UTF-16LE", b"\xfe\xff": "UTF-16BE"}


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16/UTF-32 by byte order mark, or by the NUL pattern of the first characters
    (JSON text starts with ASCII, RFC 4627 section 3)."""
    head = data[:4]
    # Once per NDJSON record: every answer but None needs a NUL among the first four bytes
    # or a first byte of a byte order mark (0xFF, 0xFE), so most records stop here.
    if b"\x00" not in head and not head.startswith((b"\xff", b"\xfe")):
        return None
    for bom, name in _UTF32_BOMS.items():
        if data.startswith(bom):
            return name
    for bom, name in _UTF16_BOMS.items():
        if data.startswith(bom):
            return name
    if len(head) == 4:
        nul = "".join("0" if byte == 0 else "x" for byte in head)
        patterns = {"000x": "UTF-32BE", "x000": "UTF-32LE", "0x0x": "UTF-16BE", "x0x0": "UTF-16LE"}
        return patterns.get(nul)
    return None


def _decode(
    data: bytes, source_name: str, first_line: int, anchor: Anchor, allow_bom: bool
) -> tuple[str | None, list[Finding]]:
    findings: list[Finding] = []
    wide = _wide_encoding(data)
    if wide is not None:
        message = f"{'file' if allow_bom else 'line'} is {wide} encoded; FHIR JSON must be UTF-8"
        return None, [anchor.finding("FHIR-JSON-008", message, line=first_line, column=1)]
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        message = (
            "file starts with a UTF-8 byte order mark; it was ignored"
            if allow_bom
            else "NDJSON line starts with a UTF-8 byte order mark (only the start of a file "
            "may have one, e.g. files were concatenated); it was ignored"
        )
        findings.append(anchor.finding("FHIR-JSON-009", message, line=first_line, column=1))
    try:
        return data.decode("utf-8"), findings
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = first_line + before.count(b"\n")
        column = error.start - (before.rfind(b"\n") + 1) + 1
        message = f"bytes at offset {error.start} are not valid UTF-8 ({error.reason})"
        findings.append(anchor.finding("FHIR-JSON-008", message, line=line, column=column))
        return None, findings


def _plain_utf8(data: bytes) -> str | None:
    """``data`` decoded when :func:`_decode` would decode it without a finding (no byte
    order mark, no UTF-16/32 pattern, valid UTF-8), else None: the usual NDJSON record,
    without building an anchor's findings list."""
    head = data[:4]
    if b"\x00" in head or head.startswith((b"\xff", b"\xfe", UTF8_BOM[:1])):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _device_problem(item: InputFile) -> Finding | None:
    """A finding for a character or block device (``/dev/zero``, ``/dev/urandom``, or a
    symbolic link to one): they never end, and they hold no FHIR content. FIFOs and
    sockets named on the command line are read as streams; found in a folder they are
    skipped by discovery."""
    if item.path is None:
        return None
    try:
        mode = os.stat(item.path).st_mode
    except OSError:
        return None  # opening it reports the reason
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        anchor = Anchor(source=None, file=item.display)
        return anchor.finding(
            "FHIR-JSON-017", f"{item.display} is a device, not a file; it was not read"
        )
    return None


def _gzip_budget(item: InputFile) -> int | None:
    """How many decompressed bytes a .gz input may produce, or None (not gzip)."""
    if not item.gzipped or item.path is None:
        return None
    try:
        size = os.stat(item.path).st_size
    except OSError:
        size = 0
    return max(GZIP_FLOOR_BYTES, GZIP_RATIO_LIMIT * size)


def _too_large(
    item: InputFile, what: str, limit: int, line: int | None = None, outcome: str = ""
) -> Finding:
    anchor = Anchor(source=None, file=item.display)
    if not outcome:
        outcome = "it was skipped" if line else "the file was not read"
    message = f"{what} is larger than {limit:,} bytes; {outcome}"
    return anchor.finding("FHIR-JSON-016", message, line=line, column=1 if line else None)


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


def _plain_size(item: InputFile) -> int | None:
    """The size of an uncompressed regular file on disk, or None."""
    if item.gzipped or item.data is not None or item.path is None:
        return None
    try:
        info = os.stat(item.path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _read_error(item: InputFile, error: Exception) -> Finding:
    anchor = Anchor(source=None, file=item.display)
    if isinstance(error, (gzip.BadGzipFile, zlib.error, EOFError)):
        return anchor.finding("FHIR-JSON-013", f"cannot decompress gzip data: {error}")
    reason = getattr(error, "strerror", None) or str(error)
    return anchor.finding("FHIR-JSON-007", f"cannot read {item.display}: {reason}")


def read_documents(item: InputFile, stdin: IO[bytes] | None = None) -> Iterator[Document | Finding]:
    """Yield parsed documents and findings for one input, never raising for bad input."""
    device = _device_problem(item)
    if device is not None:
        yield device
        return
    if item.ndjson:
        yield from _read_ndjson(item, stdin)
        return
    limit = MAX_DOCUMENT_BYTES
    try:
        with _open_binary(item, stdin) as handle:
            # Bounded: a gzip bomb or an endless stream stops at the limit. A plain file is
            # read by its size (read(n) would first reserve n bytes: 256 MB for any file).
            size = _plain_size(item)
            data = handle.read(limit + 1 if size is None else min(limit, size) + 1)
            if size is not None and len(data) > size:  # it grew since: read on as before
                data += handle.read(limit + 1 - len(data))
    except (OSError, EOFError, zlib.error) as error:
        yield _read_error(item, error)
        return
    if len(data) > limit:
        yield _too_large(
            item, f"{item.display} (decompressed)" if item.gzipped else item.display, limit
        )
        return
    anchor = Anchor(source=None, file=item.display)
    if not data.strip():
        yield anchor.finding("FHIR-JSON-012", f"{item.display} is empty", line=1, column=1)
        return
    text, findings = _decode(data, item.display, 1, anchor, allow_bom=True)
    del data
    yield from findings
    if text is None:
        return
    source = SourceText(item.display, text)
    slim = slim_bundle(text)
    if slim is not None:  # a large Bundle: its entries are parsed when they are checked
        source.know_regular()  # read whole by the slim reader: valid, no repeated key
        if slim.entries_span is not None:
            source.know_array(*slim.entries_span, slim.entry_starts)
        yield Document(source, slim)
        return
    value, findings = parse_text(text, source, Anchor(source=source, file=item.display))
    yield from findings
    if value is not None or not findings:  # a JSON null parsed fine: FHIR-JSON-004 later
        yield Document(source, value)


def index_documents(item: InputFile) -> Iterator[Document | Finding]:
    """The documents of ``item`` for the run's first pass, which only indexes them: the
    same values as :func:`read_documents`; NDJSON records are parsed without looking for
    repeated keys (the checking pass reads them again and reports those)."""
    if item.ndjson and _device_problem(item) is None:
        return _read_ndjson(item, None, duplicates=False)
    return read_documents(item)


class _OverBudget(Exception):
    def __init__(self, what: str, limit: int) -> None:
        super().__init__(what)
        self.what = what
        self.limit = limit


class _LineReader:
    """Lines of at most ``limit`` bytes; None stands for a longer line, which is skipped
    by reading on (in chunks, never holding it) to its end. Counts every byte produced,
    so a gzip bomb stops at ``budget`` even inside one endless line."""

    def __init__(self, handle: IO[bytes], limit: int, budget: int | None) -> None:
        self.handle = handle
        self.limit = limit
        self.budget = budget
        self.consumed = 0

    def _count(self, raw: bytes) -> bytes:
        self.consumed += len(raw)
        if self.budget is not None and self.consumed > self.budget:
            raise _OverBudget("the decompressed data", self.budget)
        return raw

    def __iter__(self) -> Iterator[bytes | None]:
        readline = self.handle.readline
        limit, budget = self.limit, self.budget
        while True:
            raw = readline(limit + 1)
            # _count, inline: this runs once per record
            self.consumed += len(raw)
            if budget is not None and self.consumed > budget:
                raise _OverBudget("the decompressed data", budget)
            if not raw:
                return
            if len(raw) <= limit or raw.endswith(b"\n"):
                yield raw
                continue
            skipped = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = self._count(readline(_CHUNK))
                skipped += len(raw)
                if skipped > MAX_SKIPPED_LINE_BYTES:  # an endless stream without newlines
                    raise _OverBudget("one line", MAX_SKIPPED_LINE_BYTES)
            yield None


def _read_ndjson(
    item: InputFile, stdin: IO[bytes] | None, duplicates: bool = True
) -> Iterator[Document | Finding]:
    anchor = Anchor(source=None, file=item.display)
    records = 0
    budget = _gzip_budget(item)
    try:
        with _open_binary(item, stdin) as handle:
            lines = _LineReader(handle, MAX_LINE_BYTES, budget)
            for line_number, raw in enumerate(lines, start=1):
                if raw is None:
                    records += 1
                    yield _too_large(item, f"line {line_number}", MAX_LINE_BYTES, line_number)
                    continue
                if not raw or raw.isspace():  # blank (no copy made to see it)
                    continue
                records += 1
                raw = raw.rstrip(b"\r\n")
                text = _plain_utf8(raw)
                if text is None:  # anything else: decoded with its findings
                    text, findings = _decode(
                        raw, item.display, line_number, anchor, line_number == 1
                    )
                    yield from findings
                    if text is None:
                        continue
                source = SourceText(item.display, text, first_line=line_number, record=True)
                value, findings = parse_text(text, source, None, duplicates)
                yield from findings
                if value is not None or not findings:  # null: FHIR-JSON-004 later
                    yield Document(source, value)
    except _OverBudget as over:
        outcome = "the rest of the file was not read"
        yield _too_large(item, f"{over.what} of {item.display}", over.limit, outcome=outcome)
        return
    except (OSError, EOFError, zlib.error) as error:
        yield _read_error(item, error)
        return
    if records == 0:
        yield anchor.finding("FHIR-JSON-012", f"{item.display} holds no NDJSON records")
