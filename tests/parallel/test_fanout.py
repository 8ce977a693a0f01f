"""A parallel run's cross-resource phase (the PCO rules' finish) spread over forked
processes: the same report as one job, end to end; a helper that fails or dies is an
error, never a hang."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pcocheck.parallel import fanout
from pcocheck.parallel.fanout import ForkedMapper, forked_mapper
from pcocheck.parallel.team import HelperFailed
from pcocheck.rules import parts as fact_parts
from pcocheck.rules import store
from tests.parallel.corpus import write_corpus
from tests.parallel.test_jobs import assert_same, small_chunks

T = TypeVar("T")
R = TypeVar("R")
HERE = os.getpid()

__all__ = ["small_chunks"]  # NDJSON cut into many chunks, small inputs run in parallel


def _ndjson_only(folder: Path) -> Path:
    """The corpus with its Bundle of PROM scores as NDJSON records (every fact of the run
    is then kept compressed, so the partition is spread too)."""
    bundle = folder / "d-proms.json"
    entries = json.loads(bundle.read_text("utf-8"))["entry"]
    lines = [json.dumps(e["resource"], separators=(",", ":")) for e in entries]
    (folder / "d-proms.ndjson").write_text("\n".join(lines) + "\n", "utf-8")
    bundle.unlink()
    return folder


@pytest.mark.parametrize("shape", ["one-pass", "parts", "parts-ndjson"])
def test_two_jobs_fan_the_finish_out_and_report_the_same(
    tmp_path: Path, shape: str, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 40)
    if shape == "parts-ndjson":
        _ndjson_only(corpus)
    monkeypatch.setattr(fact_parts, "FAN_OUT_FACTS", 0)
    if shape != "one-pass":
        monkeypatch.setattr(fact_parts, "ONE_PASS_FACTS", 0)
        monkeypatch.setattr(fact_parts, "FACTS_PER_PART", 7)
        monkeypatch.setattr(store, "BATCH", 8)
    fanned: list[list[Any]] = []
    real_call = ForkedMapper.__call__

    def spy(self: ForkedMapper, work: Callable[[T], R], items: Sequence[T], /) -> list[R]:
        fanned.append(list(items))
        return real_call(self, work, items)

    monkeypatch.setattr(ForkedMapper, "__call__", spy)
    result = assert_same((str(corpus),))  # one job vs two: every report format, same order
    codes = Counter(f.code for f in result.findings)
    for code in ("PCO-GAS-005", "PCO-GAS-008", "PCO-PROM-012"):  # made by the finish
        assert codes[code] > 0, (code, codes)
    if shape == "one-pass":
        assert fanned == [[("gas",), ("prom",)]]  # the two-job run forked its finish
    else:
        assert ("part", 1) in fanned[-1]
        partitioned = len(fanned) == 2  # the partition spread too (every fact compressed)
        assert partitioned == (shape == "parts-ndjson")
        if partitioned:
            assert {kind for kind, _, _ in fanned[0]} == {"goal", "gas", "prom"}
            assert len(fanned[0]) > 3


def test_a_small_parallel_run_finishes_here() -> None:
    assert forked_mapper(1) is None
    mapper = forked_mapper(2)
    assert mapper is not None and mapper.jobs == 2
    # One task (or none) is run here, without forking.
    assert mapper(lambda n: (n, os.getpid()), [7]) == [(7, HERE)]
    assert mapper.calls == 0


def test_no_fork_no_fan_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert fanout.forked_mapper(2) is None


def _failing(fail: str) -> Callable[[int], int]:
    """A task that fails (``raise``) or dies (``exit``) in a helper; this process waits
    until the helper has taken a task before it takes one of its own."""
    helper_took = multiprocessing.get_context("fork").Event()

    def work(number: int) -> int:
        if os.getpid() == HERE:
            if not helper_took.wait(timeout=60):
                raise AssertionError("the helper never took a task")
            return number
        helper_took.set()
        if fail == "raise":
            raise ValueError("broken task")
        os._exit(9)  # e.g. killed for lack of memory

    return work


def test_a_task_failing_in_a_helper_is_an_error_here() -> None:
    with pytest.raises(HelperFailed, match=r"item \d+: ValueError: broken task"):
        ForkedMapper(2)(_failing("raise"), list(range(6)))


def test_a_helper_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(HelperFailed, match="ended before it sent"):
        ForkedMapper(2)(_failing("exit"), list(range(6)))
