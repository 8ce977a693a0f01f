"""Parallel runs: the same checks, the map step spread over processes (or a Dask cluster),
the report byte-identical to one process.

The runner indexes every input first (the prescan, in this process), so each worker has
the complete run-wide Resolver index before it checks anything. The map step checks one
shard (a file, or an NDJSON chunk with its starting line) and returns its findings plus
the checkers' run-wide state (``export_state()``: deferred reference conformance,
once-per-run summaries, PCO facts). The reduce step merges those states in shard order
(``merge_state()``) — exactly the order one process would have built them in — and
calls every checker's ``finish()`` once.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile
from pcocheck.parallel import shards as shard_plan
from pcocheck.parallel.shards import ChunkReading, Shard, input_bytes, no_records, plan_shards
from pcocheck.result import RunResult

if TYPE_CHECKING:
    from pcocheck.runner import Run


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

        results = map_on_dask(run, shards)
    else:
        if len(shards) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return False
        results = _map_forked(run, shards, jobs)
    reduce_results(run, shards, results)
    return True


def map_shard(run: Run, shard: Shard) -> ShardResult:
    """The map step for one shard, with ``run``'s checkers (their state is handed over
    and cleared, so a worker can go on with the next shard)."""
    run.progress = None  # a worker's copy never draws: the parent reports progress
    run.result = RunResult(fail_on=run.config.fail_on)
    run.errors, run._first_error = 0, None
    records = 0
    if not shard.chunked:
        run.check_input(shard.item)
    else:
        reading = ChunkReading(shard)
        run.result.files += 1 if shard.first else 0
        run.check_produced(shard.item, reading.documents)
        records = reading.records
    states = [
        checker.export_state() if hasattr(checker, "export_state") else None
        for checker in run.checkers
    ]
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


def reduce_results(run: Run, shards: list[Shard], results: Iterable[ShardResult]) -> None:
    """Merge shard results into ``run`` in shard order (``results`` may come in that order
    as they finish: they are merged as they arrive)."""
    records: dict[str, int] = {}
    progress = run.progress
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


# -- the local executor: processes forked from this one ------------------------------------
_FORKED_RUN: Run | None = None  # the run a forked worker inherits (set only around the pool)


def _forked_map(shard: Shard) -> ShardResult:
    assert _FORKED_RUN is not None
    return map_shard(_FORKED_RUN, shard)


def _map_forked(run: Run, shards: list[Shard], jobs: int) -> Iterator[ShardResult]:
    """Fork ``jobs`` workers that inherit ``run`` — its definitions, and its Resolver index
    complete after the prescan — and map the shards over them, results in shard order."""
    global _FORKED_RUN
    context = multiprocessing.get_context("fork")
    _FORKED_RUN = run
    try:
        with context.Pool(min(jobs, len(shards))) as pool:
            yield from pool.imap(_forked_map, shards, chunksize=1)
    finally:
        _FORKED_RUN = None
