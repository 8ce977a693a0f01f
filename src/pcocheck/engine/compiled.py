"""The compiled walk: definitions turned once into tables the walk only reads.

The interpretive walk (:mod:`pcocheck.engine.walker`) asks, for every JSON node, which
child definition a key names, what its plan is, whether it repeats, which type it has,
whether that type is primitive, which format checker applies, where its children are
defined, and so on: about a dozen dictionary lookups and calls per node. Here each
(definition, scope) is compiled on first use:

- base passes: a :class:`CompiledScope` whose :class:`Slot` per JSON key (``name`` and
  ``_name``) already holds all of that, and whose :class:`VisitSpec` says what to do with
  one value (format checker, string pre-checks, fixed/pattern, binding, prepared
  invariants, reference/coding/attachment checks, the scope to descend into);
- profile passes: a :data:`ProfileScope` of the children the profile touches
  (:class:`ProfileSlot`, :class:`ProfileSpec`), with their JSON forms, plans, content
  targets, type slices and prepared invariants.

The findings are those of the interpretive walk, in the same order:
:class:`CompiledPass` replaces ``walk_object``, ``visit`` and ``check_constraints`` and calls the
same reporting and engine checks; slice members (``Pass.visit``) go through specs too.
``tests/engine/test_compiled_differential.py`` runs both on every fixture,
a generated corpus and seeded mutations of it.

Slots and the specs of references and extensions remember the values that validated
clean (:mod:`pcocheck.engine.memo`), so repeated content is checked once; so do the specs
of complex array items and slice members (``items``), whose arrays vary more than they do.

Compiled tables live in the engine (one run: definitions do not change during a run);
they are rebuilt per process, never shared (pcocheck.parallel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pcocheck.definitions.model import Constraint, ElementDef, StructureDef
from pcocheck.engine.content import MAX_STRING
from pcocheck.engine.memo import (
    MIN_HITS,
    TRIAL,
    Memo,
    MemoKey,
    slot_key,
)
from pcocheck.engine.plan import ChildDef, ElementPlan, content_target, is_primitive
from pcocheck.engine.primitives import checker_for, fhir_primitive, json_kind
from pcocheck.engine.urns import with_urn_check
from pcocheck.engine.walker import BASE, PROFILE, Pass, is_resource_id
from pcocheck.finding import JsonPath

if TYPE_CHECKING:
    from pcocheck.engine.core import ProfileEngine

_CODED_TYPES = frozenset({"code", "Coding", "CodeableConcept", "Quantity", "string", "uri"})
_URL_TYPES = frozenset({"url", "canonical"})
_UNLIMITED = frozenset({"base64Binary", "xhtml"})
_REPLAYED = frozenset({"Reference", "Extension"})  # see VisitSpec.memo
_Spec = TypeVar("_Spec")  # VisitSpec or ProfileSpec (see CompiledPass.visit_items)

# Constraints with their quick pre-check (InvariantEvaluator.prepare), if they have one,
# and whether they read more than the node (reads_context).
Prepared = tuple[
    tuple[Constraint, Callable[[Any, dict[str, Any], dict[str, Any]], bool] | None, bool], ...
]

# What lets an invariant see beyond its node: the resource, the container, resolve().
_CONTEXT_MARKERS = ("%resource", "%rootResource", "resolve(")


def reads_context(constraint: Constraint) -> bool:
    """Whether ``constraint``'s outcome may depend on more than the node it is on (see
    pcocheck.engine.memo). dom-6 is skipped for contained resources (by position)."""
    expression = constraint.expression or ""
    return constraint.key == "dom-6" or any(m in expression for m in _CONTEXT_MARKERS)


def prepared(
    engine: ProfileEngine, constraints: tuple[Constraint, ...], type_code: str, path: str
) -> Prepared:
    """As engine.evaluate_constraint passes them: the element path only for a backbone."""
    path_arg = path if type_code in ("BackboneElement", "Element", "") else None
    return tuple(
        (c, engine.invariants.prepare(c, type_code, path_arg), reads_context(c))
        for c in constraints
    )


CLEAN_LENGTH = 128  # longest string remembered as clean
CLEAN_KEPT = 512  # clean strings remembered per spec

# What a visit does with a value, chosen once per spec.
PRIMITIVE, INLINE_RESOURCE, COMPLEX = 0, 1, 2


# value_key's mark of a value not rendered yet (None: no key); compared by identity.
_UNRENDERED: MemoKey = "\0 not rendered"


def well_formed_items(
    repeats: bool, companion: Any, value: Any, rel: JsonPath, key: str
) -> list[tuple[JsonPath, Any, Any]] | None:
    """The items of a repeating element's well-formed array (non-empty, no null, no ``_``
    companion: nothing for ``collect_items`` to report), as ``collect_items`` lists them;
    None for anything else (``collect_items`` then lists and reports)."""
    if repeats and companion is None and type(value) is list and value and None not in value:
        return [(rel + (key, i), item, None) for i, item in enumerate(value)]
    return None


class VisitSpec:
    """How to check one value of one element with one type in the base pass."""

    __slots__ = (
        "binding",
        "check_string",
        "checker",
        "clean",
        "constraints",
        "contextual",
        "element",
        "extension",
        "format_type",
        "has_values",
        "items",
        "kind",
        "max_length",
        "memo",
        "path",
        "plan",
        "sd",
        "sub",
        "sub_resolved",
        "type_code",
        "type_constraints",
        "type_contextual",
        "type_rest",
        "type_root",
        "whitespace",
        "xhtml",
    )

    def __init__(
        self,
        engine: ProfileEngine,
        sd: StructureDef,
        element: ElementDef,
        type_code: str,
        items: bool = False,
    ) -> None:
        plan = engine.plan_for(sd, element, BASE)
        self.sd = sd
        self.element = element
        self.plan = plan
        self.path = element.path
        self.type_code = type_code
        self.constraints = prepared(engine, plan.constraints, type_code, element.path)
        self.has_values = plan.fixed is not None or plan.pattern is not None
        self.binding = plan.binding
        self.max_length = element.max_length
        self.xhtml = type_code == "xhtml"
        # Resource.id is an id, though the snapshot types it as System.String.
        self.format_type = "id" if is_resource_id(element.path) else type_code
        checked_as = fhir_primitive(self.format_type)
        self.checker = with_urn_check(checked_as, checker_for(checked_as))
        # The string content checks (engine.check_string_content) only have something to
        # say about a long string, markup in a string, or a url/canonical (example urls).
        self.check_string = (
            self.format_type == "string"
            or (self.format_type in _URL_TYPES and not engine.extension_policy.allow_example_urls),
            self.format_type not in _UNLIMITED,
        )
        self.whitespace = self.format_type in ("string", "markdown")
        # Strings that passed every format check of this spec (codes, systems, urls
        # repeat across resources): the verdict depends on the value alone. Bounded.
        self.clean: set[str] = set()
        if is_primitive(type_code) or type_code == "":
            self.kind = PRIMITIVE
        elif type_code == "Resource" or (element.types and element.types[0].code == "Resource"):
            self.kind = INLINE_RESOURCE
        else:
            self.kind = COMPLEX
        self.extension = False
        self.type_root: StructureDef | None = None
        self.type_constraints: Prepared = ()
        self.type_rest: Prepared = ()  # see resolve_sub
        self.type_contextual: Prepared = ()
        self.sub: CompiledScope | None = None
        self.sub_resolved = False
        # A Reference or an Extension is remembered apart from what depends on where it
        # sits (its resolution, its context, the invariants reading the resource), which
        # runs again on a repeat (CompiledPass.replay).
        self.memo = Memo() if type_code in _REPLAYED and self.kind == COMPLEX else None
        # Clean objects among the items of an array or the members of a slice (``items``:
        # a slot's own memo keys the whole array, which varies more than its items).
        self.items = Memo() if items and self.kind == COMPLEX and self.memo is None else None
        self.contextual = tuple(c for c in self.constraints if c[2])

    def resolve_sub(self, engine: ProfileEngine) -> None:
        """Where a complex value's children are defined (compiled on first use, so that
        recursive types such as Extension.extension compile lazily)."""
        sd, element = self.sd, self.element
        self.sub_resolved = True
        if sd.children_of(element.id):
            self.sub = engine.compiled_scope(sd, element)
            return
        if element.content_reference:
            target = sd.by_id.get(element.content_reference.split("#", 1)[-1])
            if target is not None:
                self.sub = engine.compiled_scope(sd, target)
            return
        type_sd = engine.structure(self.type_code)
        if type_sd is None:
            return
        self.type_root = type_sd
        type_plan = engine.plan_for(type_sd, type_sd.root, BASE)
        self.type_constraints = prepared(
            engine, type_plan.constraints, self.type_code, type_sd.root.path
        )
        self.type_contextual = tuple(c for c in self.type_constraints if c[2])
        # The type's constraints but those the element repeats (ext-1 is on every
        # extension element and on the Extension type): checked with the same quick
        # pre-check on the same node (same key, expression and type path: the element
        # path matters only for a backbone), so one that passed on the element passes
        # again. Used when every quick pre-check of the element passed (engine.slow).
        self.type_rest = self.type_constraints
        if self.type_code not in ("BackboneElement", "Element", ""):
            own = {
                (c.key, c.expression)
                for c, quick, contextual in self.constraints
                if quick is not None and not contextual
            }
            self.type_rest = tuple(
                t
                for t in self.type_constraints
                if t[1] is None or t[2] or (t[0].key, t[0].expression) not in own
            )
        self.sub = engine.compiled_scope(type_sd, type_sd.root)
        self.extension = self.type_code == "Extension"


class Slot:
    """One JSON key of a scope (``name``, or its ``_name`` companion)."""

    __slots__ = (
        "child",
        "companion_key",
        "element",
        "maximum",
        "memo",
        "minimum",
        "name",
        "path",
        "plain",
        "plan",
        "primitive",
        "repeats",
        "slices",
        "spec",
        "type_code",
        "type_slice_spec",
    )

    def __init__(
        self,
        engine: ProfileEngine,
        sd: StructureDef,
        child: ChildDef,
        name: str,
        type_code: str,
    ) -> None:
        element = child.element
        plan: ElementPlan = engine.plan_for(sd, element, BASE)
        self.child = child
        self.element = element
        self.plan = plan
        self.name = name
        self.companion_key = "_" + name
        self.path = element.path
        self.type_code = type_code
        self.primitive = is_primitive(type_code)
        self.repeats = plan.repeats
        self.minimum = plan.minimum
        self.maximum = plan.maximum
        self.slices = bool(child.slices)
        visited = element
        if element.content_reference:
            # Validated as the element it refers to; the cardinality is the referring one's.
            target = content_target(sd, element)
            if target is not None:
                visited = target
        self.spec = VisitSpec(engine, sd, visited, type_code, self.repeats)
        type_slice = child.type_slices.get(name)
        self.type_slice_spec = (
            VisitSpec(engine, sd, type_slice, type_code, self.repeats)
            if type_slice is not None
            else None
        )
        spec = self.spec
        # A single primitive whose one value needs only its format checks (which remember
        # the strings that passed): a clean string needs nothing at all.
        self.plain = (
            spec.kind == PRIMITIVE
            and not spec.xhtml
            and spec.type_code != "canonical"
            and not spec.has_values
            and spec.binding is None
            and not spec.constraints
            and self.type_slice_spec is None
            and not self.slices
            and not self.repeats
            and self.minimum <= 1
            and (self.maximum is None or self.maximum >= 1)
        )
        # Clean values seen here (pcocheck.engine.memo); a plain slot has its strings.
        self.memo: Memo | None = None if self.plain or self.spec.memo is not None else Memo()


class CompiledScope:
    """The children of one element (or type root) of one definition, by JSON key."""

    __slots__ = ("by_key", "merged", "required", "sd", "slots")

    def __init__(self, engine: ProfileEngine, sd: StructureDef, scope: ElementDef) -> None:
        index = engine.children(sd, scope)
        self.sd = sd
        # The merged walk's tables of this scope with profile scopes (engine.merged), by
        # the ids of those profile scopes (cached in the engine for the run: ids stable).
        self.merged: dict[tuple[int, ...], Any] = {}
        self.by_key = index.by_key  # for the "did you mean" hints of unknown keys
        self.slots: dict[str, Slot] = {}
        for name, child in index.by_key.items():
            self.slots[name] = Slot(engine, sd, child, name, child.keys[name])
        self.required = [
            self.slots[next(iter(child.keys))] if child.keys else Slot(engine, sd, child, "", "")
            for child in index.required
        ]


class ProfileSpec:
    """How a profile pass checks one value of one element with one type: what
    :meth:`Pass.visit` does in profile mode, decided once."""

    __slots__ = (
        "binding",
        "coded",
        "constraints",
        "contextual",
        "element",
        "has_values",
        "items",
        "kind",
        "memo",
        "path",
        "plan",
        "reference",
        "sd",
        "sub",
        "sub_resolved",
        "type_code",
        "type_profiles",
    )

    def __init__(
        self,
        engine: ProfileEngine,
        sd: StructureDef,
        element: ElementDef,
        type_code: str,
        items: bool = False,
    ) -> None:
        plan = engine.plan_for(sd, element, PROFILE)
        self.sd = sd
        self.element = element
        self.plan = plan
        self.path = element.path
        self.type_code = type_code
        self.has_values = plan.fixed is not None or plan.pattern is not None
        self.binding = plan.binding
        self.coded = type_code in _CODED_TYPES
        self.reference = type_code == "Reference"
        self.constraints = prepared(engine, plan.constraints, type_code, element.path)
        self.type_profiles = plan.type_profiles
        if is_primitive(type_code) or type_code == "":
            self.kind = PRIMITIVE
        elif type_code == "Resource" or (element.types and element.types[0].code == "Resource"):
            self.kind = INLINE_RESOURCE
        else:
            self.kind = COMPLEX
        self.sub: ProfileScope | None = None
        self.sub_resolved = False
        # A Reference whose targets the profile narrows: remembered apart from its
        # resolution and the invariants reading the resource (see VisitSpec.memo).
        self.memo = (
            Memo() if self.reference and self.kind == COMPLEX and plan.target_profiles else None
        )
        # Clean objects among array items and slice members (see VisitSpec.items).
        self.items = Memo() if items and self.kind == COMPLEX and self.memo is None else None
        self.contextual = tuple(c for c in self.constraints if c[2])

    def resolve_sub(self, engine: ProfileEngine) -> None:
        """The profile scope a complex value descends into (None: its type profiles)."""
        sd, element = self.sd, self.element
        self.sub_resolved = True
        if sd.children_of(element.id):
            self.sub = engine.profile_scope(sd, element)
        elif element.content_reference:
            target = sd.by_id.get(element.content_reference.split("#", 1)[-1])
            self.sub = engine.profile_scope(sd, target) if target is not None else []


class ProfileSlot:
    """A child a profile pass visits (it or a descendant has something to check)."""

    __slots__ = (
        "absent_checks",
        "absent_slices",
        "child",
        "element",
        "keys",
        "lookup",
        "memo",
        "name",
        "plan",
        "slices",
        "specs",
        "type_code",
        "type_slice_specs",
        "underscored",
    )

    def __init__(self, engine: ProfileEngine, sd: StructureDef, child: ChildDef) -> None:
        element = child.element
        self.child = child
        self.element = element
        self.plan = engine.plan_for(sd, element, PROFILE)
        self.slices = bool(child.slices)
        # (name, _name, type code) in the order Pass.present_key tries them.
        self.keys = tuple((k, "_" + k, t) for k, t in engine.choice_keys(child).items())
        # JSON key (name or _name) -> (order, name, type), for choices; None: one key.
        self.lookup: dict[str, tuple[int, str, str]] | None = None
        self.name, self.underscored, self.type_code = self.keys[0] if self.keys else ("", "", "")
        plan = self.plan
        # Whether an absent element needs a look: its cardinality, must-support, slices
        # (with no item, only a slice that requires one has something to say).
        self.absent_slices = any(s.min > 0 for s in child.slices)
        self.absent_checks = bool(
            (plan.cardinality and plan.minimum > 0)
            or (plan.must_support and engine.must_support)
            or self.absent_slices
        )
        if len(self.keys) != 1:
            self.lookup = {}
            for order, (name, underscored, code) in enumerate(self.keys):
                self.lookup[name] = self.lookup[underscored] = (order, name, code)
        visited = element
        if element.content_reference:
            target = content_target(sd, element)
            if target is not None:
                visited = target
        repeats = self.plan.repeats
        self.specs = {k: ProfileSpec(engine, sd, visited, t, repeats) for k, _, t in self.keys}
        # Clean (key, value) pairs (pcocheck.engine.memo); a Reference's spec has its own.
        self.memo: Memo | None = (
            None if any(spec.memo is not None for spec in self.specs.values()) else Memo()
        )
        self.type_slice_specs = {
            k: ProfileSpec(engine, sd, child.type_slices[k], t, repeats)
            for k, _, t in self.keys
            if k in child.type_slices
        }


# The children a profile pass visits under one scope, in definition order.
ProfileScope = list[ProfileSlot]


def profile_scope(engine: ProfileEngine, sd: StructureDef, scope: ElementDef) -> ProfileScope:
    return [ProfileSlot(engine, sd, child) for child in engine.relevant_children(sd, scope)]


def member_spec(
    engine: ProfileEngine, sd: StructureDef, element: ElementDef, type_code: str, base: bool
) -> VisitSpec | ProfileSpec:
    """The spec :meth:`CompiledPass.visit` checks a slice member with (made on first use,
    cached in the engine; the element is kept with its entry)."""
    key = (id(element), sd.url, type_code, base)
    cache = engine.visit_specs
    entry = cache.get(key)
    if entry is None or entry[0] is not element:
        spec: VisitSpec | ProfileSpec = (
            VisitSpec(engine, sd, element, type_code, True)
            if base
            else ProfileSpec(engine, sd, element, type_code, True)
        )
        entry = (element, spec)
        cache[key] = entry
    found: VisitSpec | ProfileSpec = entry[1]
    return found


ChoiceForm = tuple[int, str, str]  # (order, JSON key, type code)


def choice_form(lookup: dict[str, ChoiceForm], obj: dict[str, Any]) -> ChoiceForm | None:
    """A choice element's form in ``obj`` (Extension.value[x] has about 50 forms): the
    object's few keys looked up, keeping the form Pass.present_key would try first."""
    best: ChoiceForm | None = None
    for present in obj:
        hit = lookup.get(present)
        if hit is not None and (best is None or hit[0] < best[0]):
            best = hit
    return best


class CompiledPass(Pass):
    """A :class:`Pass` whose base-mode object walk runs on compiled scopes."""

    __slots__ = ()

    def walk_object(
        self,
        sd: StructureDef,
        scope: ElementDef,
        obj: dict[str, Any],
        rel: JsonPath,
        is_resource: bool = False,
    ) -> None:
        if self.mode != BASE:
            self.walk_profile(self.engine.profile_scope(sd, scope), sd, obj, rel)
            return
        self.walk_compiled(self.engine.compiled_scope(sd, scope), obj, rel, is_resource)

    def value_key(self, value: Any, companion: Any) -> MemoKey | None:
        """:func:`slot_key`, rendered once per value object while one resource is checked
        (its base and profile passes look at the same values; the engine clears the
        table per resource, while every value it names is alive)."""
        if companion is not None:
            return slot_key(value, companion)
        keys = self.engine.value_keys
        ident = id(value)
        key = keys.get(ident, _UNRENDERED)
        if key is not _UNRENDERED:
            return key
        key = slot_key(value, None)
        keys[ident] = key
        return key

    def walk_profile(
        self, children: ProfileScope, sd: StructureDef, obj: dict[str, Any], rel: JsonPath
    ) -> None:
        """The profile walk of :meth:`Pass.walk_object` and :meth:`Pass.check_child`:
        only the children the profile touches, with everything looked up once."""
        for slot in children:
            self.profile_slot(slot, sd, obj, rel)

    def profile_slot(
        self, slot: ProfileSlot, sd: StructureDef, obj: dict[str, Any], rel: JsonPath
    ) -> None:
        """One child of :meth:`walk_profile`: found in ``obj`` under the JSON key
        :meth:`Pass.present_key` would pick, or absent."""
        lookup = slot.lookup
        if lookup is None:
            name = slot.name
            if name in obj or slot.underscored in obj:
                self.profile_slot_at(slot, sd, obj, rel, name, slot.type_code)
            elif slot.absent_checks:
                self.profile_absent(slot, sd, rel)
            return
        best = choice_form(lookup, obj)
        if best is None:
            self.profile_absent(slot, sd, rel)
        else:
            self.profile_slot_at(slot, sd, obj, rel, best[1], best[2])

    def profile_absent(self, slot: ProfileSlot, sd: StructureDef, rel: JsonPath) -> None:
        """What a profile says about a child that is absent."""
        plan = slot.plan
        if plan.cardinality and plan.minimum > 0:
            self.check_cardinality(slot.element, 0, rel, slot.element.name)
        if plan.must_support and self.engine.must_support:
            self.report(
                "FHIR-PROFILE-003",
                rel,
                f"must-support element {slot.element.name} is absent (profile {self.profile_name})",
            )
        if slot.absent_slices:
            self.check_slices(sd, slot.child, [], rel, slot.element.name)

    def profile_slot_at(
        self,
        slot: ProfileSlot,
        sd: StructureDef,
        obj: dict[str, Any],
        rel: JsonPath,
        key: str,
        type_code: str,
    ) -> None:
        """A child found under ``key``: its clean values remembered (engine.memo)."""
        value = obj.get(key)
        companion = obj.get("_" + key)
        memo = slot.memo
        if value is not None and memo is not None and (memo.tries < TRIAL or memo.hits >= MIN_HITS):
            memo.tries += 1  # a value too large to remember counts as a miss
            frozen = self.value_key(value, companion)
            if frozen is not None:
                memo_key = (key, frozen) if slot.lookup is not None else frozen
                if memo_key in memo.clean:
                    memo.hits += 1
                    return
                before = self.engine.impure
                self.profile_present(slot, sd, obj, rel, key, type_code, value, companion)
                if self.engine.impure == before and not self.quiet:
                    memo.remember(memo_key, len(frozen))
                return
        self.profile_present(slot, sd, obj, rel, key, type_code, value, companion)

    def profile_present(
        self,
        slot: ProfileSlot,
        sd: StructureDef,
        obj: dict[str, Any],
        rel: JsonPath,
        key: str,
        type_code: str,
        value: Any,
        companion: Any,
    ) -> None:
        """The profile checks of a child that is present (under ``key``)."""
        plan = slot.plan
        if not plan.repeats and value is not None and type(value) is not list:
            items = [(rel + (key,), value, companion)]
        else:
            listed = well_formed_items(plan.repeats, companion, value, rel, key)
            items = (
                listed
                if listed is not None
                else self.collect_items(slot.element, plan, obj, key, rel)
            )
        count = len(items)
        if plan.cardinality and (
            count < plan.minimum or (plan.maximum is not None and count > plan.maximum)
        ):
            self.check_cardinality(slot.element, count, rel + (key,), key)
        if plan.allowed_types is not None and type_code not in plan.allowed_types:
            allowed = ", ".join(sorted(plan.allowed_types))
            self.report(
                "FHIR-STRUCT-009",
                rel + (key,),
                f"type {type_code} is not allowed here by {self.profile_name} (allowed: {allowed})",
            )
            return
        spec = slot.specs[key]
        type_spec = slot.type_slice_specs.get(key)
        for item_rel, item_value, _companion in items:
            self.visit_profile(spec, item_value, item_rel)
            if type_spec is not None:
                self.visit_profile(type_spec, item_value, item_rel)
        if slot.slices:
            self.check_slices(sd, slot.child, items, rel, key)

    def visit_profile(self, spec: ProfileSpec, value: Any, rel: JsonPath) -> None:
        """:meth:`Pass.visit` in profile mode (the '_' companion is the base pass's)."""
        kind = spec.kind
        engine = self.engine
        if kind == PRIMITIVE:
            if value is not None:
                if spec.has_values:
                    self.check_values(spec.plan, value, rel)
                if spec.binding is not None:
                    engine.check_binding(self, spec.binding, spec.type_code, value, rel)
                if spec.constraints:
                    self.check_prepared(spec.constraints, value, rel, spec.type_code, spec.path)
            return
        if kind == INLINE_RESOURCE or not isinstance(value, dict):
            return  # inline resources are validated by the base pass
        type_code = spec.type_code
        memo = spec.memo
        if memo is not None and (memo.tries < TRIAL or memo.hits >= MIN_HITS):
            memo.tries += 1  # a value too large to remember counts as a miss
            key = self.value_key(value, None)
            if key is not None:
                if key in memo.clean:
                    memo.hits += 1
                    # Remembered clean apart from what depends on where it sits.
                    engine.check_reference(self, spec.element, spec.plan, value, rel)
                    if spec.contextual:
                        self.check_prepared(spec.contextual, value, rel, type_code, spec.path)
                    return
                start = engine.impure
                replayed = self.visit_profile_complex(spec, value, rel)
                if engine.impure - start == replayed and not self.quiet:
                    memo.remember(key, len(key))
                return
        items = spec.items
        if items is None:
            self.visit_profile_complex(spec, value, rel)
        else:
            self.visit_items(items, spec, value, rel, self.visit_profile_complex)

    def visit_items(
        self,
        items: Memo,
        spec: _Spec,
        value: dict[str, Any],
        rel: JsonPath,
        visit: Callable[[_Spec, dict[str, Any], JsonPath], object],
    ) -> None:
        """``visit`` an object that is an array item or slice member, unless ``items`` (the
        spec's memo of such objects) remembers it clean for this spec (engine.memo)."""
        if items.tries < TRIAL or items.hits >= MIN_HITS:
            items.tries += 1
            key = self.value_key(value, None)
            if key is not None:
                if key in items.clean:
                    items.hits += 1
                    return
                engine = self.engine
                start = engine.impure
                visit(spec, value, rel)
                if engine.impure == start and not self.quiet:
                    items.remember(key, len(key))
                return
        visit(spec, value, rel)

    def visit_profile_complex(self, spec: ProfileSpec, value: dict[str, Any], rel: JsonPath) -> int:
        """:meth:`visit_profile` of an object; returns the impurity (engine.memo) of its
        reference check and the invariants reading the resource (see visit_reference)."""
        engine = self.engine
        type_code = spec.type_code
        if spec.has_values:
            self.check_values(spec.plan, value, rel)
        if spec.binding is not None and spec.coded:
            engine.check_binding(self, spec.binding, type_code, value, rel)
        replayed = 0
        if spec.reference:
            mark = engine.impure
            engine.check_reference(self, spec.element, spec.plan, value, rel)
            replayed = engine.impure - mark
        if spec.constraints:
            replayed += self.check_prepared(spec.constraints, value, rel, type_code, spec.path)
        if not spec.sub_resolved:
            spec.resolve_sub(engine)
        if spec.sub is not None:
            self.walk_profile(spec.sub, spec.sd, value, rel)
            return replayed
        for profile_url in spec.type_profiles:
            engine.apply_type_profile(self, profile_url, value, rel)
        return replayed

    def walk_compiled(
        self, scope: CompiledScope, obj: dict[str, Any], rel: JsonPath, is_resource: bool = False
    ) -> None:
        slots = scope.slots
        seen: dict[str, str] = {}  # element path -> JSON name used
        for key in obj:
            slot = slots.get(key)
            if slot is not None and slot.plain:
                # check_slot's first test, here: a plain string that passed under this slot
                # before, with no '_' companion and no earlier form of its element, needs
                # nothing (most ids, codes and statuses of a bulk export).
                value = obj[key]
                if (
                    type(value) is str
                    and value in slot.spec.clean
                    and slot.companion_key not in obj
                    and slot.path not in seen
                ):
                    seen[slot.path] = key
                    continue
            if slot is None:
                if key[:1] == "_":
                    name = key[1:]
                    slot = slots.get(name)
                    if slot is None:
                        self.report_unknown(key, name, scope.by_key, rel)
                        continue
                    if not slot.primitive:
                        self.report(
                            "FHIR-STRUCT-007",
                            rel + (key,),
                            f"{key}: only primitive elements have a '_' companion",
                        )
                        continue
                else:
                    if not (is_resource and key == "resourceType"):
                        self.report_unknown(key, key, scope.by_key, rel)
                    continue
            earlier = seen.get(slot.path)
            if earlier is not None:
                if earlier != slot.name:
                    self.report(
                        "FHIR-STRUCT-008",
                        rel + (key,),
                        f"{slot.element.name} appears as both {earlier} and {slot.name}; "
                        "a choice element takes exactly one type",
                    )
                continue
            seen[slot.path] = slot.name
            self.check_slot(scope.sd, slot, obj, rel)
        for slot in scope.required:
            if slot.path not in seen:
                self.check_absent(scope.sd, slot, rel)

    def check_absent(self, sd: StructureDef, slot: Slot, rel: JsonPath) -> None:
        if slot.minimum > 0:
            self.check_cardinality(slot.element, 0, rel, slot.element.name)
        if slot.slices:
            self.check_slices(sd, slot.child, [], rel, slot.element.name)

    def check_slot(self, sd: StructureDef, slot: Slot, obj: dict[str, Any], rel: JsonPath) -> None:
        value = obj.get(slot.name)
        companion = obj.get(slot.companion_key)
        memo = slot.memo
        if memo is None:
            if slot.plain and companion is None and value is not None and type(value) is not list:
                # One value with nothing to check but its format (Slot.plain): what
                # check_present and visit_spec would come to, without their dispatch.
                if type(value) is not str or value not in slot.spec.clean:
                    self.check_format(slot.spec, value, rel + (slot.name,))
                return
        elif value is not None and (memo.tries < TRIAL or memo.hits >= MIN_HITS):
            memo.tries += 1  # a value too large to remember counts as a miss
            memo_key = self.value_key(value, companion)
            if memo_key is not None:
                if memo_key in memo.clean:
                    memo.hits += 1
                    return  # this value was checked clean here before (engine.memo)
                engine = self.engine
                before = engine.impure
                self.check_present(sd, slot, obj, rel, value, companion)
                if engine.impure == before and not self.quiet:
                    memo.remember(memo_key, len(memo_key))
                return
        self.check_present(sd, slot, obj, rel, value, companion)

    def check_present(
        self,
        sd: StructureDef,
        slot: Slot,
        obj: dict[str, Any],
        rel: JsonPath,
        value: Any,
        companion: Any,
    ) -> None:
        """The base checks of a child found in ``obj`` (``value`` and its companion)."""
        key = slot.name
        spec = slot.spec
        type_spec = slot.type_slice_spec
        if not slot.repeats and not isinstance(value, list) and companion is None:
            # The common case: one value, no primitive extension.
            if value is None:
                if key in obj:
                    self.report(
                        "FHIR-STRUCT-006", rel + (key,), f"{key} is null; omit the element instead"
                    )
                count = 0
            else:
                count = 1
            if count < slot.minimum or (slot.maximum is not None and count > slot.maximum):
                self.check_cardinality(slot.element, count, rel + (key,), key)
            if count:
                item_rel = rel + (key,)
                self.visit_spec(spec, value, None, item_rel)
                if type_spec is not None:
                    self.visit_spec(type_spec, value, None, item_rel)
                if slot.slices:
                    self.check_slices(sd, slot.child, [(item_rel, value, None)], rel, key)
            elif slot.slices:
                self.check_slices(sd, slot.child, [], rel, key)
            return
        listed = well_formed_items(slot.repeats, companion, value, rel, key)
        items = (
            listed
            if listed is not None
            else self.collect_items(slot.element, slot.plan, obj, key, rel)
        )
        count = len(items)
        if count < slot.minimum or (slot.maximum is not None and count > slot.maximum):
            self.check_cardinality(slot.element, count, rel + (key,), key)
        for item_rel, item_value, item_companion in items:
            self.visit_spec(spec, item_value, item_companion, item_rel)
            if type_spec is not None:
                self.visit_spec(type_spec, item_value, item_companion, item_rel)
        if slot.slices:
            self.check_slices(sd, slot.child, items, rel, key)

    def visit_spec(self, spec: VisitSpec, value: Any, companion: Any, rel: JsonPath) -> None:
        engine = self.engine
        kind = spec.kind
        if kind == PRIMITIVE:
            if value is not None:
                valid = self.check_format(spec, value, rel)
                if valid and spec.type_code == "canonical":
                    engine.check_canonical(self, spec.element, value, rel)
                if spec.has_values:
                    self.check_values(spec.plan, value, rel)
                if spec.binding is not None and valid:
                    engine.check_binding(self, spec.binding, spec.type_code, value, rel)
            if companion is not None:
                self.check_companion(companion, rel)
            if spec.constraints and value is not None:
                self.check_prepared(spec.constraints, value, rel, spec.type_code, spec.path)
            return
        if kind == INLINE_RESOURCE:
            engine.visit_inline_resource(self, spec.element, value, rel)
            return
        if not isinstance(value, dict):
            self.report(
                "FHIR-STRUCT-002",
                rel,
                f"{spec.type_code} must be a JSON object (found {json_kind(value)})",
            )
            return
        if not value:
            self.report(
                "FHIR-STRUCT-005",
                rel,
                "empty object: every element must have a value or children (ele-1)",
            )
            return
        memo = spec.memo
        if memo is not None and (memo.tries < TRIAL or memo.hits >= MIN_HITS):
            memo.tries += 1  # a value too large to remember counts as a miss
            key = self.value_key(value, None)
            if key is not None:
                if key in memo.clean:
                    memo.hits += 1
                    self.replay(spec, value, rel)
                    return
                start = engine.impure
                replayed = self.visit_replayed(spec, value, rel)
                if engine.impure - start == replayed and not self.quiet:
                    memo.remember(key, len(key))
                return
        items = spec.items
        if items is None:
            self.visit_complex(spec, value, rel)
        else:
            self.visit_items(items, spec, value, rel, self.visit_complex)

    def visit_complex(self, spec: VisitSpec, value: dict[str, Any], rel: JsonPath) -> None:
        """:meth:`visit_spec` of a non-empty object without a replay memo."""
        engine = self.engine
        type_code = spec.type_code
        if spec.has_values:
            self.check_values(spec.plan, value, rel)
        if spec.binding is not None and type_code in _CODED_TYPES:
            engine.check_binding(self, spec.binding, type_code, value, rel)
        if type_code == "Coding":
            engine.check_coding_syntax(self, value, rel)
        elif type_code == "Attachment":
            engine.check_attachment(self, value, rel)
        elif type_code == "Reference":
            engine.check_reference(self, spec.element, spec.plan, value, rel)
        slow = engine.slow
        if spec.constraints:
            self.check_prepared(spec.constraints, value, rel, type_code, spec.path)
        if not spec.sub_resolved:
            spec.resolve_sub(engine)
        sub = spec.sub
        if sub is None:
            if spec.type_root is None and not spec.element.content_reference:
                self.report(
                    "FHIR-STRUCT-015", rel, f"no definition for type {type_code}; not checked"
                )
            return
        if spec.type_constraints:
            root = spec.type_root
            assert root is not None
            type_constraints = spec.type_rest if engine.slow == slow else spec.type_constraints
            self.check_prepared(type_constraints, value, rel, type_code, root.root.path)
        self.walk_compiled(sub, value, rel)
        if spec.extension:
            engine.check_extension(self, value, rel)

    def visit_replayed(self, spec: VisitSpec, value: dict[str, Any], rel: JsonPath) -> int:
        """:meth:`visit_spec` of a Reference or an Extension (a non-empty object), in the
        same order; returns the impurity (engine.memo) of what :meth:`replay` repeats: its
        resolution or context, and the invariants reading the resource."""
        engine = self.engine
        type_code = spec.type_code
        if spec.has_values:
            self.check_values(spec.plan, value, rel)
        replayed = 0
        if type_code == "Reference":
            mark = engine.impure
            engine.check_reference(self, spec.element, spec.plan, value, rel)
            replayed = engine.impure - mark
        slow = engine.slow
        if spec.constraints:
            replayed += self.check_prepared(spec.constraints, value, rel, type_code, spec.path)
        if not spec.sub_resolved:
            spec.resolve_sub(engine)
        sub = spec.sub
        if sub is None:
            if spec.type_root is None and not spec.element.content_reference:
                self.report(
                    "FHIR-STRUCT-015", rel, f"no definition for type {type_code}; not checked"
                )
            return replayed
        if spec.type_constraints:
            root = spec.type_root
            assert root is not None
            type_constraints = spec.type_rest if engine.slow == slow else spec.type_constraints
            replayed += self.check_prepared(type_constraints, value, rel, type_code, root.root.path)
        self.walk_compiled(sub, value, rel)
        if spec.extension:
            replayed += engine.check_extension(self, value, rel)
        return replayed

    def replay(self, spec: VisitSpec, value: dict[str, Any], rel: JsonPath) -> None:
        """A Reference or Extension remembered clean apart from its context: only what
        depends on where it sits runs again, in :meth:`visit_replayed`'s order."""
        if spec.type_code == "Reference":
            self.engine.check_reference(self, spec.element, spec.plan, value, rel)
        if spec.contextual:
            self.check_prepared(spec.contextual, value, rel, spec.type_code, spec.path)
        if spec.type_contextual:
            root = spec.type_root
            assert root is not None
            self.check_prepared(spec.type_contextual, value, rel, spec.type_code, root.root.path)
        if spec.extension:
            self.engine.replay_extension(self, value, rel)

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
        """:meth:`Pass.visit` (slice members) through a compiled spec of ``element``."""
        spec = member_spec(self.engine, sd, element, type_code, self.mode == BASE)
        if spec.plan is not plan:  # not the plan the spec was made with: interpret
            Pass.visit(self, sd, element, plan, type_code, value, companion, rel)
        elif isinstance(spec, VisitSpec):
            self.visit_spec(spec, value, companion, rel)
        else:
            self.visit_profile(spec, value, rel)

    def check_constraints(
        self, plan: ElementPlan, element: ElementDef, value: Any, rel: JsonPath, type_code: str
    ) -> None:
        """:meth:`Pass.check_constraints` (root constraints, profile passes) through the
        prepared constraints of ``plan``."""
        path = element.path
        key = (id(plan), type_code, path)
        cache = self.engine.prepared_constraints
        entry = cache.get(key)
        if entry is None or entry[0] is not plan:
            entry = (plan, prepared(self.engine, plan.constraints, type_code, path))
            cache[key] = entry
        self.check_prepared(entry[1], value, rel, type_code, path)

    def check_prepared(
        self, constraints: Prepared, value: Any, rel: JsonPath, type_code: str, path: str
    ) -> int:
        """engine.evaluate_constraint for each constraint, after its quick pre-check: a
        pass needs nothing else (evaluate_constraint would pass or skip it too). Returns
        the impurity (engine.memo) the constraints reading the resource caused."""
        resource, root = self.resource, self.view.resource
        engine = self.engine
        contextual_impurity = 0
        for constraint, quick, contextual in constraints:
            if contextual:
                mark = engine.impure
                engine.impure += 1  # its outcome is not the value's alone
                if quick is None or not quick(value, resource, root):
                    engine.evaluate_constraint(self, constraint, value, rel, type_code, path)
                contextual_impurity += engine.impure - mark
                continue
            if quick is not None and quick(value, resource, root):
                continue
            engine.slow += 1  # see VisitSpec.type_rest
            engine.evaluate_constraint(self, constraint, value, rel, type_code, path)
        return contextual_impurity

    def check_format(self, spec: VisitSpec, value: Any, rel: JsonPath) -> bool:
        """:meth:`Pass.check_primitive` with the checker and the string checks chosen
        once: a plain string pays one format check and a few cheap tests."""
        if spec.xhtml:
            if not isinstance(value, str) or not value.lstrip().startswith("<div"):
                self.report(
                    "FHIR-STRUCT-010", rel, "narrative div must be XHTML starting with <div"
                )
                return False
            return True
        is_string = type(value) is str
        if is_string and value in spec.clean:
            return True  # this exact string passed every check below before
        checker = spec.checker
        message = checker(value) if checker is not None else None
        if message is not None:
            code = "FHIR-STRUCT-002" if message.startswith("expected JSON") else "FHIR-STRUCT-010"
            self.report(code, rel, message)
            return False
        if is_string:
            if value == "":
                self.report("FHIR-STRUCT-005", rel, "empty string; omit the element instead")
                return False
            clean = True
            content, limited = spec.check_string
            if (content and (spec.format_type != "string" or "<" in value)) or (
                limited and len(value) > MAX_STRING
            ):
                # May depend on more than the value (example urls: is it in the input?).
                clean = False
                self.engine.check_string_content(self, spec.format_type, value, rel)
            if (
                spec.whitespace
                and (value[0].isspace() or value[-1].isspace())
                and value != value.strip()
            ):
                clean = False
                self.report(
                    "FHIR-STRUCT-011", rel, "leading or trailing whitespace in a string value"
                )
            if spec.max_length is not None and len(value) > spec.max_length:
                clean = False
                self.report(
                    "FHIR-STRUCT-010",
                    rel,
                    f"value is {len(value)} characters long; maxLength is {spec.max_length}",
                )
            if clean and len(value) <= CLEAN_LENGTH and len(spec.clean) < CLEAN_KEPT:
                spec.clean.add(value)
        return True
