"""What the first pass indexes of each resource (identity_row): only a resource with a
type and a non-empty string id; claims are the string profiles only; the key is the
anchor's label string when they agree (one string kept, not two)."""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.inputs.source import SourceText
from pcocheck.resolution import Resolver, identity_row
from pcocheck.view import Anchor, ResourceView


def _view(
    resource: dict[str, Any], record: bool = True, full_url: str | None = None
) -> ResourceView:
    source = SourceText("a.ndjson", "{}", first_line=7, record=record)
    rid = resource.get("id")
    rtype = resource.get("resourceType")
    label = f"{rtype}/{rid}" if isinstance(rid, str) else str(rtype)
    return ResourceView(resource, Anchor(source, "a.ndjson", str(rtype), (), None, label), full_url)


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Goal"},
        {"resourceType": "Goal", "id": ""},
        {"resourceType": "Goal", "id": 7},
        {"resourceType": 3, "id": "g1"},
        {"id": "g1"},
    ],
)
def test_no_identity_without_a_type_and_a_string_id(resource: dict[str, Any]) -> None:
    assert identity_row(_view(resource)) is None


def test_the_row_of_a_record() -> None:
    view = _view(
        {"resourceType": "Goal", "id": "g1", "meta": {"profile": ["http://p", 4, None, "http://q"]}}
    )
    row = identity_row(view)
    assert row == ("Goal/g1", 7, None, None, ("http://p", "http://q"))
    assert row is not None and row[0] is view.anchor.resource  # the label's string, kept once


@pytest.mark.parametrize("meta", [None, "x", {"profile": "http://p"}, {"profile": None}, {}])
def test_claims_only_from_a_list_of_profiles(meta: Any) -> None:
    row = identity_row(_view({"resourceType": "Goal", "id": "g1", "meta": meta}))
    assert row is not None and row[4] == ()


def test_a_whole_file_document_has_no_line_and_an_entry_keeps_its_full_url() -> None:
    view = _view({"resourceType": "Goal", "id": "g1"}, record=False, full_url="urn:uuid:1")
    assert identity_row(view) == ("Goal/g1", None, None, "urn:uuid:1", ())
    resolver = Resolver()
    resolver.add(view)
    (found,) = resolver.index.candidates("Goal/g1")
    assert (found.file, found.line, found.full_url) == ("a.ndjson", None, "urn:uuid:1")
