"""FHIR conformance JSON → pcocheck's compact form → model objects.

Every source goes through the same two steps: a raw ElementDefinition (from the core
package at build time, from a ``.tgz`` or a folder at run time) is reduced to a compact
dict by :func:`compact_element`, and compact dicts become :class:`ElementDef` through
:func:`element_from_compact`. The core archive stores the compact dicts, so the objects
the engine sees do not depend on where a definition came from.

Compact element keys (defaults omitted unless ``keep_defaults``): ``id``, ``path`` (only
when it differs from the id without slice names), ``min``, ``max``, ``slice``, ``types``
(a bare code, or ``{"code", "profiles", "targets"}``), ``contentReference``, ``fixed`` and
``pattern`` (``[suffix, value]``), ``binding``, ``constraints``, ``slicing``,
``mustSupport``, ``isModifier``, ``maxLength``, ``short``, ``regex``.
"""

from __future__ import annotations

from typing import Any

from pcocheck.definitions.model import (
    Binding,
    Constraint,
    Discriminator,
    ElementDef,
    Slicing,
    StructureDef,
    TypeRef,
)

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
JSON_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-json-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
FHIRPATH_TYPES = "http://hl7.org/fhirpath/"
SHORT_MAX = 80
BINDING_DESCRIPTION_MAX = 240

JsonDict = dict[str, Any]


def strip_version(url: str) -> str:
    return url.split("|", 1)[0]


def strip_slices(element_id: str) -> str:
    """Slice-free path of an element id: ``Goal.category:pco.coding`` → ``Goal.category.coding``."""
    if ":" not in element_id:
        return element_id
    return ".".join(part.split(":", 1)[0] for part in element_id.split("."))


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ext_value(extensions: Any, url: str) -> Any:
    if not isinstance(extensions, list):
        return None
    for ext in extensions:
        if isinstance(ext, dict) and ext.get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
    return None


def type_code(raw_type: JsonDict) -> str:
    """The FHIR type name of one ``ElementDefinition.type``.

    The spec types ``Element.id``, ``Extension.url`` and primitive ``value`` elements with
    FHIRPath system types; the ``structuredefinition-fhir-type`` extension carries the
    FHIR name the JSON actually holds, so it wins when present.
    """
    code = raw_type.get("code")
    if isinstance(code, str) and code and not code.startswith(FHIRPATH_TYPES):
        return code
    fhir_type = _ext_value(raw_type.get("extension"), FHIR_TYPE_EXT)
    if isinstance(fhir_type, str) and fhir_type:
        return fhir_type
    if isinstance(code, str) and code.startswith(FHIRPATH_TYPES):
        return code[len(FHIRPATH_TYPES) :]
    # Pre-R4 publishers left `code` empty and described the JSON type in `_code`.
    under = raw_type.get("_code")
    if isinstance(under, dict) and _ext_value(under.get("extension"), JSON_TYPE_EXT):
        return "System.String"
    return "Element"


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def choice_suffix(raw: JsonDict, prefix: str) -> tuple[str, Any] | None:
    """``fixedUri: "x"`` → ``("Uri", "x")`` for ``prefix="fixed"``."""
    n = len(prefix)
    for key, value in raw.items():
        if key.startswith(prefix) and len(key) > n and key[n].isupper():
            return key[n:], value
    return None


def derive_id(raw: JsonDict) -> str:
    """An element id for elements that lack one (pre-R4 differentials)."""
    element_id = raw.get("id")
    if isinstance(element_id, str) and element_id:
        return element_id
    path = str(raw.get("path", ""))
    slice_name = raw.get("sliceName")
    return f"{path}:{slice_name}" if isinstance(slice_name, str) and slice_name else path


def compact_element(raw: JsonDict, *, keep_defaults: bool = False) -> JsonDict:
    """Reduce one ElementDefinition to the compact dict.

    ``keep_defaults`` keeps explicit ``min: 0``, ``mustSupport: false`` etc.: a
    differential's stated values must override its parent's even when they equal the
    defaults.
    """
    element_id = derive_id(raw)
    out: JsonDict = {"id": element_id}
    path = raw.get("path")
    if isinstance(path, str) and path != strip_slices(element_id):
        out["path"] = path
    min_ = raw.get("min")
    if isinstance(min_, int) and (min_ != 0 or keep_defaults):
        out["min"] = min_
    max_ = raw.get("max")
    if isinstance(max_, str) and (max_ != "*" or keep_defaults):
        out["max"] = max_
    slice_name = raw.get("sliceName")
    if isinstance(slice_name, str) and slice_name:
        out["slice"] = slice_name
    types: list[Any] = []
    regex: str | None = None
    for raw_type in raw.get("type") or []:
        if not isinstance(raw_type, dict):
            continue
        code = type_code(raw_type)
        profiles = [strip_version(p) for p in _str_list(raw_type.get("profile"))]
        targets = [strip_version(p) for p in _str_list(raw_type.get("targetProfile"))]
        if profiles or targets:
            entry: JsonDict = {"code": code}
            if profiles:
                entry["profiles"] = profiles
            if targets:
                entry["targets"] = targets
            types.append(entry)
        else:
            types.append(code)
        found = _ext_value(raw_type.get("extension"), REGEX_EXT)
        if isinstance(found, str):
            regex = found
    if types:
        out["types"] = types
    if regex is not None:
        out["regex"] = regex
    content_reference = raw.get("contentReference")
    if isinstance(content_reference, str):
        out["contentReference"] = content_reference
    for prefix in ("fixed", "pattern"):
        found_value = choice_suffix(raw, prefix)
        if found_value is not None:
            out[prefix] = list(found_value)
    binding = raw.get("binding")
    if isinstance(binding, dict):
        compact_binding: JsonDict = {}
        if isinstance(binding.get("strength"), str):
            compact_binding["strength"] = binding["strength"]
        value_set = binding.get("valueSet") or binding.get("valueSetUri")
        if not value_set and isinstance(binding.get("valueSetReference"), dict):
            value_set = binding["valueSetReference"].get("reference")
        if isinstance(value_set, str) and value_set:
            compact_binding["valueSet"] = strip_version(value_set)
        if isinstance(binding.get("description"), str):
            compact_binding["description"] = _truncate(
                binding["description"], BINDING_DESCRIPTION_MAX
            )
        if compact_binding:
            out["binding"] = compact_binding
    constraints: list[JsonDict] = []
    for raw_constraint in raw.get("constraint") or []:
        if not isinstance(raw_constraint, dict) or not isinstance(raw_constraint.get("key"), str):
            continue
        constraint: JsonDict = {
            "key": raw_constraint["key"],
            "severity": str(raw_constraint.get("severity", "error")),
            "human": str(raw_constraint.get("human", "")),
        }
        if isinstance(raw_constraint.get("expression"), str):
            constraint["expression"] = raw_constraint["expression"]
        if isinstance(raw_constraint.get("source"), str):
            constraint["source"] = raw_constraint["source"]
        constraints.append(constraint)
    if constraints:
        out["constraints"] = constraints
    slicing = raw.get("slicing")
    if isinstance(slicing, dict):
        compact_slicing: JsonDict = {
            "discriminator": [
                [str(d.get("type", "value")), str(d.get("path", "$this"))]
                for d in slicing.get("discriminator") or []
                if isinstance(d, dict)
            ]
        }
        if isinstance(slicing.get("rules"), str):
            compact_slicing["rules"] = slicing["rules"]
        if isinstance(slicing.get("ordered"), bool):
            compact_slicing["ordered"] = slicing["ordered"]
        out["slicing"] = compact_slicing
    for key in ("mustSupport", "isModifier"):
        flag = raw.get(key)
        if isinstance(flag, bool) and (flag or keep_defaults):
            out[key] = flag
    max_length = raw.get("maxLength")
    if isinstance(max_length, int):
        out["maxLength"] = max_length
    short = raw.get("short")
    if isinstance(short, str) and short:
        out["short"] = _truncate(short, SHORT_MAX)
    return out


# Interning: the same ele-1/ext-1 constraints and common types repeat on nearly every
# element of every definition; sharing one object each keeps memory flat.
_INTERNED: dict[Any, Any] = {}


def _intern(key: Any, factory: Any) -> Any:
    found = _INTERNED.get(key)
    if found is None:
        found = _INTERNED[key] = factory()
    return found


def type_from_compact(entry: Any) -> TypeRef:
    if isinstance(entry, str):
        return _intern(("t", entry), lambda: TypeRef(entry))  # type: ignore[no-any-return]
    profiles = tuple(entry.get("profiles", ()))
    targets = tuple(entry.get("targets", ()))
    key = ("t", entry["code"], profiles, targets)
    return _intern(key, lambda: TypeRef(entry["code"], profiles, targets))  # type: ignore[no-any-return]


def constraint_from_compact(entry: JsonDict) -> Constraint:
    key = (
        "c",
        entry["key"],
        entry.get("severity", "error"),
        entry.get("human", ""),
        entry.get("expression"),
        entry.get("source"),
    )
    return _intern(key, lambda: Constraint(*key[1:]))  # type: ignore[no-any-return]


def binding_from_compact(entry: JsonDict) -> Binding:
    return Binding(
        strength=str(entry.get("strength", "example")),
        value_set=entry.get("valueSet"),
        description=entry.get("description"),
    )


def slicing_from_compact(entry: JsonDict) -> Slicing:
    return Slicing(
        discriminators=tuple(Discriminator(t, p) for t, p in entry.get("discriminator", ())),
        rules=str(entry.get("rules", "open")),
        ordered=bool(entry.get("ordered", False)),
    )


def _pair(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return str(value[0]), value[1]
    return None


def element_from_compact(entry: JsonDict) -> ElementDef:
    element_id = entry["id"]
    binding = entry.get("binding")
    slicing = entry.get("slicing")
    return ElementDef(
        id=element_id,
        path=entry.get("path") or strip_slices(element_id),
        min=int(entry.get("min", 0)),
        max=str(entry.get("max", "*")),
        slice_name=entry.get("slice"),
        types=tuple(type_from_compact(t) for t in entry.get("types", ())),
        content_reference=entry.get("contentReference"),
        fixed=_pair(entry.get("fixed")),
        pattern=_pair(entry.get("pattern")),
        binding=binding_from_compact(binding) if binding else None,
        constraints=tuple(constraint_from_compact(c) for c in entry.get("constraints", ())),
        slicing=slicing_from_compact(slicing) if slicing else None,
        must_support=bool(entry.get("mustSupport", False)),
        is_modifier=bool(entry.get("isModifier", False)),
        max_length=entry.get("maxLength"),
        short=entry.get("short"),
        regex=entry.get("regex"),
    )


def contexts(raw: JsonDict) -> list[str]:
    """Extension context expressions (R4 ``{type, expression}`` or STU3 strings)."""
    found: list[str] = []
    for item in raw.get("context") or []:
        if isinstance(item, dict) and isinstance(item.get("expression"), str):
            found.append(item["expression"])
        elif isinstance(item, str):
            found.append(item)
    return found


def compact_structure(raw: JsonDict, *, with_snapshot: bool = True) -> JsonDict:
    """The header of a StructureDefinition plus its compact snapshot elements."""
    out: JsonDict = {}
    for key in ("url", "version", "name", "title", "id", "type", "kind", "derivation"):
        if isinstance(raw.get(key), str):
            out[key] = raw[key]
    if raw.get("abstract") is True:
        out["abstract"] = True
    if isinstance(raw.get("baseDefinition"), str):
        out["baseDefinition"] = raw["baseDefinition"]
    found_contexts = contexts(raw)
    if found_contexts:
        out["context"] = found_contexts
    invariants = [i for i in raw.get("contextInvariant") or [] if isinstance(i, str) and i.strip()]
    if invariants:
        out["contextInvariant"] = invariants
    if with_snapshot:
        snapshot = raw.get("snapshot")
        elements = snapshot.get("element") if isinstance(snapshot, dict) else None
        out["elements"] = [
            compact_element(e) for e in elements or [] if isinstance(e, dict) and e.get("path")
        ]
    return out


def structure_from_compact(
    entry: JsonDict, elements: list[ElementDef] | None = None, package: str | None = None
) -> StructureDef:
    if elements is None:
        elements = [element_from_compact(e) for e in entry.get("elements", ())]
    sd_type = str(entry.get("type", ""))
    return StructureDef(
        url=str(entry.get("url", "")),
        name=str(entry.get("name", entry.get("id", sd_type))),
        type=sd_type,
        kind=str(entry.get("kind", "")),
        elements=elements,
        version=entry.get("version"),
        id=entry.get("id"),
        title=entry.get("title"),
        abstract=bool(entry.get("abstract", False)),
        derivation=entry.get("derivation"),
        base_definition=entry.get("baseDefinition"),
        context=tuple(entry.get("context", ())),
        context_invariants=tuple(entry.get("contextInvariant", ())),
        package=package,
    )


# -- terminology resources -------------------------------------------------------------

_VS_KEYS = ("resourceType", "id", "url", "version", "name", "title", "status")
_CS_KEYS = (
    *_VS_KEYS,
    "caseSensitive",
    "content",
    "hierarchyMeaning",
    "valueSet",
    "supplements",
    "count",
)


def _designations(concept: JsonDict) -> list[JsonDict]:
    """Alternative displays (other languages, synonyms); display checks accept them."""
    found: list[JsonDict] = []
    for designation in concept.get("designation") or []:
        if isinstance(designation, dict) and isinstance(designation.get("value"), str):
            slim = {"value": designation["value"]}
            if isinstance(designation.get("language"), str):
                slim["language"] = designation["language"]
            found.append(slim)
    return found


def _slim_concepts(concepts: Any) -> list[JsonDict]:
    out: list[JsonDict] = []
    for concept in concepts or []:
        if isinstance(concept, dict) and isinstance(concept.get("code"), str):
            item: JsonDict = {"code": concept["code"]}
            if isinstance(concept.get("display"), str):
                item["display"] = concept["display"]
            designations = _designations(concept)
            if designations:
                item["designation"] = designations
            out.append(item)
    return out


def _slim_include(include: Any) -> JsonDict | None:
    if not isinstance(include, dict):
        return None
    out: JsonDict = {}
    for key in ("system", "version"):
        if isinstance(include.get(key), str):
            out[key] = include[key]
    if include.get("concept"):
        out["concept"] = _slim_concepts(include["concept"])
    filters = [
        {k: f[k] for k in ("property", "op", "value") if k in f}
        for f in include.get("filter") or []
        if isinstance(f, dict)
    ]
    if filters:
        out["filter"] = filters
    value_sets = [strip_version(v) for v in _str_list(include.get("valueSet"))]
    if value_sets:
        out["valueSet"] = value_sets
    return out


def _slim_contains(contains: Any) -> list[JsonDict]:
    out: list[JsonDict] = []
    for item in contains or []:
        if not isinstance(item, dict):
            continue
        slim = {
            k: item[k]
            for k in ("system", "version", "code", "display", "abstract", "inactive")
            if k in item
        }
        if item.get("contains"):
            slim["contains"] = _slim_contains(item["contains"])
        out.append(slim)
    return out


def normalise_value_set(raw: JsonDict) -> JsonDict:
    """A ValueSet reduced to what membership and display checks need (no narrative, no
    metadata beyond names), the same shape for every source."""
    out: JsonDict = {k: raw[k] for k in _VS_KEYS if k in raw}
    out["resourceType"] = "ValueSet"
    compose = raw.get("compose")
    if isinstance(compose, dict):
        slim_compose: JsonDict = {}
        if isinstance(compose.get("inactive"), bool):
            slim_compose["inactive"] = compose["inactive"]
        for key in ("include", "exclude"):
            parts = [p for p in (_slim_include(i) for i in compose.get(key) or []) if p]
            if parts:
                slim_compose[key] = parts
        out["compose"] = slim_compose
    expansion = raw.get("expansion")
    if isinstance(expansion, dict):
        slim_expansion: JsonDict = {
            k: expansion[k] for k in ("identifier", "timestamp", "total") if k in expansion
        }
        slim_expansion["contains"] = _slim_contains(expansion.get("contains"))
        out["expansion"] = slim_expansion
    return out


_DROPPED_CONCEPT_PROPERTIES = {"child", "parent"}


def normalise_code_system(raw: JsonDict) -> JsonDict:
    """A CodeSystem with its concept tree flattened.

    Every concept sits in the top-level ``concept`` list; hierarchy, whether it was given
    by nesting or by ``parent``/``child`` properties, becomes ``parent`` properties on the
    child, so is-a filters work the same way for every source.
    """
    out: JsonDict = {k: raw[k] for k in _CS_KEYS if k in raw}
    out["resourceType"] = "CodeSystem"
    if isinstance(raw.get("property"), list):
        out["property"] = [
            {k: p[k] for k in ("code", "uri", "type") if k in p}
            for p in raw["property"]
            if isinstance(p, dict)
        ]
    flat: dict[str, JsonDict] = {}
    parents: dict[str, list[str]] = {}

    def add_parent(code: str, parent: str) -> None:
        known = parents.setdefault(code, [])
        if parent not in known:
            known.append(parent)

    def walk(concepts: Any, parent: str | None) -> None:
        for concept in concepts or []:
            if not isinstance(concept, dict) or not isinstance(concept.get("code"), str):
                continue
            code = concept["code"]
            item = flat.get(code)
            if item is None:
                item = flat[code] = {"code": code}
                if isinstance(concept.get("display"), str):
                    item["display"] = concept["display"]
                designations = _designations(concept)
                if designations:
                    item["designation"] = designations
            if parent is not None:
                add_parent(code, parent)
            kept: list[JsonDict] = []
            for prop in concept.get("property") or []:
                if not isinstance(prop, dict):
                    continue
                prop_code = prop.get("code")
                value = prop.get("valueCode")
                if prop_code == "parent" and isinstance(value, str):
                    add_parent(code, value)
                elif prop_code == "child" and isinstance(value, str):
                    add_parent(value, code)
                elif prop_code not in _DROPPED_CONCEPT_PROPERTIES:
                    kept.append(prop)
            if kept:
                item.setdefault("property", []).extend(kept)
            walk(concept.get("concept"), code)

    walk(raw.get("concept"), None)
    for code, codes_parents in parents.items():
        target = flat.get(code)
        if target is None:  # a `child` property naming a code the system never defines
            continue
        target.setdefault("property", []).extend(
            {"code": "parent", "valueCode": p} for p in codes_parents
        )
    out["concept"] = list(flat.values())
    return out
