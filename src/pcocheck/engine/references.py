"""Reference strings: parsing, and resolution inside a resource (contained) and a
Bundle (fullUrl, relative ``Type/id``, absolute URLs, ``urn:uuid``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pcocheck.fhir_types import R4_RESOURCE_TYPES

_RELATIVE = re.compile(
    r"^(?:(?P<base>.+)/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-\.]{1,64})"
    r"(?:/_history/(?P<version>[A-Za-z0-9\-\.]{1,64}))?$"
)


@dataclass(frozen=True, slots=True)
class ParsedReference:
    kind: str  # contained | relative | absolute | urn | canonical-like | invalid
    type: str | None = None
    id: str | None = None
    base: str | None = None


def parse_reference(reference: str) -> ParsedReference:
    if reference.startswith("#"):
        return ParsedReference("contained", id=reference[1:] or None)
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        return ParsedReference("urn")
    match = _RELATIVE.match(reference)
    if match is not None and match.group("type") in R4_RESOURCE_TYPES:
        base = match.group("base")
        kind = "absolute" if base else "relative"
        return ParsedReference(kind, type=match.group("type"), id=match.group("id"), base=base)
    if re.match(r"^[a-z][a-z0-9+.\-]*:", reference):
        return ParsedReference("canonical-like")
    return ParsedReference("invalid")


def resource_key(resource: dict[str, Any]) -> str | None:
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and isinstance(rid, str):
        return f"{rtype}/{rid}"
    return None


class BundleIndex:
    """Lookup of a Bundle's entry resources by fullUrl and by ``Type/id``."""

    __slots__ = ("by_full_url", "by_key", "duplicates", "entry_of")

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.by_full_url: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}
        self.entry_of: dict[int, int] = {}
        self.duplicates: list[tuple[int, str]] = []
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            return
        # bdl-7: a fullUrl may repeat only with different versionIds (or in history).
        seen: set[tuple[str, Any]] = set()
        history = bundle.get("type") == "history"
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            self.entry_of[id(resource)] = index
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str):
                meta = resource.get("meta")
                version = meta.get("versionId") if isinstance(meta, dict) else None
                if (full_url, version) in seen and not history:
                    self.duplicates.append((index, full_url))
                seen.add((full_url, version))
                self.by_full_url.setdefault(full_url, resource)
            key = resource_key(resource)
            if key is not None:
                self.by_key.setdefault(key, resource)

    def resolve(self, reference: str, from_full_url: str | None = None) -> dict[str, Any] | None:
        direct = self.by_full_url.get(reference)
        if direct is not None:
            return direct
        parsed = parse_reference(reference)
        if parsed.kind == "relative" and from_full_url and "/" in from_full_url:
            # Relative to the server base of the referring entry's fullUrl.
            match = _RELATIVE.match(from_full_url)
            if match is not None and match.group("base"):
                absolute = self.by_full_url.get(f"{match.group('base')}/{reference}")
                if absolute is not None:
                    return absolute
        if parsed.kind in ("relative", "absolute") and parsed.type and parsed.id:
            return self.by_key.get(f"{parsed.type}/{parsed.id}")
        return None


def find_contained(resource: dict[str, Any], local_id: str) -> dict[str, Any] | None:
    contained = resource.get("contained")
    if not isinstance(contained, list):
        return None
    for item in contained:
        if isinstance(item, dict) and item.get("id") == local_id:
            return item
    return None
