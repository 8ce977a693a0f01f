"""Issue 14 items 4, 5 and 9 (inputs): memory and time stay bounded, nothing is skipped
silently, and messages say what really happened."""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import pcocheck.inputs.read as read
from pcocheck.inputs.locate import build_index, find_outside_strings
from tests.robustness.helpers import PATIENT, codes, only, run_paths


def test_position_index_memory_does_not_grow_with_string_length() -> None:
    # A base64 attachment of 4 MB: the old regex scan kept ~120 bytes per character.
    text = '{"resourceType": "Binary", "data": "' + "QUJD" * 1_000_000 + '", "x": [1, 2]}'
    tracemalloc.start()
    index = build_index(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert ("x", 1) in index.offsets
    assert peak < 1_000_000, peak


def test_nan_is_located_at_the_token_not_inside_a_string(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"resourceType": "Patient", "id": "NaN",\n "x": NaN}', encoding="utf-8")
    finding = only(run_paths(path), "FHIR-JSON-001")
    assert (finding.line, finding.column) == (2, 7)
    assert find_outside_strings('{"a": "x\\"NaN", "b": NaN}', "NaN") == 21


def test_gzip_bomb_is_bounded_with_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read, "GZIP_FLOOR_BYTES", 1_000_000)
    bomb = tmp_path / "bomb.ndjson.gz"
    with gzip.open(bomb, "wb") as handle:  # one endless line of spaces, ~20 MB expanded
        for _ in range(20):
            handle.write(b" " * 1_000_000)
    good = tmp_path / "good.ndjson.gz"
    with gzip.open(good, "wb") as handle:
        handle.write(PATIENT.encode() + b"\n")
    result = run_paths(bomb, good)
    finding = only(result, "FHIR-JSON-016")
    assert finding.file == str(bomb) and "decompressed" in finding.message
    assert result.resources == 1


def test_json_document_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "MAX_DOCUMENT_BYTES", 1000)
    big = tmp_path / "big.json.gz"
    with gzip.open(big, "wb") as handle:
        handle.write(b'{"resourceType": "Patient", "id": "' + b"a" * 5000 + b'"}')
    assert codes(run_paths(big)) == ["FHIR-JSON-016"]


def test_long_ndjson_line_is_skipped_and_the_next_lines_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read, "MAX_LINE_BYTES", 200)
    monkeypatch.setattr(read, "_CHUNK", 64)
    export = tmp_path / "export.ndjson"
    long_line = '{"resourceType": "Patient", "id": "' + "b" * 1000 + '"}'
    export.write_text(f"{PATIENT}\n{long_line}\n{PATIENT.replace('ok', 'ok2')}\n")
    result = run_paths(export)
    finding = only(result, "FHIR-JSON-016")
    assert finding.line == 2
    assert result.resources == 2


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_and_links_to_them_are_not_read(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} not available")
    link = tmp_path / "data.json"
    link.symlink_to(device)
    result = run_paths(device, link, tmp_path)
    device_findings = [f for f in result.findings if f.code == "FHIR-JSON-017"]
    # named explicitly (device and link), and found again in the folder
    assert len(device_findings) >= 2
    assert result.resources == 0


def test_fifo_in_a_folder_is_skipped_with_a_finding(tmp_path: Path) -> None:
    fifo = tmp_path / "incoming.ndjson"
    os.mkfifo(fifo)
    (tmp_path / "good.json").write_text(PATIENT)
    result = run_paths(tmp_path)  # would block forever if the FIFO were opened
    finding = only(result, "FHIR-JSON-017")
    assert "FIFO" in finding.message and finding.file == str(fifo)
    assert result.resources == 1
    result = run_paths(str(tmp_path / "*.ndjson"))
    assert codes(result) == ["FHIR-JSON-017"]


def test_symlink_loop_is_reported_as_a_loop(tmp_path: Path) -> None:
    loop = tmp_path / "a.json"
    loop.symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(loop)
    dangling = tmp_path / "c.json"
    dangling.symlink_to(tmp_path / "missing.json")
    messages = [f.message for f in run_paths(loop, dangling).findings]
    assert any("loop of symbolic links" in m for m in messages), messages
    assert any("link to a file that does not exist" in m for m in messages), messages
    folder_messages = [f.message for f in run_paths(tmp_path).findings]
    assert sum("loop of symbolic links" in m for m in folder_messages) == 2


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-32", "UTF-32LE"), ("utf-32-be", "UTF-32BE"), ("utf-16-le", "UTF-16LE")],
)
def test_wide_encodings_are_named_exactly(tmp_path: Path, encoding: str, name: str) -> None:
    path = tmp_path / "wide.json"
    path.write_bytes(PATIENT.encode(encoding))
    finding = only(run_paths(path), "FHIR-JSON-008")
    assert name in finding.message


def test_bom_on_a_later_ndjson_line_is_reported(tmp_path: Path) -> None:
    export = tmp_path / "joined.ndjson"
    export.write_bytes(PATIENT.encode() + b"\n\xef\xbb\xbf" + PATIENT.replace("ok", "k2").encode())
    result = run_paths(export)
    finding = only(result, "FHIR-JSON-009")
    assert finding.line == 2 and "line" in finding.message
    assert result.resources == 2


def test_input_is_quoted_as_json_and_shortened(tmp_path: Path) -> None:
    path = tmp_path / "odd.ndjson"
    lines = [
        '{"resourceType": true}',
        '{"resourceType": {"a": 1}}',
        '{"resourceType": "' + "X" * 100_000 + '"}',
    ]
    path.write_text("\n".join(lines))
    messages = [f.message for f in run_paths(path).findings if f.code == "FHIR-JSON-006"]
    assert "resourceType true," in messages[0]
    assert 'resourceType {"a": 1},' in messages[1]
    assert len(messages[2]) < 200 and "…" in messages[2]


def test_no_finding_echoes_a_huge_input_value(tmp_path: Path) -> None:
    huge = "x" * 1_000_000
    resource = (
        '{"resourceType": "Patient", "id": "'
        + huge
        + '", "meta": {"profile": ["http://'
        + huge
        + '"]}, "'
        + huge
        + '": 1, "gender": "'
        + huge
        + '"}'
    )
    path = tmp_path / "huge.json"
    path.write_text(resource)
    findings = run_paths(path).findings
    assert len(findings) >= 3
    for finding in findings:
        assert len(finding.message) <= 2000
        assert len(finding.expression or "") <= 1000
        assert len(finding.resource or "") <= 200
    assert any("more characters" in f.message for f in findings)


def test_unreadable_subfolder_is_reported_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pcocheck.inputs.discover as discover_module

    (tmp_path / "good.json").write_text(PATIENT)
    real_walk = os.walk

    def walk(top: Any, onerror: Any = None, **options: Any) -> Any:
        # as os.walk does for a folder it may not list (tests run as root here)
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "locked")))
        return real_walk(top, onerror=onerror, **options)

    monkeypatch.setattr(discover_module.os, "walk", walk)
    result = run_paths(tmp_path)
    finding = only(result, "FHIR-JSON-007")
    assert "locked" in finding.message and "Permission denied" in finding.message
    assert result.resources == 1


def test_endless_line_from_a_stream_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from pcocheck.inputs.discover import InputFile

    monkeypatch.setattr(read, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(read, "MAX_SKIPPED_LINE_BYTES", 10_000)
    monkeypatch.setattr(read, "_CHUNK", 64)

    class Zeros(io.RawIOBase):  # like a FIFO fed from /dev/zero: no newline, no end
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = b"\0" * len(buffer)
            return len(buffer)

    stream = io.BufferedReader(Zeros())
    item = InputFile("stream.ndjson", None, True, False)
    produced = list(read.read_documents(item, stream))
    assert [f.code for f in produced] == ["FHIR-JSON-016"]
    assert "one line of stream.ndjson" in produced[0].message
    assert "rest of the file was not read" in produced[0].message
