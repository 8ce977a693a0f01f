"""Escaping of input text for reports."""

from __future__ import annotations

import pytest

from pcocheck.reporting.text import encodable, encodable_tree, printable, xml_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain Goal/g1", "plain Goal/g1"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("line\nPASSED", "line\\nPASSED"),
        ("cr\rtab\t", "cr\\rtab\\t"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),
        ("lone \ud800 half", "lone \\ud800 half"),
        ("byte \udcff from a file name", "byte \\xff from a file name"),
        ("bidi \u202e override \u2066", "bidi \\u202e override \\u2066"),
        ("astral 😀 and é stay", "astral 😀 and é stay"),
    ],
)
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    printable(raw).encode("utf-8")  # always encodable


def test_encodable_keeps_controls_for_formats_that_escape_them() -> None:
    assert encodable("a\nb\ud800") == "a\nb\\ud800"
    tree = encodable_tree({"k\udc80": ["x\udfff", 1, None, {"y": "\ud83d"}]})
    assert tree == {"k\\x80": ["x\\udfff", 1, None, {"y": "\\ud83d"}]}


def test_xml_safe_keeps_newlines_and_escapes_what_xml_cannot_carry() -> None:
    assert xml_safe("a\nb\tc\x00d\x1be\ud800\ufffe") == "a\nb\tc\\x00d\\x1be\\ud800\\ufffe"
