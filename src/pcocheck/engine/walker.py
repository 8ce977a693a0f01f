"""The StructureDefinition-driven walk over one resource's JSON.

A :class:`Pass` validates one resource against one definition: the base definition
(``BASE``: JSON representation, primitive formats and every constraint) or a profile
(``PROFILE``: only what the profile chain adds, see :mod:`pcocheck.engine.plan`).
Findings are built through the resource view, which locates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pcocheck.catalog import lookup
from pcocheck.definitions.model import ElementDef, StructureDef
from pcocheck.engine.patterns import describe, matches_fixed, matches_pattern
from pcocheck.engine.plan import ChildDef, ElementPlan, content_target, is_primitive
from pcocheck.engine.primitives import json_kind
from pcocheck.fhir_types import R4_RESOURCE_TYPES
from pcocheck.finding import Finding, JsonPath, Severity
from pcocheck.view import ResourceView

if TYPE_CHECKING:
    from pcocheck.engine.core import ProfileEngine

BASE = "base"
PROFILE = "profile"
_CODED_TYPES = frozenset({"code", "Coding", "CodeableConcept", "Quantity", "string", "uri"})


def is_resource_id(path: str) -> bool:
    """``Patient.id`` (the id of a resource), not ``Extension.id`` or ``Patient.name.id``."""
    head, _, tail = path.partition(".")
    return tail == "id" and (head in R4_RESOURCE_TYPES or head in ("Resource", "DomainResource"))


def pretty_path(resource_type: str, rel: JsonPath) -> str:
    parts = [resource_type]
    for step in rel:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(parts)


@dataclass(slots=True)
class Pass:
    """State of one validation pass of one resource (or contained resource)."""

    engine: ProfileEngine
    view: ResourceView
    resource: dict[str, Any]
    rel_base: JsonPath  # path of ``resource`` inside the view's resource
    sd: StructureDef  # the definition this pass validates against
    mode: str
    profile_label: str | None  # canonical|version reported on findings
    profile_name: str  # short name for messages
    resolve: Callable[[str], dict[str, Any] | None]
    quiet: bool = False  # conformance probes only count errors; nothing is located
    findings: list[Finding] = field(default_factory=list)
    errors: int = 0

    # -- reporting -------------------------------------------------------------------
    def report(self, code: str, rel: JsonPath, message: str) -> None:
        self.engine.impure += 1  # a value that reports is not clean (engine.memo)
        if self.quiet:
            if lookup(code).severity >= Severity.ERROR:
                self.errors += 1
            return
        where = pretty_path(self.resource.get("resourceType", "?"), rel)
        self.findings.append(
            self.view.finding(
                code, f"{where}: {message}", self.rel_base + rel, profile=self.profile_label
            )
        )

    # -- entry point -----------------------------------------------------------------
    def run(self) -> None:
        self.run_value(self.resource, (), is_resource=True)

    def run_value(self, value: dict[str, Any], rel: JsonPath, is_resource: bool = False) -> None:
        """Validate ``value`` (the resource, or an extension) against ``self.sd``'s root."""
        root = self.sd.root
        plan = self.engine.plan_for(self.sd, root, self.mode)
        if not plan.relevant and self.mode != BASE:
            return
        self.check_values(plan, value, rel)
        if plan.constraints:
            self.check_constraints(plan, root, value, rel, self.sd.type)
        self.walk_object(self.sd, root, value, rel, is_resource=is_resource)

    # -- structure -------------------------------------------------------------------
    def walk_object(
        self,
        sd: StructureDef,
        scope: ElementDef,
        obj: dict[str, Any],
        rel: JsonPath,
        is_resource: bool = False,
    ) -> None:
        engine = self.engine
        if self.mode != BASE:
            # A profile pass looks only at the children its profile touches.
            for child in engine.relevant_children(sd, scope):
                key, type_code = self.present_key(engine.choice_keys(child), obj)
                plan = engine.plan_for(sd, child.element, self.mode)
                self.check_child(sd, child, plan, obj, key, type_code, rel)
            return
        index = engine.children(sd, scope)
        by_key = index.by_key
        seen: dict[str, str] = {}  # element path -> JSON name used
        for key in obj:
            name = key[1:] if key[:1] == "_" else key
            found = by_key.get(name)
            if found is None:
                if not (is_resource and key == "resourceType"):
                    self.report_unknown(key, name, by_key, rel)
                continue
            child = found
            type_code = child.keys[name]
            if name != key and not is_primitive(type_code):
                self.report(
                    "FHIR-STRUCT-007",
                    rel + (key,),
                    f"{key}: only primitive elements have a '_' companion",
                )
                continue
            path = child.element.path
            earlier = seen.get(path)
            if earlier is not None:
                if earlier != name:
                    self.report(
                        "FHIR-STRUCT-008",
                        rel + (key,),
                        f"{child.element.name} appears as both {earlier} and {name}; "
                        "a choice element takes exactly one type",
                    )
                continue
            seen[path] = name
            plan = engine.plan_for(sd, child.element, BASE)
            self.check_child(sd, child, plan, obj, name, type_code, rel)
        for child in index.required:
            if child.element.path not in seen:
                plan = engine.plan_for(sd, child.element, BASE)
                self.check_child(sd, child, plan, obj, None, "", rel)

    def present_key(self, keys: dict[str, str], obj: dict[str, Any]) -> tuple[str | None, str]:
        for key, type_code in keys.items():
            if key in obj or f"_{key}" in obj:
                return key, type_code
        return None, ""

    def report_unknown(
        self, key: str, name: str, by_key: dict[str, ChildDef], rel: JsonPath
    ) -> None:
        hint = ""
        for candidate in by_key.values():
            element = candidate.element
            if element.is_choice and name.startswith(element.name[:-3]):
                allowed = ", ".join(sorted(candidate.keys))
                hint = f" (allowed forms of {element.name}: {allowed})"
                break
        if not hint:
            lower = {k.lower(): k for k in by_key}
            if name.lower() in lower:
                hint = f" (did you mean {lower[name.lower()]!r}? names are case-sensitive)"
        self.report("FHIR-STRUCT-001", rel + (key,), f"unknown element {key!r}{hint}")

    def check_child(
        self,
        sd: StructureDef,
        child: ChildDef,
        plan: ElementPlan,
        obj: dict[str, Any],
        key: str | None,
        type_code: str,
        rel: JsonPath,
    ) -> None:
        element = child.element
        items = self.collect_items(element, plan, obj, key, rel) if key else []
        count = len(items)
        if (plan.cardinality or self.mode == BASE) and (
            count < plan.minimum or (plan.maximum is not None and count > plan.maximum)
        ):
            self.check_cardinality(
                element, count, rel + ((key,) if key else ()), key or element.name
            )
        if key is None:
            if self.mode == PROFILE and plan.must_support and self.engine.must_support:
                self.report(
                    "FHIR-PROFILE-003",
                    rel,
                    f"must-support element {element.name} is absent (profile {self.profile_name})",
                )
            if child.slices:
                self.check_slices(sd, child, [], rel, element.name)
            return
        if plan.allowed_types is not None and type_code not in plan.allowed_types:
            allowed = ", ".join(sorted(plan.allowed_types))
            self.report(
                "FHIR-STRUCT-009",
                rel + (key,),
                f"type {type_code} is not allowed here by {self.profile_name} (allowed: {allowed})",
            )
            return
        if element.content_reference:
            # Validated as the element it refers to (its children, invariants, bindings);
            # the cardinality above is the referring element's own.
            target = content_target(sd, element)
            if target is not None:
                element, plan = target, self.engine.plan_for(sd, target, self.mode)
        type_slice = child.type_slices.get(key)
        for item_rel, value, companion in items:
            self.visit(sd, element, plan, type_code, value, companion, item_rel)
            if type_slice is not None:
                slice_plan = self.engine.plan_for(sd, type_slice, self.mode)
                self.visit(sd, type_slice, slice_plan, type_code, value, companion, item_rel)
        if child.slices:
            self.check_slices(sd, child, items, rel, key)

    def collect_items(
        self, element: ElementDef, plan: ElementPlan, obj: dict[str, Any], key: str, rel: JsonPath
    ) -> list[tuple[JsonPath, Any, Any]]:
        """(path, value, '_' companion) per repetition; reports JSON array shape problems."""
        value = obj.get(key)
        companion = obj.get(f"_{key}")
        base = self.mode == BASE
        if plan.repeats:
            if value is not None and not isinstance(value, list):
                if base:
                    self.report(
                        "FHIR-STRUCT-004",
                        rel + (key,),
                        f"{key} repeats, so its JSON value must be an array "
                        f"(found {json_kind(value)})",
                    )
                value = [value]
            if companion is not None and not isinstance(companion, list):
                if base:
                    self.report(
                        "FHIR-STRUCT-007",
                        rel + (f"_{key}",),
                        f"_{key} must be an array aligned with {key}",
                    )
                companion = None
            values = value if isinstance(value, list) else []
            companions = companion if isinstance(companion, list) else []
            if base and value == []:
                self.report(
                    "FHIR-STRUCT-005",
                    rel + (key,),
                    f"{key} is an empty array; omit the element instead",
                )
            if base and companions and values and len(companions) != len(values):
                self.report(
                    "FHIR-STRUCT-007",
                    rel + (f"_{key}",),
                    f"_{key} has {len(companions)} items but {key} has {len(values)}; "
                    "the arrays must align",
                )
            length = max(len(values), len(companions))
            items = []
            for i in range(length):
                item_value = values[i] if i < len(values) else None
                item_companion = companions[i] if i < len(companions) else None
                if item_value is None and item_companion is None:
                    if base:
                        self.report(
                            "FHIR-STRUCT-006",
                            rel + (key, i),
                            f"{key}[{i}] is null; nulls are only allowed in arrays of "
                            "primitives to align with extensions",
                        )
                    continue
                items.append((rel + (key, i), item_value, item_companion))
            return items
        if isinstance(value, list):
            if base:
                self.report(
                    "FHIR-STRUCT-003",
                    rel + (key,),
                    f"{key} holds a single value, but the JSON has an array",
                )
            if not value:
                return []
            value = value[0]
        if value is None and key in obj and base:
            self.report("FHIR-STRUCT-006", rel + (key,), f"{key} is null; omit the element instead")
        if value is None and companion is None:
            return []
        return [(rel + (key,), value, companion)]

    def check_cardinality(self, element: ElementDef, count: int, rel: JsonPath, name: str) -> None:
        maximum = element.max_count
        if count < element.min:
            self.report(
                "FHIR-CARD-001",
                rel,
                f"{name}: minimum cardinality {element.min} required by "
                f"{self.profile_name}, found {count}",
            )
        if maximum is not None and count > maximum:
            if maximum == 0:
                self.report(
                    "FHIR-CARD-003",
                    rel,
                    f"{name} is not allowed by {self.profile_name} (max 0), found {count}",
                )
            else:
                self.report(
                    "FHIR-CARD-002",
                    rel,
                    f"{name}: maximum cardinality {maximum} in {self.profile_name}, found {count}",
                )

    # -- one value -------------------------------------------------------------------
    def visit(
        self,
        sd: StructureDef,
        element: ElementDef,
        plan: ElementPlan,
        type_code: str,
        value: Any,
        companion: Any,
        rel: JsonPath,
    ) -> None:
        base = self.mode == BASE
        if is_primitive(type_code) or type_code == "":
            if value is not None:
                valid = self.check_primitive(type_code, value, rel, element) if base else True
                if base and valid and type_code == "canonical":
                    self.engine.check_canonical(self, element, value, rel)
                self.check_values(plan, value, rel)
                if plan.binding is not None and valid:
                    self.engine.check_binding(self, plan.binding, type_code, value, rel)
            if companion is not None and base:
                self.check_companion(companion, rel)
            if plan.constraints and value is not None:
                self.check_constraints(plan, element, value, rel, type_code)
            return
        if type_code == "Resource" or (element.types and element.types[0].code == "Resource"):
            self.engine.visit_inline_resource(self, element, value, rel)
            return
        if not isinstance(value, dict):
            if base:
                self.report(
                    "FHIR-STRUCT-002",
                    rel,
                    f"{type_code} must be a JSON object (found {json_kind(value)})",
                )
            return
        if base and not value:
            self.report(
                "FHIR-STRUCT-005",
                rel,
                "empty object: every element must have a value or children (ele-1)",
            )
            return
        self.check_values(plan, value, rel)
        if plan.binding is not None and type_code in _CODED_TYPES:
            self.engine.check_binding(self, plan.binding, type_code, value, rel)
        if base and type_code == "Coding":
            self.engine.check_coding_syntax(self, value, rel)
        if base and type_code == "Attachment":
            self.engine.check_attachment(self, value, rel)
        if type_code == "Reference":
            self.engine.check_reference(self, element, plan, value, rel)
        if plan.constraints:
            self.check_constraints(plan, element, value, rel, type_code)
        self.descend(sd, element, plan, type_code, value, rel)

    def descend(
        self,
        sd: StructureDef,
        element: ElementDef,
        plan: ElementPlan,
        type_code: str,
        value: dict[str, Any],
        rel: JsonPath,
    ) -> None:
        if sd.children_of(element.id):
            self.walk_object(sd, element, value, rel)
            return
        if element.content_reference:
            target = sd.by_id.get(element.content_reference.split("#", 1)[-1])
            if target is not None:
                self.walk_object(sd, target, value, rel)
            return
        if self.mode == PROFILE:
            # A base datatype adds nothing over the base pass; a typed profile does.
            for profile_url in plan.type_profiles:
                self.engine.apply_type_profile(self, profile_url, value, rel)
            return
        type_sd = self.engine.structure(type_code)
        if type_sd is None:
            self.report("FHIR-STRUCT-015", rel, f"no definition for type {type_code}; not checked")
            return
        type_plan = self.engine.plan_for(type_sd, type_sd.root, BASE)
        if type_plan.constraints:
            self.check_constraints(type_plan, type_sd.root, value, rel, type_code)
        self.walk_object(type_sd, type_sd.root, value, rel)
        if type_code == "Extension":
            self.engine.check_extension(self, value, rel)

    def check_primitive(
        self, type_code: str, value: Any, rel: JsonPath, element: ElementDef
    ) -> bool:
        """Report format problems; False when the value is unusable as its type."""
        if type_code == "xhtml":
            if not isinstance(value, str) or not value.lstrip().startswith("<div"):
                self.report(
                    "FHIR-STRUCT-010", rel, "narrative div must be XHTML starting with <div"
                )
                return False
            return True
        if is_resource_id(element.path):
            # Resource.id is an id, though the snapshot types it as System.String; every
            # other id (Element.id of a datatype or backbone element) is a plain string.
            type_code = "id"
        message = self.engine.primitive_problem(type_code, value)
        if message is not None:
            code = "FHIR-STRUCT-002" if message.startswith("expected JSON") else "FHIR-STRUCT-010"
            self.report(code, rel, message)
            return False
        if isinstance(value, str):
            if value == "":
                self.report("FHIR-STRUCT-005", rel, "empty string; omit the element instead")
                return False
            self.engine.check_string_content(self, type_code, value, rel)
            if value != value.strip() and type_code in ("string", "markdown"):
                self.report(
                    "FHIR-STRUCT-011", rel, "leading or trailing whitespace in a string value"
                )
            if element.max_length is not None and len(value) > element.max_length:
                self.report(
                    "FHIR-STRUCT-010",
                    rel,
                    f"value is {len(value)} characters long; maxLength is {element.max_length}",
                )
        return True

    def check_companion(self, companion: Any, rel: JsonPath) -> None:
        companion_rel = (
            rel[:-1] + (f"_{rel[-1]}",)
            if isinstance(rel[-1], str)
            else (rel[:-2] + (f"_{rel[-2]}", rel[-1]))
        )
        if not isinstance(companion, dict):
            self.report(
                "FHIR-STRUCT-007",
                companion_rel,
                f"primitive extension must be a JSON object (found {json_kind(companion)})",
            )
            return
        if not companion:
            self.report("FHIR-STRUCT-005", companion_rel, "empty primitive extension object")
            return
        extension_sd = self.engine.structure("Element")
        if extension_sd is not None:
            self.walk_object(extension_sd, extension_sd.root, companion, companion_rel)

    def check_values(self, plan: ElementPlan, value: Any, rel: JsonPath) -> None:
        if plan.fixed is not None and not matches_fixed(value, plan.fixed[1]):
            self.report(
                "FHIR-FIXED-001",
                rel,
                f"must be exactly {describe(plan.fixed[1])} as fixed by "
                f"{self.profile_name} (found {describe(value)})",
            )
        if plan.pattern is not None and not matches_pattern(value, plan.pattern[1]):
            self.report(
                "FHIR-FIXED-002",
                rel,
                f"does not match the pattern {describe(plan.pattern[1])} required by "
                f"{self.profile_name} (found {describe(value)})",
            )

    def check_constraints(
        self, plan: ElementPlan, element: ElementDef, value: Any, rel: JsonPath, type_code: str
    ) -> None:
        for constraint in plan.constraints:
            self.engine.evaluate_constraint(self, constraint, value, rel, type_code, element.path)

    def check_slices(
        self,
        sd: StructureDef,
        child: ChildDef,
        items: list[tuple[JsonPath, Any, Any]],
        rel: JsonPath,
        key: str,
    ) -> None:
        self.engine.slicer.check(self, sd, child, items, rel, key)
