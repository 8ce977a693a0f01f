"""The short first pass of an NDJSON chunk (pcocheck.parallel.indexing) indexes exactly
what the general first pass indexes: the same rows in the same order, the same canonical
URLs, the same state of the checkers' first-pass hooks and the same entry count, on a
chunk with every kind of line a bulk export can hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck import parallel
from pcocheck.config import RunConfig
from pcocheck.inputs.discover import discover
from pcocheck.parallel import indexing, shards
from pcocheck.runner import Run, build_checkers
from pcocheck.view import Anchor, ResourceView

ODD_LINES = [
    b"null",
    b"[1, 2]",
    b"42",
    b"{}",
    b'{"resourceType": "Nope", "id": "n"}',
    b'{"resourceType": "Basic", "id": ',
    b'{"resourceType": "Basic", "id": "x\xff"}',
    b'\xef\xbb\xbf{"resourceType": "Basic", "id": "bom"}',
    '{"resourceType": "Basic", "id": "wide"}'.encode("utf-16-le"),
    b'{"resourceType": "Basic", "id": "d", "id": "e"}',
    b'{"resourceType": "Basic", "id": "nan", "extension": [{"url": "u", "valueDecimal": NaN}]}',
    b"[" * 2000 + b"]" * 2000,
    b"{" + b'"a": {' * 300 + b'"resourceType": "Basic"' + b"}" * 301,
    b'{"resourceType": "Basic", "id": ""}',
    b'{"resourceType": "Basic", "id": 7}',
    b'{"resourceType": 7, "id": "t"}',
    b'{"resourceType": "Basic", "meta": {"profile": ["http://x/p", 3, "http://x/q"]}, "id": "m"}',
    b'{"resourceType": "Basic", "meta": {"profile": "http://x/p"}, "id": "m2"}',
    b'{"resourceType": "Basic", "meta": [], "id": "m3"}',
    b'{"resourceType": "ValueSet", "id": "vs", "url": "http://x/vs|2"}',
    b'{"resourceType": "ValueSet", "id": "vs2", "url": 5}',
    b'{"resourceType": "CodeSystem", "id": "cs", "url": "http://x/cs", "content": "complete"}',
    b'{"resourceType": "Questionnaire", "id": "q", "url": "http://x/q", "status": "active"}',
    b'{"resourceType": "Bundle", "type": "collection", "entry": ['
    b'{"fullUrl": "http://x/fhir/Basic/in", "resource": {"resourceType": "Basic", "id": "in"}},'
    b'{"resource": {"resourceType": "Basic", "id": "in"}}]}',
    b'{"resourceType": "Parameters", "parameter": [{"name": "r", "resource": '
    b'{"resourceType": "Basic", "id": "inner"}}]}',
    b'   {"resourceType": "Basic", "id": "indented"}',
    b'{"resourceType": "Basic", "id": "crlf"}\r',
]


def _export(tmp_path: Path) -> Path:
    lines = []
    for number, line in enumerate(ODD_LINES):
        for n in range(3):
            good = {"resourceType": "Patient", "id": f"p{number}-{n}", "active": True}
            if n == 1:
                good["meta"] = {"profile": ["http://x/patient"]}
            lines.append(json.dumps(good).encode())
        lines += [line, b""]  # and a blank line after each
    export = tmp_path / "export.ndjson"
    export.write_bytes(b"\n".join(lines) + b"\n")
    return export


def _first_passes(export: Path, short: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    if not short:
        monkeypatch.setattr(indexing, "watched_types", lambda indexers: None)
    config = RunConfig(paths=(str(export),), jobs=2)
    planned = shards.plan_shards(discover([str(export)])[0], 2)
    assert len(planned) >= 4 and all(s.chunked for s in planned)
    out = []
    for shard in planned:
        run = Run(config, build_checkers(config))
        result = parallel.index_shard(run, shard)
        out.append(
            (
                list(result.part.rows()),
                result.part.canonicals,
                result.states,
                result.complete,
                result.entries,
            )
        )
    monkeypatch.undo()
    return out


def test_the_short_first_pass_indexes_what_the_general_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 1024)
    export = _export(tmp_path)
    calls: list[int] = []
    real_record = shards.ChunkReading.record

    def counted(self: shards.ChunkReading, *args: Any) -> Any:
        calls.append(1)
        return real_record(self, *args)

    monkeypatch.setattr(shards.ChunkReading, "record", counted)
    short = _first_passes(export, True, monkeypatch)
    taken_the_long_way = len(calls)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 1024)
    general = _first_passes(export, False, monkeypatch)
    assert short == general
    rows = [row for chunk in short for row in chunk[0]]
    assert ("Basic", "in") in {tuple(row[0].split("/")) for row in rows}  # the Bundle's
    assert any(chunk[1] for chunk in short)  # a canonical URL
    # The plain records went the short way (only odd lines were read the reader's way).
    assert 0 < taken_the_long_way < len(ODD_LINES)


def test_the_hooks_look_only_at_the_types_they_declare() -> None:
    """A checker's ``prescan_types`` is a promise: its first-pass hook learns nothing from
    a resource of another type (the short first pass shows it no other)."""
    config = RunConfig(paths=(), jobs=2)
    checkers = [c for c in build_checkers(config) if hasattr(c, "prescan")]
    assert checkers and indexing.watched_types(checkers) is not None
    others = {
        "CodeSystem": {"url": "http://x/cs", "content": "complete", "status": "active"},
        "Questionnaire": {"url": "http://x/q", "status": "active", "item": []},
        "ValueSet": {"url": "http://x/vs", "status": "active"},
        "Patient": {"active": True},
    }
    for checker in checkers:
        declared = checker.prescan_types
        before = checker.export_prescan()
        for rtype, body in others.items():
            if rtype in declared:
                continue
            resource = {"resourceType": rtype, "id": "r", **body}
            checker.prescan(ResourceView(resource, Anchor(source=None, file="f", root=rtype)))
        assert checker.export_prescan() == before, type(checker).__name__
        for rtype in declared:  # and it does learn from the types it declares
            resource = {"resourceType": rtype, "id": "r", **others[rtype]}
            checker.prescan(ResourceView(resource, Anchor(source=None, file="f", root=rtype)))
        assert checker.export_prescan() != before, type(checker).__name__


@pytest.mark.parametrize("line_number", [1, 7])
def test_a_plain_record_is_decoded_as_the_reader_decodes_it(line_number: int) -> None:
    """plain_text() spares the reader's checks only where they find nothing."""
    from pcocheck.inputs.read import _decode

    anchor = Anchor(source=None, file="f")
    lines = [*ODD_LINES, b'{"resourceType": "Basic", "id": "\xc3\xa9"}', b"{\x00", b"{"]
    for raw in lines:
        text = shards.plain_text(raw)
        if text is not None:
            assert _decode(raw, "f", line_number, anchor, line_number == 1) == (text, [])
    assert shards.plain_text(lines[-3]) == '{"resourceType": "Basic", "id": "é"}'
