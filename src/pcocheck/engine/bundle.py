"""Bundle-level checks that need the whole Bundle: fullUrl versus resource id,
duplicate fullUrls and per-entry request presence (with the entry's own position,
which the bdl-* invariants cannot give).
"""

from __future__ import annotations

from typing import Any

from pcocheck.engine.references import BundleIndex, parse_reference
from pcocheck.finding import Finding
from pcocheck.view import ResourceView

_NEEDS_REQUEST = frozenset({"transaction", "batch", "history"})
_NO_REQUEST = frozenset({"document", "message", "collection", "searchset"})


def check_bundle(view: ResourceView, index: BundleIndex) -> list[Finding]:
    bundle = view.resource
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    raw_type = bundle.get("type")
    bundle_type = raw_type if isinstance(raw_type, str) else None
    findings: list[Finding] = []
    for position, full_url in index.duplicates:
        findings.append(
            view.finding(
                "FHIR-BUNDLE-002",
                f"Bundle.entry[{position}].fullUrl {full_url} is used by an earlier entry too",
                ("entry", position, "fullUrl"),
            )
        )
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        findings.extend(_check_entry(view, position, entry, bundle_type))
    return findings


def _check_entry(
    view: ResourceView, position: int, entry: dict[str, Any], bundle_type: Any
) -> list[Finding]:
    findings: list[Finding] = []
    resource = entry.get("resource")
    full_url = entry.get("fullUrl")
    if isinstance(resource, dict) and isinstance(full_url, str):
        parsed = parse_reference(full_url)
        rid, rtype = resource.get("id"), resource.get("resourceType")
        named = parsed.kind in ("absolute", "relative") and parsed.id is not None
        if named and (rid != parsed.id or rtype != parsed.type):
            findings.append(
                view.finding(
                    "FHIR-BUNDLE-001",
                    f"Bundle.entry[{position}].fullUrl {full_url} names "
                    f"{parsed.type}/{parsed.id} but the entry holds {rtype}/{rid}",
                    ("entry", position, "fullUrl"),
                )
            )
    has_request = "request" in entry
    if bundle_type in _NEEDS_REQUEST and not has_request:
        findings.append(
            view.finding(
                "FHIR-BUNDLE-003",
                f"Bundle.entry[{position}] has no request, which a {bundle_type} Bundle requires",
                ("entry", position),
            )
        )
    elif bundle_type in _NO_REQUEST and has_request:
        findings.append(
            view.finding(
                "FHIR-BUNDLE-004",
                f"Bundle.entry[{position}] has a request, which a {bundle_type} Bundle "
                "must not have",
                ("entry", position, "request"),
            )
        )
    return findings
