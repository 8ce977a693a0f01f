"""The merged walk: a resource's base pass and its profile passes in one traversal.

Without it, :meth:`ProfileEngine.validate_resource` walks a resource with the compiled
base pass (:mod:`pcocheck.engine.compiled`), then once more per profile (claimed,
requested, vital signs, inferred PCO). Here each (base scope, profile scopes) pair is
compiled once into a :class:`MergedScope`: the base scope's table by JSON key in which
every key a profile touches holds a :class:`MergedSlot` (the base slot plus one
:class:`Entry` per profile touching that child). The base walk visits each key once;
the profiles' checks of that child run right there, and a complex value that base and
profiles both descend into is descended into once, with the merged sub-scope.

Findings stay exactly those of the separate passes, in the same order and with the same
attribution: every profile keeps its own :class:`~pcocheck.engine.compiled.CompiledPass`
(its findings list, profile label and name), which the one traversal feeds. A profile
pass visits children in definition order, the base walk in the JSON object's order: the
profile findings made under one object are kept as segments by child and put back in
definition order when the object is done (:func:`_in_definition_order`); a profile's
absent-element checks (cardinality, must-support, slices that require an item) run when
the object is done, as a segment each.

What is not merged (each a case of the separate pass, for that child only): children a
profile checks but does not descend into (leaves, References, Extensions: the profile's
own per-child code runs right after the base's); type slices and slice members (the
slicer visits them per profile); type profiles and extensions checked against their
definitions (sub-passes, as before); inline resources (validated on their own); a choice
present in two forms, or a ``_name`` companion of a complex element (the profile's own
per-child code runs when the object is done); a profile scope with a JSON key the base
does not know (the profile walks that object on its own). The engine also keeps the
separate passes for a profile on a slim Bundle (its profile passes see the whole tree)
and for quiet conformance probes. ``tests/engine/test_merged_walk_differential.py``
compares the merged walk with the separate passes.

Memo (:mod:`pcocheck.engine.memo`): a merged slot remembers a value only when the base
checks and every profile's checks of it were clean and pure (the engine's impurity count
unchanged across all of them); a repeat then costs one lookup for all passes. Where a
check remembers a value apart from its context (References, Extensions), or once the
merged slot's values prove not to repeat, each pass uses its own memos as before.

Run-wide state: summarised findings and deferred references keep the first occurrence
in the order the separate passes would meet them (base pass, then each profile pass), so
a profile pass's additions are held in its own share (:meth:`MergedPass.enter`,
ProfileEngine.hold) and merged in that order when the resource is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcocheck.definitions.model import StructureDef
from pcocheck.engine.compiled import (
    _CODED_TYPES,
    COMPLEX,
    PRIMITIVE,
    CompiledPass,
    CompiledScope,
    ProfileScope,
    ProfileSlot,
    ProfileSpec,
    Slot,
    VisitSpec,
)
from pcocheck.engine.memo import MIN_HITS, TRIAL, Memo
from pcocheck.engine.primitives import json_kind
from pcocheck.engine.walker import BASE, PROFILE
from pcocheck.finding import Finding, JsonPath

if TYPE_CHECKING:
    from pcocheck.engine.core import EngineState, ProfileEngine

# One profile's part in a merged scope: (its definition there, its children there).
ProfilePart = tuple[StructureDef, ProfileScope] | None


class Entry:
    """One profile's slot under one JSON key of a merged scope."""

    __slots__ = (
        "descends",
        "held",
        "index",
        "order",
        "pslot",
        "sd",
        "spec",
        "type_code",
        "type_spec",
    )

    def __init__(
        self,
        engine: ProfileEngine,
        index: int,
        sd: StructureDef,
        pslot: ProfileSlot,
        order: int,
        key: str,
        type_code: str,
        base: Slot,
    ) -> None:
        self.index = index  # the profile's position in the resource's profile passes
        self.sd = sd
        self.pslot = pslot
        self.order = order  # the child's position in the profile scope (definition order)
        self.type_code = type_code
        spec = pslot.specs[key]
        self.spec = spec
        self.type_spec: ProfileSpec | None = pslot.type_slice_specs.get(key)
        # Whether the profile's code for this child may add to the run-wide state
        # (ProfileEngine.hold): bindings (summarised terminology), references (deferred
        # or summarised), slicing, complex values and type slices (anything below). A
        # primitive without a binding only reports (checks, patterns, invariants).
        self.held = bool(
            pslot.slices
            or self.type_spec is not None
            or spec.kind != PRIMITIVE
            or spec.binding is not None
        )
        base_spec = base.spec
        # Descended into merged: both descend into an object's children, neither has a
        # value memo of its own (References, Extensions: their replays depend on where
        # they sit), and both see the same items (the same array-ness).
        descends = (
            base_spec.kind == COMPLEX
            and base_spec.memo is None
            and spec.kind == COMPLEX
            and spec.memo is None
            and pslot.plan.repeats == base.repeats
        )
        if descends:
            if not base_spec.sub_resolved:
                base_spec.resolve_sub(engine)
            if not spec.sub_resolved:
                spec.resolve_sub(engine)
            descends = base_spec.sub is not None and bool(spec.sub)
        self.descends = descends


class MergedSlot:
    """A JSON key of a merged scope: the base slot and the entries of the profiles that
    touch it (none: ``merged`` is False and the base slot is checked alone). Every key of
    a merged scope has one, so that the walk's attribute loads see one type (a loop over
    two slot types runs slower in CPython's specialising interpreter)."""

    __slots__ = (
        "base",
        "choice",
        "companion_key",
        "descending",
        "element",
        "entries",
        "memo",
        "merged",
        "name",
        "path",
        "plain",
        "primitive",
        "spec",
        "sub",
    )

    def __init__(self, base: Slot, entries: list[Entry]) -> None:
        self.base = base
        self.merged = bool(entries)
        # The base slot's shortcut for a clean plain string, when no profile looks.
        self.plain = base.plain and not entries
        self.spec = base.spec
        self.name = base.name
        self.companion_key = base.companion_key
        self.path = base.path
        self.element = base.element
        self.primitive = base.primitive
        self.entries = tuple(entries)
        self.descending = tuple(e for e in entries if e.descends)
        # A profile's choice slot takes the form Pass.present_key picks, which may not be
        # the one the base walk meets first when the object has two forms.
        self.choice = any(e.pslot.lookup is not None for e in entries)
        # Values that were clean for the base and every entry together: one lookup skips
        # them all (a miss runs each pass with its own memos). Not when a check remembers
        # a value apart from where it sits (the replayed References and Extensions of
        # VisitSpec.memo and ProfileSpec.memo).
        self.memo = (
            Memo()
            if entries
            and (base.memo is not None or base.plain)
            and all(e.descends or e.pslot.memo is not None for e in entries)
            else None
        )
        self.sub: MergedScope | None = None  # the sub-scope with every descending entry


class Part:
    """One profile taking part in a merged scope."""

    __slots__ = ("index", "scope", "sd", "watch", "whole")

    def __init__(self, index: int, sd: StructureDef, scope: ProfileScope, whole: bool) -> None:
        self.index = index
        self.sd = sd
        self.scope = scope
        # The profile walks this object on its own (it has a key the base does not know).
        self.whole = whole
        # Children with something to say when absent, with their definition order.
        self.watch = tuple((o, s) for o, s in enumerate(scope) if s.absent_checks)


class MergedScope:
    """A base :class:`CompiledScope` with the profile scopes of the same object."""

    __slots__ = ("by_key", "parts", "required", "sd", "slots")

    def __init__(
        self, engine: ProfileEngine, base: CompiledScope, profiles: tuple[ProfilePart, ...]
    ) -> None:
        self.sd = base.sd
        self.by_key = base.by_key
        self.required = base.required
        entries: dict[str, list[Entry]] = {}
        parts: list[Part] = []
        for index, part in enumerate(profiles):
            if part is None or not part[1]:
                continue
            sd, scope = part
            whole = any(k not in base.slots for s in scope for k, _, _ in s.keys)
            parts.append(Part(index, sd, scope, whole))
            if whole:
                continue
            for order, pslot in enumerate(scope):
                for key, _, type_code in pslot.keys:
                    entry = Entry(engine, index, sd, pslot, order, key, type_code, base.slots[key])
                    entries.setdefault(key, []).append(entry)
        self.slots = {
            key: MergedSlot(slot, entries.get(key, [])) for key, slot in base.slots.items()
        }
        self.parts = tuple(parts)


def merged_scope(
    engine: ProfileEngine, base: CompiledScope, profiles: tuple[ProfilePart, ...]
) -> MergedScope:
    """The merged table of ``base`` with ``profiles`` (cached on the base scope; the
    profile scopes are the engine's, cached for the run, so their ids are stable)."""
    key = tuple(id(p[1]) if p is not None else 0 for p in profiles)
    found: MergedScope | None = base.merged.get(key)
    if found is None:
        found = MergedScope(engine, base, profiles)
        base.merged[key] = found
    return found


class _SummaryShare(dict[tuple[str, ...], Any]):
    """A profile pass's share of the once-per-run summaries: empty, but answering
    ``get`` with what the run already holds (count 0), so that an occurrence that
    cannot be the example shown is only counted, as it would be in the separate passes
    (no finding built); ProfileEngine.merge_state adds the counts up."""

    __slots__ = ("real",)
    real: dict[tuple[str, ...], Any]

    def get(self, key: tuple[str, ...], default: Any = None) -> Any:
        found = dict.get(self, key)
        if found is not None:
            return found
        known = self.real.get(key)
        if known is None:
            return default
        return (known[0], 0, known[2])


def share_of(state: EngineState) -> EngineState:
    """A new share (:meth:`MergedPass.enter`) of the run-wide ``state``."""
    summaries = _SummaryShare()
    summaries.real = state.summaries
    return type(state)({}, summaries)


def _in_definition_order(findings: list[Finding], segments: list[tuple[int, int]]) -> None:
    """Put the segments (definition order, start) of ``findings`` — made one after the
    other, the last running to the end of the list — in definition order (stable)."""
    orders = [order for order, _ in segments]
    if orders == sorted(orders):
        return
    ends = [start for _, start in segments[1:]] + [len(findings)]
    chunks = sorted(
        ((order, findings[start:end]) for (order, start), end in zip(segments, ends, strict=True)),
        key=lambda chunk: chunk[0],
    )
    first = segments[0][1]
    findings[first:] = [finding for _, chunk in chunks for finding in chunk]


class MergedPass(CompiledPass):
    """A base :class:`CompiledPass` that can feed the profile passes of its resource in
    the same walk (:meth:`run_merged`); otherwise exactly a CompiledPass."""

    # The run-wide state (ProfileEngine.hold) this pass's checks add to: the engine's
    # own for a base pass; for a profile pass, its share, merged in after the base
    # pass's (summarised findings keep the first occurrence in the order the separate
    # passes meet them). Each call into a profile pass that may add to it holds it.
    __slots__ = ("share", "state")
    state: EngineState  # a base pass's
    share: EngineState | None  # a profile pass's, made when first needed

    def enter(self, profile_pass: MergedPass) -> None:
        """Hold ``profile_pass``'s share (made on first use) until this base pass's state
        is held again."""
        share = profile_pass.share
        if share is None:
            share = profile_pass.share = share_of(self.state)
        self.engine.hold(share)

    def run_merged(self, passes: tuple[MergedPass, ...]) -> None:
        """:meth:`run` of this base pass and ``passes`` (profile passes of the same
        resource, not quiet) together: each gets the findings its own run would give."""
        engine = self.engine
        sd = self.sd
        root = sd.root
        resource = self.resource
        for profile_pass in passes:
            profile_pass.share = None  # made when first needed (enter)
        plan = engine.plan_for(sd, root, BASE)
        self.check_values(plan, resource, ())
        if plan.constraints:
            self.check_constraints(plan, root, resource, (), sd.type)
        profiles: list[ProfilePart] = []
        for profile_pass in passes:
            psd = profile_pass.sd
            proot = psd.root
            pplan = engine.plan_for(psd, proot, PROFILE)
            if not pplan.relevant:
                profiles.append(None)
                continue
            # Reports only (patterns, invariants): nothing to hold.
            profile_pass.check_values(pplan, resource, ())
            if pplan.constraints:
                profile_pass.check_constraints(pplan, proot, resource, (), psd.type)
            profiles.append((psd, engine.profile_scope(psd, proot)))
        scope = merged_scope(engine, engine.compiled_scope(sd, root), tuple(profiles))
        self.walk_merged(scope, resource, (), passes, True)

    def walk_merged(
        self,
        scope: MergedScope,
        obj: dict[str, Any],
        rel: JsonPath,
        passes: tuple[MergedPass, ...],
        is_resource: bool = False,
    ) -> None:
        """:meth:`CompiledPass.walk_compiled` with the profiles' children on the way."""
        slots = scope.slots
        seen: dict[str, str] = {}  # element path -> JSON name used
        done: list[tuple[int, int, int]] = []  # (profile, order, findings before) per entry
        irregular = False  # a profile child the key loop could not take (see finish_merged)
        for key in obj:
            slot = slots.get(key)
            if slot is not None and slot.plain:
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
                        if slot.merged and name not in obj:
                            irregular = True  # the profiles still see the element
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
            if not slot.merged:
                self.check_slot(scope.sd, slot.base, obj, rel)
            elif self.check_merged(scope.sd, slot, obj, rel, passes, done):
                irregular = True
        for required in scope.required:
            if required.path not in seen:
                self.check_absent(scope.sd, required, rel)
        if scope.parts:
            self.finish_merged(scope, obj, rel, passes, done, irregular)

    def finish_merged(
        self,
        scope: MergedScope,
        obj: dict[str, Any],
        rel: JsonPath,
        passes: tuple[MergedPass, ...],
        done: list[tuple[int, int, int]],
        irregular: bool,
    ) -> None:
        """Each profile's children the key loop did not take (absent ones, and the rare
        irregular ones), then its findings under this object in definition order."""
        for part in scope.parts:
            profile_pass = passes[part.index]
            if part.whole:
                self.enter(profile_pass)
                try:
                    profile_pass.walk_profile(part.scope, part.sd, obj, rel)
                finally:
                    self.engine.hold(self.state)
                continue
            index = part.index
            findings = profile_pass.findings
            segments: list[tuple[int, int]] | None = None
            if irregular:
                segments = [(order, start) for i, order, start in done if i == index]
                taken = {order for order, _ in segments}
                self.enter(profile_pass)
                try:
                    for order, pslot in enumerate(part.scope):
                        if order not in taken:
                            segments.append((order, len(findings)))
                            profile_pass.profile_slot(pslot, part.sd, obj, rel)
                finally:
                    self.engine.hold(self.state)
            else:
                for order, pslot in part.watch:
                    lookup = pslot.lookup
                    if (
                        (pslot.name in obj or pslot.underscored in obj)
                        if lookup is None
                        else not lookup.keys().isdisjoint(obj)
                    ):
                        continue  # present: taken by the key loop
                    if segments is None:
                        segments = [(o, start) for i, o, start in done if i == index]
                    segments.append((order, len(findings)))
                    if pslot.absent_slices:
                        self.enter(profile_pass)
                        try:
                            profile_pass.profile_absent(pslot, part.sd, rel)
                        finally:
                            self.engine.hold(self.state)
                    else:
                        profile_pass.profile_absent(pslot, part.sd, rel)
                if segments is None:
                    for i, _, start in done:
                        if i == index:
                            if len(findings) > start:
                                segments = [(o, s) for j, o, s in done if j == index]
                            break
            if segments is not None and len(segments) > 1 and len(findings) > segments[0][1]:
                _in_definition_order(findings, segments)

    def check_merged(
        self,
        sd: StructureDef,
        mslot: MergedSlot,
        obj: dict[str, Any],
        rel: JsonPath,
        passes: tuple[MergedPass, ...],
        done: list[tuple[int, int, int]],
    ) -> bool:
        """The base slot and the profiles' entries of one present key. Returns True when
        a profile's entry was left out (it takes another form of its choice here)."""
        name = mslot.name
        entries = mslot.entries
        descending = mslot.descending
        left_out = False
        if mslot.choice:
            kept: list[Entry] = []
            for entry in entries:
                lookup = entry.pslot.lookup
                if lookup is not None:
                    best: tuple[int, str, str] | None = None
                    for present in obj:
                        hit = lookup.get(present)
                        if hit is not None and (best is None or hit[0] < best[0]):
                            best = hit
                    if best is None or best[1] != name:
                        left_out = True
                        continue
                kept.append(entry)
            if left_out:
                entries = tuple(kept)
                descending = tuple(e for e in kept if e.descends)
        for entry in entries:
            done.append((entry.index, entry.order, len(passes[entry.index].findings)))
        value = obj.get(name)
        memo = mslot.memo
        if (
            memo is not None
            and not left_out
            and value is not None
            and (memo.tries < TRIAL or memo.hits >= MIN_HITS)
        ):
            memo.tries += 1  # a value too large to remember counts as a miss
            memo_key = self.value_key(value, obj.get(mslot.companion_key))
            if memo_key is not None:
                if memo_key in memo.clean:
                    memo.hits += 1
                    return False
                engine = self.engine
                before = engine.impure
                self.check_entries(sd, mslot, entries, descending, obj, rel, value, passes)
                if engine.impure == before and not self.quiet:
                    memo.remember(memo_key, len(memo_key))
                return False
        self.check_entries(sd, mslot, entries, descending, obj, rel, value, passes)
        return left_out

    def check_entries(
        self,
        sd: StructureDef,
        mslot: MergedSlot,
        entries: tuple[Entry, ...],
        descending: tuple[Entry, ...],
        obj: dict[str, Any],
        rel: JsonPath,
        value: Any,
        passes: tuple[MergedPass, ...],
    ) -> None:
        """The checks of a present key, each pass with its own memos (the base slot's
        and the profile slots' clean values) but for what is descended into merged."""
        if not descending:
            self.check_slot(sd, mslot.base, obj, rel)
        else:
            companion = obj.get(mslot.companion_key)
            self.merged_present(sd, mslot, descending, obj, rel, value, companion, passes)
            if len(descending) == len(entries):
                return
        # The entries not descended into merged: each profile's own code for the child.
        name = mslot.name
        for entry in entries:
            if entry.descends:
                continue
            profile_pass = passes[entry.index]
            if not entry.held:
                profile_pass.profile_slot_at(entry.pslot, entry.sd, obj, rel, name, entry.type_code)
                continue
            self.enter(profile_pass)
            try:
                profile_pass.profile_slot_at(entry.pslot, entry.sd, obj, rel, name, entry.type_code)
            finally:
                self.engine.hold(self.state)

    def merged_present(
        self,
        sd: StructureDef,
        mslot: MergedSlot,
        entries: tuple[Entry, ...],
        obj: dict[str, Any],
        rel: JsonPath,
        value: Any,
        companion: Any,
        passes: tuple[MergedPass, ...],
    ) -> None:
        """:meth:`CompiledPass.check_present` and, for each descending entry,
        :meth:`CompiledPass.profile_present`, with one visit of each item."""
        slot = mslot.base
        key = slot.name
        spec = slot.spec
        type_spec = slot.type_slice_spec
        items: list[tuple[JsonPath, Any, Any]]
        if not slot.repeats and not isinstance(value, list) and companion is None:
            if value is None:
                if key in obj:
                    self.report(
                        "FHIR-STRUCT-006", rel + (key,), f"{key} is null; omit the element instead"
                    )
                items = []
            else:
                items = [(rel + (key,), value, None)]
        elif (
            slot.repeats
            and companion is None
            and type(value) is list
            and value
            and None not in value
        ):
            items = [(rel + (key, i), item, None) for i, item in enumerate(value)]
        else:
            items = self.collect_items(slot.element, slot.plan, obj, key, rel)
        count = len(items)
        if count < slot.minimum or (slot.maximum is not None and count > slot.maximum):
            self.check_cardinality(slot.element, count, rel + (key,), key)
        visits: list[Entry] = []
        for entry in entries:
            profile_pass = passes[entry.index]
            pslot = entry.pslot
            plan = pslot.plan
            if plan.cardinality and (
                count < plan.minimum or (plan.maximum is not None and count > plan.maximum)
            ):
                profile_pass.check_cardinality(pslot.element, count, rel + (key,), key)
            if plan.allowed_types is not None and entry.type_code not in plan.allowed_types:
                allowed = ", ".join(sorted(plan.allowed_types))
                profile_pass.report(
                    "FHIR-STRUCT-009",
                    rel + (key,),
                    f"type {entry.type_code} is not allowed here by "
                    f"{profile_pass.profile_name} (allowed: {allowed})",
                )
                continue
            visits.append(entry)
        for item_rel, item_value, item_companion in items:
            if visits:
                self.visit_merged(spec, mslot, visits, item_value, item_rel, passes)
            else:
                self.visit_spec(spec, item_value, item_companion, item_rel)
            if type_spec is not None:
                self.visit_spec(type_spec, item_value, item_companion, item_rel)
            for entry in visits:
                if entry.type_spec is not None:
                    profile_pass = passes[entry.index]
                    self.enter(profile_pass)
                    try:
                        profile_pass.visit_profile(entry.type_spec, item_value, item_rel)
                    finally:
                        self.engine.hold(self.state)
        if slot.slices:
            self.check_slices(sd, slot.child, items, rel, key)
        for entry in visits:
            if entry.pslot.slices:
                profile_pass = passes[entry.index]
                self.enter(profile_pass)
                try:
                    profile_pass.check_slices(entry.sd, entry.pslot.child, items, rel, key)
                finally:
                    self.engine.hold(self.state)

    def visit_merged(
        self,
        spec: VisitSpec,
        mslot: MergedSlot,
        visits: list[Entry],
        value: Any,
        rel: JsonPath,
        passes: tuple[MergedPass, ...],
    ) -> None:
        """:meth:`CompiledPass.visit_spec` of a complex value (no value memo: see Entry)
        and each entry's :meth:`CompiledPass.visit_profile`, descending once."""
        if not isinstance(value, dict):
            self.report(
                "FHIR-STRUCT-002",
                rel,
                f"{spec.type_code} must be a JSON object (found {json_kind(value)})",
            )
            return  # a profile pass has nothing to say about a non-object
        if not value:
            self.report(
                "FHIR-STRUCT-005",
                rel,
                "empty object: every element must have a value or children (ele-1)",
            )
            for entry in visits:  # a profile still checks an empty object's children
                profile_pass = passes[entry.index]
                self.enter(profile_pass)
                try:
                    profile_pass.visit_profile(entry.spec, value, rel)
                finally:
                    self.engine.hold(self.state)
            return
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
        sub = spec.sub
        assert sub is not None  # Entry.descends
        if spec.type_constraints:
            root = spec.type_root
            assert root is not None
            type_constraints = spec.type_rest if engine.slow == slow else spec.type_constraints
            self.check_prepared(type_constraints, value, rel, type_code, root.root.path)
        for entry in visits:
            profile_pass = passes[entry.index]
            pspec = entry.spec
            if pspec.binding is None and not pspec.reference:
                self.profile_before_descent(profile_pass, pspec, value, rel)  # reports only
                continue
            self.enter(profile_pass)
            try:
                self.profile_before_descent(profile_pass, pspec, value, rel)
            finally:
                self.engine.hold(self.state)
        scope = mslot.sub
        if len(visits) != len(mslot.descending):
            scope = self.sub_scope(sub, visits, passes)
        elif scope is None:
            scope = mslot.sub = self.sub_scope(sub, visits, passes)
        self.walk_merged(scope, value, rel, passes)
        if spec.extension:
            engine.check_extension(self, value, rel)

    def sub_scope(
        self, sub: CompiledScope, visits: list[Entry], passes: tuple[MergedPass, ...]
    ) -> MergedScope:
        profiles: list[ProfilePart] = [None] * len(passes)
        for entry in visits:
            psub = entry.spec.sub
            assert psub is not None
            profiles[entry.index] = (entry.spec.sd, psub)
        return merged_scope(self.engine, sub, tuple(profiles))

    @staticmethod
    def profile_before_descent(
        profile_pass: MergedPass, spec: ProfileSpec, value: dict[str, Any], rel: JsonPath
    ) -> None:
        """:meth:`CompiledPass.visit_profile_complex` up to its descent (a spec with a
        sub-scope has no type profiles to apply after it)."""
        engine = profile_pass.engine
        type_code = spec.type_code
        if spec.has_values:
            profile_pass.check_values(spec.plan, value, rel)
        if spec.binding is not None and spec.coded:
            engine.check_binding(profile_pass, spec.binding, type_code, value, rel)
        if spec.reference:
            engine.check_reference(profile_pass, spec.element, spec.plan, value, rel)
        if spec.constraints:
            profile_pass.check_prepared(spec.constraints, value, rel, type_code, spec.path)


__all__ = ["MergedPass", "MergedScope", "MergedSlot", "merged_scope", "share_of"]
