"""The cyclic garbage collector is kept off what it cannot free: a large parsed document
while it is checked, and the facts a parent merges from its workers."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest

from pcocheck import runner
from pcocheck.collector import collector_paused
from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile
from pcocheck.inputs.read import Document
from pcocheck.inputs.source import SourceText
from pcocheck.runner import LARGE_DOCUMENT_CHARS, Run, spare_collector
from pcocheck.view import ResourceView


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def document(chars: int, record: bool = False) -> Document:
    return Document(SourceText("f.json", " " * chars, record=record), {"resourceType": "Basic"})


def test_a_large_document_is_kept_from_the_collector_while_it_is_checked(
    nothing_frozen: None,
) -> None:
    assert spare_collector(document(LARGE_DOCUMENT_CHARS))
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize(
    "small", [document(LARGE_DOCUMENT_CHARS - 1), document(LARGE_DOCUMENT_CHARS, record=True)]
)
def test_small_documents_and_ndjson_records_are_not(nothing_frozen: None, small: Document) -> None:
    assert not spare_collector(small)
    assert gc.get_freeze_count() == 0


def test_what_someone_else_froze_stays_frozen(nothing_frozen: None) -> None:
    gc.freeze()  # e.g. a forked worker, or an application's own pre-fork freeze
    frozen = gc.get_freeze_count()
    assert not spare_collector(document(LARGE_DOCUMENT_CHARS))  # so it will not unfreeze
    assert gc.get_freeze_count() == frozen


def test_the_collector_pauses_while_results_are_merged_and_resumes() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


class _Keeper:
    """A checker that keeps something of every resource (as the PCO rules keep facts) and
    notes how many objects were frozen when each resource came."""

    def __init__(self) -> None:
        self.kept: list[object] = []
        self.frozen: list[int] = []

    def check(self, view: ResourceView) -> list[Finding]:
        self.frozen.append(gc.get_freeze_count())
        self.kept.append([view.label])
        return []

    def finish(self) -> list[Finding]:
        return []


def _bundle(entries: int) -> Document:
    value = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Basic", "id": f"b{i}"}} for i in range(entries)],
    }
    return document_of(value)


def document_of(value: dict[str, object]) -> Document:
    return Document(SourceText("f.json", " " * LARGE_DOCUMENT_CHARS), value)


@pytest.mark.parametrize("part", [None, lambda entry: entry is None or entry % 2 == 0])
def test_what_outlives_the_resources_of_a_large_document_is_frozen_as_it_grows(
    nothing_frozen: None, monkeypatch: pytest.MonkeyPatch, part: Callable[[int | None], bool] | None
) -> None:
    monkeypatch.setattr(runner, "REFREEZE_EVERY", 1)
    keeper = _Keeper()
    run = Run(RunConfig(paths=()), [keeper])
    item = InputFile("f.json", None, ndjson=False, gzipped=False)
    run.check_produced(item, lambda: [_bundle(6)], part)
    assert len(keeper.frozen) == (7 if part is None else 4)  # the Bundle and its entries
    # each resource's kept list was frozen before the next came
    assert all(later > earlier for earlier, later in pairwise(keeper.frozen))
    assert gc.get_freeze_count() == 0  # all let go after the document


def test_a_small_document_is_not_refrozen(nothing_frozen: None) -> None:
    keeper = _Keeper()
    run = Run(RunConfig(paths=()), [keeper])
    small = Document(SourceText("f.json", "{}"), _bundle(3).value)
    run.check_document(small)
    assert keeper.frozen == [0, 0, 0, 0]


def test_the_command_line_collects_cycles_less_often_and_the_api_leaves_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from pcocheck import cli
    from pcocheck.api import validate
    from pcocheck.collector import COMMAND_LINE_THRESHOLD
    from tests.conftest import FIXTURES

    before = gc.get_threshold()
    journey = str(FIXTURES / "journeys" / "gas-goal-journey.json")
    try:
        validate([journey])
        assert gc.get_threshold() == before  # an application's own setting is kept
        monkeypatch.setattr(sys, "argv", ["pcocheck", "validate", journey, "-q", "--no-config"])
        with pytest.raises(SystemExit):
            cli.main()
        assert gc.get_threshold() == COMMAND_LINE_THRESHOLD
    finally:
        gc.set_threshold(*before)
