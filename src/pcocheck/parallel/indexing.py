"""The first pass of a parallel run over one NDJSON chunk, with only the work the run-wide
index needs per record.

The first pass reads every record once more before the checks do; in a bulk export
nearly every line is one plain resource, of which the index keeps ``Type/id``, the line
and the claimed profiles (and a conformance resource's canonical URL). Such a line is
parsed exactly as the reader parses it (same decoder, same limits) and indexed straight
from the parsed dict — no source text object, document, anchor or view is made — unless
a checker's first-pass hook looks at its resource type. Every other line (a Bundle, a
byte order mark, another encoding, invalid JSON or UTF-8, JSON that is no resource) goes
the reader's whole way (:meth:`ChunkReading.record`, :func:`views_to_index`), so the
index, the hooks' state and the entry count are those of the general first pass
(tests/parallel/test_indexing.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.inputs.first_pass import views_to_index

# Re-exported: the first passes here read it from this module (a test replaces it).
from pcocheck.inputs.first_pass import watched_types as watched_types

# The reader's own decoder (see ChunkReading in .shards: a chunk parses each record as the
# whole-file reader does).
from pcocheck.inputs.read import _PARSER, index_documents
from pcocheck.inputs.source import SourceText
from pcocheck.jsonutil import decode_bounded
from pcocheck.parallel.shards import ChunkReading, Shard, plain_text
from pcocheck.resolution import CANONICAL_TYPES, IndexPart, RunIndex, canonical_of, identity_row
from pcocheck.resolution.identity import intern, shared_claims
from pcocheck.view import Anchor, ResourceView

if TYPE_CHECKING:
    from pcocheck.config import RunConfig
    from pcocheck.inputs.discover import InputFile
    from pcocheck.parallel import IndexResult
    from pcocheck.parallel.team import Fanout
    from pcocheck.runner import Run

Hook = Callable[[ResourceView], None]


def index_shard_part(
    shard: Shard,
    hooks: list[Hook],
    watched: frozenset[str] | None,
    reading: ChunkReading | None = None,
) -> tuple[IndexPart, bool, int]:
    """The first pass over one shard: its part of the run-wide index, whether it was read
    to the end without an error, and the top-level Bundle entries seen (1 + the highest
    entry index); ``hooks`` (the checkers' ``prescan``) are shown the views of the
    ``watched`` types (every view when None); ``reading``: how a chunk is read."""
    index = RunIndex()
    canonicals = index.canonicals
    file = intern(shard.item.display)
    add = index.add_row
    entries = 0

    def index_view(view: ResourceView) -> None:
        nonlocal entries
        if view.anchor.entry is not None:
            entries = max(entries, view.anchor.entry + 1)
        canonical = canonical_of(view)
        if canonical is not None:
            canonicals.setdefault(*canonical)
        identity = identity_row(view)
        if identity is not None:
            key, line, entry, full_url, claims = identity
            add(key, file, line, entry, full_url, claims)
        for hook in hooks:
            hook(view)

    complete = True
    try:
        if shard.chunked and watched is not None:
            if reading is None:
                reading = ChunkReading(shard, duplicates=False)
            index_chunk(reading, index, file, watched, hooks, index_view)
        else:
            produced = (
                ChunkReading(shard, duplicates=False).documents()
                if shard.chunked
                else index_documents(shard.item)
            )
            for view in views_to_index(produced):
                index_view(view)
    except Exception:  # the main pass reads the shard again and reports the error
        complete = False
    return index.export_part(), complete, entries


def index_chunk(
    reading: ChunkReading,
    index: RunIndex,
    file: str,
    watched: frozenset[str],
    hooks: list[Callable[[ResourceView], None]],
    index_view: Callable[[ResourceView], None],
) -> None:
    """Index every record of ``reading``'s chunk into ``index`` (``file``: the chunk's
    file name, interned); a record of a ``watched`` type is also shown to ``hooks``;
    ``index_view`` indexes a view the general way (lines not taken the short way)."""
    anchor = Anchor(source=None, file=file)
    decoder = _PARSER.quick  # what parse_text uses for the first pass (no duplicate check)
    add = index.add_row
    canonicals = index.canonicals
    try:
        for line_number, raw in reading.lines():
            value: Any = None
            text = plain_text(raw)
            if text is not None:
                try:
                    value = decode_bounded(decoder, text)
                except ValueError:  # invalid JSON, beyond the limits: the long way
                    value = None
            rtype = value.get("resourceType") if type(value) is dict else None
            if type(rtype) is not str or rtype == "Bundle" or rtype not in R4_RESOURCE_TYPES:
                for view in views_to_index(reading.record(raw, line_number, anchor)):
                    index_view(view)
                continue
            assert isinstance(value, dict)
            rid = value.get("id")
            if isinstance(rid, str) and rid:  # as identity_row
                add(f"{rtype}/{rid}", file, line_number, None, None, shared_claims(_claims(value)))
            if rtype in CANONICAL_TYPES:  # as canonical_of
                url = value.get("url")
                if isinstance(url, str):
                    canonicals.setdefault(url.split("|", 1)[0], rtype)
            if rtype in watched:  # the view views_to_index makes of a plain record
                assert text is not None
                source = SourceText(file, text, first_line=line_number, record=True)
                label = f"{rtype}/{rid}" if isinstance(rid, str) else rtype
                view = ResourceView(value, Anchor(source, file, rtype, (), None, label))
                for hook in hooks:
                    hook(view)
    except (OSError, EOFError):
        return  # the general reading ends there too (its read error is the checks' finding)


def _claims(resource: dict[str, Any]) -> tuple[str, ...]:
    """:attr:`ResourceView.claimed_profiles` of a resource, as a tuple."""
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return ()
    profiles = meta.get("profile")
    if not isinstance(profiles, list):
        return ()
    return tuple(p for p in profiles if isinstance(p, str))


# -- the first pass of a large NDJSON run, started before the definitions load -----------
# The resource types the checkers' first-pass hooks look at (ProfileEngine: CodeSystem,
# PcoRules: Questionnaire; see watched_types). The early first pass runs before those
# checkers exist: it keeps the records of these types and shows them to the hooks at the
# merge. A run whose checkers watch another type (or do not say) does not use it.
EARLY_WATCHED = frozenset({"CodeSystem", "Questionnaire"})


@dataclass(slots=True)
class EarlyIndex:
    """What the early first pass of one shard found: its part of the index (as
    :class:`pcocheck.parallel.IndexResult` has it) and what the checkers' hooks must be
    shown: a chunk's records of the watched types, (line number, bytes) in line order;
    ``whole``: a shard not cut into chunks (a small or gzipped file) that holds such a
    resource, read again whole for the hooks."""

    number: int
    part: IndexPart
    complete: bool
    entries: int
    replay: list[tuple[int, bytes]]
    whole: bool = False


class _RecordingReading(ChunkReading):
    """A chunk's reading that knows which record is being indexed."""

    current: tuple[int, bytes] = (0, b"")

    def lines(self) -> Iterator[tuple[int, bytes]]:
        for line in super().lines():
            self.current = line
            yield line


class _Replay(ChunkReading):
    """The kept records of a chunk, read again (in the parent, for the hooks)."""

    def __init__(self, shard: Shard, records: list[tuple[int, bytes]]) -> None:
        super().__init__(shard, duplicates=False)
        self._records = records

    def lines(self) -> Iterator[tuple[int, bytes]]:
        yield from self._records


def early_index(shard: Shard) -> EarlyIndex:
    """The first pass over one shard without the checkers (a forked helper's work): the
    index part, and what of the :data:`EARLY_WATCHED` types the hooks must see."""
    if not shard.chunked:
        seen = False

        def note(view: ResourceView) -> None:
            nonlocal seen
            seen = seen or view.resource_type in EARLY_WATCHED

        part, complete, entries = index_shard_part(shard, [note], EARLY_WATCHED)
        return EarlyIndex(shard.number, part, complete, entries, [], seen)
    reading = _RecordingReading(shard, duplicates=False)
    kept: list[tuple[int, bytes]] = []

    def keep(view: ResourceView) -> None:
        if view.resource_type in EARLY_WATCHED:
            line = reading.current
            if not kept or kept[-1][0] != line[0]:  # a Bundle's entries: its line once
                kept.append(line)

    part, complete, entries = index_shard_part(shard, [keep], EARLY_WATCHED, reading)
    return EarlyIndex(shard.number, part, complete, entries, kept)


class EarlyFirstPass:
    """The first pass of a parallel run over large NDJSON input, forked before the
    definitions load, so that it overlaps with them (about a tenth of a second of
    start-up, which a run of two jobs otherwise spends before any helper starts).

    The helpers index the chunks without the checkers (:func:`early_index`); the merge
    (:meth:`results`) shows the checkers' hooks the records they look at, in the order
    the run's own first pass would have (chunk by chunk, line by line), so the index
    and the hooks' state are those of :func:`pcocheck.parallel.index_shard`'s pass
    (tests/parallel/test_early_first_pass.py). Used only when the run's shards are the
    ones planned here; always :meth:`close` it."""

    def __init__(self, inputs: list[InputFile], shards: list[Shard], helpers: Fanout[Any, Any]):
        self.inputs = inputs
        self.shards = shards
        self._helpers: Fanout[Any, Any] | None = helpers

    @classmethod
    def start(cls, config: RunConfig, found: list[InputFile]) -> EarlyFirstPass | None:
        """Fork the helpers when the run will take the parallel NDJSON first pass: local
        jobs > 1, NDJSON files on disk of at least MIN_PARALLEL_PRESCAN_BYTES in all, in
        two shards or more. None otherwise (the run's own first pass is as before)."""
        from pcocheck.parallel import shards as plan
        from pcocheck.runner import distinct_files, rereadable

        jobs = config.jobs
        if config.executor != "local" or jobs < 2:
            return None
        inputs = distinct_files(found)
        if not inputs or not all(item.ndjson and rereadable(item) for item in inputs):
            return None
        if plan.input_bytes(inputs) < plan.MIN_PARALLEL_PRESCAN_BYTES:
            return None
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        shards = plan.plan_shards(inputs, jobs)
        if len(shards) < 2:
            return None
        from pcocheck.parallel.team import Fanout

        helpers: Fanout[Shard, EarlyIndex] = Fanout(early_index, shards, jobs, idle_here=True)
        helpers.start()
        return cls(inputs, shards, helpers)

    def serves(self, run: Run, inputs: list[InputFile], shards: list[Shard]) -> bool:
        """Whether this pass is ``run``'s first pass over these inputs and shards."""
        indexers = [c for c in run.checkers if hasattr(c, "prescan")]
        watched = watched_types(indexers)
        return (
            self._helpers is not None
            and inputs == self.inputs
            and shards == self.shards
            and watched is not None
            and watched <= EARLY_WATCHED
        )

    def results(self, run: Run) -> Iterator[IndexResult]:
        """The chunks' first passes in shard order, as :func:`index_shard` gives them, the
        hooks of ``run``'s checkers shown each chunk's kept records before it is handed
        over (once the merge asks for it)."""
        from pcocheck.parallel import IndexResult

        assert self._helpers is not None
        indexers = [c for c in run.checkers if hasattr(c, "prescan")]
        hooks: list[Hook] = [getattr(checker, "prescan") for checker in indexers]  # noqa: B009
        watched = watched_types(indexers)
        assert watched is not None
        nothing = [None] * len(run.checkers)  # the hooks' state is the run's own already
        for shard, found in zip(self.shards, self._helpers.results(), strict=True):
            assert isinstance(found, EarlyIndex) and found.number == shard.number
            if hooks and found.whole:
                _show_hooks_whole(shard, hooks)
            elif hooks and found.replay:
                _show_hooks(shard, found.replay, watched, hooks)
            yield IndexResult(
                found.number, found.part, list(nothing), found.complete, found.entries
            )

    def close(self) -> None:
        """Wait for the helpers (ended if their results were not all taken)."""
        if self._helpers is not None:
            self._helpers.close()
            self._helpers = None


def _show_hooks(
    shard: Shard, records: list[tuple[int, bytes]], watched: frozenset[str], hooks: list[Hook]
) -> None:
    """Show ``hooks`` the views :func:`index_chunk` shows them of these records."""

    def every_hook(view: ResourceView) -> None:
        for hook in hooks:
            hook(view)

    file = intern(shard.item.display)
    try:
        index_chunk(_Replay(shard, records), RunIndex(), file, watched, hooks, every_hook)
    except Exception:  # as far as the helper's pass went: it stopped at the same record
        return


def _show_hooks_whole(shard: Shard, hooks: list[Hook]) -> None:
    """Show ``hooks`` every view of a shard read whole, as :func:`index_shard_part` does."""
    try:
        for view in views_to_index(index_documents(shard.item)):
            for hook in hooks:
                hook(view)
    except Exception:  # as far as the helper's pass went
        return
