"""Reference strings: parsing (contained, relative ``Type/id``, absolute RESTful URLs,
``urn:uuid``/``urn:oid``, versioned ``…/_history/N``). Resolution lives in
:mod:`pcocheck.resolution`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from pcocheck.engine.frozen_init import quick_init
from pcocheck.fhir_types import R4_RESOURCE_TYPES

_RELATIVE = re.compile(
    r"^(?:(?P<base>.+)/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-\.]{1,64})"
    r"(?:/_history/(?P<version>[A-Za-z0-9\-\.]{1,64}))?$"
)
_ABSOLUTE_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/]+")


@quick_init
@dataclass(frozen=True, slots=True)
class ParsedReference:
    kind: str  # contained | relative | absolute | urn | canonical-like | invalid
    type: str | None = None
    id: str | None = None
    base: str | None = None  # the server base of an absolute RESTful reference
    version: str | None = None  # the N of …/_history/N

    @property
    def key(self) -> str | None:
        return f"{self.type}/{self.id}" if self.type and self.id else None

    @property
    def unversioned(self) -> str:
        """The reference without ``/_history/N``."""
        key = self.key or ""
        return f"{self.base}/{key}" if self.base else key


# Memoised: the engine, the resolver and the rules parse the same strings. Key: the
# reference text; lifetime: the process, at most 2,048 entries (least recently used go).
@lru_cache(maxsize=2048)
def parse_reference(reference: str) -> ParsedReference:
    if reference.startswith("#"):
        return ParsedReference("contained", id=reference[1:] or None)
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return ParsedReference("urn")
    match = _RELATIVE.match(reference)
    if match is not None and match.group("type") in R4_RESOURCE_TYPES:
        base = match.group("base")
        kind = "absolute" if base else "relative"
        return ParsedReference(
            kind,
            type=match.group("type"),
            id=match.group("id"),
            base=base,
            version=match.group("version"),
        )
    if re.match(r"^[a-z][a-z0-9+.\-]*:", reference):
        return ParsedReference("canonical-like")
    return ParsedReference("invalid")


@lru_cache(maxsize=1024)  # key: the fullUrl text; lifetime: the process, bounded
def restful_base(full_url: str | None) -> str | None:
    """The server base of a RESTful fullUrl (``http://x/fhir`` of
    ``http://x/fhir/Goal/1``), or None for urn:uuid / non-RESTful fullUrls."""
    if not full_url:
        return None
    parsed = parse_reference(full_url)
    if parsed.kind == "absolute" and parsed.base and _ABSOLUTE_URL.match(parsed.base):
        return parsed.base
    return None


_ANY_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S")


def is_absolute_url(text: str) -> bool:
    """An absolute URI (RFC 3986: a scheme, ``:`` and more): ``https://host/…``,
    ``urn:uuid:…``, ``urn:oid:…`` or another scheme such as SMART Health Cards'
    ``resource:0``, which the reference validator accepts as a fullUrl too."""
    return bool(_ABSOLUTE_URL.match(text)) or _ANY_SCHEME.match(text) is not None


def resource_key(resource: dict[str, Any]) -> str | None:
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and isinstance(rid, str):
        return f"{rtype}/{rid}"
    return None


def find_contained(resource: dict[str, Any], local_id: str) -> dict[str, Any] | None:
    contained = resource.get("contained")
    if not isinstance(contained, list):
        return None
    for item in contained:
        if isinstance(item, dict) and item.get("id") == local_id:
            return item
    return None
