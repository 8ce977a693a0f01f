"""Positions without the full index: inputs/seek.py must give exactly the offsets of the
full scan (nearest_offset over build_index) for every path of every fixture, for paths
that do not exist (their nearest ancestor), and give up (None) where it cannot tell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcocheck.finding import JsonPath
from pcocheck.inputs.locate import build_index, nearest_offset
from pcocheck.inputs.seek import Seeker
from pcocheck.inputs.source import SourceText
from tests.conftest import FIXTURES


def _documents() -> list[Path]:
    files = sorted(p for p in FIXTURES.rglob("*.json") if p.is_file())
    assert len(files) > 100
    return files


def _probe_paths(paths: list[JsonPath]) -> list[JsonPath]:
    """Every indexed path, plus absent children of some (nearest-ancestor answers)."""
    probes = list(paths)
    for path in paths[::7]:
        probes.extend([(*path, "absentKey"), (*path, 99999), (*path, 0, "x")])
    return probes


def test_every_path_of_every_fixture_has_the_offset_of_the_full_scan() -> None:
    compared = 0
    for file in _documents():
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            continue  # an unreadable fixture: no positions are asked for
        index = build_index(text)
        seeker = Seeker(text)
        for path in _probe_paths(list(index.offsets)):
            found = seeker.offset(path)
            if found is None:
                break  # given up (broken JSON, duplicates): the caller uses the full index
            assert found == nearest_offset(index, path), (file, path)
            compared += 1
    assert compared > 10_000


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": {"b": [1, 2]}}',  # duplicate keys
        '{"a": {"b": [1, 2',  # truncated inside the path
        '{"a" 1}',  # broken
    ],
)
def test_it_gives_up_where_only_the_full_scan_knows(text: str) -> None:
    seeker = Seeker(text)
    assert seeker.offset(("a", "b", 1)) is None
    assert seeker.offset(()) is None  # given up for good


def test_a_source_answers_like_the_full_index_and_builds_it_only_when_needed() -> None:
    resource = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "name": [{"family": f"F{i}"}]}}
            for i in range(50)
        ],
    }
    text = json.dumps(resource, indent=2)
    source = SourceText("b.json", text)
    full = SourceText("b.json", text)
    assert full.index is not None
    for path in [(), ("entry", 49, "resource", "name", 0, "family"), ("entry", 3, "nope")]:
        assert source.position(path) == full.position(path)
    assert source._index is None
    text_with_escapes = '{"a\\u0062": {"c\\"d": [ {"e": "x\\"y"} ]}}'
    escaped = SourceText("e.json", text_with_escapes)
    assert escaped.position(("ab", 'c"d', 0, "e")) == (1, 25)  # the key "e"
    assert escaped._index is None
