"""The FHIR R4 type model as fhirpathpy sees it, plus typed navigation of FHIR JSON.

fhirpathpy ships the R4 model as four tables (``choiceTypePaths``, ``path2Type``,
``pathsDefinedElsewhere``, ``type2Parent``). The native invariant checks and the fast
FHIRPath subset (:mod:`pcocheck.engine.fhirpath_fast`) type the JSON they navigate
with exactly the same rules, so that their answers agree with fhirpathpy's.

A *type path* is what fhirpathpy stores on a node: a type name (``Quantity``,
``dateTime``, ``Observation``) or, for backbone elements, the element path
(``Observation.component``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final


def _r4_tables() -> dict[str, Any]:
    """fhirpathpy's R4 model tables, read from its package data without importing
    fhirpathpy (whose import, with its parser and all four model versions, costs about
    50 ms of start-up that a run of native and fast invariants does not need). The same
    dictionary shape as ``fhirpathpy.models.models["r4"]``."""
    spec = importlib.util.find_spec("fhirpathpy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("fhirpathpy is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models" / "r4"
    return {
        name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("choiceTypePaths", "path2Type", "pathsDefinedElsewhere", "type2Parent")
    }


R4_MODEL: Final[dict[str, Any]] = _r4_tables()
CHOICE_TYPES: Final[dict[str, list[str]]] = R4_MODEL["choiceTypePaths"]
PATH_TO_TYPE: Final[dict[str, str]] = R4_MODEL["path2Type"]
DEFINED_ELSEWHERE: Final[dict[str, str]] = R4_MODEL["pathsDefinedElsewhere"]
TYPE_PARENT: Final[dict[str, str]] = R4_MODEL["type2Parent"]

#: FHIR primitive types and the FHIRPath System type each one maps to.
PRIMITIVE_SYSTEM_TYPE: Final[dict[str, str]] = {
    "boolean": "Boolean",
    "string": "String",
    "code": "String",
    "id": "String",
    "markdown": "String",
    "uri": "String",
    "url": "String",
    "canonical": "String",
    "oid": "String",
    "uuid": "String",
    "base64Binary": "String",
    "xhtml": "String",
    "integer": "Integer",
    "positiveInt": "Integer",
    "unsignedInt": "Integer",
    "decimal": "Decimal",
    "date": "Date",
    "dateTime": "DateTime",
    "instant": "DateTime",
    "time": "Time",
    "System.String": "String",
    "System.Boolean": "Boolean",
    "System.Integer": "Integer",
    "System.Decimal": "Decimal",
    "System.Date": "Date",
    "System.DateTime": "DateTime",
    "System.Time": "Time",
}
SYSTEM_TYPES: Final[frozenset[str]] = frozenset(
    {"Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity"}
)
DATE_TYPES: Final[frozenset[str]] = frozenset(
    {"date", "dateTime", "instant", "System.Date", "System.DateTime"}
)
URI_TYPES: Final[frozenset[str]] = frozenset({"uri", "url", "canonical", "oid", "uuid"})
QUANTITY_TYPES: Final[frozenset[str]] = frozenset(
    {"Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"}
)
#: Generic type names that say nothing about where an element sits.
GENERIC_TYPES: Final[frozenset[str]] = frozenset({"BackboneElement", "Element", ""})

_ALL_TYPE_NAMES: Final[frozenset[str]] = frozenset(TYPE_PARENT) | frozenset(PATH_TO_TYPE.values())
#: Type paths that have children in the model (so a navigation from them is well typed).
_KNOWN_PARENTS: Final[frozenset[str]] = frozenset(p.rsplit(".", 1)[0] for p in PATH_TO_TYPE)


def is_known_type_path(type_path: str) -> bool:
    """Whether navigation from ``type_path`` can be typed by the model."""
    return type_path in _KNOWN_PARENTS or type_path in _ALL_TYPE_NAMES


def child_type_path(parent: str, key: str) -> str:
    """Type path of the JSON property ``key`` (choice keys included) of a ``parent`` node.

    Mirrors fhirpathpy's ``children()`` typing: ``extension`` is always ``Extension``,
    shared definitions are followed, then the model's path → type table applies.
    """
    if key == "extension":
        return "Extension"
    path = f"{parent}.{key}"
    path = DEFINED_ELSEWHERE.get(path, path)
    return PATH_TO_TYPE.get(path, path)


# (key, its "_key" companion, type path) per allowed type of a choice element, or None;
# the element's type path. The companion is spelt out once here: member() runs for every
# FHIRPath navigation and tries each choice type in turn (eleven for Observation.value).
_MemberPlan = tuple[tuple[tuple[str, str, str], ...] | None, str]
_MEMBER_PLANS: dict[tuple[str, str], _MemberPlan] = {}


def _member_plan(parent: str, name: str) -> _MemberPlan:
    path = f"{parent}.{name}"
    path = DEFINED_ELSEWHERE.get(path, path)
    choices = CHOICE_TYPES.get(path)
    if choices is not None:
        keys = tuple(
            (name + suffix, "_" + name + suffix, PATH_TO_TYPE.get(path + suffix, path + suffix))
            for suffix in choices
        )
        return keys, path
    return None, "Extension" if name == "extension" else PATH_TO_TYPE.get(path, path)


def member(parent: str, name: str, data: dict[str, Any]) -> tuple[str | None, str]:
    """The JSON key that carries element ``name`` of ``data`` and its type path.

    Mirrors fhirpathpy's member invocation: a choice element (``value``) is looked up
    through the model's list of allowed types, in the model's order, and the first key
    (or ``_key`` companion) present wins. Returns ``(None, path)`` if nothing is there.
    """
    plan = _MEMBER_PLANS.get((parent, name))
    if plan is None:
        plan = _MEMBER_PLANS[(parent, name)] = _member_plan(parent, name)
    choices, type_path = plan
    if choices is not None:
        get = data.get
        for key, companion, choice_type in choices:
            if get(key) is not None or get(companion) is not None:
                return key, choice_type
        return None, type_path
    if data.get(name) is not None or data.get("_" + name) is not None:
        return name, type_path
    return None, type_path


@functools.lru_cache(maxsize=4096)
def is_subtype(type_name: str, super_type: str) -> bool:
    """FHIR type inheritance (``Age`` is a ``Quantity``, ``url`` is a ``uri``)."""
    current: str | None = type_name
    seen = 0
    while current and seen < 16:
        if current == super_type:
            return True
        current = TYPE_PARENT.get(current) or PATH_TO_TYPE.get(current)
        seen += 1
    return False


def typed_strings(value: Any, type_path: str) -> Iterator[tuple[str, str, str]]:
    """Every string in ``value`` with ``(json key, type path, string)``, depth first.

    Contained and inline resources restart typing at their ``resourceType``; ``_x``
    companions are walked as ``Element`` (their extensions are typed normally).
    """
    stack: list[tuple[Any, str, str]] = [(value, type_path, "")]
    while stack:
        node, node_type, key = stack.pop()
        if isinstance(node, dict):
            resource_type = node.get("resourceType")
            if isinstance(resource_type, str):
                node_type = resource_type
            for child_key, child in node.items():
                if child_key == "resourceType":
                    continue
                if child_key.startswith("_"):
                    stack.append((child, "Element", child_key))
                    continue
                stack.append((child, child_type_path(node_type, child_key), child_key))
        elif isinstance(node, list):
            stack.extend((item, node_type, key) for item in reversed(node))
        elif isinstance(node, str):
            yield key, node_type, node


def locate_paths(resource: dict[str, Any]) -> dict[int, str]:
    """Map ``id()`` of every JSON object inside ``resource`` to its type path.

    Used to type a backbone element that a caller only knows as ``BackboneElement``:
    ``Observation.component`` items map to ``"Observation.component"``.
    """
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(resource, str(resource.get("resourceType", "")))]
    while stack:
        node, node_type = stack.pop()
        if isinstance(node, dict):
            resource_type = node.get("resourceType")
            if isinstance(resource_type, str):
                node_type = resource_type
            found[id(node)] = node_type
            for key, child in node.items():
                if key == "resourceType" or not isinstance(child, dict | list):
                    continue
                child_type = "Element" if key.startswith("_") else child_type_path(node_type, key)
                stack.append((child, child_type))
        elif isinstance(node, list):
            stack.extend((item, node_type) for item in node if isinstance(item, dict | list))
    return found


def has_value(data: Any) -> bool:
    """fhirpathpy's notion of "some": not None and not an empty list."""
    return data is not None and data != []
