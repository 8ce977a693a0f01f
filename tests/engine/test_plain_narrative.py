"""The plain-narrative shortcut of txt-1/txt-2 (engine/narrative.py) against the full
check: whatever the shortcut accepts, the full HTML + XML check must find correct and
with content. Random narratives from a grammar of good and bad pieces."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pcocheck.engine.narrative import (
    _narrative,
    _parsed_narrative,
    _plain_narrative,
    plain_narrative,
)

ROOT = '<div xmlns="http://www.w3.org/1999/xhtml">'
PIECES = [
    "text",
    " ",
    "\n",
    "\t",
    "a > b",
    "a < b",
    "&amp;",
    "&nbsp;",
    "&",
    "]]>",
    "\x01",
    "\u00a0",
    "é",
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<br/>",
    "<br>",
    "<hr/>",
    "<img/>",
    "<P>",
    "</P>",
    "<p >",
    "<span>",
    "</span>",
    "<script>",
    "</script>",
    "<div>",
    "</div>",
    "<p/>",
    "</br/>",
    "<!-- c -->",
    "<table>",
    "</table>",
    "<a>",
    "</a>",
    "<blink>",
    "</blink>",
]


GOOD = ["text", " ", "\n", "a > b", "é", "<br/>", "<hr/>"]
PAIRS = [("<p>", "</p>"), ("<b>", "</b>"), ("<span>", "</span>"), ("<table>", "</table>")]


def _good_body(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randrange(1, 4)):
        if depth < 3 and rng.random() < 0.4:
            opening, closing = rng.choice(PAIRS)
            parts.append(opening + _good_body(rng, depth + 1) + closing)
        else:
            parts.append(rng.choice(GOOD))
    return "".join(parts)


def _random_narrative(rng: random.Random) -> str:
    if rng.random() < 0.5:
        body = _good_body(rng)
        if rng.random() < 0.5:  # one random piece somewhere: often breaks it
            cut = rng.randrange(len(body) + 1)
            body = body[:cut] + rng.choice(PIECES) + body[cut:]
    else:
        body = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 8)))
    if rng.random() < 0.1:
        return body
    prefix = ROOT if rng.random() < 0.9 else '<div xmlns="http://www.w3.org/1999/xhtml" >'
    suffix = "</div>" if rng.random() < 0.9 else "</div> "
    return prefix + body + suffix


def test_whatever_the_shortcut_accepts_the_full_check_accepts() -> None:
    rng = random.Random(7)
    accepted = 0
    for _ in range(4000):
        text = _random_narrative(rng)
        if plain_narrative(text):
            accepted += 1
            assert _parsed_narrative(text) == ((), True), text
    assert accepted > 100  # the grammar reaches the shortcut often


def test_typical_narratives_take_the_shortcut() -> None:
    assert plain_narrative(f"{ROOT}<p>GAS goal <b>1</b></p></div>")
    assert plain_narrative(f"{ROOT}Line one<br/>line two</div>")
    assert not plain_narrative(f"{ROOT}<p>x</p>")  # not closed
    assert not plain_narrative(f"{ROOT}<p> </p></div>")  # no content: the full check says so
    assert not plain_narrative(f'{ROOT}<p class="x">y</p></div>')  # attributes: full check
    assert _narrative(f"{ROOT}<p> </p></div>") == (("the narrative has no content",), False)


# -- the one-element shortcut of plain_narrative against its general loop -------------------
_NAMES = st.sampled_from(["p", "b", "span", "br", "hr", "img", "div", "script", "P", "h1", "x9"])
_SEGMENTS = st.lists(
    st.sampled_from([*"ab <>&]/\n\t\r\x01\u00a0é\u2028", "]]>", "&amp;"]), max_size=12
).map("".join)


@given(name=_NAMES, segment=_SEGMENTS, closing=_NAMES)
@settings(max_examples=400, deadline=None)
def test_one_element_shortcut_agrees_with_the_general_loop(
    name: str, segment: str, closing: str
) -> None:
    text = f"{ROOT}<{name}>{segment}</{closing}></div>"
    assert plain_narrative(text) is _plain_narrative(text)


def test_one_element_shortcut_on_the_random_grammar() -> None:
    rng = random.Random(11)
    for _ in range(4000):
        text = _random_narrative(rng)
        assert plain_narrative(text) is _plain_narrative(text), text
