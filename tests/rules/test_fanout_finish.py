"""The cross-resource phase spread over forked processes (a parallel run's fan-out, see
rules/parts.py and parallel/fanout.py) gives the same findings, in the same order, as in
one process: on every rule fixture and on the parts cases, in one pass and part by part
(the partition by ranges of compressed batches included)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pcocheck.config import RunConfig
from pcocheck.parallel.fanout import ForkedMapper
from pcocheck.resolution import Identity, Resolver
from pcocheck.rules import PcoRules, store
from pcocheck.rules import parts as fact_parts
from pcocheck.rules.references import settle_at
from pcocheck.runner import run
from tests.rules.conftest import questionnaire_lookup
from tests.rules.test_fact_parts import CASES, export

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["export"]  # the NDJSON export of every fixture (a module fixture)


class SpyMapper(ForkedMapper):
    """A forked mapper that records the tasks of each call and which processes ran them."""

    def __init__(self) -> None:
        super().__init__(2)
        self.tasks: list[list[Any]] = []
        self.pids: set[int] = set()

    def __call__(self, work: Callable[[T], R], items: Sequence[T], /) -> list[R]:
        self.tasks.append(list(items))

        def traced(item: T) -> tuple[int, R]:
            return os.getpid(), work(item)

        done = super().__call__(traced, items)
        self.pids.update(pid for pid, _ in done)
        return [result for _, result in done]


def _findings(paths: list[Path], mapper: ForkedMapper | None) -> list[dict[str, Any]]:
    rules = PcoRules(questionnaires=questionnaire_lookup())
    rules.fan_out = mapper  # a one-job run leaves it as it is
    result = run(RunConfig(paths=tuple(str(p) for p in paths)), [rules])
    return [f.to_dict() for f in result.findings]


@pytest.fixture
def fan_out_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fact_parts, "FAN_OUT_FACTS", 0)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_every_rule_fixture_gives_the_same_findings_fanned_out(
    case: Path, fan_out_always: None
) -> None:
    alone = _findings([case], None)
    spy = SpyMapper()
    assert _findings([case], spy) == alone
    assert spy.calls == 1 and spy.tasks[0] == [("gas",), ("prom",)]  # forked, two tasks


@pytest.mark.parametrize("per_part", [1, 3, 40])
def test_parts_and_their_partition_fanned_out_give_the_one_pass_findings(
    export: Path, per_part: int, fan_out_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for inputs in ([export], CASES):
        whole = _findings(inputs, None)
        assert any(f["code"].startswith(("PCO-GAS-0", "PCO-PROM-01")) for f in whole)
        monkeypatch.setattr(fact_parts, "FACTS_PER_PART", per_part)
        monkeypatch.setattr(fact_parts, "ONE_PASS_FACTS", 0)
        monkeypatch.setattr(fact_parts, "SLICES_PER_JOB", 3)
        monkeypatch.setattr(store, "BATCH", 4)  # many compressed batches: many slices
        spy = SpyMapper()
        assert _findings(inputs, spy) == whole
        monkeypatch.undo()
        monkeypatch.setattr(fact_parts, "FAN_OUT_FACTS", 0)
        # The checks of the parts were forked; for the NDJSON export (all of its facts
        # compressed) the partition too, by several ranges of batches per kind of fact.
        checks = spy.tasks[-1]
        assert ("part", 1) in checks
        if inputs == [export]:
            assert spy.calls == 2
            partition = spy.tasks[0]
            assert {(kind, number) for kind, number, _ in partition} >= {
                ("goal", 1),
                ("gas", 1),
                ("prom", 1),
            }
            assert ("derived", 0) in checks


class Backwards:
    """Runs the tasks here, last first (results in task order): a task that relied on
    what an earlier one left behind would find something else."""

    jobs = 2

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, work: Callable[[T], R], items: Sequence[T], /) -> list[R]:
        self.calls += 1
        return list(reversed([work(item) for item in reversed(items)]))


@pytest.mark.parametrize("per_part", [0, 2])
def test_what_a_task_finds_does_not_depend_on_the_tasks_before_it(
    export: Path, per_part: int, fan_out_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if per_part:
        monkeypatch.setattr(fact_parts, "FACTS_PER_PART", per_part)
        monkeypatch.setattr(fact_parts, "ONE_PASS_FACTS", 0)
        monkeypatch.setattr(store, "BATCH", 4)
    whole = _findings([export], None)
    backwards = Backwards()
    rules = PcoRules(questionnaires=questionnaire_lookup())
    rules.fan_out = backwards
    result = run(RunConfig(paths=(str(export),)), [rules])
    assert [f.to_dict() for f in result.findings] == whole
    assert backwards.calls == (2 if per_part else 1)


@pytest.mark.parametrize("kept", [1, 2])
def test_remembered_lookups_answer_as_the_resolver(
    export: Path, kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The phase's reference lookups, remembered (and forgotten past the bound), give the
    findings of lookups asked each time."""
    remembered = _findings([export], None)
    asked: list[tuple[Any, str, int | None]] = []

    def every_time(self: fact_parts.Lookups, target: Any, file: str, line: int | None) -> Any:
        asked.append((target, file, line))
        return settle_at(target, file, line, self.resolver)

    monkeypatch.setattr(fact_parts, "LOOKUPS_KEPT", kept)
    assert _findings([export], None) == remembered
    monkeypatch.setattr(fact_parts.Lookups, "settle", every_time)
    assert _findings([export], None) == remembered
    assert len(asked) > len({(target, file) for target, file, _ in asked})  # they recur


def test_a_remembered_lookup_still_leaves_the_referrer_out_of_its_candidates() -> None:
    """A resource never resolves a reference to itself: the remembered answer for a file
    is not given to a referrer that is one of the candidates."""
    resolver = Resolver()
    for key, line in [("Goal/g", 1), ("Goal/g", 5), ("Goal/h", 3), ("Goal/h", 9)]:
        resolver.index.add(Identity(key, "a.ndjson", line, None))
    resolver.index.add(Identity("Goal/k", "a.ndjson", 4, None))
    asked = [
        (target, file, line)
        for target in ("Goal/g", "Goal/h", "Goal/k", "Goal/missing")
        for file in ("a.ndjson", "b.ndjson")
        for line in (7, 1, 5, 3, 4, 9, None)
    ]
    for order in (asked, asked[::-1]):
        for kept in (1, 3, 100):
            lookups = fact_parts.Lookups(resolver)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(fact_parts, "LOOKUPS_KEPT", kept)
                answers = [lookups.settle(*question) for question in order]
            assert answers == [settle_at(*question, resolver) for question in order]
    statuses = {lookups.settle("Goal/k", "a.ndjson", line).status for line in (4, 7)}
    assert statuses == {"not-found", "run"}  # from itself / from another record


def test_the_phase_runs_with_the_collector_paused_and_gives_it_back(
    export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = fact_parts.finish_gas

    def spied(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(fact_parts, "finish_gas", spied)
    assert gc.isenabled()
    _findings([export], None)
    assert seen == [False]  # rebuilt facts are not walked by the collector again and again
    assert gc.isenabled()
