"""How a run's inputs split into shards for the map step: a whole file, or a chunk of a
large NDJSON file that carries its byte range and its starting line (so positions and
resource keys are the same as when the file is read whole)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile

# Why the reader's private helpers: a chunk must decode and parse each record exactly as
# the whole-file reader does (same findings, same positions).
from pcocheck.inputs.read import Document, _decode, _read_error, parse_text
from pcocheck.inputs.source import SourceText
from pcocheck.view import Anchor

MIN_CHUNK_BYTES = 256 * 1024  # smaller NDJSON files are one shard
MAX_CHUNK_BYTES = 8 * 1024 * 1024  # bounds what one worker holds and returns at once
# NDJSON chunks per job: the workers take the next chunk as they finish one, so the last
# to finish waits for at most one chunk; small chunks keep that wait short (each chunk
# costs a few milliseconds of its own: opening, seeking, handing its state over).
NDJSON_CHUNKS_PER_JOB = 16
# The run's last chunks are cut finer: whoever takes the very last one makes the others
# wait for it at most that long (guided scheduling). The last TAIL_CHUNKS_PER_JOB chunks'
# worth of bytes per job is cut into pieces TAIL_DIVISOR times smaller.
TAIL_CHUNKS_PER_JOB = 2
TAIL_DIVISOR = 4
_BLOCK = 1 << 20
MIN_BUNDLE_ENTRIES = 200  # a Bundle is cut into parts of at least this many entries
# A run's one large Bundle is cut into parts that shrink as the entries left do: each is
# what is left divided by GUIDED_DIVISOR parts per job (not below MIN_BUNDLE_ENTRIES), so
# the first parts are large (each part costs a little of its own) and the last ones small
# (whoever takes the last part makes the others wait for it at most that long: with four
# equal parts per job, a job waited up to a quarter of its share, 0.3 s of a 2 s check).
GUIDED_DIVISOR = 2
# Below this much input a run stays in one process: starting workers would cost more than
# they save (cold start matters for the many small runs in CI).
MIN_PARALLEL_BYTES = 1024 * 1024
# Below this much input the first pass runs here: forking workers for it, pickling the
# identities they find and merging them costs more than parsing in one process saves
# (measured, CPU time: 10,000 NDJSON records, 7.8 MB: 0.16 s here; in two workers about
# 0.19 s in all, and 0.02 s here to merge what they found).
MIN_PARALLEL_PRESCAN_BYTES = 4 * 1024 * 1024


def input_bytes(inputs: list[InputFile]) -> int:
    """About how much input there is (compressed files count five times their size)."""
    total = 0
    for item in inputs:
        if item.data is not None:
            size = len(item.data)
        elif item.path is None:
            continue
        else:
            try:
                size = os.stat(item.path).st_size
            except OSError:
                continue
        total += size * (5 if item.gzipped else 1)
    return total


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of the map step. ``end`` None: the whole input (from ``start``)."""

    number: int  # position in the run: results are merged in this order
    item: InputFile
    start: int = 0
    end: int | None = None
    first_line: int = 1
    first: bool = True  # the input's first shard (counts the file)
    last: bool = True  # the input's last shard
    chunked: bool = False
    # A part of a large Bundle: the top-level entries [start, end) (end None: to the last);
    # the worker parses the whole Bundle (references resolve within it) and checks those.
    entries: tuple[int, int | None] | None = None

    def holds_entry(self, entry: int | None) -> bool:
        """Whether this shard checks what sits at top-level ``entry`` (None: the document
        itself, checked by the file's first shard)."""
        if self.entries is None:
            return True
        if entry is None:
            return self.first
        start, end = self.entries
        return entry >= start and (end is None or entry < end)


def plan_shards(inputs: list[InputFile], jobs: int) -> list[Shard]:
    """The shards of ``inputs`` in input order; large plain NDJSON files are cut at line
    ends into a few chunks per job."""
    total = 0
    sizes: list[int | None] = []
    for item in inputs:
        size = _plain_ndjson_size(item)
        sizes.append(size)
        total += size or 0
    wanted = total // max(1, jobs * NDJSON_CHUNKS_PER_JOB)
    target = min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, wanted))
    shards: list[Shard] = []
    last_cut = max(
        (
            i
            for i, (item, size) in enumerate(zip(inputs, sizes, strict=True))
            if _cut(item, size, target)
        ),
        default=-1,
    )
    for position_in_run, (item, size) in enumerate(zip(inputs, sizes, strict=True)):
        if not _cut(item, size, target):
            shards.append(Shard(len(shards), item))
            continue
        assert size is not None and item.path is not None
        # Only the run's last cut file ends the run: its tail is cut finer.
        fine_from = (
            size - jobs * TAIL_CHUNKS_PER_JOB * target if position_in_run == last_cut else size
        )
        ranges = ndjson_ranges(str(item.path), target, fine_from)
        for position, (start, end, first_line) in enumerate(ranges):
            shards.append(
                Shard(
                    len(shards),
                    item,
                    start,
                    end,
                    first_line,
                    first=position == 0,
                    last=position == len(ranges) - 1,
                    chunked=True,
                )
            )
    return shards


def _cut(item: InputFile, size: int | None, target: int) -> bool:
    """Whether ``item`` is cut into chunks (a plain NDJSON file larger than a chunk)."""
    return size is not None and size > target and item.path is not None


def _plain_ndjson_size(item: InputFile) -> int | None:
    """The size of an uncompressed NDJSON file on disk (chunks can be read by seeking)."""
    if not item.ndjson or item.gzipped or item.data is not None or item.path is None:
        return None
    try:
        return os.stat(item.path).st_size
    except OSError:
        return None


def ndjson_ranges(
    path: str, target: int, fine_from: int | None = None
) -> list[tuple[int, int | None, int]]:
    """(start byte, end byte or None for the end of the file, first line number) of chunks
    of about ``target`` bytes, each ending just after a line feed; chunks that start at or
    after byte ``fine_from`` are ``TAIL_DIVISOR`` times smaller, even below
    ``MIN_CHUNK_BYTES`` (a small file's last chunks are what the other jobs wait for at
    the end of the run; a chunk's own cost is a few milliseconds)."""
    ranges: list[tuple[int, int | None, int]] = []
    start, first_line, newlines, offset = 0, 1, 0, 0
    fine = max(1, target // TAIL_DIVISOR)
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            position = 0
            while True:
                size = fine if fine_from is not None and start >= fine_from else target
                want = start + size - offset
                if want >= len(block):
                    break
                cut = block.find(b"\n", max(want, position))
                if cut < 0:
                    break
                newlines += block.count(b"\n", position, cut + 1)
                ranges.append((start, offset + cut + 1, first_line))
                start, first_line, position = offset + cut + 1, newlines + 1, cut + 1
            newlines += block.count(b"\n", position)
            offset += len(block)
    ranges.append((start, None, first_line))
    return ranges


class ChunkReading:
    """Reads one NDJSON chunk like :func:`pcocheck.inputs.read.read_documents` reads the
    whole file, counting its records (the file-level "no records" finding is the
    reducer's, from all chunks)."""

    def __init__(self, shard: Shard, duplicates: bool = True) -> None:
        self.shard = shard
        self.duplicates = duplicates  # False: the first pass (see read.index_documents)
        self.records = 0

    def documents(self) -> Iterator[Document | Finding]:
        item = self.shard.item
        anchor = Anchor(source=None, file=item.display)
        try:
            for line_number, raw in self.lines():
                yield from self.record(raw, line_number, anchor)
        except (OSError, EOFError) as error:
            yield _read_error(item, error)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, bytes without the line end) of every record of the chunk (blank
        lines left out, every record counted); read errors are raised."""
        shard = self.shard
        assert shard.item.path is not None
        with open(shard.item.path, "rb") as handle:
            handle.seek(shard.start)
            offset = shard.start
            for line_number, raw in enumerate(handle, start=shard.first_line):
                if shard.end is not None and offset >= shard.end:
                    break
                offset += len(raw)
                if not raw.strip():
                    continue
                self.records += 1
                yield line_number, raw.rstrip(b"\r\n")

    def record(self, raw: bytes, line_number: int, anchor: Anchor) -> Iterator[Document | Finding]:
        """What one record gives: its reading's findings and its document, as the
        whole-file reader gives them (``anchor``: the file's, for findings without text)."""
        display = self.shard.item.display
        text = plain_text(raw)
        if text is None:
            text, findings = _decode(raw, display, line_number, anchor, line_number == 1)
            yield from findings
            if text is None:
                return
        source = SourceText(display, text, first_line=line_number, record=True)
        value, findings = parse_text(
            text, source, Anchor(source=source, file=display), self.duplicates
        )
        yield from findings
        if value is not None or not findings:  # null: FHIR-JSON-004 later
            yield Document(source, value)


def plain_text(raw: bytes) -> str | None:
    """The text of a record that starts with ``{`` and holds no NUL in its first bytes
    (no byte order mark, no UTF-16/32: the reader's decoding would only decode it; a few
    microseconds of its checks spared per record), or None (then decode it the reader's
    way: invalid UTF-8 and every other case get its findings)."""
    if raw[:1] != b"{" or b"\0" in raw[:4]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def no_records(item: InputFile) -> Finding:
    """The finding the whole-file reader gives an NDJSON file without records."""
    anchor = Anchor(source=None, file=item.display)
    return anchor.finding("FHIR-JSON-012", f"{item.display} holds no NDJSON records")


def split_bundles(
    shards: list[Shard], entry_counts: dict[int, int], jobs: int, per_job: int = 1
) -> list[Shard]:
    """``shards`` with each large Bundle file cut into ranges of top-level entries
    (``entry_counts``: entries the first pass found, per shard number); renumbered.
    ``per_job`` parts per job: one when every part reads the whole Bundle; a few when the
    workers share one parsed copy (the parent then merges early parts while later ones are
    checked, and uneven parts even out)."""

    def equal(count: int) -> list[int]:
        parts = min(jobs * per_job, count // MIN_BUNDLE_ENTRIES)
        if parts < 2:
            return [count]
        size = -(-count // parts)
        return [size] * (parts - 1) + [count - size * (parts - 1)]

    return _cut_bundles(shards, entry_counts, equal)


def _cut_bundles(
    shards: list[Shard], entry_counts: dict[int, int], sizes_of: Callable[[int], list[int]]
) -> list[Shard]:
    """``shards`` with each Bundle file of ``sizes_of(entries)`` parts cut into those
    consecutive ranges of top-level entries (the last open-ended); renumbered."""
    out: list[Shard] = []
    for shard in shards:
        sizes = sizes_of(entry_counts.get(shard.number, 0))
        if shard.chunked or shard.item.ndjson or len(sizes) < 2:
            out.append(dataclasses.replace(shard, number=len(out)))
            continue
        start = 0
        for part, size in enumerate(sizes):
            last = part == len(sizes) - 1
            out.append(
                dataclasses.replace(
                    shard,
                    number=len(out),
                    first=part == 0,
                    last=last,
                    entries=(start, None if last else start + size),
                )
            )
            start += size
    return out


def guided_part_sizes(count: int, jobs: int) -> list[int]:
    """How many top-level entries each part of a Bundle of ``count`` entries checks, in
    order (see GUIDED_DIVISOR); one part when there are too few entries for two."""
    if jobs < 2 or count < 2 * MIN_BUNDLE_ENTRIES:
        return [count]
    sizes: list[int] = []
    left = count
    while left > 0:
        size = min(left, max(MIN_BUNDLE_ENTRIES, -(-left // (jobs * GUIDED_DIVISOR))))
        if left - size < MIN_BUNDLE_ENTRIES // 2:
            size = left  # no part much smaller than the minimum after this one
        sizes.append(size)
        left -= size
    return sizes


def split_bundle_guided(
    shards: list[Shard], entry_counts: dict[int, int], jobs: int
) -> list[Shard]:
    """:func:`split_bundles` for a run's one large Bundle whose parsed document the workers
    share: parts of :func:`guided_part_sizes`."""
    return _cut_bundles(shards, entry_counts, lambda count: guided_part_sizes(count, jobs))
