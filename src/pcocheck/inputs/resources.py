"""Split a parsed document into resource views: the resource itself and, for a
Bundle of any type, each entry's resource with its entry index and fullUrl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding, JsonPath
from pcocheck.inputs.read import Document
from pcocheck.inputs.stream import WHOLE_FOR_INDEX, SlimBundle
from pcocheck.jsonutil import quote
from pcocheck.view import Anchor, ResourceView


def _type_problem(value: Any, anchor: Anchor, rel: JsonPath, what: str) -> Finding | None:
    """A finding when ``value`` cannot be a resource, else None."""
    if not isinstance(value, dict):
        kind = type(value).__name__ if value is not None else "null"
        kind = {"list": "array", "str": "string", "int": "number", "float": "number"}.get(
            kind, kind
        )
        return anchor.finding("FHIR-JSON-004", f"{what} is a JSON {kind}, not an object", rel)
    resource_type = value.get("resourceType")
    if resource_type is None:
        return anchor.finding("FHIR-JSON-005", f"{what} has no resourceType", rel)
    if not isinstance(resource_type, str) or resource_type not in R4_RESOURCE_TYPES:
        return anchor.finding(
            "FHIR-JSON-006",
            f"{what} has resourceType {quote(resource_type)}, which is not a FHIR R4 resource type",
            (*rel, "resourceType"),
        )
    return None


def _is_resource(value: Any) -> bool:
    """What :func:`_type_problem` finds nothing wrong with (checked without an anchor)."""
    if not isinstance(value, dict):
        return False
    resource_type = value.get("resourceType")
    return isinstance(resource_type, str) and resource_type in R4_RESOURCE_TYPES


def _read_whole(stub: dict[str, Any]) -> bool:
    """Whether a first pass reads an entry's whole resource, not its stub (its type is one
    of ``WHOLE_FOR_INDEX``; a type that is no string, e.g. an array, is not: it could not
    be looked up, and the stub says as much as the resource that it is no resource)."""
    rtype = stub.get("resourceType")
    return isinstance(rtype, str) and rtype in WHOLE_FOR_INDEX


def _label(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    rtype = str(resource.get("resourceType"))
    return f"{rtype}/{rid}" if isinstance(rid, str) else rtype


def entry_view(
    root_view: ResourceView, index: int, entry: dict[str, Any], resource: dict[str, Any]
) -> ResourceView:
    """The view of a Bundle's top-level entry ``index`` holding ``resource`` (the first
    pass's views of hooked types are made the same way: inputs/first_pass.py)."""
    source = root_view.anchor.source
    assert source is not None
    full_url = entry.get("fullUrl")
    return ResourceView(
        resource=resource,
        anchor=Anchor(
            source=source,
            file=source.file,
            root="Bundle",
            base_path=("entry", index, "resource"),
            entry=index,
            resource=_label(resource),
        ),
        full_url=full_url if isinstance(full_url, str) else None,
        bundle=root_view,
    )


def split_resources(
    document: Document,
    wanted: Callable[[int | None], bool] | None = None,
    index_only: bool = False,
    span: tuple[int, int | None] | None = None,
) -> Iterator[ResourceView | Finding]:
    """The document's resource views (and findings about entries that cannot be one);
    ``wanted``: only the document itself (None) and the top-level entries it accepts (a
    parallel run's part of a large Bundle: the others are not even parsed).
    ``index_only`` (a first pass): a large Bundle's entries come as the stubs it keeps
    (type, id, claimed profiles, canonical url: what is indexed), without parsing them,
    except the types whose whole resource a first pass reads (``WHOLE_FOR_INDEX``).
    ``span``: the top-level entries [start, end) ``wanted`` may accept (end None: to the
    last); the others are not even looked at (a part of a large Bundle)."""
    source = document.source
    if not _is_resource(document.value):
        base = Anchor(source=source, file=source.file)
        problem = _type_problem(document.value, base, (), "the JSON document")
        if problem is not None:
            yield problem
            return
    root: dict[str, Any] = document.value
    root_type = str(root["resourceType"])
    root_view = ResourceView(
        resource=root,
        anchor=Anchor(source=source, file=source.file, root=root_type, resource=_label(root)),
    )
    if wanted is None or wanted(None):
        yield root_view
    if root_type != "Bundle":
        return
    entries = root.get("entry")
    if not isinstance(entries, list):
        return
    slim = root if isinstance(root, SlimBundle) else None
    first, end = (0, None) if span is None else span
    for index in range(first, len(entries) if end is None else min(end, len(entries))):
        entry = entries[index]
        if not isinstance(entry, dict) or "resource" not in entry:
            continue  # the Bundle's own structure check reports malformed entries
        if wanted is not None and not wanted(index):
            continue
        rel: JsonPath = ("entry", index, "resource")
        # A large Bundle's entry holds a stub: its resource is parsed now
        resource = entry["resource"]
        if slim is not None and not (
            index_only and isinstance(resource, dict) and not _read_whole(resource)
        ):
            resource = slim.resource_at(index)
        if not _is_resource(resource):
            bundle_anchor = Anchor(source=source, file=source.file, root="Bundle", entry=index)
            problem = _type_problem(resource, bundle_anchor, rel, f"Bundle entry {index} resource")
            if problem is not None:
                yield problem
                continue
        yield entry_view(root_view, index, entry, resource)
