"""The first pass makes a plain NDJSON record's view itself: the same view as
:func:`split_resources` makes, for every kind of record."""

from __future__ import annotations

from pathlib import Path

from pcocheck.finding import Finding
from pcocheck.inputs.discover import discover
from pcocheck.inputs.first_pass import views_to_index
from pcocheck.inputs.read import Document, read_documents
from pcocheck.inputs.resources import split_resources
from pcocheck.view import ResourceView
from tests.parallel.corpus import write_corpus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

RECORDS = [
    '{"resourceType": "Patient", "id": "p1"}',
    '{"resourceType": "Patient", "id": 7}',
    '{"resourceType": "Patient"}',
    '{"resourceType": "Observation", "id": "", "meta": {"profile": ["x"]}}',
    '{"resourceType": "NotAType", "id": "n"}',
    '{"resourceType": 5}',
    '{"id": "no-type"}',
    "[1, 2]",
    "null",
    '"text"',
    '{"resourceType": "Bundle", "id": "b", "type": "collection", "entry": ['
    '{"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "q"}},'
    ' {"resource": {"resourceType": "Nope"}}, {"request": {}}, 3]}',
    '{"resourceType": "Bundle", "entry": {}}',
    '{"resourceType": "Questionnaire", "id": "q", "url": "http://x/q"}',
]


def _split(documents: list[Document | Finding]) -> list[ResourceView]:
    return [
        view
        for document in documents
        if isinstance(document, Document)
        for view in split_resources(document)
        if isinstance(view, ResourceView)
    ]


def test_views_match_split_resources_for_hand_made_records(tmp_path: Path) -> None:
    path = tmp_path / "records.ndjson"
    path.write_text("\n".join(RECORDS) + "\n", encoding="utf-8")
    (item,) = discover([str(path)])[0]
    documents = list(read_documents(item))
    views = list(views_to_index(documents))
    assert views == _split(documents)
    assert [v.anchor.resource for v in views] == [
        "Patient/p1",
        "Patient",
        "Patient",
        "Observation/",
        "Bundle/b",
        "Patient/q",
        "Bundle",
        "Questionnaire/q",
    ]


def test_views_match_split_resources_for_every_fixture_and_a_corpus(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 5)
    found, _ = discover([str(FIXTURES), str(corpus)])
    records = 0
    for item in found:
        documents = list(read_documents(item))
        records += sum(isinstance(d, Document) and d.source.record for d in documents)
        assert list(views_to_index(documents)) == _split(documents), item.display
    assert records > 50
