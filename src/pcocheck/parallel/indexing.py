"""The first pass of a parallel run over one NDJSON chunk, with only the work the run-wide
index needs per record.

The first pass reads every record once more before the checks do; in a bulk export
nearly every line is one plain resource, of which the index keeps ``Type/id``, the line
and the claimed profiles (and a conformance resource's canonical URL). Such a line is
parsed exactly as the reader parses it (same decoder, same limits) and indexed straight
from the parsed dict — no source text object, document, anchor or view is made — unless
a checker's first-pass hook looks at its resource type. Every other line (a Bundle, a
byte order mark, another encoding, invalid JSON or UTF-8, JSON that is no resource) goes
the reader's whole way (:meth:`ChunkReading.record`, :func:`views_to_index`), so the
index, the hooks' state and the entry count are those of the general first pass
(tests/parallel/test_indexing.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.inputs.first_pass import views_to_index

# The reader's own decoder (see ChunkReading in .shards: a chunk parses each record as the
# whole-file reader does).
from pcocheck.inputs.read import _PARSER
from pcocheck.inputs.source import SourceText
from pcocheck.jsonutil import decode_bounded
from pcocheck.parallel.shards import ChunkReading, plain_text
from pcocheck.resolution import CANONICAL_TYPES, RunIndex
from pcocheck.resolution.identity import shared_claims
from pcocheck.view import Anchor, ResourceView


def watched_types(indexers: Iterable[Any]) -> frozenset[str] | None:
    """The resource types the checkers' first-pass hooks look at (each declares them as
    ``prescan_types``), or None when one does not say (then every record gets a view)."""
    watched: set[str] = set()
    for checker in indexers:
        types = getattr(checker, "prescan_types", None)
        if types is None:
            return None
        watched.update(types)
    return frozenset(watched)


def index_chunk(
    reading: ChunkReading,
    index: RunIndex,
    file: str,
    watched: frozenset[str],
    hooks: list[Callable[[ResourceView], None]],
    index_view: Callable[[ResourceView], None],
) -> None:
    """Index every record of ``reading``'s chunk into ``index`` (``file``: the chunk's
    file name, interned); a record of a ``watched`` type is also shown to ``hooks``;
    ``index_view`` indexes a view the general way (lines not taken the short way)."""
    anchor = Anchor(source=None, file=file)
    decoder = _PARSER.quick  # what parse_text uses for the first pass (no duplicate check)
    add = index.add_row
    canonicals = index.canonicals
    try:
        for line_number, raw in reading.lines():
            value: Any = None
            text = plain_text(raw)
            if text is not None:
                try:
                    value = decode_bounded(decoder, text)
                except ValueError:  # invalid JSON, beyond the limits: the long way
                    value = None
            rtype = value.get("resourceType") if type(value) is dict else None
            if type(rtype) is not str or rtype == "Bundle" or rtype not in R4_RESOURCE_TYPES:
                for view in views_to_index(reading.record(raw, line_number, anchor)):
                    index_view(view)
                continue
            assert isinstance(value, dict)
            rid = value.get("id")
            if isinstance(rid, str) and rid:  # as identity_row
                add(f"{rtype}/{rid}", file, line_number, None, None, shared_claims(_claims(value)))
            if rtype in CANONICAL_TYPES:  # as canonical_of
                url = value.get("url")
                if isinstance(url, str):
                    canonicals.setdefault(url.split("|", 1)[0], rtype)
            if rtype in watched:  # the view views_to_index makes of a plain record
                assert text is not None
                source = SourceText(file, text, first_line=line_number, record=True)
                label = f"{rtype}/{rid}" if isinstance(rid, str) else rtype
                view = ResourceView(value, Anchor(source, file, rtype, (), None, label))
                for hook in hooks:
                    hook(view)
    except (OSError, EOFError):
        return  # the general reading ends there too (its read error is the checks' finding)


def _claims(resource: dict[str, Any]) -> tuple[str, ...]:
    """:attr:`ResourceView.claimed_profiles` of a resource, as a tuple."""
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return ()
    profiles = meta.get("profile")
    if not isinstance(profiles, list):
        return ()
    return tuple(p for p in profiles if isinstance(p, str))
