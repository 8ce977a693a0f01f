"""Parallel runs: the same checks, the map step spread over processes (or a Dask cluster),
the report byte-identical to one process.

The runner indexes every input first (the prescan: here, or for large inputs by
``jobs`` forked helpers, each building its shards' parts of the index, which this process
appends in shard order: see :meth:`pcocheck.resolution.RunIndex.extend` and
:mod:`pcocheck.parallel.indexing`), so each worker has the complete run-wide Resolver
index before it checks anything. The map step checks one
shard (a file, or an NDJSON chunk with its starting line) and returns its findings plus
the checkers' run-wide state (``export_state()``: deferred reference conformance,
once-per-run summaries, PCO facts); locally this process checks shards too, beside
``jobs - 1`` forked helpers (:mod:`pcocheck.parallel.team`). The reduce step merges
those states in shard order (``merge_state()``) — exactly the order one process would
have built them in — and calls every checker's ``finish()`` once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from pcocheck.collector import collector_paused
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile
from pcocheck.inputs.read import Document
from pcocheck.inputs.source import shared
from pcocheck.parallel import shards as shard_plan
from pcocheck.parallel.shards import (
    ChunkReading,
    Shard,
    input_bytes,
    no_records,
    plan_shards,
    split_bundle_guided,
    split_bundles,
)
from pcocheck.result import RunResult

if TYPE_CHECKING:
    from pcocheck.resolution import IndexPart
    from pcocheck.runner import Run

Result = TypeVar("Result")


@dataclass(slots=True)
class ShardResult:
    """What the map step returns for one shard (picklable: no resource, no file text of
    NDJSON records)."""

    number: int
    findings: list[Finding]
    files: int
    resources: int
    records: int
    errors: int
    first_error: str | None
    states: list[Any]


def stateful(run: Run) -> bool:
    """Whether every checker can hand its run-wide state over (``export_state`` and
    ``merge_state``) or keeps none (the warnings about the definitions). A checker of
    another shape keeps the run in one process."""
    from pcocheck.runner import DefinitionWarnings

    return all(
        (hasattr(c, "export_state") and hasattr(c, "merge_state"))
        or isinstance(c, DefinitionWarnings)
        for c in run.checkers
    )


def map_in_parallel(run: Run, inputs: list[InputFile]) -> bool:
    """Run the map step of ``run`` over ``inputs`` in parallel and reduce the results into
    ``run`` (not ``finish()``); False when the run is to stay in one process (one job,
    inputs that cannot be read twice such as stdin, or fewer than two shards)."""
    from pcocheck.runner import rereadable

    config = run.config
    jobs = max(1, config.jobs)
    if config.executor == "local" and jobs <= 1:
        return False
    if not inputs or not all(rereadable(i) for i in inputs) or not stateful(run):
        return False
    if config.executor == "local" and input_bytes(inputs) < shard_plan.MIN_PARALLEL_BYTES:
        return False
    shards = plan_shards(inputs, jobs if config.executor == "local" else max(jobs, 2))
    if config.executor == "dask":
        from pcocheck.parallel.dask import map_on_dask

        run.prescan(inputs)
        run.held = None  # Dask workers read their shards themselves
        with collector_paused():
            reduce_results(run, shards, map_on_dask(run, shards))
        return True
    # Imported only now: most runs are small and stop above (multiprocessing and the
    # helpers' machinery are a few milliseconds of every start otherwise).
    import multiprocessing

    from pcocheck.parallel.fanout import forked_mapper

    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if len(shards) < 2 and not any(_may_be_large_bundle(s.item) for s in shards):
        return False
    if len(shards) == 1 and not shards[0].item.ndjson:
        # One JSON document (a large Bundle): read and parsed once, here; the forked
        # workers check their parts of that parsed document.
        _prescan_one_document(run, inputs, jobs)
        shards = split_bundle_guided(shards, _entry_counts(run, shards), jobs)
    elif _prescan_mergeable(run) and input_bytes(inputs) >= shard_plan.MIN_PARALLEL_PRESCAN_BYTES:
        early = run.early_first_pass
        if early is not None and early.serves(run, inputs, shards):
            # Forked before the definitions loaded (pcocheck.api.validate_config).
            counts = _merge_indexes(run, shards, early.results(run))
            early.close()
        else:
            if early is not None:
                early.close()  # not this run's pass: its helpers end now
            counts = _merge_indexes(run, shards, _forked(run, _forked_index, shards, jobs))
        shards = split_bundles(shards, counts, jobs)
    else:
        run.prescan(inputs)
        shards = split_bundles(shards, _entry_counts(run, shards), jobs)
    if len(shards) < 2:
        return False  # one part only: the main pass checks it here (with run.held)
    with shared_sources(run):
        _check_with_helpers(run, shards, jobs)
    run.fan_out = forked_mapper(jobs)  # the checkers' finish may fork helpers too
    run.held = None  # the parsed document; its text stays with the facts that need it
    return True


def _prescan_one_document(run: Run, inputs: list[InputFile], jobs: int) -> None:
    """The first pass over a run's one JSON document, held for the checks: a large
    Bundle's entry array is scanned by this process and ``jobs - 1`` helpers (see
    :mod:`pcocheck.parallel.scan`); the index is then built here, complete before any
    worker checks a reference."""
    from pcocheck.inputs.stream import scanning_pieces
    from pcocheck.parallel.scan import ForkedPieces
    from pcocheck.resolution import summarize_entries

    # Each helper also makes its piece's rows of the index (the first pass here appends
    # them), and this process judges the text for the checkers meanwhile (each process of
    # the checks would otherwise do it for itself).
    judges: list[Callable[[str], None]] = []
    for checker in run.checkers:
        judge_text = getattr(checker, "judge_text", None)  # an optional method
        if judge_text is not None:
            judges.append(judge_text)

    def judge(text: str) -> None:
        for judge_text in judges:
            judge_text(text)

    scanner = ForkedPieces(jobs - 1, summarize=summarize_entries, judge=judge if judges else None)
    with scanning_pieces(scanner):
        run.prescan(inputs)


def _entry_counts(run: Run, shards: list[Shard]) -> dict[int, int]:
    """Top-level Bundle entries per shard number, as the first pass here counted them."""
    return {s.number: run.entries.get(s.item.display, 0) for s in shards if not s.chunked}


@contextmanager
def shared_sources(run: Run) -> Iterator[None]:
    """The text of the document ``run`` holds is shared with the workers forked meanwhile:
    facts about it come back pointing at the parent's copy (no positions computed, no
    text pickled)."""
    held = run.held
    documents = [d for d in held[1] if isinstance(d, Document)] if held is not None else []
    with shared(d.source for d in documents):
        yield


def _may_be_large_bundle(item: InputFile) -> bool:
    """A JSON file large enough to be cut by entries if the first pass finds a Bundle."""
    return not item.ndjson and input_bytes([item]) >= shard_plan.MIN_CHUNK_BYTES


def map_shard(run: Run, shard: Shard) -> ShardResult:
    """The map step for one shard, with ``run``'s checkers (their state is handed over
    and cleared, so a worker can go on with the next shard)."""
    run.progress = None  # a worker's copy never draws: the parent reports progress
    run.result = RunResult(fail_on=run.config.fail_on)
    run.errors, run._first_error = 0, None
    records = 0
    if shard.entries is not None:
        run.result.files += 1 if shard.first else 0
        run.check_produced(
            shard.item,
            lambda: run.documents(shard.item, keep=True),
            part=shard.holds_entry,
            span=shard.entries,
        )
    elif not shard.chunked:
        run.check_input(shard.item)
    else:
        reading = ChunkReading(shard)
        run.result.files += 1 if shard.first else 0
        run.check_produced(shard.item, reading.documents)
        records = reading.records
    # NDJSON facts already keep a record's line, not its text (see Anchor.detached); those
    # of a part of the Bundle the parent holds keep the parent's text (shared_sources).
    attached = shard.item.ndjson or (shard.entries is not None and _held_text_shared(run))
    if not attached:  # imported by the runs that detach (not NDJSON, most of them)
        from pcocheck.parallel.detach import detach_state
    states: list[Any] = []
    for checker in run.checkers:
        state = checker.export_state() if hasattr(checker, "export_state") else None
        states.append(state if state is None or attached else detach_state(state))
    return ShardResult(
        shard.number,
        run.result.findings,
        run.result.files,
        run.result.resources,
        records,
        run.errors,
        run._first_error,
        states,
    )


def _held_text_shared(run: Run) -> bool:
    """Whether the document ``run`` holds has its text shared with the parent."""
    held = run.held
    documents = [d for d in held[1] if isinstance(d, Document)] if held is not None else []
    return bool(documents) and all(d.source.shared for d in documents)


def reduce_results(
    run: Run, shards: list[Shard], results: Iterable[ShardResult], advance: bool = True
) -> None:
    """Merge shard results into ``run`` in shard order (``results`` may come in that order
    as they finish: they are merged as they arrive); ``advance``: tell the progress bar
    (False when it was told as the results arrived)."""
    records: dict[str, int] = {}
    progress = run.progress if advance else None
    for shard, result in zip(shards, results, strict=True):
        assert shard.number == result.number
        run.result.findings.extend(result.findings)  # already filtered by --select/--ignore
        run.result.files += result.files
        run.result.resources += result.resources
        run.note_errors(result.errors, result.first_error)
        for checker, state in zip(run.checkers, result.states, strict=True):
            if state is not None:
                checker.merge_state(state)  # type: ignore[attr-defined]
        if shard.chunked:
            display = shard.item.display
            records[display] = records.get(display, 0) + result.records
            if shard.last and records[display] == 0:
                run._add((no_records(shard.item),))
        if progress is not None:
            progress.advance(files=1 if shard.last else 0, resources=result.resources)


# -- the prescan as a map step too: identities per shard, merged in shard order ---------
@dataclass(slots=True)
class IndexResult:
    """What the prescan of one shard found: the shard's part of the run-wide index (its
    identities and canonical URLs, packed as the index keeps them: the parent appends
    them without any work per resource but a hash slot) and the checkers' own prescan
    state."""

    number: int
    part: IndexPart
    states: list[Any]
    complete: bool  # read to the end without an error
    entries: int  # top-level Bundle entries seen (1 + the highest entry index)


def _prescan_mergeable(run: Run) -> bool:
    return all(
        hasattr(c, "export_prescan") and hasattr(c, "merge_prescan")
        for c in run.checkers
        if hasattr(c, "prescan")
    )


def index_shard(run: Run, shard: Shard) -> IndexResult:
    """The first pass over one shard (see :meth:`pcocheck.runner.Run.prescan`)."""
    from pcocheck.parallel.indexing import index_shard_part, watched_types

    indexers = [c for c in run.checkers if hasattr(c, "prescan")]
    hooks = [getattr(checker, "prescan") for checker in indexers]  # noqa: B009
    part, complete, entries = index_shard_part(shard, hooks, watched_types(indexers))
    states = [
        getattr(c, "export_prescan")() if hasattr(c, "prescan") else None  # noqa: B009
        for c in run.checkers
    ]
    return IndexResult(shard.number, part, states, complete, entries)


def _merge_indexes(run: Run, shards: list[Shard], results: Iterable[IndexResult]) -> dict[int, int]:
    """Fill ``run``'s Resolver index (and the checkers' prescan state) from the shards'
    first passes, in shard order: the index one process would have built. Returns the
    top-level Bundle entries found per shard number."""
    complete: dict[str, bool] = {}
    entry_counts: dict[int, int] = {}
    # The shards' parts hold distinct rows (other files, other lines): appended without
    # comparing them, unless the index held rows before this pass.
    disjoint = [len(resolver.index) == 0 for resolver in run.resolvers]
    for shard, result in zip(shards, results, strict=True):
        assert shard.number == result.number
        for resolver, fresh in zip(run.resolvers, disjoint, strict=True):
            resolver.index.extend(result.part, fresh)
        for checker, state in zip(run.checkers, result.states, strict=True):
            if state is not None:
                checker.merge_prescan(state)  # type: ignore[attr-defined]
        display = shard.item.display
        complete[display] = complete.get(display, True) and result.complete
        if shard.last and complete[display]:
            run.prescanned.add(display)
        entry_counts[shard.number] = result.entries
    return entry_counts


# -- the local executor: processes forked from this one ------------------------------------
def _check_with_helpers(run: Run, shards: list[Shard], jobs: int) -> None:
    """The checking pass over ``shards`` by this process and ``jobs - 1`` helpers forked
    from it (see :mod:`pcocheck.parallel.team`), reduced into ``run`` in shard order."""
    from pcocheck.parallel.team import Team

    progress = run.progress

    def arrived(shard: Shard, result: ShardResult) -> None:
        if progress is not None:
            progress.advance(files=1 if shard.last else 0, resources=result.resources)

    with Team(partial(_map_here, run), shards, jobs - 1, arrived) as team:
        team.start()
        team.work()
        with collector_paused():
            reduce_results(run, shards, team.results(), advance=False)


def _map_here(run: Run, shard: Shard) -> ShardResult:
    """:func:`map_shard` that leaves ``run``'s own result, error count and progress bar as
    they were (this process checks shards of its own before it merges any)."""
    kept = (run.result, run.errors, run._first_error, run.progress)
    try:
        return map_shard(run, shard)
    finally:
        run.result, run.errors, run._first_error, run.progress = kept


_FORKED_RUN: Run | None = None  # the run a forked worker inherits (set only around the pool)


def _forked_index(shard: Shard) -> IndexResult:
    assert _FORKED_RUN is not None
    return index_shard(_FORKED_RUN, shard)


def _forked(
    run: Run, work: Callable[[Shard], Result], shards: list[Shard], jobs: int
) -> Iterator[Result]:
    """Fork ``jobs`` helpers that inherit ``run`` as it is now — its definitions, and its
    Resolver index once the prescan is merged — and map ``work`` over the shards, results
    in shard order as they come (this process only merges them: its checkers must not
    see the shards' first-pass hooks before the merge).

    :class:`~pcocheck.parallel.team.Fanout`, not a ``multiprocessing`` pool: the checking
    pass forks its helpers the same way, and a pool costs this process, before anything
    runs in parallel, the import of ``multiprocessing.pool`` and the start of the pool's
    threads (measured on the busy 2-core machine: 43 ms and 38 ms of wall time), and it
    pickles every shard on the way in."""
    from pcocheck.parallel.team import Fanout

    global _FORKED_RUN
    _FORKED_RUN = run
    try:
        with Fanout(work, shards, jobs, idle_here=True) as helpers:
            helpers.start()  # no work() here: every shard is the helpers'
            yield from helpers.results()
    finally:
        _FORKED_RUN = None
