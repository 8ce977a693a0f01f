"""The first pass reads without the duplicate-key hook, and every parse uses decoders made
once: the values, the errors and the findings (but the duplicate-key ones, which only the
checking pass reports) are the same as the reading the checks use."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pcocheck.inputs.read as read
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile, discover
from pcocheck.inputs.read import Document, index_documents, read_documents
from pcocheck.jsonutil import bounded_decoder, decode_bounded, loads_bounded

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

DEEP = 150
TEXTS = [
    '{"resourceType": "Patient", "id": "a", "id": "b"}',
    '{"resourceType":"Patient","name":[{"given":["a"],"family":"f","given":["b"]}],"id":"x"}',
    '{"a": {"b": 1}, "c": 0, "a": {"c": [1, {"d": 2, "d": 3}]}}',
    '{"a": 1.10, "b": 1e400, "c": -0.0, "d": 12345678901234567890, "e": 0.1e-7}',
    '{"a": NaN}',
    '{"a": [Infinity]}',
    '{"a": -Infinity, "a": 1}',
    '{"a": ' + "9" * 1001 + "}",
    '{"a": ' + "9" * 5000 + "}",
    '{"a": ' + "9" * 1000 + "}",
    '{"a": ' + "[" * DEEP + "]" * DEEP + "}",
    "[" * 100 + "]" * 100,
    "[" * 101 + "]" * 101,
    '{"a":' * 3000 + "1" + "}" * 3000,
    "\ufeff{}",
    "\ufeff\ufeff{}",
    "null",
    "[]",
    '"text"',
    "1",
    "",
    "   ",
    '{"a": [1, 2',
    '{"a": "unterminated',
    '{"a" 1}',
    "{} {}",
    '{"a": "\\ud800", "b": "\\u0041\\n"}',
    '{"a": "tab\there"}',
    ' {"a" : 1 , "b" :\t2 }  ',
    '{"": 1, "": 2}',
]


def _hook_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return dict(pairs)


def _reject(token: str) -> Any:
    raise ValueError(f"constant {token}")


def shape(value: Any) -> Any:
    """``value`` with key order and number types made visible (1.10 is not 1.1)."""
    if isinstance(value, dict):
        return ("object", [(key, shape(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [shape(item) for item in value])
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    return (type(value).__name__, value)


def outcome(parse: Any, text: str) -> Any:
    try:
        return ("value", shape(parse(text)))
    except Exception as error:
        details = (getattr(error, "pos", None), getattr(error, "path", None))
        return ("error", type(error).__name__, str(error), details)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("hooked", [True, False])
def test_a_decoder_made_once_parses_like_json_loads(text: str, hooked: bool) -> None:
    hook = _hook_pairs if hooked else None
    decoder = bounded_decoder(object_pairs_hook=hook, parse_constant=_reject, parse_float=Decimal)

    def once(text: str) -> Any:
        return loads_bounded(
            text, object_pairs_hook=hook, parse_constant=_reject, parse_float=Decimal
        )

    expected = outcome(once, text)
    assert outcome(lambda t: decode_bounded(decoder, t), text) == expected
    assert outcome(lambda t: decode_bounded(decoder, t), text) == expected  # reused


def _documents(produced: Any) -> tuple[list[Any], list[Finding]]:
    documents, findings = [], []
    for item in produced:
        if isinstance(item, Document):
            source = item.source
            documents.append((source.file, source.first_line, source.record, source.text))
            documents.append(shape(item.value))
        else:
            findings.append(item)
    return documents, findings


def assert_index_reading_matches(item: InputFile) -> list[Finding]:
    """The first pass's documents are the checking pass's, value for value; its findings
    are the same but for repeated keys in NDJSON records (a whole JSON file is read as the
    checks read it). Returns the checking pass's findings."""
    documents, findings = _documents(read_documents(item))
    quick_documents, quick_findings = _documents(index_documents(item))
    assert quick_documents == documents
    if item.ndjson:
        findings_wanted = [f for f in findings if f.code != "FHIR-JSON-003"]
    else:
        findings_wanted = findings
    assert quick_findings == findings_wanted
    return findings


def _fixture_inputs() -> list[InputFile]:
    found, _ = discover([str(FIXTURES)])
    return found


def test_every_fixture_reads_the_same_for_the_first_pass() -> None:
    inputs = _fixture_inputs()
    assert len(inputs) > 500 and any(i.ndjson for i in inputs)
    duplicates = 0
    for item in inputs:
        findings = assert_index_reading_matches(item)
        duplicates += sum(f.code == "FHIR-JSON-003" for f in findings)
    assert duplicates > 0  # the fixtures do hold repeated keys


def test_hostile_records_read_the_same_for_the_first_pass(tmp_path: Path) -> None:
    lines = [t for t in TEXTS if "\n" not in t]
    data = "\n".join(lines).encode("utf-8") + b'\n\xff\xfe{}\n{"a": "\xc3\x28"}\n'
    plain = tmp_path / "hostile.ndjson"
    plain.write_bytes(data)
    packed = tmp_path / "hostile.ndjson.gz"
    packed.write_bytes(gzip.compress(data))
    found, _ = discover([str(plain), str(packed)])
    for item in found:
        findings = assert_index_reading_matches(item)
        codes = {f.code for f in findings}
        assert {"FHIR-JSON-003", "FHIR-JSON-001", "FHIR-JSON-008", "FHIR-JSON-014"} <= codes
    for number, text in enumerate(TEXTS):
        single = tmp_path / f"single-{number}.json"
        single.write_text(text, encoding="utf-8")
        (item,) = discover([str(single)])[0]
        assert_index_reading_matches(item)


def test_a_repeated_key_keeps_its_first_place_and_its_last_value() -> None:
    text = '{"b": 0, "a": {"x": 1}, "c": 2, "a": {"y": [1.50]}}'
    item = InputFile(display="t.ndjson", path=None, ndjson=True, gzipped=False, data=text.encode())
    documents, _ = _documents(index_documents(item))
    assert documents[1] == shape(json.loads(text, parse_float=Decimal))
    assert documents[1][1][1] == ("a", ("object", [("y", ("array", [("decimal", "1.50")]))]))


def _wide_reference(data: bytes) -> str | None:
    """The detection as it was before its shortcut for ordinary records."""
    boms = {
        b"\xff\xfe\x00\x00": "UTF-32LE",
        b"\x00\x00\xfe\xff": "UTF-32BE",
        b"\xff\xfe": "UTF-16LE",
        b"\xfe\xff": "UTF-16BE",
    }
    for bom, name in boms.items():
        if data.startswith(bom):
            return name
    head = data[:4]
    if len(head) == 4:
        nul = "".join("0" if byte == 0 else "x" for byte in head)
        patterns = {"000x": "UTF-32BE", "x000": "UTF-32LE", "0x0x": "UTF-16BE", "x0x0": "UTF-16LE"}
        return patterns.get(nul)
    return None


def test_wide_encodings_are_found_as_before_for_every_start() -> None:
    alphabet = [0x00, 0xFF, 0xFE, 0xEF, 0xBB, 0xBF, 0x7B, 0x20]
    starts = [b""]
    for _ in range(4):
        starts = [s + bytes([b]) for s in starts for b in alphabet] + starts
    assert len(set(starts)) == sum(len(alphabet) ** n for n in range(5))
    for start in set(starts):
        for data in (start, start + b'{"a": 1}'):
            assert read._wide_encoding(data) == _wide_reference(data), data


# -- the quick decoding of an NDJSON line (read._plain_utf8) against read._decode -------------
_LINE_BYTES = st.lists(
    st.sampled_from(
        [b"{", b"}", b"a", b'"', b"\x00", b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\xef", b"\xbb"]
        + [b"\xc3\xa9", b"\xc3", b"\xe2\x80\xa8", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b" "]
    ),
    max_size=10,
).map(b"".join)


@given(data=_LINE_BYTES, first=st.booleans())
@settings(max_examples=600, deadline=None)
def test_plain_utf8_is_decode_without_findings(data: bytes, first: bool) -> None:
    anchor = read.Anchor(source=None, file="x.ndjson")
    text, findings = read._decode(data, "x.ndjson", 3, anchor, first)
    quick = read._plain_utf8(data)
    if quick is not None:
        assert (text, findings) == (quick, [])
    # the usual line takes the quick way
    assert read._plain_utf8(b'{"resourceType":"Patient","name":"J\xc3\xa9"}') is not None
