"""Resolving references inside one Bundle, by FHIR R4's rules (Bundle §"Resolving
references in Bundles") with the HL7 reference validator's severities.

- An absolute reference (``http…``, ``urn:uuid:``, ``urn:oid:``) matches entries by fullUrl.
- A relative ``Type/id`` is resolved against the server base of the referring entry's
  fullUrl when that is a RESTful URL; when no entry has the resolved URL, an entry with that
  type and id is used, with a warning that its fullUrl does not give the resolved URL.
- ``…/_history/N`` matches only the entry whose ``meta.versionId`` is N.
- Two or more matches are an error naming them; nothing is ever picked silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from pcocheck.engine.frozen_init import quick_init
from pcocheck.engine.references import parse_reference, restful_base
from pcocheck.finding import JsonPath
from pcocheck.inputs.stream import SlimBundle
from pcocheck.jsonutil import listed


class BundleEntry(NamedTuple):
    """One entry of a Bundle's scope. A named tuple, not a dataclass: every process of a
    parallel run builds one per entry of a large Bundle (10,000: about 20 ms as frozen
    dataclasses, whose fields are set one by one through ``object.__setattr__``)."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, never called on an entry
    full_url: str | None
    key: str | None  # "Type/id" of the resource
    version: str | None  # meta.versionId
    held: dict[str, Any] | None  # the resource, or None: parsed from ``slim`` when asked
    slim: SlimBundle | None = None

    @property
    def resource(self) -> dict[str, Any]:
        if self.held is not None:
            return self.held
        assert self.slim is not None
        resource = self.slim.resource_at(self.index)
        assert isinstance(resource, dict)  # only dict resources are indexed
        return resource


@quick_init
@dataclass(frozen=True, slots=True)
class LocalMatch:
    """What a Bundle says about a reference.

    ``status``: ``found`` (one entry, ``entry``), ``found-by-id`` (one entry matched by
    type and id only: a warning), ``multiple`` (error), ``version-mismatch`` (entries with
    that type and id exist, none with the version), ``absent`` (not in this Bundle).
    """

    status: str
    entry: BundleEntry | None = None
    candidates: tuple[BundleEntry, ...] = ()
    resolved_url: str | None = None


class BundleScope:
    """The entries of one Bundle by fullUrl and by ``Type/id``.

    Built once per Bundle per document; the document state that holds it (see
    :class:`pcocheck.resolution.Resolver`) is dropped when the next document starts.
    """

    __slots__ = ("by_full_url", "by_key", "duplicates", "entries", "history", "path")

    def __init__(self, bundle: dict[str, Any], path: JsonPath = ()) -> None:
        self.path = path  # where the Bundle sits in its document
        self.entries: list[BundleEntry] = []
        # One entry, or a list when several share the fullUrl / Type/id (rare): a large
        # Bundle costs one dict slot per entry, not a list.
        self.by_full_url: dict[str, BundleEntry | list[BundleEntry]] = {}
        self.by_key: dict[str, BundleEntry | list[BundleEntry]] = {}
        self.duplicates: list[tuple[int, str]] = []
        self.history = bundle.get("type") == "history"
        # A large Bundle's entries hold stubs (type, id, versionId): resources are parsed
        # when a reference resolves to them (see pcocheck.inputs.stream).
        slim = bundle if isinstance(bundle, SlimBundle) else None
        by_full_url, by_key, entries = self.by_full_url, self.by_key, self.entries
        for index, raw in enumerate(listed(bundle.get("entry"))):
            if not isinstance(raw, dict):
                continue
            resource = raw.get("resource")
            if not isinstance(resource, dict):
                continue
            full_url = raw.get("fullUrl")
            if not isinstance(full_url, str):
                full_url = None
            meta = resource.get("meta")
            version = meta.get("versionId") if isinstance(meta, dict) else None
            if not isinstance(version, str):
                version = None
            rtype, rid = resource.get("resourceType"), resource.get("id")
            key = f"{rtype}/{rid}" if isinstance(rtype, str) and isinstance(rid, str) else None
            entry = (
                BundleEntry(index, full_url, key, version, resource)
                if slim is None
                else BundleEntry(index, full_url, key, version, None, slim)
            )
            entries.append(entry)
            if full_url is not None:
                # bdl-7: a fullUrl may repeat only with different versionIds (or in history).
                # The earlier entries with this fullUrl are those of by_full_url.
                earlier = by_full_url.get(full_url)
                if earlier is None:
                    by_full_url[full_url] = entry
                else:
                    if not self.history and any(e.version == version for e in _listed(earlier)):
                        self.duplicates.append((index, full_url))
                    _put(by_full_url, full_url, entry)
            if key is not None:
                if key in by_key:
                    _put(by_key, key, entry)
                else:
                    by_key[key] = entry

    def entry_path(self, entry: BundleEntry) -> JsonPath:
        return (*self.path, "entry", entry.index, "resource")

    def match(self, reference: str, from_full_url: str | None) -> LocalMatch:
        parsed = parse_reference(reference)
        if parsed.kind == "urn" or (parsed.kind == "canonical-like" and ":" in reference):
            return self._pick(_get(self.by_full_url, reference), None, reference)
        if parsed.kind == "absolute":
            url = parsed.unversioned
            return self._pick(_get(self.by_full_url, url), parsed.version, url)
        if parsed.kind != "relative" or parsed.key is None:
            return LocalMatch("absent")
        base = restful_base(from_full_url)
        resolved = f"{base}/{parsed.key}" if base else None
        if resolved is not None:
            found = self._pick(_get(self.by_full_url, resolved), parsed.version, resolved)
            if found.status != "absent":
                return found
        # No entry has the resolved URL: the HL7 validator then matches by type and id,
        # with a warning, and uses that entry.
        by_id = self._pick(_get(self.by_key, parsed.key), parsed.version, resolved)
        if by_id.status == "found":
            return LocalMatch("found-by-id", by_id.entry, resolved_url=resolved)
        return by_id

    def _pick(self, entries: list[BundleEntry], version: str | None, url: str | None) -> LocalMatch:
        if not entries:
            return LocalMatch("absent", resolved_url=url)
        if version is not None:
            versioned = [e for e in entries if e.version == version]
            if not versioned:
                return LocalMatch("version-mismatch", candidates=tuple(entries), resolved_url=url)
            entries = versioned
        if len(entries) > 1 and not self.history:
            return LocalMatch("multiple", candidates=tuple(entries), resolved_url=url)
        return LocalMatch("found", entries[0], resolved_url=url)


def _put(table: dict[str, BundleEntry | list[BundleEntry]], key: str, entry: BundleEntry) -> None:
    known = table.get(key)
    if known is None:
        table[key] = entry
    elif isinstance(known, list):
        known.append(entry)
    else:
        table[key] = [known, entry]


def _get(table: dict[str, BundleEntry | list[BundleEntry]], key: str) -> list[BundleEntry]:
    known = table.get(key)
    if known is None:
        return []
    return _listed(known)


def _listed(known: BundleEntry | list[BundleEntry]) -> list[BundleEntry]:
    return known if isinstance(known, list) else [known]
