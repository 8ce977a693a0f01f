"""Per-element check plans, computed once per definition and cached.

The base pass checks everything a base definition says. A profile pass checks only
what the profile chain changed relative to the base (its "delta"): tighter
cardinality, type restrictions, fixed/pattern values, new bindings, new invariants,
slicing. Subtrees a profile never touches are skipped entirely, which is what keeps
profile validation cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pcocheck.definitions.model import Binding, Constraint, ElementDef, StructureDef
from pcocheck.engine.errata import corrected

PRIMITIVE_TYPES = frozenset(
    {
        "boolean",
        "integer",
        "string",
        "decimal",
        "uri",
        "url",
        "canonical",
        "base64Binary",
        "instant",
        "date",
        "dateTime",
        "time",
        "code",
        "oid",
        "id",
        "markdown",
        "unsignedInt",
        "positiveInt",
        "uuid",
        "xhtml",
        "integer64",
        "System.String",
        "System.Boolean",
        "System.Integer",
        "System.Decimal",
        "System.Date",
        "System.DateTime",
        "System.Time",
    }
)
# Handled natively elsewhere (empty-element and JSON checks) or by the engine itself.
NATIVELY_COVERED = frozenset({"ele-1"})


def is_primitive(type_code: str) -> bool:
    return type_code in PRIMITIVE_TYPES


def choice_key(base_name: str, type_code: str) -> str:
    """``value[x]`` + ``Quantity`` → ``valueQuantity``; ``string`` → ``valueString``."""
    stem = base_name[:-3]
    return stem + type_code[0].upper() + type_code[1:]


@dataclass(slots=True)
class ChildDef:
    """One child element of a scope, with its slices and the JSON keys it accepts."""

    element: ElementDef
    slices: list[ElementDef] = field(default_factory=list)
    type_slices: dict[str, ElementDef] = field(default_factory=dict)  # value[x]:valueQuantity
    keys: dict[str, str] = field(default_factory=dict)  # JSON key -> type code

    @property
    def name(self) -> str:
        return self.element.name


@dataclass(slots=True)
class ChildIndex:
    defs: list[ChildDef]
    by_key: dict[str, ChildDef]
    # Children that must be looked at even when absent (min > 0, or a slice with min > 0).
    required: list[ChildDef] = field(default_factory=list)


def build_child_index(sd: StructureDef, scope: ElementDef) -> ChildIndex:
    defs: dict[str, ChildDef] = {}
    order: list[str] = []
    for child in sd.children_of(scope.id):
        if child.slice_name is None:
            defs[child.path] = ChildDef(child)
            order.append(child.path)
    for child in sd.children_of(scope.id):
        if child.slice_name is None:
            continue
        owner = defs.get(child.path)
        if owner is None:
            continue
        if owner.element.is_choice and child.slice_name == choice_type_slice_name(
            owner.element, child
        ):
            owner.type_slices[child.slice_name] = child
        else:
            owner.slices.append(child)
    by_key: dict[str, ChildDef] = {}
    for path in order:
        child_def = defs[path]
        element = child_def.element
        if element.is_choice:
            for type_ref in element.types:
                key = choice_key(element.name, type_ref.code)
                child_def.keys[key] = type_ref.code
        else:
            child_def.keys[element.name] = element_type_code(sd, element)
        for key in child_def.keys:
            by_key[key] = child_def
    ordered = [defs[p] for p in order]
    required = [c for c in ordered if c.element.min > 0 or any(s.min > 0 for s in c.slices)]
    return ChildIndex(ordered, by_key, required)


def content_target(sd: StructureDef, element: ElementDef) -> ElementDef | None:
    """The element a ``contentReference`` element takes its definition from.

    ``Questionnaire.item.item`` has no type of its own: it is ``#Questionnaire.item``
    again. Profiles may spell the reference as ``url#path``; only the path matters here.
    """
    reference = element.content_reference
    if not reference:
        return None
    return sd.by_id.get(reference.split("#", 1)[-1])


def element_type_code(sd: StructureDef, element: ElementDef) -> str:
    """The (single) type code of a non-choice element, following ``contentReference``."""
    if element.types:
        return element.types[0].code
    target = content_target(sd, element)
    if target is not None and target.types:
        return target.types[0].code
    return ""


def choice_type_slice_name(choice: ElementDef, candidate: ElementDef) -> str | None:
    """The slice name a type slice of ``choice`` would have (``valueQuantity``), if any."""
    if not candidate.types or len(candidate.types) != 1:
        return None
    return choice_key(choice.name, candidate.types[0].code)


@dataclass(frozen=True, slots=True)
class ElementPlan:
    """What to check on the instances of one element in one pass."""

    cardinality: bool
    allowed_types: frozenset[str] | None  # None: no restriction to enforce in this pass
    fixed: tuple[str, object] | None
    pattern: tuple[str, object] | None
    binding: Binding | None
    constraints: tuple[Constraint, ...]
    target_profiles: tuple[str, ...]  # for Reference/canonical: profiles a target must meet
    type_profiles: tuple[str, ...]  # profiles the element's value must conform to
    must_support: bool
    has_slicing: bool
    relevant: bool  # this element or a descendant has something to check in this pass
    minimum: int = 0
    maximum: int | None = None  # None: unbounded
    repeats: bool = False  # an array in JSON (decided by the base definition)


def base_plan(element: ElementDef) -> ElementPlan:
    targets: list[str] = []
    for type_ref in element.types:
        targets.extend(type_ref.target_profiles)
    return ElementPlan(
        cardinality=True,
        allowed_types=None,
        fixed=element.fixed,
        pattern=element.pattern,
        binding=element.binding,
        constraints=tuple(
            corrected(c) for c in element.constraints if c.key not in NATIVELY_COVERED
        ),
        target_profiles=tuple(targets),
        type_profiles=(),
        must_support=element.must_support,
        has_slicing=element.slicing is not None,
        relevant=True,
    )


def delta_plan(
    element: ElementDef, base: ElementDef | None, has_relevant_child: bool
) -> ElementPlan:
    """Checks a profile element adds over its base definition."""
    if base is None:
        plan = base_plan(element)
        restricted = frozenset(t.code for t in element.types) or None
        type_profiles = tuple(p for t in element.types for p in t.profiles)
        return ElementPlan(
            cardinality=True,
            allowed_types=restricted,
            fixed=plan.fixed,
            pattern=plan.pattern,
            binding=plan.binding,
            constraints=plan.constraints,
            target_profiles=plan.target_profiles,
            type_profiles=type_profiles,
            must_support=element.must_support,
            has_slicing=plan.has_slicing,
            relevant=True,
        )
    cardinality = element.slice_name is not None or (element.min, element.max) != (
        base.min,
        base.max,
    )
    base_types = {t.code for t in base.types}
    types = {t.code for t in element.types}
    allowed = frozenset(types) if types and types != base_types else None
    base_targets = {p for t in base.types for p in t.target_profiles}
    targets = tuple(p for t in element.types for p in t.target_profiles if p not in base_targets)
    type_profiles = tuple(
        p
        for t in element.types
        for p in t.profiles
        if p not in {q for b in base.types for q in b.profiles}
    )
    binding = element.binding if element.binding != base.binding else None
    base_keys = {c.key for c in base.constraints}
    constraints = tuple(
        corrected(c)
        for c in element.constraints
        if c.key not in base_keys and c.key not in NATIVELY_COVERED
    )
    fixed = element.fixed if element.fixed != base.fixed else None
    pattern = element.pattern if element.pattern != base.pattern else None
    has_slicing = element.slicing is not None
    own = bool(
        cardinality
        or allowed
        or targets
        or type_profiles
        or binding
        or constraints
        or fixed
        or pattern
        or has_slicing
        or element.must_support
    )
    return ElementPlan(
        cardinality=cardinality,
        allowed_types=allowed,
        fixed=fixed,
        pattern=pattern,
        binding=binding,
        constraints=constraints,
        target_profiles=targets,
        type_profiles=type_profiles,
        must_support=element.must_support,
        has_slicing=has_slicing,
        relevant=own or has_relevant_child,
    )


BaseLookup = Callable[[StructureDef, ElementDef], ElementDef | None]


def profile_plans(sd: StructureDef, base_lookup: BaseLookup) -> dict[str, ElementPlan]:
    """Delta plans for every element of a profile snapshot, keyed by element id."""
    plans: dict[str, ElementPlan] = {}
    # Children come after parents in a snapshot: walk backwards so that a parent knows
    # whether any descendant is relevant.
    relevant_below: set[str] = set()
    for element in reversed(sd.elements):
        plan = delta_plan(element, base_lookup(sd, element), element.id in relevant_below)
        plans[element.id] = plan
        if plan.relevant:
            parent = element.id.rsplit(".", 1)[0] if "." in element.id else None
            if parent is not None:
                relevant_below.add(parent)
                # A slice's parent id is the sliced element's parent; the unsliced element
                # itself must also be visited so that its slices are reached.
                if element.slice_name is not None:
                    relevant_below.add(element.id.rsplit(":", 1)[0])
    return plans
