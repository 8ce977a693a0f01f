"""fhir.resources model instances as inputs of the Python API.

fhir.resources (the optional extra ``pcocheck[models]``) ships FHIR R5 models as its
default package and R4B (and STU3) models in sub-packages, but no R4 models. pcocheck
validates FHIR R4, so a model instance is serialised with its own JSON export and that
JSON is validated as R4. When the model is not an R4 model, the caller is told so in a
finding that names the elements of the instance that do not exist in R4: the R4 engine
reports those as unknown elements, and this finding says why they are there.

Nothing here imports fhir.resources: a model is recognised by its shape (a fhir_core
model class with ``get_resource_type`` and ``model_dump_json``) and its FHIR version is
read from the ``__fhir_version__`` of the package that defines its class.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pcocheck.definitions.model import ElementDef, StructureDef

R4_VERSION_PREFIX = "4.0."
CORE_PREFIX = "http://hl7.org/fhir/StructureDefinition/"

StructureLookup = Callable[[str], StructureDef | None]


def is_model(value: object) -> bool:
    """True for an instance of a fhir.resources (fhir_core) model class."""
    cls = type(value)
    return callable(getattr(cls, "get_resource_type", None)) and callable(
        getattr(value, "model_dump_json", None)
    )


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Which model an instance is: its class and the FHIR version of its package."""

    class_name: str  # fhir.resources.R4B.goal.Goal
    resource_type: str
    fhir_version: str | None  # "5.0.0", "4.3.0"; None when the package does not say

    @property
    def is_r4(self) -> bool:
        return self.fhir_version is not None and self.fhir_version.startswith(R4_VERSION_PREFIX)

    @property
    def release(self) -> str:
        """A readable FHIR release name for messages: R5, R4B, STU3, or the version."""
        names = {"5.0": "R5", "4.3": "R4B", "4.0": "R4", "3.0": "STU3", "1.0": "DSTU2"}
        version = self.fhir_version or "unknown version"
        return names.get(version[:3], version)


def model_info(model: Any) -> ModelInfo:
    cls = type(model)
    module = cls.__module__
    return ModelInfo(
        class_name=f"{module}.{cls.__qualname__}",
        resource_type=str(cls.get_resource_type()),
        fhir_version=_package_fhir_version(module),
    )


def _package_fhir_version(module: str) -> str | None:
    """``__fhir_version__`` of the innermost package of ``module`` that declares one
    (``fhir.resources.R4B`` for ``fhir.resources.R4B.goal``)."""
    parts = module.split(".")
    for end in range(len(parts) - 1, 0, -1):
        package = sys.modules.get(".".join(parts[:end]))
        version = getattr(package, "__fhir_version__", None)
        if isinstance(version, str):
            return version
    return None


def model_json(model: Any) -> str:
    """The model's own JSON export (fhir.resources: aliases, no empty elements).

    FHIR comments (``fhir_comments``) are left out: they are not part of R4 JSON.
    """
    try:
        text = model.model_dump_json(indent=2, exclude_comments=True)
    except TypeError:  # a fhir_core-like model without the FHIR keyword
        text = model.model_dump_json(indent=2)
    return str(text)


def elements_not_in_r4(resource: dict[str, Any], structure: StructureLookup) -> list[str]:
    """Element paths of ``resource`` (``Goal.target.measure``) that the R4 definitions
    do not have, each once, in document order.

    The JSON is walked against the R4 StructureDefinition of its type, following
    backbone elements, content references, complex datatypes, choice types
    (``valueQuantity`` exists only if ``Quantity`` is an allowed type of ``value[x]``)
    and nested resources (``contained``, ``Bundle.entry.resource``).
    """
    found: dict[str, None] = {}
    for path in _walk_resource(resource, structure, ""):
        found.setdefault(path, None)
    return list(found)


def _walk_resource(resource: dict[str, Any], structure: StructureLookup, at: str) -> Iterator[str]:
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str):
        return
    here = f"{at}.ofType({rtype})" if at else rtype  # a nested resource names its type
    definition = structure(CORE_PREFIX + rtype)
    if definition is None or definition.kind != "resource":
        yield here
        return
    yield from _walk_object(resource, definition, definition.root.id, here, structure)


def _walk_object(
    value: dict[str, Any],
    definition: StructureDef,
    element_id: str,
    path: str,
    structure: StructureLookup,
) -> Iterator[str]:
    children = [c for c in definition.children_of(element_id) if c.slice_name is None]
    at_resource_root = definition.kind == "resource" and element_id == definition.root.id
    for key, child_value in value.items():
        if key == "resourceType" and at_resource_root:
            continue
        name = key[1:] if key.startswith("_") else key
        match = _match_child(children, name)
        if match is None:
            yield f"{path}.{name}"
            continue
        if key.startswith("_"):
            continue  # a primitive's id/extensions: the primitive itself exists
        element, type_code = match
        for item in child_value if isinstance(child_value, list) else [child_value]:
            if isinstance(item, dict):
                yield from _walk_child(item, definition, element, type_code, path, structure)


def _walk_child(
    item: dict[str, Any],
    definition: StructureDef,
    element: ElementDef,
    type_code: str | None,
    path: str,
    structure: StructureLookup,
) -> Iterator[str]:
    child_path = f"{path}.{_element_name(element, type_code)}"
    if definition.children_of(element.id):  # a backbone element: its children are here
        yield from _walk_object(item, definition, element.id, child_path, structure)
        return
    if element.content_reference:
        target = element.content_reference.lstrip("#")
        yield from _walk_object(item, definition, target, child_path, structure)
        return
    if type_code is None:
        return
    if type_code == "Resource":
        yield from _walk_resource(item, structure, child_path)
        return
    datatype = structure(CORE_PREFIX + type_code)
    if datatype is not None and datatype.kind == "complex-type":
        yield from _walk_object(item, datatype, datatype.root.id, child_path, structure)


def _element_name(element: ElementDef, type_code: str | None) -> str:
    if element.is_choice and type_code is not None:
        return element.name[:-3] + _capitalised(type_code)
    return element.name


def _match_child(children: list[ElementDef], key: str) -> tuple[ElementDef, str | None] | None:
    """The element a JSON property names, with the type it uses (choice types name
    their type in the property: ``valueQuantity``)."""
    for child in children:
        name = child.name
        if child.is_choice:
            stem = name[:-3]
            if key.startswith(stem) and len(key) > len(stem):
                for type_ref in child.types:
                    if stem + _capitalised(type_ref.code) == key:
                        return child, type_ref.code
        elif name == key:
            codes = {t.code for t in child.types}
            return child, codes.pop() if len(codes) == 1 else None
    return None


def _capitalised(code: str) -> str:
    return code[:1].upper() + code[1:]
