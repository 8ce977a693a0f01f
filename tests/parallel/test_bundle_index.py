"""The first pass over one large Bundle indexes its entries from their stubs, and from the
rows the helpers that scanned pieces of the entry array made of them
(:func:`pcocheck.inputs.first_pass.index_read`, :func:`pcocheck.resolution.summarize_entries`),
and the text is judged for stale Codings once, in the parent, while they scan
(:meth:`pcocheck.rules.PcoRules.judge_text`). For regular and odd Bundles alike the index,
the hooks' state and the entry count are those of indexing every view, and the report is
byte-identical with one job and two."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.inputs import stream
from pcocheck.inputs.discover import InputFile
from pcocheck.inputs.first_pass import index_read, views_to_index
from pcocheck.inputs.read import Document, read_documents
from pcocheck.inputs.stream import SlimBundle, scanning_pieces
from pcocheck.parallel import scan, shards
from pcocheck.resolution import IndexPart, Resolver, RunIndex, index_entries, summarize_entries
from pcocheck.rules import PcoRules
from pcocheck.view import ResourceView
from tests.parallel.test_jobs import assert_same

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _fixture_entries() -> list[Any]:
    """The top-level entries of the rule and reference fixtures' Bundles: real content with
    findings of every kind (fullUrls repeat across the cases: duplicates, ambiguity)."""
    entries: list[Any] = []
    paths = sorted(FIXTURES.glob("rules/*/input.json")) + sorted(FIXTURES.glob("references/*.json"))
    for path in paths:
        value = json.loads(path.read_text("utf-8"))
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            entries += [e for e in value.get("entry", []) if isinstance(e, dict)]
        elif isinstance(value, dict):
            entries.append({"resource": value})  # a lone resource: an entry without fullUrl
    return entries


def _observation(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{n}",
        "meta": {"profile": ["http://example.org/StructureDefinition/obs"]},
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/p0"},
        "hasMember": [{"reference": f"Observation/o{n + 1}"}],
        **extra,
    }


def _regular(count: int, base: str = "http://example.org/fhir") -> list[Any]:
    patient = {"resourceType": "Patient", "id": "p0"}
    entries: list[Any] = [{"fullUrl": f"{base}/Patient/p0", "resource": patient}]
    entries += [
        {"fullUrl": f"{base}/Observation/o{n}", "resource": _observation(n)} for n in range(count)
    ]
    return entries


BROKEN: list[Any] = [
    7,
    "an entry",
    None,
    [],
    {},
    {"fullUrl": "urn:uuid:no-resource"},
    {"fullUrl": "urn:uuid:null-resource", "resource": None},
    {"fullUrl": "urn:uuid:string-resource", "resource": "Patient/p0"},
    {"fullUrl": "urn:uuid:array-resource", "resource": [{"resourceType": "Patient"}]},
    {"fullUrl": "urn:uuid:no-type", "resource": {"id": "x"}},
    {"fullUrl": "urn:uuid:unknown-type", "resource": {"resourceType": "Nonsense", "id": "x"}},
    {"fullUrl": "urn:uuid:type-not-text", "resource": {"resourceType": ["Patient"], "id": "x"}},
    {"fullUrl": "urn:uuid:type-object", "resource": {"resourceType": {"a": 1}, "id": "x"}},
    {"fullUrl": "urn:uuid:id-number", "resource": {"resourceType": "Patient", "id": 5}},
    {"fullUrl": "urn:uuid:id-empty", "resource": {"resourceType": "Patient", "id": ""}},
    {"fullUrl": "", "resource": {"resourceType": "Patient", "id": "empty-full-url"}},
    {"fullUrl": 12, "resource": {"resourceType": "Patient", "id": "full-url-number"}},
    {"resource": {"resourceType": "Patient", "id": "no-full-url"}},
    {"resource": {"resourceType": "Patient", "id": "meta-text", "meta": "x"}},
    {"resource": {"resourceType": "Patient", "id": "profile-text", "meta": {"profile": "x"}}},
    {
        "resource": {
            "resourceType": "Patient",
            "id": "profiles-mixed",
            "meta": {"profile": ["http://example.org/a", 3, {"b": 1}, None]},
        }
    },
    {
        "resource": {
            "resourceType": "Patient",
            "id": "profiles-versioned",
            "meta": {"versionId": "2", "profile": ["http://example.org/a"]},
        }
    },
    {"resource": {"resourceType": "ValueSet", "id": "vs1", "url": "http://example.org/vs|1"}},
    {"resource": {"resourceType": "ValueSet", "id": "vs2", "url": "http://example.org/vs|2"}},
    {"resource": {"resourceType": "CodeSystem", "id": "cs", "url": 5}},
    {"resource": {"resourceType": "Patient", "id": "p0"}, "request": {"method": "PUT"}},
]


def _contained(n: int) -> dict[str, Any]:
    inner = {"resourceType": "Patient", "id": "inner", "gender": "other"}
    resource = _observation(n, contained=[inner], subject={"reference": "#inner"})
    return {"fullUrl": f"urn:uuid:contained-{n}", "resource": resource}


def _nested(n: int) -> dict[str, Any]:
    inner = {
        "resourceType": "Bundle",
        "id": f"inner-{n}",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:in-{n}-{m}", "resource": _observation(1000 + m)}
            for m in range(3)
        ],
    }
    return {"fullUrl": f"urn:uuid:nested-{n}", "resource": inner}


QUESTIONNAIRE_URL = "http://example.org/Questionnaire/q"


def _questionnaire(version: str) -> dict[str, Any]:
    return {
        "fullUrl": f"http://example.org/fhir/Questionnaire/q{version}",
        "resource": {
            "resourceType": "Questionnaire",
            "id": f"q{version}",
            "url": QUESTIONNAIRE_URL,
            "version": version,
            "status": "active",
            "item": [{"linkId": "1", "text": "How?", "type": "integer"}],
        },
    }


def _response(n: int, canonical: str) -> dict[str, Any]:
    return {
        "fullUrl": f"http://example.org/fhir/QuestionnaireResponse/r{n}",
        "resource": {
            "resourceType": "QuestionnaireResponse",
            "id": f"r{n}",
            "questionnaire": canonical,
            "status": "completed",
            "item": [{"linkId": "1", "answer": [{"valueString": "not an integer"}]}],
        },
    }


def _bundle(kind: str, entries: Any, **root: Any) -> str:
    value = {"resourceType": "Bundle", "id": "b", "type": kind, **root, "entry": entries}
    return json.dumps(value, indent=1)


def _history() -> list[Any]:
    entries: list[Any] = []
    for version in ("1", "2", "2"):  # the same fullUrl with two versions, one repeated
        resource = {"resourceType": "Patient", "id": "p0", "meta": {"versionId": version}}
        request = {"method": "PUT", "url": "Patient/p0"}
        entries.append(
            {
                "fullUrl": "http://example.org/fhir/Patient/p0",
                "resource": resource,
                "request": request,
            }
        )
    return entries + _regular(30)[1:]


def _urns() -> list[Any]:
    entries: list[Any] = []
    for n in range(30):
        resource = _observation(n, subject={"reference": "urn:uuid:patient"})
        resource["hasMember"] = [
            {"reference": f"urn:uuid:obs-{n + 1}"},
            {"reference": "Observation/o2"},
        ]
        entries.append({"fullUrl": f"urn:uuid:obs-{n}", "resource": resource})
    entries.append(
        {"fullUrl": "urn:uuid:patient", "resource": {"resourceType": "Patient", "id": "p"}}
    )
    return entries


def _interleaved() -> list[Any]:
    """Broken entries between regular ones (the first two regular: pieces are guessed
    from what separates them)."""
    regular = _regular(len(BROKEN) + 2)
    return [*regular[:2], *(e for pair in zip(regular[2:], BROKEN, strict=False) for e in pair)]


CASES: dict[str, str] = {
    "the fixtures' entries": _bundle("collection", _fixture_entries()),
    "no entries": _bundle("collection", []),
    "no entry member": json.dumps({"resourceType": "Bundle", "id": "b", "type": "collection"}),
    "broken entries among regular ones": _bundle("collection", _interleaved()),
    "only broken entries": _bundle("collection", BROKEN * 3),
    "broken last": _bundle("collection", [*_regular(30), *BROKEN[:6]]),
    "duplicate fullUrls": _bundle("collection", _regular(20) + _regular(20)),
    "urn:uuid and relative references": _bundle("collection", _urns()),
    "history": _bundle("history", _history()),
    "transaction": _bundle(
        "transaction",
        [{**e, "request": {"method": "POST", "url": "Observation"}} for e in _regular(30)],
    ),
    "searchset": _bundle(
        "searchset",
        [
            {**e, "search": {"mode": "match" if i % 2 else "include"}}
            for i, e in enumerate(_regular(30))
        ],
        total=31,
    ),
    "contained": _bundle("collection", [*_regular(10), *(_contained(n) for n in range(20))]),
    "nested Bundles": _bundle("collection", [*_regular(10), *(_nested(n) for n in range(10))]),
    "questionnaires": _bundle(
        "collection",
        [
            *(_response(n, f"{QUESTIONNAIRE_URL}|{1 + n % 3}") for n in range(10)),
            _questionnaire("1"),
            *_regular(20),
            _questionnaire("2"),
            _response(99, QUESTIONNAIRE_URL),
        ],
    ),
    "root with meta": _bundle(
        "collection", _regular(30), meta={"profile": ["http://example.org/bundle-profile"]}
    ),
}


@pytest.fixture
def scan_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Bundle is read slim, and scanned in pieces when a scanner is installed."""
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)
    monkeypatch.setattr(stream, "PARALLEL_SCAN_MIN_CHARS", 0)


def _read(text: str, tmp_path: Path, helpers: int) -> list[Any]:
    path = tmp_path / "bundle.json"
    path.write_text(text, "utf-8")
    item = InputFile(path=path, display=str(path), ndjson=False, gzipped=False)
    if not helpers:
        return list(read_documents(item))
    with scanning_pieces(scan.ForkedPieces(helpers, summarize=summarize_entries)):
        return list(read_documents(item))


def _state(resolver: Resolver, rules: PcoRules) -> tuple[Any, ...]:
    """What the first pass leaves: the index's rows (in order) and canonical URLs, every
    key's candidates, and the Questionnaires the rules' hook remembered."""
    index = resolver.index
    part = index.export_part()
    keys = sorted({row[0] for row in part.rows()})
    candidates = {key: index.candidates(key) for key in keys}
    return (
        list(part.rows()),
        list(index.canonicals.items()),
        candidates,
        list(rules.export_prescan().items()),
    )


def _indexed_the_old_way(produced: list[Any], resolver: Resolver, rules: PcoRules) -> int:
    """The first pass before index_read: a view of every resource, each indexed and shown
    to the hook."""
    entries = 0
    for view in views_to_index(produced):
        if view.anchor.entry is not None:
            entries = max(entries, view.anchor.entry + 1)
        resolver.add(view)
        rules.prescan(view)
    return entries


def _rules(resolver: Resolver) -> PcoRules:
    return PcoRules(questionnaires=lambda url: None, resolver=resolver)


@pytest.mark.parametrize("helpers", [0, 1, 3])
@pytest.mark.parametrize("name", list(CASES))
def test_the_index_is_that_of_every_view(
    name: str, helpers: int, tmp_path: Path, scan_all: None
) -> None:
    produced = _read(CASES[name], tmp_path, helpers)
    documents = [d for d in produced if isinstance(d, Document)]
    assert documents and isinstance(documents[0].value, SlimBundle)  # the slim path is tested
    root = documents[0].value
    summarized = len(root.summaries)
    old_resolver, new_resolver = Resolver(), Resolver()
    old_rules, new_rules = _rules(old_resolver), _rules(new_resolver)
    old_entries = _indexed_the_old_way(produced, old_resolver, old_rules)
    new_entries = index_read(produced, [new_resolver], [new_rules])
    assert new_entries == old_entries
    assert _state(new_resolver, new_rules) == _state(old_resolver, old_rules)
    assert not root.summaries  # taken by the first pass, not kept for the run
    if helpers and name in (
        "duplicate fullUrls",
        "broken entries among regular ones",
        "questionnaires",
    ):
        assert summarized > 1  # not vacuous: this process's piece and a helper's


@pytest.mark.parametrize("name", ["broken entries among regular ones", "questionnaires"])
def test_an_index_that_held_rows_before_compares_them(
    name: str, tmp_path: Path, scan_all: None
) -> None:
    """Rows already in the index (another input's): a helper's part is added row by row,
    each compared with those (an identical row is kept once)."""
    produced = _read(CASES[name], tmp_path, 1)
    document = next(d for d in produced if isinstance(d, Document))
    assert isinstance(document.value, SlimBundle) and document.value.summaries
    old_resolver, new_resolver = Resolver(), Resolver()
    old_rules, new_rules = _rules(old_resolver), _rules(new_resolver)
    for resolver in (old_resolver, new_resolver):
        resolver.index.add_row("Patient/p0", document.source.file, None, 0, None, ())
        resolver.index.add_row("Patient/p0", "elsewhere.json", None, None, None, ())
    _indexed_the_old_way(produced, old_resolver, old_rules)
    index_read(produced, [new_resolver], [new_rules])
    assert _state(new_resolver, new_rules) == _state(old_resolver, old_rules)


def test_a_hook_without_declared_types_sees_every_view(tmp_path: Path, scan_all: None) -> None:
    """A checker whose first-pass hook does not say what it looks at gets every view, as
    before (the slim shortcut needs to know which types to make views of)."""
    produced = _read(CASES["broken entries among regular ones"], tmp_path, 1)

    class Curious:
        def __init__(self) -> None:
            self.seen: list[tuple[str | None, int | None]] = []

        def prescan(self, view: ResourceView) -> None:
            self.seen.append((view.anchor.resource, view.anchor.entry))

    old, new = Curious(), Curious()
    for view in views_to_index(produced):
        old.prescan(view)
    index_read(produced, [Resolver()], [new])
    assert new.seen == old.seen and len(old.seen) > 20


def test_a_moved_part_is_the_part_indexed_in_place() -> None:
    entries: list[Any] = [
        {"fullUrl": "urn:uuid:a", "resource": {"resourceType": "Patient", "id": "a"}}
    ]
    entries += [None, {"resource": {"resourceType": "ValueSet", "id": "v", "url": "http://x|1"}}]
    part, count = summarize_entries(entries)
    assert count == 3
    in_place = RunIndex()
    in_place.add_row("Bundle/b", "f.json", None, None, None, ())
    padding: list[Any] = [None] * 5
    assert index_entries(in_place, padding + entries, "f.json", 5) == 8
    moved = RunIndex()
    moved.add_row("Bundle/b", "f.json", None, None, None, ())
    moved.extend(part.moved("f.json", 5))
    assert moved.export_part() == in_place.export_part()
    assert [i.entry for i in moved.candidates("Patient/a")] == [5]
    with pytest.raises(ValueError):
        IndexPart(("a", "b"), (), b"", b"", b"", b"", b"", {}, {}).moved("f.json", 1)


def test_a_text_judged_ahead_is_not_judged_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from pcocheck import rules as rules_module
    from pcocheck.inputs.source import SourceText
    from pcocheck.view import Anchor

    rules = _rules(Resolver())
    text = CASES["root with meta"]
    rules.judge_text(text)
    verdict = rules_module.may_be_stale(text)

    def never(_: str) -> bool:
        raise AssertionError("judged again")

    monkeypatch.setattr(rules_module, "may_be_stale", never)
    view = ResourceView({"resourceType": "Bundle"}, Anchor(SourceText("f", text), "f", "Bundle"))
    assert rules._may_be_stale(view) is verdict
    other = ResourceView(
        {"resourceType": "Bundle"}, Anchor(SourceText("g", text + " "), "g", "Bundle")
    )
    with pytest.raises(AssertionError):
        rules._may_be_stale(other)  # another text: judged for itself
    list(rules.finish())
    assert rules._judged[0] is None  # let go with the run


@pytest.mark.parametrize("name", list(CASES))
def test_two_jobs_report_the_same_as_one(
    name: str, tmp_path: Path, scan_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole path (pieces scanned and summarized by a helper, the text judged by the
    parent, the index merged, guided parts checked by two processes) against one job."""
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)  # many small parts
    path = tmp_path / "bundle.json"
    path.write_text(CASES[name], "utf-8")
    assert_same((str(path),))


def test_stale_codings_are_found_by_every_process(
    tmp_path: Path, scan_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Bundle with stale content in entries of both processes' parts: the verdict the
    parent judged ahead lets every process walk the Codings."""
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    stale = {"system": "http://mtnlotus.com/uv/pco/CodeSystem/pco-gas-codes-temporary", "code": "x"}
    entries = _regular(40)
    for at in (3, 38):
        entries[at]["resource"]["code"] = {"coding": [stale]}
    path = tmp_path / "bundle.json"
    path.write_text(_bundle("collection", entries), "utf-8")
    result = assert_same((str(path),))
    stale_entries = {f.entry for f in result.findings if f.code.startswith("PCO-STALE")}
    assert {3, 38} <= stale_entries


def test_a_lost_piece_is_indexed_here(
    tmp_path: Path, scan_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper's piece lost (killed, failed): this process scans on from there, and the
    first pass indexes those entries itself after its own piece's summary."""
    monkeypatch.setattr(scan.ForkedPieces, "_receive", lambda self, number: None)
    produced = _read(CASES["questionnaires"], tmp_path, 2)
    document = next(d for d in produced if isinstance(d, Document))
    assert isinstance(document.value, SlimBundle)
    assert [first for first, _, _ in document.value.summaries] == [0]  # this process's only
    old_resolver, new_resolver = Resolver(), Resolver()
    old_rules, new_rules = _rules(old_resolver), _rules(new_resolver)
    assert index_read(produced, [new_resolver], [new_rules]) == _indexed_the_old_way(
        produced, old_resolver, old_rules
    )
    assert _state(new_resolver, new_rules) == _state(old_resolver, old_rules)


@pytest.mark.parametrize("name", list(CASES))
def test_a_summary_is_the_part_of_the_rows_indexed_one_by_one(name: str, scan_all: None) -> None:
    """summarize_entries packs a piece's part directly: the same bytes as the part of an
    index the same entries were added to row by row."""
    root = stream.slim_bundle(CASES[name])
    assert root is not None
    entries = root.get("entry")
    if not isinstance(entries, list):
        return
    for start in (0, len(entries) // 3):
        index = RunIndex()
        count = index_entries(index, entries[start:], "")
        assert summarize_entries(entries[start:]) == (index.export_part(), count)


def test_a_failing_judge_leaves_no_helper_running(tmp_path: Path, scan_all: None) -> None:
    def judge(text: str) -> None:
        raise RuntimeError("judge")

    scanner = scan.ForkedPieces(2, summarize=summarize_entries, judge=judge)
    path = tmp_path / "bundle.json"
    path.write_text(CASES["duplicate fullUrls"], "utf-8")
    item = InputFile(path=path, display=str(path), ndjson=False, gzipped=False)
    with pytest.raises(RuntimeError), scanning_pieces(scanner):
        list(read_documents(item))
    assert not scanner._running  # every helper ended and joined
