"""A large Bundle read without its parsed tree (inputs/stream.py): the same findings, in
the same order, as when the whole document is parsed; anything irregular is left to the
whole-document parser."""

from __future__ import annotations

import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.inputs import stream
from pcocheck.inputs.discover import discover
from pcocheck.inputs.read import Document, read_documents
from pcocheck.inputs.resources import split_resources
from pcocheck.inputs.stream import SlimBundle, slim_bundle
from pcocheck.runner import validate_config
from tests.conftest import fixture_files
from tests.parallel.test_jobs import assert_same
from tests.parallel.test_one_bundle import one_bundle


def _findings(paths: list[str], **options: Any) -> list[dict[str, Any]]:
    result = validate_config(RunConfig(paths=tuple(paths), **options))
    return [f.to_dict() for f in result.findings]


@pytest.fixture
def stream_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Bundle document, however small, is read slim."""
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)


def test_every_fixture_gives_the_same_findings_when_bundles_are_read_slim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = fixture_files()
    whole = _findings(files)
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)
    slim = _findings(files)
    assert len(slim) == len(whole)
    for before, after in zip(whole, slim, strict=True):
        assert after == before


def test_the_strict_options_give_the_same_findings_too(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [f for f in fixture_files() if "/references/" in f or "/parity/" in f]
    options = {"must_support": True, "allow_example_urls": False, "security_checks": True}
    whole = _findings(files, **options)
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)
    assert _findings(files, **options) == whole


def _slim_fixtures() -> list[Path]:
    """Fixture documents that are read slim (Bundles other than documents)."""
    found = []
    for name in fixture_files():
        path = Path(name)
        if path.suffix != ".json":
            continue
        text = path.read_text("utf-8", errors="replace")
        if '"Bundle"' in text:
            found.append(path)
    return found


def test_bundle_fixtures_do_take_the_slim_path(stream_all: None) -> None:
    """The comparison above is not vacuous: most Bundle fixtures are read slim, and their
    slim root holds stubs only, while each entry's resource parses to the whole parse's."""
    taken = 0
    for path in _slim_fixtures():
        text = path.read_text("utf-8")
        try:
            whole = json.loads(text, parse_float=Decimal)
        except ValueError:
            continue
        slim = slim_bundle(text)
        if slim is None:
            continue
        taken += 1
        assert isinstance(whole, dict)
        for index, entry in enumerate(slim.get("entry", [])):
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                assert set(entry["resource"]) <= {"resourceType", "id", "meta", "url"}
                assert slim.resource_at(index) == whole["entry"][index]["resource"]
    assert taken >= 20


BUNDLE_HEAD = '{"resourceType": "Bundle", "type": "collection", "entry": ['
PATIENT = '{"fullUrl": "urn:uuid:%s", "resource": {"resourceType": "Patient", "id": "p%s"}}'


@pytest.mark.parametrize(
    "text",
    [
        BUNDLE_HEAD + PATIENT % (1, 1) + "]}  x",  # trailing text
        BUNDLE_HEAD + PATIENT % (1, 1) + "]",  # truncated
        BUNDLE_HEAD + '{"fullUrl": "a", "fullUrl": "b"}]}',  # a duplicate key in an entry
        '{"resourceType": "Bundle", "type": "collection", "type": "batch", "entry": []}',
        BUNDLE_HEAD + '{"resource": {"resourceType": "Basic", "x": NaN}}]}',
        BUNDLE_HEAD + '{"resource": {"resourceType": "Basic", "x": ' + "1" * 2000 + "}}]}",
        BUNDLE_HEAD + '{"resource": ' + "[" * 120 + "]" * 120 + "}]}",  # too deep
        '{"resourceType": "Patient", "id": "p"}',  # not a Bundle
        "[]",
    ],
)
def test_anything_irregular_is_left_to_the_whole_parser(text: str, stream_all: None) -> None:
    assert slim_bundle(text) is None


def test_a_regular_bundle_is_read_slim(stream_all: None) -> None:
    text = BUNDLE_HEAD + ", ".join(PATIENT % (n, n) for n in range(3)) + '], "total": 3}'
    slim = slim_bundle(text)
    assert isinstance(slim, SlimBundle)
    assert list(slim) == ["resourceType", "type", "entry", "total"]  # the text's order
    assert slim.entry_count == 3
    assert slim.resource_at(2) == {"resourceType": "Patient", "id": "p2"}
    assert slim.whole() == json.loads(text)


def test_a_read_slim_document_keeps_no_entry_resource(tmp_path: Path, stream_all: None) -> None:
    bundle = one_bundle(tmp_path, 3)
    found, _ = discover([str(bundle)])
    documents = [d for d in read_documents(found[0]) if isinstance(d, Document)]
    assert len(documents) == 1
    root = documents[0].value
    assert isinstance(root, SlimBundle)
    stubs = [e["resource"] for e in root["entry"]]
    assert stubs and all(set(s) <= {"resourceType", "id", "meta", "url"} for s in stubs)


def test_two_jobs_report_the_same_on_a_slim_bundle(
    tmp_path: Path, stream_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcocheck.parallel import shards

    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    result = assert_same((str(one_bundle(tmp_path, 4)),))
    assert result.resources > 20


def _reading_peak(item: Any) -> tuple[int, int]:
    """(resources seen, peak bytes allocated) while a document is read and split."""
    tracemalloc.start()
    try:
        documents = list(read_documents(item))
        seen = sum(1 for d in documents if isinstance(d, Document) for _ in split_resources(d))
        return seen, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_a_slim_bundle_never_holds_its_whole_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parsed tree of a Bundle is several times its text: read slim, the peak stays
    well below what the whole parse needs (the text, the stubs, one entry at a time)."""
    found, _ = discover([str(one_bundle(tmp_path, 60))])
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 10**12)
    whole_count, whole_peak = _reading_peak(found[0])
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)
    slim_count, slim_peak = _reading_peak(found[0])
    assert slim_count == whole_count > 100
    assert slim_peak < 0.7 * whole_peak


def test_a_profile_on_a_slim_bundle_sees_the_whole_tree(
    tmp_path: Path, stream_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile on the Bundle itself may slice or constrain its entries' resources: its
    passes get the whole parsed tree, not the slim root's stubs."""
    from pcocheck.engine.core import ProfileEngine

    bundle = one_bundle(tmp_path, 2)
    seen: list[Any] = []
    real_profiles_for = ProfileEngine.profiles_for
    real_run_profile = ProfileEngine.run_profile

    def profiles_for(self: ProfileEngine, view: Any, resource: Any, *rest: Any) -> Any:
        required, advisory = real_profiles_for(self, view, resource, *rest)
        if resource.get("resourceType") == "Bundle":
            core = self.structure("http://hl7.org/fhir/StructureDefinition/Bundle")
            return [*required, core], advisory
        return required, advisory

    def run_profile(self: ProfileEngine, view: Any, resource: Any, *rest: Any) -> Any:
        if resource.get("resourceType") == "Bundle":
            seen.append(resource)
        return real_run_profile(self, view, resource, *rest)

    monkeypatch.setattr(ProfileEngine, "profiles_for", profiles_for)
    monkeypatch.setattr(ProfileEngine, "run_profile", run_profile)
    validate_config(RunConfig(paths=(str(bundle),)))
    assert len(seen) == 1
    assert not isinstance(seen[0], SlimBundle)
    assert seen[0] == json.loads(bundle.read_text("utf-8"), parse_float=Decimal)


@pytest.mark.parametrize("order", ["in order", "shuffled"])
@pytest.mark.parametrize("regular", [False, True])
def test_positions_seek_through_the_known_entries_and_survive_forgetting(
    monkeypatch: pytest.MonkeyPatch, stream_all: None, regular: bool, order: str
) -> None:
    """A slim Bundle's source knows where its entries start (and, ``regular``, that no
    object repeats a key: objects are read only as far as asked, in any order of asking);
    a seeker that forgets nested containers (a tiny limit here) gives exactly the offsets
    of the full scan."""
    import random

    from pcocheck.inputs import seek
    from pcocheck.inputs.locate import build_index, nearest_offset

    monkeypatch.setattr(seek, "MAX_CONTAINERS", 3)
    compared = 0
    for path in _slim_fixtures():
        text = path.read_text("utf-8")
        slim = slim_bundle(text)
        if slim is None or slim.entries_span is None:
            continue
        seeker = seek.Seeker(text)
        seeker.know_array(*slim.entries_span, slim.entry_starts)
        if regular:
            seeker.know_regular()
        index = build_index(text)
        paths = list(index.offsets)
        if order == "shuffled":
            random.Random(len(text)).shuffle(paths)
        for json_path in paths:
            for probe in (json_path, (*json_path, "absentKey"), (*json_path, 99999)):
                assert seeker.offset(probe) == nearest_offset(index, probe), (path, probe)
                compared += 1
    assert compared > 5_000


def test_a_slim_bundle_source_is_known_regular(tmp_path: Path, stream_all: None) -> None:
    """What the reader tells a slim Bundle's source: its objects repeat no key."""
    from pcocheck.inputs.discover import InputFile

    text = next(p for p in _slim_fixtures() if slim_bundle(p.read_text("utf-8"))).read_text("utf-8")
    file = tmp_path / "b.json"
    file.write_text(text, "utf-8")
    (document,) = read_documents(InputFile(str(file), file, ndjson=False, gzipped=False))
    assert isinstance(document, Document) and isinstance(document.value, SlimBundle)
    assert document.source._regular
    at = text.index("{") + 1
    repeated = text[:at] + '"id": "a", "id": "b", ' + text[at:]
    file.write_text(repeated, "utf-8")
    found = [
        d
        for d in read_documents(InputFile(str(file), file, ndjson=False, gzipped=False))
        if isinstance(d, Document)
    ]
    assert found and not isinstance(found[0].value, SlimBundle) and not found[0].source._regular
