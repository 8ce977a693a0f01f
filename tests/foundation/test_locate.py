"""Positions come from a lazy scan that must agree with the parsed structure."""

from __future__ import annotations

import json

from pcocheck.inputs.locate import build_index
from pcocheck.inputs.source import SourceText

TEXT = """{
  "resourceType": "Bundle",
  "entry": [
    {"fullUrl": "urn:x", "resource": {"resourceType": "Goal",
      "extension": [ {"url": "a"}, {"url": "b\\"q", "valueString": "x,]}"} ]}},
    {},
    []
  ],
  "k\\u00e9y": [[1, 2], {"n": null}],
  "empty": {}
}"""


def test_every_path_of_the_document_is_indexed() -> None:
    value = json.loads(TEXT)
    index = build_index(TEXT)

    def walk(node: object, path: tuple[str | int, ...]) -> None:
        assert path in index.offsets, path
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, (*path, i))

    walk(value, ())


def test_positions_are_one_based_line_and_column() -> None:
    source = SourceText("f.json", TEXT)
    assert source.position(()) == (1, 1)
    assert source.position(("entry", 0, "resource", "extension", 1)) == (5, 36)
    column = TEXT.splitlines()[4].index('"valueString"') + 1
    assert source.position(("entry", 0, "resource", "extension", 1, "valueString")) == (5, column)
    assert source.position(("kéy", 1, "n")) == (9, TEXT.splitlines()[8].index('"n"') + 1)
    # A path that does not exist falls back to its nearest existing ancestor.
    assert source.position(("entry", 0, "resource", "nothing", 3)) == (4, 26)


def test_duplicates_are_found_with_positions() -> None:
    source = SourceText("d.json", '{"a": 1,\n "b": {"c": 1, "c": 2},\n "a": 3}')
    assert source.duplicate_keys() == [(("b", "c"), 2, 16), (("a",), 3, 2)]


def test_ndjson_record_positions_use_file_line() -> None:
    source = SourceText("x.ndjson", '{"resourceType": "Basic", "id": "q"}', first_line=41)
    assert source.position(("id",)) == (41, 27)


def test_broken_text_does_not_raise() -> None:
    for text in ('{"a": [1, 2', '{"a" 1}', "[", "", '{"a": "unterminated', "}"):
        build_index(text)
