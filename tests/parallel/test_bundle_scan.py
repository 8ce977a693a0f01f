"""A parallel run's one large Bundle: its entry array scanned in pieces by forked helpers
from guessed entry starts (pcocheck.parallel.scan), and its checks cut into parts that
shrink towards the end. The slim Bundle is the serial scan's whatever the guesses, and the
report is byte-identical to one job's for regular and odd Bundles alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcocheck.inputs import stream
from pcocheck.inputs.stream import Piece, SlimBundle, scanning_pieces, slim_bundle
from pcocheck.parallel import scan, shards
from tests.parallel.test_jobs import assert_same


def _observation(n: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{n}",
        "meta": {
            "profile": ["http://hl7.org/fhir/us/pco/StructureDefinition/pco-prom-score-observation"]
        },
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "70274-6"}]},
        "subject": {"reference": "Patient/p0"},
        "hasMember": [{"reference": f"Observation/o{n + 1}"}],
        "valueQuantity": {"value": n % 21, "unit": "score"},
    }


def _entry(n: int) -> dict[str, Any]:
    return {"fullUrl": f"http://example.org/fhir/Observation/o{n}", "resource": _observation(n)}


PATIENT = {
    "fullUrl": "http://example.org/fhir/Patient/p0",
    "resource": {"resourceType": "Patient", "id": "p0"},
}


def _bundle(entries: Any, indent: int | None = None, **extra: Any) -> str:
    root = {"resourceType": "Bundle", "type": "collection", "entry": entries, **extra}
    return json.dumps(root, indent=indent)


def _regular(count: int = 60) -> list[Any]:
    return [PATIENT, *(_entry(n) for n in range(count))]


def _nested(count: int = 60) -> list[Any]:
    """Entries with one that holds a small Bundle whose entries are shaped like the outer
    ones, placed so that the guessed cut falls inside it (no outer entry starts there;
    a large inner Bundle would have the slim reader give up: too many brackets)."""
    padding = "x" * 400
    inner = {"resourceType": "Bundle", "id": "inner", "type": "collection"}
    inner["entry"] = [
        {"fullUrl": f"urn:uuid:i{n}", "resource": {"resourceType": "Basic", "id": padding}}
        for n in range(6)
    ]
    nested = {"fullUrl": "urn:uuid:inner", "resource": inner}
    for at in range(1, count):
        entries = [*_regular(count)[:at], nested, *_regular(count)[at:]]
        text = _bundle(entries)
        first = text.index('{"fullUrl"')
        second = text.index('{"fullUrl"', first + 1)
        (cut,) = stream.piece_starts(text, first, second, 1)
        inside = text.index('"urn:uuid:inner"')
        if inside < cut < text.index("]", inside):
            return entries
    raise AssertionError("no place puts the cut inside the inner Bundle")


def _odd(count: int = 60) -> list[Any]:
    """Entries that are not resources, not objects, or start with another member."""
    odd: list[Any] = [PATIENT]
    for n in range(count):
        kind = n % 9
        if kind == 3:
            odd.append(n)  # a number
        elif kind == 4:
            odd.append("an entry")
        elif kind == 5:
            odd.append(None)
        elif kind == 6:
            odd.append([_entry(n)])  # an array
        elif kind == 7:
            odd.append({"resource": _observation(n), "fullUrl": f"urn:uuid:{n}"})  # resource first
        elif kind == 8:
            odd.append({"fullUrl": f"urn:uuid:{n}", "resource": "not an object"})
        else:
            odd.append(_entry(n))
    return odd


TEXTS: dict[str, str] = {
    "regular": _bundle(_regular()),
    "indented": _bundle(_regular(), indent=2),
    "members after the entries": _bundle(_regular(), total=61, signature={"data": "x"}),
    "nested Bundle": _bundle(_nested()),
    "odd entries": _bundle(_odd()),
    "odd entries, indented": _bundle(_odd(), indent=1),
    "two entries": _bundle(_regular(1)),
    "one entry": _bundle([PATIENT]),
    "no entries": _bundle([]),
    "entry not an array": _bundle({"resource": PATIENT}),
}


def _irregular(text: str, what: str) -> str:
    """``text`` with something the slim reader gives up on, in the second half."""
    at = text.index('{"fullUrl": "http://example.org/fhir/Observation/o50"')
    if what == "repeated key":
        return text[: at + 1] + '"fullUrl": "x", ' + text[at + 1 :]
    if what == "trailing comma":
        end = text.rindex("]")
        return text[:end].rstrip() + ", ]" + text[end + 1 :]
    return text[: len(text) - 40]  # truncated


IRREGULAR = {
    what: _irregular(TEXTS["regular"], what)
    for what in ("repeated key", "trailing comma", "truncated")
}


@pytest.fixture
def scan_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Bundle is read slim, and scanned in pieces when a scanner is installed."""
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)
    monkeypatch.setattr(stream, "PARALLEL_SCAN_MIN_CHARS", 0)


class Spy(scan.ForkedPieces):
    """ForkedPieces that remembers the guessed starts and which pieces were used."""

    def __init__(self, helpers: int, fail: bool = False, **options: Any) -> None:
        super().__init__(helpers, **options)
        self.cuts: list[int] = []
        self.received: list[Piece | None] = []
        self.fail = fail  # every helper's piece is lost (as when a helper is killed)

    def start(self, text: str, cuts: list[int]) -> list[Callable[[], Piece | None]]:
        self.cuts = cuts
        return super().start(text, cuts)

    def _receive(self, number: int) -> Piece | None:
        piece = super()._receive(number)
        piece = None if self.fail else piece
        self.received.append(piece)
        return piece


def _same(serial: SlimBundle | None, pieces: SlimBundle | None) -> None:
    if serial is None:
        assert pieces is None
        return
    assert isinstance(pieces, SlimBundle)
    assert list(pieces.items()) == list(serial.items())
    assert list(pieces.entry_starts) == list(serial.entry_starts)
    assert pieces.entries_span == serial.entries_span
    for index in range(serial.entry_count):
        assert pieces.resource_at(index) == serial.resource_at(index)


@pytest.mark.parametrize("helpers", [1, 3])
@pytest.mark.parametrize("name", list(TEXTS))
def test_pieces_scanned_by_helpers_make_the_serial_slim_bundle(
    name: str, helpers: int, scan_all: None
) -> None:
    text = TEXTS[name]
    serial = slim_bundle(text)
    spy = Spy(helpers)
    with scanning_pieces(spy):
        pieces = slim_bundle(text)
    _same(serial, pieces)
    assert serial is not None
    if name in ("regular", "indented", "members after the entries", "odd entries"):
        # not vacuous: the helpers' pieces were guessed right and used
        assert len(spy.cuts) == helpers
        assert all(p is not None and not p.irregular for p in spy.received)
        assert len(spy.received) == helpers
    if name == "nested Bundle":
        # A guess fell inside the inner Bundle: the scan before it passed it, went on to
        # the end of the array, and no piece after it was used (one helper: the parent
        # scanned everything; three: the first helper's piece ran to the end).
        assert spy.cuts and len(spy.received) < helpers
        assert spy.received == [] if helpers == 1 else spy.received[-1].closed  # type: ignore[union-attr]


@pytest.mark.parametrize("name", list(IRREGULAR))
def test_an_irregular_bundle_is_left_to_the_whole_parser_either_way(
    name: str, scan_all: None
) -> None:
    text = IRREGULAR[name]
    assert slim_bundle(text) is None
    with scanning_pieces(Spy(1)):
        assert slim_bundle(text) is None


def test_a_lost_piece_is_scanned_by_the_parent(scan_all: None) -> None:
    text = TEXTS["regular"]
    spy = Spy(2, fail=True)
    with scanning_pieces(spy):
        pieces = slim_bundle(text)
    assert spy.received == [None]  # the first lost piece: the parent scans the rest itself
    _same(slim_bundle(text), pieces)


def test_a_bundle_below_the_threshold_is_scanned_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0)
    text = TEXTS["regular"]
    assert len(text) < stream.PARALLEL_SCAN_MIN_CHARS
    spy = Spy(1)
    with scanning_pieces(spy):
        pieces = slim_bundle(text)
    assert spy.cuts == []  # no helper forked
    _same(slim_bundle(text), pieces)


def test_guided_parts_cover_every_entry_once_and_shrink() -> None:
    for count in (0, 1, 399, 400, 401, 1000, 8001, 10_001, 123_457):
        for jobs in (1, 2, 3, 8):
            sizes = shards.guided_part_sizes(count, jobs)
            assert sum(sizes) == count
            if len(sizes) > 1:
                assert all(s >= shards.MIN_BUNDLE_ENTRIES // 2 for s in sizes)
                assert sizes[:-1] == sorted(sizes[:-1], reverse=True)  # shrinking
                assert sizes[-1] < sizes[0] + shards.MIN_BUNDLE_ENTRIES // 2
    assert len(shards.guided_part_sizes(10_000, 2)) > 8
    assert shards.guided_part_sizes(10_000, 2)[0] == 2500  # a quarter of what is left


@pytest.mark.parametrize("name", [*TEXTS, *IRREGULAR])
def test_two_jobs_report_the_same_as_one_on_any_bundle(
    name: str, tmp_path: Path, scan_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole path (pieces scanned by a helper, guided parts checked by two processes)
    against one job, for regular, odd, nested, irregular and truncated Bundles."""
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)  # many small parts
    text = TEXTS.get(name) or IRREGULAR[name]
    path = tmp_path / "bundle.json"
    path.write_text(text, "utf-8")
    result = assert_same((str(path),))
    assert result.findings  # something is reported in every case (compared above)


def test_the_parallel_path_really_scans_in_pieces_and_cuts_guided_parts(
    tmp_path: Path, scan_all: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcocheck import parallel

    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    spies: list[Spy] = []
    monkeypatch.setattr(
        scan,
        "ForkedPieces",
        lambda helpers, **options: spies.append(Spy(helpers, **options)) or spies[-1],
    )
    planned: list[list[shards.Shard]] = []
    real = parallel._check_with_helpers

    def check_spy(run: Any, parts: list[shards.Shard], jobs: int) -> None:
        planned.append(parts)
        real(run, parts, jobs)

    monkeypatch.setattr(parallel, "_check_with_helpers", check_spy)
    path = tmp_path / "bundle.json"
    path.write_text(TEXTS["indented"], "utf-8")
    assert_same((str(path),))
    (spy,) = spies
    assert len(spy.cuts) == 1 and spy.received and spy.received[0] is not None
    (parts,) = planned
    assert parts[0].entries == (0, 16)  # 61 entries: a quarter of them first
    assert parts[-1].entries is not None and parts[-1].entries[1] is None


def test_no_helper_forked_the_parent_scans_everything(scan_all: None) -> None:
    """When no process can be forked (start gives no pending piece), the scan goes on here."""

    class Unforked(Spy):
        def start(self, text: str, cuts: list[int]) -> list[Callable[[], Piece | None]]:
            self.cuts = cuts
            return []

    text = TEXTS["regular"]
    spy = Unforked(2)
    with scanning_pieces(spy):
        pieces = slim_bundle(text)
    assert spy.cuts
    _same(slim_bundle(text), pieces)


@pytest.mark.parametrize("name", ["regular", "odd entries", "entry not an array"])
def test_two_jobs_report_the_same_on_a_bundle_below_the_slim_threshold(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Bundle too small to be read slim is parsed whole (no pieces): its guided parts
    still report as one job does."""
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    text = TEXTS[name]
    assert len(text) < stream.STREAM_MIN_CHARS
    assert slim_bundle(text) is None
    path = tmp_path / "bundle.json"
    path.write_text(text, "utf-8")
    assert_same((str(path),))
