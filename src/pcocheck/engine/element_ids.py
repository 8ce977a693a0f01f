"""Element ids are unique within their resource.

FHIR R4 Element.id: "Unique id for the element within a resource (for internal
references)". Two elements of one resource with the same id make an internal reference
to that id ambiguous; the HL7 reference validator reports each repeat ("Duplicate id
value"). A resource inside another (contained, a Bundle entry, a Parameters resource) is
a resource of its own with its own ids, and ``Resource.id`` is not an element id. A
StructureDefinition's snapshot and differential are two views of the same elements, whose
ElementDefinition ids are the same by design (R4 elementdefinition.html#id): each view is
a scope of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pcocheck.finding import Finding, JsonPath
from pcocheck.inputs.stream import SlimBundle
from pcocheck.view import ResourceView

_VIEWS = ("snapshot", "differential")


def _scopes(resource: dict[str, Any]) -> Iterator[list[tuple[Any, tuple[str, ...]]]]:
    """Lists of (top-level value, its key) whose ids must be unique together."""
    separate = _VIEWS if resource.get("resourceType") == "StructureDefinition" else ()
    yield [(v, (k,)) for k, v in resource.items() if k != "id" and k not in separate]
    for key in separate:
        if key in resource:
            yield [(resource[key], (key,))]


def _has_repeated_id(items: list[tuple[Any, tuple[str, ...]]]) -> bool:
    """Fast pass (every resource goes through it): any element id seen twice?"""
    seen: set[Any] = set()
    stack: list[Any] = [v for v, _ in items if isinstance(v, dict | list)]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, dict | list))
            continue
        if "resourceType" in node:
            continue
        element_id = node.get("id")
        if element_id is not None:
            if element_id in seen:
                return True
            seen.add(element_id)
        stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return False


_ASCII_ESCAPE = re.compile(r"\\u00[0-7]")


def _too_few_ids(view: ResourceView, resource: dict[str, Any]) -> bool:
    """Whether the JSON text the resource was read from (or its repr) holds too few
    ``"id"`` keys for two elements to share an id. The text holds the resource (and maybe
    more: a Bundle file, the resource around a contained one), so it has at least as many;
    a key spelt with an ASCII escape (``"i\\u0064"``) is not counted, so such text is not
    trusted."""
    own = 1 if "id" in resource else 0  # Resource.id: a key in the text, not an element id
    source = view.anchor.source
    entry = view.anchor.entry
    bundle = view.bundle.resource if view.bundle is not None else None
    if (
        source is not None
        and isinstance(bundle, SlimBundle)
        and entry is not None
        and view.anchor.base_path == ("entry", entry, "resource")
        and bundle.text is source.text
    ):
        # An entry of a large Bundle: the entry's own text (its offsets are known) holds
        # the resource, and anything inside it.
        start, end = bundle.entry_span(entry)
        text = source.text
        if _ASCII_ESCAPE.search(text, start, end):
            return False
        return text.count('"id"', start, end) < 2 + own
    if source is None or entry is not None or view.anchor.base_path:
        # A Bundle entry's text is the whole Bundle: scanning it for every entry would
        # make a large Bundle quadratic. The resource's repr() (C speed) holds "'id': "
        # for every member named id (and maybe more: a string may contain it).
        return repr(resource).count("'id': ") < 2 + own
    text = source.text
    if _ASCII_ESCAPE.search(text):
        return False
    return text.count('"id"') < 2 + own


def duplicate_element_ids(
    view: ResourceView, resource: dict[str, Any], rel_base: JsonPath
) -> list[Finding]:
    findings: list[Finding] = []
    if _too_few_ids(view, resource):
        return findings
    for items in _scopes(resource):
        if _has_repeated_id(items):
            findings.extend(_located(view, items, rel_base))
    return findings


def _located(
    view: ResourceView, items: list[tuple[Any, tuple[str, ...]]], rel_base: JsonPath
) -> list[Finding]:
    seen: dict[str, JsonPath] = {}
    findings: list[Finding] = []
    stack: list[tuple[Any, JsonPath]] = [(value, (*rel_base, *key)) for value, key in items]
    stack.reverse()
    while stack:
        node, rel = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed([(item, (*rel, i)) for i, item in enumerate(node)]))
            continue
        if not isinstance(node, dict) or "resourceType" in node:
            continue  # a primitive, or a resource with ids of its own
        element_id = node.get("id")
        if isinstance(element_id, str):
            first = seen.get(element_id)
            if first is None:
                seen[element_id] = rel
            else:
                findings.append(
                    view.finding(
                        "FHIR-STRUCT-132",
                        f"duplicate element id {element_id!r}: the id of an element is unique "
                        f"within its resource, and {_shown(first, rel_base)} has it already",
                        (*rel, "id"),
                    )
                )
        stack.extend(reversed([(v, (*rel, k)) for k, v in node.items() if k != "id"]))
    return findings


def _shown(rel: JsonPath, rel_base: JsonPath) -> str:
    parts = rel[len(rel_base) :]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "the resource"
