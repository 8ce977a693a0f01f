"""The cyclic garbage collector is kept off what it cannot free: a large parsed document
while it is checked, and the facts a parent merges from its workers."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pcocheck.collector import collector_paused
from pcocheck.inputs.read import Document
from pcocheck.inputs.source import SourceText
from pcocheck.runner import LARGE_DOCUMENT_CHARS, spare_collector


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
