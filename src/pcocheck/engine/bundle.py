"""Bundle-level checks that need the whole Bundle: fullUrl (present outside transactions
and batches, absolute, and agreeing with the resource's type and id), duplicate fullUrls
and per-entry request presence (with the entry's own position, which the bdl-* invariants
cannot give). Run for every Bundle at its own level: a document, a Bundle in an entry, one
in an NDJSON record.
"""

from __future__ import annotations

import re
from typing import Any

from pcocheck.engine.references import is_absolute_url, parse_reference
from pcocheck.engine.searchset import check_searchset
from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding, JsonPath
from pcocheck.resolution.bundle import BundleScope
from pcocheck.view import ResourceView

_NEEDS_REQUEST = frozenset({"transaction", "batch", "history"})
_NO_REQUEST = frozenset({"document", "message", "collection", "searchset"})
# R4 Bundle.entry.fullUrl: "SHALL have a value except that fullUrl can be empty on a POST";
# like the reference validator, transactions and batches (and their responses) may omit it.
_FULL_URL_OPTIONAL = frozenset({"transaction", "transaction-response", "batch", "batch-response"})


def check_bundle(
    view: ResourceView, bundle: dict[str, Any], scope: BundleScope, rel_base: JsonPath = ()
) -> list[Finding]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    raw_type = bundle.get("type")
    bundle_type = raw_type if isinstance(raw_type, str) else None
    findings: list[Finding] = []
    for position, full_url in scope.duplicates:
        findings.append(
            view.finding(
                "FHIR-BUNDLE-002",
                f"Bundle.entry[{position}].fullUrl {full_url} is used by an earlier entry too",
                (*rel_base, "entry", position, "fullUrl"),
            )
        )
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        findings.extend(_check_entry(view, position, entry, bundle_type, rel_base))
    if bundle_type == "document":
        findings.extend(_check_document_reachability(view, scope, rel_base))
    if bundle_type == "searchset":
        findings.extend(check_searchset(view, bundle, rel_base))
    return findings


def _references_in(node: Any) -> list[str]:
    """Every Reference.reference string inside a resource (contained ones included)."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            reference = item.get("reference")
            if isinstance(reference, str) and not reference.startswith("#"):
                found.append(reference)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return found


def _check_document_reachability(
    view: ResourceView, scope: BundleScope, rel_base: JsonPath
) -> list[Finding]:
    """R4 documents.html: a document is the Composition and the resources it refers to;
    an entry that no chain of references (followed forward or backward) links to the
    Composition does not belong to it (the reference validator: "isn't reachable")."""
    entries = scope.entries
    if len(entries) < 2 or entries[0].index != 0:
        return []
    links: dict[int, set[int]] = {e.index: set() for e in entries}
    for entry in entries:
        for reference in _references_in(entry.resource):
            match = scope.match(reference, entry.full_url)
            if match.entry is not None and match.entry.index != entry.index:
                links[entry.index].add(match.entry.index)
                links[match.entry.index].add(entry.index)
    reached = {0}
    queue = [0]
    while queue:
        for nxt in links[queue.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    return [
        view.finding(
            "FHIR-BUNDLE-051",
            f"Bundle.entry[{e.index}] ({e.full_url or e.key or 'no fullUrl'}) is not reachable "
            "from the Composition by following references (forward or backward): a document "
            "holds only the Composition and what it refers to",
            (*rel_base, "entry", e.index),
        )
        for e in entries
        if e.index not in reached
    ]


# An id as parse_reference reads one at the end of a URL.
_ID = re.compile(r"[A-Za-z0-9\-\.]{1,64}")


def _ends_with_own_key(full_url: str, rtype: Any, rid: Any) -> bool:
    """Whether ``full_url`` ends with ``/Type/id`` of its own resource: then
    :func:`parse_reference` reads that type and id from it (the last two segments; a
    ``/_history/N`` ending would need the type ``_history``), so it names no other
    resource. The usual entry, told without parsing its fullUrl (each is parsed once,
    and 10,000 of them would only push the references the checks parse out of its
    cache)."""
    return (
        isinstance(rtype, str)
        and isinstance(rid, str)
        and full_url.endswith(f"/{rtype}/{rid}")
        and rtype in R4_RESOURCE_TYPES
        and _ID.fullmatch(rid) is not None
    )


def _names_other(full_url: str, rtype: Any, rid: Any) -> bool:
    """Whether the RESTful ``full_url`` names a resource other than its entry's."""
    parsed = parse_reference(full_url)
    return (
        parsed.kind == "absolute"
        and parsed.id is not None
        and (rid != parsed.id or rtype != parsed.type)
    )


def _check_entry(
    view: ResourceView,
    position: int,
    entry: dict[str, Any],
    bundle_type: Any,
    rel_base: JsonPath,
) -> list[Finding]:
    findings: list[Finding] = []
    resource = entry.get("resource")
    full_url = entry.get("fullUrl")
    at: JsonPath = (*rel_base, "entry", position, "fullUrl")
    if isinstance(resource, dict) and isinstance(full_url, str):
        rid, rtype = resource.get("id"), resource.get("resourceType")
        if not is_absolute_url(full_url):
            findings.append(
                view.finding(
                    "FHIR-BUNDLE-005",
                    f"Bundle.entry[{position}].fullUrl {full_url!r} is not an absolute URL "
                    "(nor a urn:uuid:/urn:oid:); references cannot be resolved against it",
                    at,
                )
            )
        elif not _ends_with_own_key(full_url, rtype, rid) and _names_other(full_url, rtype, rid):
            parsed = parse_reference(full_url)
            findings.append(
                view.finding(
                    "FHIR-BUNDLE-001",
                    f"Bundle.entry[{position}].fullUrl {full_url} names "
                    f"{parsed.type}/{parsed.id} but the entry holds {rtype}/{rid}",
                    at,
                )
            )
    if (
        isinstance(resource, dict)
        and "fullUrl" not in entry
        and bundle_type not in _FULL_URL_OPTIONAL
    ):
        findings.append(
            view.finding(
                "FHIR-BUNDLE-050",
                f"Bundle.entry[{position}] has a resource but no fullUrl, which a "
                f"{bundle_type or 'Bundle'} Bundle requires (only transactions and batches "
                "may omit it)",
                (*rel_base, "entry", position),
            )
        )
    has_request = "request" in entry
    if bundle_type in _NEEDS_REQUEST and not has_request:
        findings.append(
            view.finding(
                "FHIR-BUNDLE-003",
                f"Bundle.entry[{position}] has no request, which a {bundle_type} Bundle requires",
                (*rel_base, "entry", position),
            )
        )
    elif bundle_type in _NO_REQUEST and has_request:
        findings.append(
            view.finding(
                "FHIR-BUNDLE-004",
                f"Bundle.entry[{position}] has a request, which a {bundle_type} Bundle "
                "must not have",
                (*rel_base, "entry", position, "request"),
            )
        )
    return findings
