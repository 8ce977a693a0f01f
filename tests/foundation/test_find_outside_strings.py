"""Where a bare token (NaN, Infinity) stands outside JSON strings: the same answer as a
plain scan string by string, on texts with many strings before the token."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pcocheck.inputs.locate import find_outside_strings, string_end


def scan_string_by_string(text: str, token: str, start: int = 0) -> int:
    """The reference: look for the token and the next string afresh after every string."""
    pos = start
    while True:
        hit = text.find(token, pos)
        quote = text.find('"', pos)
        if hit == -1 or quote == -1 or hit < quote:
            return hit
        end = string_end(text, quote)
        if end < 0:
            return -1
        pos = end


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(['"', "\\", "NaN", "N", "a", " ", ",", ':"NaN"', '\\"']), max_size=40
    ),
    start=st.integers(min_value=0, max_value=5),
)
def test_the_same_answer_as_a_scan_string_by_string(parts: list[str], start: int) -> None:
    text = "".join(parts)
    assert find_outside_strings(text, "NaN", start) == scan_string_by_string(text, "NaN", start)


def test_a_token_after_many_strings_and_one_inside_a_string() -> None:
    entries = ", ".join(f'{{"id": "e{n}", "note": "no NaN here"}}' for n in range(30_000))
    text = f'{{"entry": [{entries}], "value": NaN}}'
    assert find_outside_strings(text, "NaN") == text.index(": NaN") + 2
    assert find_outside_strings(text[: text.index(', "value"')], "NaN") == -1
    assert find_outside_strings('{"a": "unclosed NaN', "NaN") == -1


class CountingText(str):
    """A text that counts how often it is searched for the token (the quadratic scan
    searched once per string, each search running on to the token)."""

    token_searches = 0

    def find(self, sub: str, *args: int) -> int:  # type: ignore[override]
        if sub == "NaN":
            CountingText.token_searches += 1
        return super().find(sub, *args)


def test_the_token_is_searched_again_only_when_a_string_passed_over_it() -> None:
    entries = ", ".join(f'{{"id": "e{n}"}}' for n in range(1_000))
    text = CountingText(f'{{"note": "a NaN in a string", "entry": [{entries}], "v": NaN}}')
    CountingText.token_searches = 0
    assert find_outside_strings(text, "NaN") == text.index(": NaN") + 2
    assert CountingText.token_searches == 2  # the one in "note", then the bare one
