"""The FHIR narrative (``Narrative.div``) checks of txt-1 and txt-2.

Kept apart from :mod:`pcocheck.engine.fhirpath_functions` (which needs fhirpathpy) so
that the native invariant checks and the engine load without fhirpathpy: a run whose
invariants are all native or fast never imports it.
"""

from __future__ import annotations

import functools
import html.parser
import re
import xml.parsers.expat
from typing import Final

XHTML_NS: Final = "http://www.w3.org/1999/xhtml"


# -- XHTML narrative -----------------------------------------------------------------------
ALLOWED_ELEMENTS: Final = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "address",
        "area",
        "b",
        "bdo",
        "big",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "kbd",
        "li",
        "map",
        "ol",
        "p",
        "pre",
        "q",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "ul",
        "var",
    }
)
_VOID_ELEMENTS: Final = frozenset({"br", "hr", "img", "col", "area"})
_GLOBAL_ATTRIBUTES: Final = frozenset(
    {"title", "style", "class", "id", "lang", "xml:lang", "dir", "accesskey", "tabindex", "xmlns"}
)
_ELEMENT_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "a": frozenset({"href", "name", "rel", "rev", "shape", "coords", "hreflang", "type"}),
    "img": frozenset({"src", "alt", "longdesc", "height", "width", "usemap", "ismap", "border"}),
    "area": frozenset({"href", "alt", "shape", "coords", "nohref"}),
    "map": frozenset({"name"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "ol": frozenset({"type", "start", "compact"}),
    "ul": frozenset({"type", "compact"}),
    "li": frozenset({"type", "value"}),
    "table": frozenset(
        {
            "summary",
            "width",
            "border",
            "frame",
            "rules",
            "cellspacing",
            "cellpadding",
            "align",
            "bgcolor",
        }
    ),
    "pre": frozenset({"width"}),
}
_TABLE_ATTRIBUTES: Final = frozenset(
    {
        "span",
        "width",
        "align",
        "valign",
        "char",
        "charoff",
        "abbr",
        "axis",
        "headers",
        "scope",
        "rowspan",
        "colspan",
        "nowrap",
        "height",
        "bgcolor",
    }
)
_URL_ATTRIBUTES: Final = frozenset({"href", "src", "longdesc", "cite", "usemap"})


class _NarrativeChecker(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        # how many of each tag are open: "is </i> open anywhere?" in O(1), so a stream of
        # unmatched end tags stays linear (it was quadratic: 100k of them took minutes)
        self.open_counts: dict[str, int] = {}
        self.roots = 0
        self.text_outside = False
        self.content = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, closed=True)

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        if not self.stack:
            self.roots += 1
            if tag != "div":
                self.problems.append(f"the narrative must be a single <div>, not <{tag}>")
            elif dict(attrs).get("xmlns") != XHTML_NS:
                self.problems.append(f'the <div> must declare xmlns="{XHTML_NS}"')
        raw = (self.get_starttag_text() or "")[1:].split(None, 1)[0].rstrip("/>") or tag
        if tag not in ALLOWED_ELEMENTS or raw != tag:
            # XHTML names are case-sensitive (the HTML parser lowercases them).
            self.problems.append(f"element <{raw}> is not allowed in a narrative")
        if tag == "img":
            self.content = True
        allowed = _ELEMENT_ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event attribute {name} on <{tag}> is not allowed")
            elif not (
                name in _GLOBAL_ATTRIBUTES
                or name in allowed
                or (name in _TABLE_ATTRIBUTES and tag in _TABLE_TAGS)
                or name.startswith("xmlns:")
            ):
                self.problems.append(f"attribute {name} on <{tag}> is not allowed")
            if name in _URL_ATTRIBUTES and value is not None:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.problems.append(f"{name} on <{tag}> uses a script URL")
        if not closed and tag not in _VOID_ELEMENTS:
            self.stack.append(tag)
            self.open_counts[tag] = self.open_counts.get(tag, 0) + 1

    def _pop(self) -> str:
        tag = self.stack.pop()
        self.open_counts[tag] -= 1
        return tag

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_ELEMENTS and (not self.stack or self.stack[-1] != tag):
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"end tag </{tag}> does not match the open element")
            if self.open_counts.get(tag, 0) > 0:
                while self.stack and self._pop() != tag:
                    pass
            return
        self._pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            if not self.stack:
                self.text_outside = True
            else:
                self.content = True

    def handle_comment(self, data: str) -> None:
        return

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declarations (<!...>) are not allowed in a narrative")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instructions are not allowed in a narrative")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("CDATA and other declarations are not allowed in a narrative")


_TABLE_TAGS: Final = frozenset(
    {"table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"}
)


def xhtml_markup_problems(text: str) -> list[str]:
    """txt-1 alone: markup problems, ignoring whether the div has content (txt-2)."""
    return [p for p in _xhtml_problems(text) if p != _NO_CONTENT]


def xhtml_has_content(text: str) -> bool:
    """txt-2: some non-whitespace text or an image (markup problems aside)."""
    return _narrative(text)[1]


def xhtml_problems(text: str) -> list[str]:
    """Problems of a FHIR narrative ``div`` (txt-1/txt-2); empty when it is acceptable.

    Checks the basics the HL7 validator enforces: one ``<div>`` root in the XHTML
    namespace, only the HTML 4 formatting elements FHIR allows (no script, style, form,
    iframe, object, ...), no event handler attributes or script URLs, balanced tags and
    some non-whitespace content.
    """
    return list(_xhtml_problems(text))


def _xhtml_problems(text: str) -> tuple[str, ...]:
    return _narrative(text)[0]


@functools.lru_cache(maxsize=1024)
def _narrative(text: str) -> tuple[tuple[str, ...], bool]:
    """(problems, has content) of a narrative div: one parse serves txt-1 and txt-2."""
    if plain_narrative(text):
        return (), True
    return _parsed_narrative(text)


_ROOT_OPEN: Final = f'<div xmlns="{XHTML_NS}">'
_PLAIN_TAG: Final = re.compile(r"<(/?)([a-z][a-z0-9]*)(/?)>")
_PLAIN_SELF_CLOSING: Final = frozenset({"br", "hr"})


# The commonest generated narrative: the root holding one element holding text (no
# ``<``, ``&`` or ``]``). What plain_narrative's loop would conclude of it is decided
# directly (tests/engine/test_plain_narrative.py compares both on random narratives).
_ONE_ELEMENT: Final = re.compile(re.escape(_ROOT_OPEN) + r"<([a-z][a-z0-9]*)>([^<&\]]*)</\1></div>")


def plain_narrative(text: str) -> bool:
    """True when ``text`` is a plain narrative that the full check (HTML parse, XML
    well-formedness, entities) would find correct and with content: the exact root
    ``<div xmlns="…xhtml">``, then only allowed lower-case elements without attributes,
    properly nested (``<br/>``/``<hr/>`` self-closing), text of printable characters with
    no ``&`` and no ``]]>``, and some non-blank text. Generated narratives look like this;
    anything else (False) goes through the full check, which words the problems."""
    one = _ONE_ELEMENT.fullmatch(text)
    if one is not None:
        name, segment = one.groups()
        return (
            name in ALLOWED_ELEMENTS
            and name not in _VOID_ELEMENTS
            and _plain_text(segment)
            and bool(segment.strip())
        )
    return _plain_narrative(text)


def _plain_narrative(text: str) -> bool:
    """:func:`plain_narrative` for any shape (the general loop)."""
    if not text.startswith(_ROOT_OPEN) or not text.endswith("</div>"):
        return False
    body = text[len(_ROOT_OPEN) : -len("</div>")]
    if "&" in body or "]]>" in body:
        return False
    stack: list[str] = []
    content = False
    position = 0
    tags = 0
    for match in _PLAIN_TAG.finditer(body):
        tags += 1
        segment = body[position : match.start()]
        position = match.end()
        if segment and not _plain_text(segment):
            return False
        content = content or bool(segment.strip())
        closing, name, self_closing = match.groups()
        if name not in ALLOWED_ELEMENTS:
            return False
        if closing:
            if self_closing or not stack or stack.pop() != name:
                return False
        elif self_closing:
            if name not in _PLAIN_SELF_CLOSING:
                return False
        elif name in _VOID_ELEMENTS:
            return False  # <br> without '/' is not XML
        else:
            stack.append(name)
    segment = body[position:]
    if segment and not _plain_text(segment):
        return False
    content = content or bool(segment.strip())
    # Every '<' must have been one of the tags above.
    return content and not stack and body.count("<") == tags


def _plain_text(segment: str) -> bool:
    """Text the HTML parser and expat both take as it is: printable, tab and newlines."""
    return segment.isprintable() or (
        segment.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()
    )


def _parsed_narrative(text: str) -> tuple[tuple[str, ...], bool]:
    checker = _NarrativeChecker()
    try:
        checker.feed(text)
        checker.close()
    except (AssertionError, ValueError) as error:  # malformed markup
        # Unparseable markup is txt-1's finding, not a missing content (txt-2).
        return (f"the narrative is not well-formed XHTML ({error})",), True
    problems = list(dict.fromkeys(checker.problems))
    if checker.roots == 0:
        problems.append("the narrative has no <div> element")
    elif checker.roots > 1:
        problems.append("the narrative must have a single root <div>")
    if checker.text_outside:
        problems.append("text outside the root <div>")
    if checker.stack:
        problems.append(f"unclosed element <{checker.stack[-1]}>")
    entity_problems = _entity_problems(text)
    problems.extend(entity_problems)
    if not problems:
        problems.extend(_xml_problems(text))
    if not checker.content and not problems:
        problems.append(_NO_CONTENT)
    return tuple(problems), checker.content


_NO_CONTENT: Final = "the narrative has no content"
# XHTML is XML: only XML's five predefined entities and numeric character references exist
# (no DTD is declared), so HTML entities such as &reg; or &nbsp; make the div invalid.
_XML_ENTITIES: Final = frozenset({"lt", "gt", "amp", "quot", "apos"})
_ENTITY: Final = re.compile(r"&(#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)?")


def _xml_problems(text: str) -> list[str]:
    """Well-formedness as XML: the narrative is XHTML, so ``<br>`` must be ``<br/>``,
    attribute values quoted and tags closed in order (the lenient HTML parser above
    accepts all of these). Declarations are refused before this point, so no DTD or
    external entity is ever processed."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as error:
        reason = xml.parsers.expat.ErrorString(error.code)
        return [
            f"the narrative is not well-formed XHTML ({reason} at line {error.lineno}, "
            f"column {error.offset + 1})"
        ]
    return []


def _entity_problems(text: str) -> list[str]:
    problems: list[str] = []
    for match in _ENTITY.finditer(text):
        reference = match.group(1)
        if reference is None:
            problems.append("a bare '&' must be written &amp; in XHTML")
        elif not reference.startswith("#") and reference[:-1] not in _XML_ENTITIES:
            problems.append(
                f"the entity &{reference} is not defined in XHTML (only &lt; &gt; &amp; "
                "&quot; &apos; and numeric references such as &#174; are allowed)"
            )
    return list(dict.fromkeys(problems))
