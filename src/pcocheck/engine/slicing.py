"""Slicing: assign each repetition of a sliced element to a slice by its
discriminators (value, pattern, type, profile, exists), then check slice cardinality,
closed/openAtEnd rules and ordering, and validate members against their slice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcocheck.definitions.model import Discriminator, ElementDef, StructureDef
from pcocheck.engine.paths import UnsupportedPath, navigate
from pcocheck.engine.patterns import matches_fixed, matches_pattern
from pcocheck.engine.plan import ChildDef
from pcocheck.finding import JsonPath
from pcocheck.resolution import ReferenceContext

if TYPE_CHECKING:
    from pcocheck.engine.core import ProfileEngine
    from pcocheck.engine.walker import Pass

Item = tuple[JsonPath, Any, Any]


class Slicer:
    def __init__(self, engine: ProfileEngine) -> None:
        self.engine = engine
        # definition_at answers, key: (definition url, slice element id, path); lifetime:
        # the engine (one run, whose definitions do not change).
        self._definitions: dict[tuple[str, str, str], ElementDef | None] = {}
        # Extension slicings by url: fixed url -> first slice, per slice list (see
        # _url_table); lifetime: the engine.
        self._url_tables: dict[tuple[int, str], tuple[list[ElementDef], dict[str, int] | None]] = {}

    def check(
        self,
        walk: Pass,
        sd: StructureDef,
        child: ChildDef,
        items: list[Item],
        rel: JsonPath,
        key: str,
    ) -> None:
        element = child.element
        slicing = element.slicing
        slices = child.slices
        if slicing is None or not slices:
            return
        assigned: list[int | None] = []
        undecided: list[bool] = []
        counts = [0] * len(slices)
        discriminators = slicing.discriminators
        table = self._url_table(sd, slices, discriminators)
        for item_rel, value, _ in items:
            if table is not None and type(value) is dict and type(url := value.get("url")) is str:
                # assign(), by the url table
                self.why = ""
                index = table.get(url)
                assigned.append(index)
                undecided.append(False)
                if index is not None:
                    counts[index] += 1
                continue
            index, undetermined = self.assign_by_discriminators(
                walk, sd, slices, discriminators, value
            )
            assigned.append(index)
            undecided.append(bool(undetermined))
            if index is not None:
                counts[index] += 1
            elif undetermined:
                self.engine.summarise(
                    walk,
                    "FHIR-SLICE-006",
                    item_rel,
                    f"cannot tell whether this {key} item belongs to slice(s) "
                    f"{', '.join(undetermined)} of {walk.profile_name}: {self.why}",
                    (walk.profile_name, element.id, self.why),
                )
        # Slice membership of undecided items is unknown: do not claim a missing slice.
        unknown = any(undecided)
        for slice_index, slice_element in enumerate(slices):
            count = counts[slice_index]
            if count < slice_element.min and not unknown:
                walk.report(
                    "FHIR-SLICE-002",
                    rel + (key,) if items else rel,
                    f"slice {slice_element.slice_name!r} requires at least "
                    f"{slice_element.min} item(s) in {walk.profile_name}, found {count}",
                )
            maximum = slice_element.max_count
            if maximum is not None and count > maximum:
                walk.report(
                    "FHIR-SLICE-003",
                    rel + (key,),
                    f"slice {slice_element.slice_name!r} allows at most "
                    f"{maximum} item(s) in {walk.profile_name}, found {count}",
                )
        last_slice = -1
        seen_unmatched = False
        choice = element.is_choice
        mode = walk.mode
        for (item_rel, value, companion), index, undecided_item in zip(
            items, assigned, undecided, strict=True
        ):
            if index is None:
                seen_unmatched = True
                if slicing.rules == "closed" and not undecided_item:
                    walk.report(
                        "FHIR-SLICE-001",
                        item_rel,
                        f"{element.name} item matches none of the slices of "
                        f"{walk.profile_name}, and the slicing is closed",
                    )
                continue
            if slicing.rules == "openAtEnd" and seen_unmatched:
                walk.report(
                    "FHIR-SLICE-005",
                    item_rel,
                    f"{element.name}: items outside the slices must come last "
                    f"(openAtEnd in {walk.profile_name})",
                )
            if slicing.ordered and index < last_slice:
                walk.report(
                    "FHIR-SLICE-004",
                    item_rel,
                    f"{element.name}: slice {slices[index].slice_name!r} is out of order "
                    f"(slicing is ordered in {walk.profile_name})",
                )
            last_slice = max(last_slice, index)
            slice_element = slices[index]
            plan = self.engine.plan_for(sd, slice_element, mode)
            if choice:
                type_code = self.engine.choice_type(element, key)
            else:
                type_code = slice_element.types[0].code if slice_element.types else ""
            walk.visit(sd, slice_element, plan, type_code, value, companion, item_rel)

    why = ""

    def assign(
        self,
        walk: Pass,
        sd: StructureDef,
        slices: list[ElementDef],
        discriminators: tuple[Discriminator, ...],
        value: Any,
    ) -> tuple[int | None, list[str]]:
        """(index of the first matching slice, names of slices that could not be decided)."""
        if type(value) is dict and type(url := value.get("url")) is str:
            table = self._url_table(sd, slices, discriminators)
            if table is not None:
                self.why = ""
                return table.get(url), []
        return self.assign_by_discriminators(walk, sd, slices, discriminators, value)

    def assign_by_discriminators(
        self,
        walk: Pass,
        sd: StructureDef,
        slices: list[ElementDef],
        discriminators: tuple[Discriminator, ...],
        value: Any,
    ) -> tuple[int | None, list[str]]:
        """:meth:`assign` by evaluating every discriminator on every slice in turn."""
        undetermined: list[str] = []
        self.why = ""
        for index, slice_element in enumerate(slices):
            verdict = True
            for discriminator in discriminators:
                result = self.matches(walk, sd, slice_element, discriminator, value)
                if result is False:
                    verdict = False
                    break
                if result is None:
                    verdict = False
                    undetermined.append(str(slice_element.slice_name))
                    break
            if verdict:
                return index, []
        return None, undetermined

    def _url_table(
        self, sd: StructureDef, slices: list[ElementDef], discriminators: tuple[Discriminator, ...]
    ) -> dict[str, int] | None:
        """For a slicing by ``url`` value whose every slice fixes its url (extensions), or
        names the extension's definition as its type profile without a fixed or pattern
        url (a resource's slice of extensions by their profile): url -> index of the first
        slice matching it, which is what :meth:`matches` decides for a string url (a fixed
        string matches only itself; :meth:`match_value` tests a url against the slice's
        type profiles when nothing is fixed). None for any other slicing."""
        key = (id(slices), sd.url)
        entry = self._url_tables.get(key)
        if entry is not None and entry[0] is slices:
            return entry[1]
        table: dict[str, int] | None = None
        if (
            len(discriminators) == 1
            and discriminators[0].type in ("value", "pattern")
            and discriminators[0].path.strip() == "url"
        ):
            table = {}
            for index, slice_element in enumerate(slices):
                definition = self.definition_at(sd, slice_element, "url")
                fixed = definition.fixed if definition is not None else None
                if fixed is not None and isinstance(fixed[1], str):
                    table.setdefault(fixed[1], index)
                    continue
                profiles = [p for t in slice_element.types for p in t.profiles]
                if (
                    fixed is None
                    and profiles
                    and (definition is None or definition.pattern is None)
                ):
                    for profile in profiles:
                        table.setdefault(profile, index)
                    continue
                table = None
                break
        self._url_tables[key] = (slices, table)
        return table

    def matches(
        self,
        walk: Pass,
        sd: StructureDef,
        slice_element: ElementDef,
        discriminator: Discriminator,
        value: Any,
    ) -> bool | None:
        path = discriminator.path.strip()
        kind = discriminator.type
        if kind == "profile" or "resolve()" in path:
            self.engine.impure += 1  # resolved in the resource's context (engine.memo)
        try:
            targets = navigate(value, path, walk.resolve)
        except UnsupportedPath as error:
            self.why = f"discriminator path {path!r} uses unsupported FHIRPath ({error})"
            return None
        if kind == "exists":
            definition = self.definition_at(sd, slice_element, path)
            if definition is None:
                return bool(targets)
            wanted = definition.min > 0
            return bool(targets) == wanted
        if kind in ("value", "pattern"):
            return self.match_value(walk, sd, slice_element, path, targets)
        if kind == "type":
            definition = self.definition_at(sd, slice_element, path) or slice_element
            if "resolve()" in path:
                # The type of a resolved reference is the type of its target profiles.
                allowed = {
                    self.engine.profile_type(p)
                    for t in slice_element.types
                    for p in t.target_profiles
                }
                if not targets:
                    self.why = "the referenced resource is not in the input"
                    return None
            else:
                allowed = {t.code for t in definition.types}
            for target in targets:
                found = target.get("resourceType") if isinstance(target, dict) else None
                if found is not None and found in allowed:
                    return True
            return not targets and not allowed
        if kind == "profile":
            definition = self.definition_at(sd, slice_element, path) or slice_element
            profiles = [p for t in definition.types for p in (t.target_profiles or t.profiles)]
            if "resolve()" in path:
                profiles = [p for t in slice_element.types for p in t.target_profiles] or profiles
            if not targets:
                if "resolve()" in path:
                    self.why = "the referenced resource is not in the input"
                    return None
                return False
            where = self.resolved_path(walk, value, path)
            outcome: bool | None = False
            for target in targets:
                if not isinstance(target, dict):
                    continue
                for profile in profiles:
                    result = self.engine.conforms(walk, target, profile, where)
                    if result is True:
                        return True
                    if result is None:
                        outcome = None
                        self.why = f"conformance to {profile} could not be decided"
            return outcome
        self.why = f"discriminator type {kind!r} is not supported"
        return None

    def resolved_path(self, walk: Pass, value: Any, path: str) -> JsonPath | None:
        """Where a ``resolve()`` discriminator's target sits in the document (the key of
        the engine's conformance cache); None when it is not one reference resolved
        within the document."""
        context = walk.resolve
        reference = value.get("reference") if isinstance(value, dict) else None
        if path != "resolve()" or not isinstance(context, ReferenceContext):
            return None
        if not isinstance(reference, str):
            return None
        return context.resolve(reference).path

    def definition_at(
        self, sd: StructureDef, slice_element: ElementDef, path: str
    ) -> ElementDef | None:
        if path in ("$this", ""):
            return slice_element
        if "(" in path:
            return None
        key = (sd.url, slice_element.id, path)
        try:
            return self._definitions[key]
        except KeyError:
            found = self._definitions[key] = sd.by_id.get(f"{slice_element.id}.{path}")
            return found

    def match_value(
        self, walk: Pass, sd: StructureDef, slice_element: ElementDef, path: str, targets: list[Any]
    ) -> bool | None:
        definition = self.definition_at(sd, slice_element, path)
        expected: tuple[str, Any] | None = None
        if definition is not None:
            expected = definition.fixed or definition.pattern
        if expected is None and path == "url":
            profiles = [p for t in slice_element.types for p in t.profiles]
            if profiles:
                return any(t in profiles for t in targets)
        if expected is None and definition is None and path not in ("$this", ""):
            # The value may sit inside a pattern on the slice itself (patternCoding.system).
            base_value = slice_element.pattern or slice_element.fixed
            if base_value is not None:
                inner = navigate(base_value[1], path)
                if inner:
                    return all(any(matches_pattern(t, want) for t in targets) for want in inner)
        if expected is not None:
            wanted = expected[1]
            check = (
                matches_fixed if definition is not None and definition.fixed else matches_pattern
            )
            return any(check(target, wanted) for target in targets)
        binding = definition.binding if definition is not None else None
        if binding is not None and binding.strength == "required" and binding.value_set:
            return self.engine.member_of_any(binding.value_set, targets)
        self.why = (
            f"slice {slice_element.slice_name!r} has no fixed, pattern or required "
            f"binding at {path!r}"
        )
        return None
