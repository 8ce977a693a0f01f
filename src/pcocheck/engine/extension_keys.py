"""Remembering extensions whose check against their definition was clean, by what that
check reads.

:meth:`ProfileEngine.check_extension` validates an extension against the definition its
url names in a profile pass of its own (``run_profile_on``). A complex extension varies
where that pass does not look: a PCO GAS level has a coded level and a free-text
description, and the definition constrains the description's url, presence and type,
never its text. A memo keyed by the whole value (``repr``, :mod:`pcocheck.engine.memo`)
misses every time; here the key is what the profile pass reads (:meth:`ExtensionKeys.key`),
computed by following the same compiled profile scopes the pass walks:

- per child of a profile scope, in definition order: absent, or present under the JSON
  key the pass picks (the first form of a choice in definition order) with a key per
  item;
- an item's key is its whole ``repr`` where the pass reads the value (fixed value or
  pattern, binding, invariant, reference, type profile), a marker where it reads nothing
  (a primitive without such checks, an inline resource, a non-object where an object is
  due, an object with no children to walk), else the key of its children;
- a sliced child keys each item's slice (by the slicing's url table, the only slicing
  keyed) and the item's key under its slice's spec, as Slicer.check visits it (a member
  seen before, by its repr, has its key remembered per slicing).

Anything else (a ``_name`` companion, a null or an array where one value is due, a slicing
without a url table, a type slice, a Reference whose targets the profile narrows, a
definition with a fixed value, pattern or invariant on its root) gives no key: the pass
runs as before. Equal keys mean the pass reads the same things and so gives the same
findings; only clean and pure outcomes (no finding, the engine's ``impure`` count
unchanged: nothing looked beyond the value) are remembered, per definition, and a repeat
skips the pass. ``tests/engine/test_extension_keys.py`` checks mutated extensions with and
without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcocheck.definitions.model import ElementDef, StructureDef
from pcocheck.engine.compiled import (
    INLINE_RESOURCE,
    PRIMITIVE,
    CompiledPass,
    ProfileScope,
    ProfileSlot,
    ProfileSpec,
    choice_form,
    member_spec,
)
from pcocheck.engine.memo import Memo, MemoKey
from pcocheck.engine.plan import ChildDef
from pcocheck.engine.walker import PROFILE

if TYPE_CHECKING:
    from pcocheck.engine.core import ProfileEngine

# Markers of items whose content the pass does not read (tuples: never equal to a repr).
_UNREAD = ("unread",)  # a primitive or an inline resource the profile does not check
_NOT_OBJECT = ("not-object",)  # a non-object where the profile descends into an object
_CHILDLESS = ("childless",)  # an object the profile has no children and no checks for


# What the profile pass reads of a value of a spec (ExtensionKeys.mode_of): nothing; the
# value; for an object (else nothing): the whole object, its children, no child; or no key.
_READ_NOTHING, _READ_VALUE, _READ_OBJECT, _READ_CHILDREN, _READ_NO_CHILD, _NO_KEY = range(6)


# A slicing keyed by its url table: (its slices, the table or None: not keyed, the spec of
# each slice's members or None: interpreted, the keys of members seen: repr -> (key, chars)).
_Slicing = tuple[
    list[ElementDef],
    dict[str, int] | None,
    list[ProfileSpec | None],
    dict[MemoKey, tuple[Any, int]],
]
MEMBERS_KEPT = 1024  # member keys remembered per slicing, at most (then it starts afresh)


class _NoKey(Exception):
    """The value has something the key does not describe: check it in full."""


class ExtensionKeys:
    """Per extension definition, the memo of clean keys (see the module docstring)."""

    __slots__ = ("chars", "engine", "memos", "modes", "slicings")

    def __init__(self, engine: ProfileEngine) -> None:
        self.engine = engine
        # id(definition) -> (definition, its memo or None: not keyed); lifetime: the engine.
        self.memos: dict[int, tuple[StructureDef, Memo | None]] = {}
        self.chars = 0  # the length of the reprs in the key being built
        # id(spec) -> (spec, what its pass reads, its children's scope); lifetime: the engine.
        self.modes: dict[int, tuple[ProfileSpec, int, ProfileScope | None]] = {}
        # (id(slices), definition url, JSON key) -> see slicing_of; lifetime: the engine.
        self.slicings: dict[tuple[int, str, str], _Slicing] = {}

    def memo_for(self, definition: StructureDef) -> Memo | None:
        """The memo of ``definition``'s clean keys; None when its pass is not keyed (its
        root has checks reading the whole value, or the pass has nothing to check)."""
        entry = self.memos.get(id(definition))
        if entry is None or entry[0] is not definition:
            plan = self.engine.plan_for(definition, definition.root, PROFILE)
            keyed = (
                plan.relevant
                and plan.fixed is None
                and plan.pattern is None
                and not plan.constraints
            )
            entry = (definition, Memo() if keyed else None)
            self.memos[id(definition)] = entry
        return entry[1]

    def key(
        self, walk: CompiledPass, definition: StructureDef, value: dict[str, Any]
    ) -> tuple[tuple[Any, ...], int] | None:
        """The key of what the profile pass of ``definition`` reads of ``value`` and its
        length in characters (the reprs it holds), or None."""
        self.chars = 0
        try:
            scope = self.engine.profile_scope(definition, definition.root)
            return self.scope_key(walk, definition, scope, value), self.chars
        except _NoKey:
            return None

    def scope_key(
        self, walk: CompiledPass, sd: StructureDef, children: ProfileScope, obj: dict[str, Any]
    ) -> tuple[Any, ...]:
        """CompiledPass.walk_profile / profile_slot: per child, absent or its key."""
        parts: list[Any] = []
        for slot in children:
            lookup = slot.lookup
            if lookup is None:
                name = slot.name
                if name in obj or slot.underscored in obj:
                    parts.append(self.slot_key(walk, sd, slot, obj, name))
                else:
                    parts.append(None)
                continue
            best = choice_form(lookup, obj)
            if best is None:
                parts.append(None)
            else:
                parts.append((best[1], self.slot_key(walk, sd, slot, obj, best[1])))
        return tuple(parts)

    def slot_key(
        self, walk: CompiledPass, sd: StructureDef, slot: ProfileSlot, obj: dict[str, Any], key: str
    ) -> Any:
        """CompiledPass.profile_present of a child present under ``key``: the key of its
        one value, or a tuple of its items' keys (and their slices)."""
        if "_" + key in obj or key in slot.type_slice_specs:
            raise _NoKey
        value = obj[key]
        spec = slot.specs[key]
        entry = self.modes.get(id(spec))
        if entry is None or entry[0] is not spec:
            entry = self.mode_of(spec)
        mode, sub = entry[1], entry[2]
        items: Any
        if not slot.plan.repeats:
            if value is None or type(value) is list:
                raise _NoKey
            items = (value,)
        elif type(value) is list and value and None not in value:
            items = value
        else:
            raise _NoKey
        parts: list[Any] = []
        for item in items:
            # CompiledPass.visit_profile of one item, as decided by mode_of.
            if mode == _READ_NOTHING:
                parts.append(_UNREAD)
            elif mode == _READ_VALUE:
                parts.append(self.whole(walk, item))
            elif not isinstance(item, dict):
                parts.append(_NOT_OBJECT)
            elif mode == _READ_CHILDREN and sub is not None:
                parts.append(self.scope_key(walk, spec.sd, sub, item))
            elif mode == _READ_OBJECT:
                parts.append(self.whole(walk, item))
            elif mode == _READ_NO_CHILD:
                parts.append(_CHILDLESS)
            else:
                raise _NoKey
        if slot.slices:
            parts.append(self.slices_key(walk, sd, slot, key, items))
        if len(parts) == 1 and not slot.plan.repeats:
            return parts[0]
        return tuple(parts)

    def mode_of(self, spec: ProfileSpec) -> tuple[ProfileSpec, int, ProfileScope | None]:
        """What CompiledPass.visit_profile reads of a value of ``spec`` (cached)."""
        sub: ProfileScope | None = None
        if spec.kind == PRIMITIVE:
            checks = spec.has_values or spec.binding is not None or bool(spec.constraints)
            mode = _READ_VALUE if checks else _READ_NOTHING
        elif spec.kind == INLINE_RESOURCE:
            mode = _READ_NOTHING
        elif spec.memo is not None:
            mode = _NO_KEY  # a Reference the profile narrows: resolved where it sits
        elif (
            spec.has_values
            or (spec.binding is not None and spec.coded)
            or spec.reference
            or spec.constraints
        ):
            mode = _READ_OBJECT
        else:
            if not spec.sub_resolved:
                spec.resolve_sub(self.engine)
            sub = spec.sub
            if sub is not None:
                mode = _READ_CHILDREN
            elif spec.type_profiles:
                mode = _READ_OBJECT
            else:
                mode = _READ_NO_CHILD
        entry = (spec, mode, sub)
        self.modes[id(spec)] = entry
        return entry

    def item_key(self, walk: CompiledPass, spec: ProfileSpec, value: Any) -> Any:
        """CompiledPass.visit_profile of one item (a slice member)."""
        entry = self.modes.get(id(spec))
        if entry is None or entry[0] is not spec:
            entry = self.mode_of(spec)
        mode = entry[1]
        if mode == _READ_NOTHING:
            return _UNREAD
        if mode == _READ_VALUE:
            return self.whole(walk, value)
        if not isinstance(value, dict):
            return _NOT_OBJECT
        sub = entry[2]
        if mode == _READ_CHILDREN and sub is not None:
            return self.scope_key(walk, spec.sd, sub, value)
        if mode == _READ_OBJECT:
            return self.whole(walk, value)
        if mode == _READ_NO_CHILD:
            return _CHILDLESS
        raise _NoKey

    def slices_key(
        self, walk: CompiledPass, sd: StructureDef, slot: ProfileSlot, key: str, items: Any
    ) -> tuple[Any, ...]:
        """Slicer.check of a child's items by a url table: per item its slice and its key
        under the slice's spec (None: no slice)."""
        child = slot.child
        slices = child.slices
        found = self.slicings.get((id(slices), sd.url, key))
        if found is None or found[0] is not slices:
            found = self.slicing_of(sd, child, key)
        table, specs = found[1], found[2]
        if table is None:
            raise _NoKey
        members = found[3]
        parts: list[Any] = []
        for item in items:
            url = item.get("url") if type(item) is dict else None
            if type(url) is not str:
                raise _NoKey
            index = table.get(url)
            if index is None:
                parts.append(None)
                continue
            spec = specs[index]
            if spec is None:
                raise _NoKey  # CompiledPass.visit interprets it
            # A member seen before (the base walk rendered its repr) has its key.
            rendered = walk.value_key(item, None)
            known = members.get(rendered) if rendered is not None else None
            if known is not None:
                self.chars += known[1]
                parts.append(known[0])
                continue
            chars = self.chars
            part = (index, self.item_key(walk, spec, item))
            parts.append(part)
            if rendered is not None:
                if len(members) >= MEMBERS_KEPT:
                    members.clear()
                members[rendered] = (part, self.chars - chars)
        return tuple(parts)

    def slicing_of(self, sd: StructureDef, child: ChildDef, key: str) -> _Slicing:
        """The url table of a slicing (None: not keyed) and the spec Slicer.check visits
        each slice's members with (None: interpreted), cached."""
        element = child.element
        slicing = element.slicing
        slices = child.slices
        engine = self.engine
        table = (
            engine.slicer._url_table(sd, slices, slicing.discriminators)
            if slicing is not None
            else None
        )
        specs: list[ProfileSpec | None] = []
        for slice_element in slices:
            plan = engine.plan_for(sd, slice_element, PROFILE)
            if element.is_choice:
                type_code = engine.choice_type(element, key)
            else:
                type_code = slice_element.types[0].code if slice_element.types else ""
            spec = member_spec(engine, sd, slice_element, type_code, False)
            specs.append(spec if spec.plan is plan and isinstance(spec, ProfileSpec) else None)
        found: _Slicing = (slices, table, specs, {})
        self.slicings[(id(slices), sd.url, key)] = found
        return found

    def whole(self, walk: CompiledPass, value: Any) -> MemoKey:
        """The value's repr (the memo key of the walk's value, rendered once)."""
        rendered = walk.value_key(value, None)
        if rendered is None:
            raise _NoKey
        self.chars += len(rendered)
        return rendered


__all__ = ["ExtensionKeys"]
