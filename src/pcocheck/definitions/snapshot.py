"""Snapshot generation: a differential expanded onto its parent's snapshot.

Profiles shipped in ``profiles/`` and most hand-written ones are differentials only.
:func:`expand_differential` starts from the parent's snapshot elements and applies the
differential element by element (matched by element id):

* an existing element takes every field the differential states; constraints are added
  (a differential constraint with the same key replaces the inherited one);
* a new slice (``Goal.category:pco``) copies the sliced element and its descendants and
  is inserted after that element's subtree (its children and earlier slices);
* an element reaching into a datatype (``Goal.target.measure.coding``,
  ``Observation.valueQuantity.system``, ``Extension.extension:level.value[x]``) first
  unfolds the parent element with the elements of its type's StructureDefinition;
* a renamed choice (``Goal.target.detailQuantity``) maps onto ``Goal.target.detail[x]``
  with its types restricted to that one type, unless a type slice of that name exists.

Like the official snapshots, datatypes are unfolded only where the profile constrains
something inside them; elsewhere the engine descends into the type's own definition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pcocheck.definitions.compile import (
    JsonDict,
    binding_from_compact,
    compact_element,
    constraint_from_compact,
    slicing_from_compact,
    type_from_compact,
)
from pcocheck.definitions.model import (
    Binding,
    Constraint,
    Discriminator,
    ElementDef,
    Slicing,
    StructureDef,
    TypeRef,
)

TypeResolver = Callable[[str], StructureDef | None]
"""Resolves a type name (``Quantity``) or a profile URL to a StructureDef with snapshot."""

# Real element paths have at most about 15 segments; building deeper ones recurses.
MAX_PATH_SEGMENTS = 100
_EXTENSION_SLICING = Slicing((Discriminator("value", "url"),), "open")
_TYPE_SLICING = Slicing((Discriminator("type", "$this"),), "open")


def _capitalised(code: str) -> str:
    return code[:1].upper() + code[1:]


def _choice_type(element: ElementDef, renamed: str) -> TypeRef | None:
    """The allowed type a renamed choice (``valueQuantity``) stands for, if any."""
    stem = element.name[:-3]
    if not renamed.startswith(stem) or len(renamed) == len(stem):
        return None
    suffix = renamed[len(stem) :]
    for allowed in element.types:
        if _capitalised(allowed.code) == suffix:
            return allowed
    return None


class _Snapshot:
    """The element list being built, with an id index kept in step."""

    def __init__(self, elements: list[ElementDef], resolve: TypeResolver) -> None:
        self.elements = list(elements)
        self.by_id = {e.id: e for e in self.elements}
        self.resolve = resolve
        self.problems: list[str] = []
        self.warnings: list[str] = []
        # Positions are cached and recomputed only from the first insertion point on, and
        # each sliced element remembers the last element of its subtree: a differential
        # with thousands of slices stays linear instead of rescanning the whole list.
        self._positions: dict[str, int] = {}
        self._valid = 0
        self._subtree_last: dict[str, str] = {}

    # -- structure helpers ------------------------------------------------------------

    def _position(self, element_id: str) -> int:
        known = self._positions.get(element_id)
        elements = self.elements
        if known is not None and known < self._valid and elements[known].id == element_id:
            return known
        for i in range(self._valid, len(elements)):
            current = elements[i].id
            self._positions[current] = i
            if current == element_id:
                self._valid = i + 1
                return i
        self._valid = len(elements)
        raise KeyError(element_id)

    def _run_end(self, start: int, prefixes: tuple[str, ...]) -> int:
        """Index after the contiguous run of elements from ``start`` whose ids start with
        one of ``prefixes`` (in snapshot order a subtree follows its element)."""
        elements = self.elements
        end = start
        while end < len(elements) and elements[end].id.startswith(prefixes):
            end += 1
        return end

    def _subtree_end(self, element_id: str, separators: str) -> int:
        """Index after the last element below ``element_id`` (children and, with ``:``
        among ``separators``, its slices)."""
        prefixes = tuple(element_id + s for s in separators)
        start = self._position(element_id) + 1
        last = self._subtree_last.get(element_id + separators)
        if last is not None and last in self.by_id:
            start = max(start, self._position(last) + 1)
        end = self._run_end(start, prefixes)
        if end > self._position(element_id) + 1:
            self._subtree_last[element_id + separators] = self.elements[end - 1].id
        return end

    def _insert(self, at: int, new: list[ElementDef]) -> None:
        self.elements[at:at] = new
        self._valid = min(self._valid, at)
        for element in new:
            self.by_id[element.id] = element

    def _replace(self, element: ElementDef) -> None:
        self.elements[self._position(element.id)] = element
        self.by_id[element.id] = element

    def _descendants(self, element_id: str) -> list[ElementDef]:
        start = self._position(element_id) + 1
        return self.elements[start : self._run_end(start, (element_id + ".",))]

    def _has_children(self, element_id: str) -> bool:
        start = self._position(element_id) + 1
        return self._run_end(start, (element_id + ".",)) > start

    def _children(self, element_id: str) -> list[ElementDef]:
        prefix = element_id + "."
        return [e for e in self._descendants(element_id) if "." not in e.id[len(prefix) :]]

    @staticmethod
    def _rebase(
        element: ElementDef, old_id: str, old_path: str, new_id: str, new_path: str
    ) -> ElementDef:
        return dataclasses.replace(
            element,
            id=new_id + element.id[len(old_id) :],
            path=new_path + element.path[len(old_path) :],
        )

    # -- finding or creating elements ---------------------------------------------------

    def ensure(self, element_id: str) -> str | None:
        """The id of the snapshot element ``element_id`` denotes, creating it if needed."""
        if element_id in self.by_id:
            return element_id
        if "." not in element_id:
            self.problems.append(f"element {element_id} is not part of {self.elements[0].id}")
            return None
        parent_ref, last = element_id.rsplit(".", 1)
        parent = self.ensure(parent_ref)
        if parent is None:
            return None
        name, _, slice_name = last.partition(":")
        reported = len(self.problems)
        child = self._child(parent, name)
        if child is None:
            if len(self.problems) == reported:  # unless unfolding already said why
                self.problems.append(f"element {element_id}: {name} is not an element of {parent}")
            return None
        return self._slice(child, slice_name) if slice_name else child

    def _child(self, parent_id: str, name: str) -> str | None:
        candidate = f"{parent_id}.{name}"
        if candidate in self.by_id:
            return candidate
        if not self._has_children(parent_id) and not self._unfold(parent_id):
            return None
        if candidate in self.by_id:
            return candidate
        for child in self._children(parent_id):
            if not child.is_choice:
                continue
            allowed = _choice_type(child, name)
            if allowed is None:
                continue
            type_slice = f"{child.id}:{name}"
            if type_slice in self.by_id:
                return type_slice
            if len(child.types) > 1:
                self._replace(dataclasses.replace(child, types=(allowed,)))
            return child.id
        return None

    def _unfold(self, element_id: str) -> bool:
        """Insert the children of ``element_id`` from its type (or content reference)."""
        element = self.by_id[element_id]
        if element.content_reference:
            target = element.content_reference.split("#", 1)[-1]
            if target not in self.by_id:
                self.problems.append(f"{element_id}: content reference {target} not found")
                return False
            source = self._descendants(target)
            new = [
                self._rebase(e, target, self.by_id[target].path, element_id, element.path)
                for e in source
            ]
        else:
            if len(element.types) != 1:
                kinds = ", ".join(t.code for t in element.types) or "no type"
                self.problems.append(
                    f"cannot constrain inside {element_id}: it allows {kinds}; "
                    "restrict it to one type first"
                )
                return False
            type_ref = element.types[0]
            ref = type_ref.profiles[0] if len(type_ref.profiles) == 1 else type_ref.code
            definition = self.resolve(ref)
            if definition is None or not definition.elements:
                self.problems.append(f"cannot expand {element_id}: type {ref} is not loaded")
                return False
            root = definition.elements[0]
            new = [
                self._rebase(e, root.id, root.path, element_id, element.path)
                for e in definition.elements[1:]
            ]
        self._insert(self._position(element_id) + 1, new)
        return bool(new)

    def _slice(self, sliced_id: str, slice_name: str) -> str | None:
        target = f"{sliced_id}:{slice_name}"
        if target in self.by_id:
            return target
        head, _, _ = slice_name.rpartition("/")
        if head:  # re-slicing: the new slice is cut out of an existing slice
            base_id = self._slice(sliced_id, head)
            if base_id is None:
                return None
            end = self._subtree_end(base_id, "./")
        else:
            base_id = sliced_id
            end = self._subtree_end(sliced_id, ".:")
        base = self.by_id[base_id]
        types = base.types
        if base.is_choice:
            allowed = _choice_type(base, slice_name)
            if allowed is not None:
                types = (allowed,)
        if not head and base.slicing is None:
            if base.is_choice:
                self._replace(dataclasses.replace(base, slicing=_TYPE_SLICING))
            elif base.name in ("extension", "modifierExtension"):
                self._replace(dataclasses.replace(base, slicing=_EXTENSION_SLICING))
            else:
                self.warnings.append(f"slice {target} is declared on an element without slicing")
        # A slice is one subset of the repetitions: it starts optional instead of
        # inheriting the sliced element's minimum, which would demand every slice.
        new_slice = dataclasses.replace(
            base, id=target, slice_name=slice_name, min=0, slicing=None, types=types
        )
        copied = [
            self._rebase(e, base_id, base.path, target, base.path)
            for e in self._descendants(base_id)
        ]
        self._insert(end, [new_slice, *copied])
        return target

    # -- applying a differential element ------------------------------------------------

    def merge(self, element_id: str, diff: JsonDict) -> None:
        element = self.by_id[element_id]
        changes: dict[str, Any] = {}
        if "min" in diff:
            changes["min"] = int(diff["min"])
        if "max" in diff:
            changes["max"] = str(diff["max"])
        if "types" in diff:
            changes["types"] = tuple(type_from_compact(t) for t in diff["types"])
        if "regex" in diff:
            changes["regex"] = diff["regex"]
        if "contentReference" in diff:
            changes["content_reference"] = diff["contentReference"]
        if "fixed" in diff:
            changes["fixed"] = (str(diff["fixed"][0]), diff["fixed"][1])
        if "pattern" in diff:
            changes["pattern"] = (str(diff["pattern"][0]), diff["pattern"][1])
        if "binding" in diff:
            changes["binding"] = _merge_binding(element.binding, diff["binding"])
        if "constraints" in diff:
            changes["constraints"] = _merge_constraints(element.constraints, diff["constraints"])
        if "slicing" in diff:
            changes["slicing"] = _merge_slicing(element.slicing, diff["slicing"])
        if "mustSupport" in diff:
            changes["must_support"] = bool(diff["mustSupport"])
        if "isModifier" in diff:
            changes["is_modifier"] = bool(diff["isModifier"])
        if "maxLength" in diff:
            changes["max_length"] = diff["maxLength"]
        if "short" in diff:
            changes["short"] = diff["short"]
        if changes:
            self._replace(dataclasses.replace(element, **changes))


def _merge_binding(base: Binding | None, diff: JsonDict) -> Binding:
    stated = binding_from_compact(diff)
    if base is None:
        return stated
    return Binding(
        strength=stated.strength if "strength" in diff else base.strength,
        value_set=stated.value_set if "valueSet" in diff else base.value_set,
        description=stated.description if "description" in diff else base.description,
    )


def _merge_constraints(
    base: tuple[Constraint, ...], diff: list[JsonDict]
) -> tuple[Constraint, ...]:
    merged = {c.key: c for c in base}
    for entry in diff:
        merged[entry["key"]] = constraint_from_compact(entry)
    return tuple(merged.values())


def _merge_slicing(base: Slicing | None, diff: JsonDict) -> Slicing:
    stated = slicing_from_compact(diff)
    if base is None:
        return stated
    return Slicing(
        discriminators=stated.discriminators or base.discriminators,
        rules=stated.rules if "rules" in diff else base.rules,
        ordered=stated.ordered if "ordered" in diff else base.ordered,
    )


def _differential_ids(raw_elements: list[JsonDict]) -> list[str]:
    """Element ids, reconstructed for old differentials that give only path/sliceName.

    Without ids, an element under a slice names only its slice-free path; it belongs to
    the slice most recently declared on its ancestor path.
    """
    ids: list[str] = []
    open_slices: dict[str, str] = {}  # slice-free path -> id of the latest slice on it
    for raw in raw_elements:
        if isinstance(raw.get("id"), str) and raw["id"]:
            ids.append(raw["id"])
            continue
        path = str(raw.get("path", ""))
        segments = path.split(".")
        element_id = path
        for i in range(len(segments) - 1, 0, -1):
            prefix = ".".join(segments[:i])
            if prefix in open_slices:
                element_id = open_slices[prefix] + path[len(prefix) :]
                break
        if isinstance(raw.get("sliceName"), str) and raw["sliceName"]:
            element_id = f"{element_id}:{raw['sliceName']}"
            open_slices[path] = element_id
        else:
            for key in [k for k in open_slices if k == path or k.startswith(path + ".")]:
                del open_slices[key]
        ids.append(element_id)
    return ids


def _shape_problems(raw: JsonDict) -> str:
    """Values of the wrong JSON type, which compaction would otherwise drop silently."""
    wrong: list[str] = []
    if "min" in raw and (not isinstance(raw["min"], int) or raw["min"] < 0):
        wrong.append("min must be a non-negative integer")
    max_ = raw.get("max")
    if "max" in raw and not (isinstance(max_, str) and (max_ == "*" or max_.isdigit())):
        wrong.append('max must be "*" or a number in a string')
    if "type" in raw and not isinstance(raw["type"], list):
        wrong.append("type must be a list")
    for key in ("binding", "slicing"):
        if key in raw and not isinstance(raw[key], dict):
            wrong.append(f"{key} must be an object")
    return "; ".join(wrong)


def expand_differential(
    differential: list[JsonDict], parent: StructureDef, resolve: TypeResolver
) -> tuple[list[ElementDef], list[tuple[str, str]]]:
    """The snapshot of a profile: ``differential`` (raw FHIR ElementDefinitions) applied to
    ``parent``'s snapshot. Returns the elements and ``(severity, message)`` problems;
    an element that cannot be placed is skipped and the rest of the profile still
    applies."""
    work = _Snapshot(parent.elements, resolve)
    raw_elements = [e for e in differential if isinstance(e, dict) and e.get("path")]
    root_id = parent.elements[0].id if parent.elements else ""
    for raw, element_id in zip(raw_elements, _differential_ids(raw_elements), strict=True):
        if element_id.count(".") >= MAX_PATH_SEGMENTS:
            work.problems.append(
                f"element {element_id[:80]}…: its path has more than {MAX_PATH_SEGMENTS} "
                "segments; it is ignored"
            )
            continue
        head = element_id.split(".", 1)[0]
        if head != root_id:
            # Profiles of a type have the type as their root; anything else is misplaced.
            work.problems.append(f"element {element_id} does not start with {root_id}")
            continue
        shape = _shape_problems(raw)
        if shape:
            work.problems.append(f"element {element_id}: {shape}; those values are ignored")
        target = work.ensure(element_id)
        if target is None:
            continue
        work.merge(target, compact_element(raw, keep_defaults=True))
    found = [("error", m) for m in work.problems] + [("warning", m) for m in work.warnings]
    return work.elements, found
