"""The resolver's pieces: FHIR's Bundle matching rules, the packed run-wide index, and the
nearest-scope choice across the run."""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.inputs.source import SourceText
from pcocheck.resolution import Identity, Resolver
from pcocheck.resolution.bundle import BundleScope
from pcocheck.resolution.identity import ResourceKey
from pcocheck.view import Anchor, ResourceView

BASE = "http://example.org/fhir"


def _bundle(*entries: tuple[str | None, dict[str, Any]]) -> dict[str, Any]:
    out = []
    for full_url, resource in entries:
        entry: dict[str, Any] = {"resource": resource}
        if full_url is not None:
            entry["fullUrl"] = full_url
        out.append(entry)
    return {"resourceType": "Bundle", "type": "collection", "entry": out}


def _patient(pid: str, version: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if version is not None:
        resource["meta"] = {"versionId": version}
    return resource


SCOPE = BundleScope(
    _bundle(
        (f"{BASE}/Patient/a", _patient("a")),
        ("urn:uuid:6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a01", _patient("u")),
        (f"{BASE}/Patient/v", _patient("v", "1")),
        (f"{BASE}/Patient/v", _patient("v", "2")),
        ("http://other.org/fhir/Patient/a", _patient("a")),
    )
)


@pytest.mark.parametrize(
    ("reference", "referrer", "status", "entry"),
    [
        ("Patient/a", f"{BASE}/Observation/o", "found", 0),  # against the RESTful base
        ("Patient/a", "http://other.org/fhir/Observation/o", "found", 4),
        ("Patient/a", "urn:uuid:0a4d7e52-81c3-4f6b-b2e9-5c7a1d3f9b02", "multiple", None),
        ("Patient/u", f"{BASE}/Observation/o", "found-by-id", 1),  # fullUrl is a urn:uuid
        ("urn:uuid:6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a01", None, "found", 1),
        ("urn:uuid:00000000-0000-4000-8000-000000000000", None, "absent", None),
        (f"{BASE}/Patient/a", None, "found", 0),
        (f"{BASE}/Patient/zz", None, "absent", None),  # absolute: fullUrl only
        ("Patient/v/_history/2", f"{BASE}/Observation/o", "found", 3),
        ("Patient/v/_history/9", f"{BASE}/Observation/o", "version-mismatch", None),
        ("Patient/v", f"{BASE}/Observation/o", "multiple", None),
        (f"{BASE}/Patient/v/_history/1", None, "found", 2),
    ],
)
def test_bundle_matching_follows_fhir(
    reference: str, referrer: str | None, status: str, entry: int | None
) -> None:
    found = SCOPE.match(reference, referrer)
    assert found.status == status
    assert (found.entry.index if found.entry is not None else None) == entry


def test_the_index_keeps_packed_identities_and_gives_them_back() -> None:
    resolver = Resolver()
    identities = [
        Identity("Goal/g", "a/export.ndjson", 70_000, None, None, ("http://x/p",)),
        Identity("Goal/g", "b/bundle.json", None, 12, f"{BASE}/Goal/g", ()),
        Identity("Goal/g", "b/bundle.json", None, 12, f"{BASE}/Goal/g", ()),  # the same
    ]
    for identity in identities:
        resolver.index.add(identity)
    assert resolver.index.candidates("Goal/g") == identities[:2]
    assert resolver.index.candidates("Goal/g")[0].claims == ("http://x/p",)
    assert len(resolver.index) == 2  # the repeat is not kept twice
    assert resolver.index.candidates("Goal/none") == []


def test_candidates_come_from_the_nearest_scope() -> None:
    resolver = Resolver()
    for file in ("run/a/goals.ndjson", "run/a/other.json", "run/b/goals.ndjson"):
        resolver.index.add(Identity("Goal/g", file, 2 if file.endswith("ndjson") else None, None))
    same_file = resolver.candidates("Goal/g", None, "run/a/goals.ndjson")
    assert [c.file for c in same_file] == ["run/a/goals.ndjson"]
    same_folder = resolver.candidates("Goal/g", None, "run/b/scores.ndjson")
    assert [c.file for c in same_folder] == ["run/b/goals.ndjson"]
    ambiguous = resolver.candidates("Goal/g", None, "run/a/scores.ndjson")
    assert [c.file for c in ambiguous] == ["run/a/goals.ndjson", "run/a/other.json"]
    everywhere = resolver.candidates("Goal/g", None, "elsewhere/x.json")
    assert len(everywhere) == 3
    # An absolute reference only matches resources known under the same server base.
    assert resolver.candidates("Goal/g", BASE, "elsewhere/x.json") == ()


def _view(resource: dict[str, Any], file: str = "f.json") -> ResourceView:
    source = SourceText(file, "{}")
    return ResourceView(resource, Anchor(source, file, root=str(resource["resourceType"])))


def test_contexts_follow_contained_entries_and_parameters() -> None:
    inner = {
        "resourceType": "Observation",
        "contained": [{"resourceType": "Patient", "id": "p"}],
        "subject": {"reference": "#p"},
    }
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "x", "resource": inner}]}
    resolver = Resolver()
    view = _view(parameters)
    context = resolver.context(view, ("parameter", 0, "resource"))
    assert context.bundle is None and context.container is inner
    found = context.resolve("#p")
    assert found.status == "contained" and found.target == {"resourceType": "Patient", "id": "p"}
    key: ResourceKey | None = found.key
    assert key == ("f.json", None, None, "parameter/0/resource/contained/0")
    assert context.resolve("#q").status == "contained-missing"
    assert context.resolve("urn:uuid:6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a01").status == (
        "urn-missing"
    )
