"""The lazy position index answers exactly as the full index, on every fixture, for
every element path and for paths below them that do not exist; where it cannot vouch
for an answer (a repeated key, text that is not JSON) it says so and the full index
answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcocheck.inputs.locate import LazyIndex, UnsureOffset, build_index, nearest_offset
from pcocheck.inputs.source import SourceText

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _utf8(path: Path) -> bool:
    try:
        path.read_text("utf-8")
    except UnicodeDecodeError:
        return False  # no document, so no positions to find
    return True


FILES = [p for p in sorted(FIXTURES.rglob("*.json")) if _utf8(p)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_lazy_index_gives_the_full_index_offsets(path: Path) -> None:
    text = path.read_text("utf-8")
    full = build_index(text)
    lazy = LazyIndex(text)
    for element in list(full.offsets)[:4000]:
        for probe in (element, (*element, "absent"), (*element, 10**6)):
            try:
                got = lazy.offset(probe)
            except UnsureOffset:
                break  # the source falls back to the full index (tested below)
            assert got == nearest_offset(full, probe), probe


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"a": 1, "a": {"b": 2}}', ("a", "b")),  # a repeated key
        ('{"a": [1, 2', ("a", 1)),  # broken JSON
        ('{"a": {"b": NaN}, "c": 1}', ("c",)),  # not JSON, but scanned past
    ],
)
def test_where_the_lazy_index_is_unsure_the_source_uses_the_full_index(
    text: str, path: tuple[str | int, ...]
) -> None:
    expected = SourceText("f.json", text)
    expected.index  # noqa: B018 - the full index first
    assert SourceText("f.json", text).position(path) == expected.position(path)


def test_a_large_bundle_is_scanned_only_along_the_paths_asked_for() -> None:
    entries = ",\n".join(
        f'{{"fullUrl": "urn:uuid:{i}", "resource": {{"resourceType": "Basic", "id": "b{i}"}}}}'
        for i in range(500)
    )
    text = f'{{"resourceType": "Bundle",\n"entry": [\n{entries}\n]}}'
    source = SourceText("b.json", text)
    line, column = source.position(("entry", 321, "resource", "id"))
    assert line == 324 and column is not None
    assert text.splitlines()[line - 1][column - 1 :].startswith('"id": "b321"')
    lazy = source._lazy
    assert lazy is not None and source._index is None
    assert set(lazy._levels) == {(), ("entry",), ("entry", 321), ("entry", 321, "resource")}
