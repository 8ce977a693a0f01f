"""Search result Bundles: what each entry's ``search.mode`` says it is.

R4 search-entry-mode: ``match`` is a resource that "matched the search specification",
``outcome`` is "an OperationOutcome that provides additional information about the
processing of a search". So, in a ``searchset`` Bundle, as the HL7 reference validator
checks:

* an ``outcome`` entry holds an OperationOutcome (``FHIR-BUNDLE-130``);
* a ``match`` entry holds a resource with an id: search results are resources a server
  returns, and R4 resource.html says the id is absent only when a resource is sent for
  create (``FHIR-BUNDLE-131``);
* a ``match`` entry holds a resource of a type the search asked for, when the Bundle's
  ``self`` link names them (``[base]/Patient?…`` or ``_type=Observation,Condition``)
  (``FHIR-BUNDLE-132``).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding, JsonPath
from pcocheck.view import ResourceView

_OUTCOME: Final = "OperationOutcome"


def searched_types(bundle: dict[str, Any]) -> frozenset[str] | None:
    """The resource types the search named in the Bundle's ``self`` link; None when the
    link is absent or names none (a system-wide search without ``_type``)."""
    for link in bundle.get("link") or []:
        if not isinstance(link, dict) or link.get("relation") != "self":
            continue
        url = link.get("url")
        if not isinstance(url, str):
            return None
        parts = urlsplit(url)
        named: set[str] = set()
        for value in parse_qs(parts.query).get("_type", []):
            named.update(t.strip() for t in value.split(",") if t.strip())
        last = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if last in R4_RESOURCE_TYPES:
            named.add(last)
        return frozenset(named) or None
    return None


def check_searchset(
    view: ResourceView, bundle: dict[str, Any], rel_base: JsonPath = ()
) -> list[Finding]:
    if bundle.get("type") != "searchset" or not isinstance(bundle.get("entry"), list):
        return []
    wanted = searched_types(bundle)
    findings: list[Finding] = []
    for position, entry in enumerate(bundle["entry"]):
        if not isinstance(entry, dict):
            continue
        search = entry.get("search")
        resource = entry.get("resource")
        mode = search.get("mode") if isinstance(search, dict) else None
        if not isinstance(resource, dict) or mode not in ("match", "outcome"):
            continue
        rtype = resource.get("resourceType")
        where = (*rel_base, "entry", position, "resource")
        if mode == "outcome":
            if rtype != _OUTCOME:
                findings.append(
                    view.finding(
                        "FHIR-BUNDLE-130",
                        f"search.mode is 'outcome' but the entry holds a {rtype}, not an "
                        "OperationOutcome",
                        where,
                    )
                )
            continue
        if not isinstance(resource.get("id"), str):
            findings.append(
                view.finding(
                    "FHIR-BUNDLE-131",
                    f"a search result (search.mode 'match') must have an id; this {rtype} has none",
                    where,
                )
            )
        if wanted is not None and isinstance(rtype, str) and rtype not in wanted:
            findings.append(
                view.finding(
                    "FHIR-BUNDLE-132",
                    f"search.mode is 'match' but a {rtype} does not match the search in the "
                    f"self link (it asked for {', '.join(sorted(wanted))})",
                    where,
                )
            )
    return findings
