"""Must Support coverage: which Must Support elements and slices of a profile appear in
at least one returned instance. Derived from the StructureDefinitions at run time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pcocheck.server.matching import listed

if TYPE_CHECKING:
    from pcocheck.definitions.model import ElementDef, StructureDef
    from pcocheck.definitions.registry import DefinitionRegistry

# A slice test: True / False, or None when pcocheck cannot decide (e.g. a profile
# discriminator that needs the referenced resource).
SliceTest = Callable[[Any], bool | None]


@dataclass(slots=True)
class Coverage:
    profile: str
    instances: int = 0
    seen: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def pattern_matches(pattern: Any, value: Any) -> bool:
    """FHIR pattern semantics: every property of the pattern is in the value."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and pattern_matches(v, value[k]) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(pattern_matches(p, v) for v in items) for p in pattern)
    return bool(pattern == value)


class MustSupport:
    def __init__(
        self,
        registry: DefinitionRegistry,
        codes_in: Callable[[str, Any], bool | None],
        resolve: Callable[[str], dict[str, Any] | None] = lambda reference: None,
    ) -> None:
        self.registry = registry
        self.codes_in = codes_in  # (value set, CodeableConcept) -> in it? None: cannot tell
        self.resolve = resolve  # a reference -> the resource fetched for it, if any

    def profile_chain(self, url: str) -> list[str]:
        chain: list[str] = []
        current: str | None = url
        while current and current not in chain:
            chain.append(current)
            sd = self.registry.structure(current)
            current = sd.base_definition if sd is not None else None
        return chain

    def _target_claims(self, value: Any, profiles: set[str]) -> bool | None:
        """A profile-sliced reference: does the resource it points at (fetched during the
        run) claim one of the slice's target profiles (or a profile derived from one)?"""
        ref = value.get("reference") if isinstance(value, dict) else None
        target = self.resolve(ref) if isinstance(ref, str) else None
        if target is None:
            return None
        return bool(self.instances_of_any(profiles, [target]))

    def instances_of_any(
        self, urls: set[str], resources: Iterable[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return [r for r in resources if any(self.instances_of(u, [r]) for u in urls)]

    def instances_of(self, url: str, resources: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Resources that claim ``url`` or a profile derived from it."""
        out = []
        for resource in resources:
            meta = resource.get("meta")
            claims = meta.get("profile") if isinstance(meta, dict) else None
            for claim in listed(claims):
                if isinstance(claim, str) and url in self.profile_chain(claim.split("|")[0]):
                    out.append(resource)
                    break
        return out

    def coverage(self, url: str, resources: list[dict[str, Any]]) -> Coverage | None:
        sd = self.registry.structure(url)
        if sd is None:
            return None
        result = Coverage(profile=url, instances=len(resources))
        for element in sd.elements:
            if not element.must_support or element.id == sd.type:
                continue
            label = element.id.split(".", 1)[1] if "." in element.id else element.id
            verdicts = [self._present(sd, element, r) for r in resources]
            if any(v is True for v in verdicts):
                result.seen.append(label)
            elif any(v is None for v in verdicts):
                result.undecided.append(label)
            else:
                result.missing.append(label)
        return result

    def _present(
        self, sd: StructureDef, element: ElementDef, resource: dict[str, Any]
    ) -> bool | None:
        steps = element.id.split(".")[1:]
        current: list[Any] = [resource]
        prefix = sd.type
        undecided = False
        for step in steps:
            name, _, slice_name = step.partition(":")
            prefix = f"{prefix}.{step}"
            following: list[Any] = []
            for node in current:
                following.extend(_children(node, name))
            if slice_name:
                test = self._slice_test(sd, prefix)
                kept = []
                for value in following:
                    verdict = test(value)
                    if verdict is None:
                        undecided = True
                    elif verdict:
                        kept.append(value)
                following = kept
            current = following
        if current:
            return True
        return None if undecided else False

    def _slice_test(self, sd: StructureDef, slice_id: str) -> SliceTest:
        element = sd.by_id.get(slice_id)
        if element is None:
            return lambda value: None
        for type_ref in element.types:
            if type_ref.code == "Extension" and type_ref.profiles:
                urls = set(type_ref.profiles)
                return lambda value: isinstance(value, dict) and value.get("url") in urls
        targets = {p for t in element.types if t.code == "Reference" for p in t.target_profiles}
        if targets:
            return lambda value: self._target_claims(value, targets)
        if element.pattern is not None:
            pattern = element.pattern[1]
            return lambda value: pattern_matches(pattern, value)
        if element.fixed is not None:
            fixed = element.fixed[1]
            return lambda value: bool(value == fixed)
        children = [
            e for e in sd.elements if e.id.startswith(slice_id + ".") and (e.pattern or e.fixed)
        ]
        if children:

            def test(value: Any) -> bool:
                for child in children:
                    rel = child.id[len(slice_id) + 1 :]
                    wanted = (child.pattern or child.fixed or ("", None))[1]
                    found = _walk(value, rel)
                    if not any(pattern_matches(wanted, v) for v in found):
                        return False
                return True

            return test
        binding = element.binding
        if binding is not None and binding.strength == "required" and binding.value_set:
            value_set = binding.value_set
            return lambda value: self.codes_in(value_set, value)
        return lambda value: None


def _children(node: Any, name: str) -> list[Any]:
    if not isinstance(node, dict):
        return []
    if name.endswith("[x]"):
        stem = name[:-3]
        return [
            v
            for k, value in node.items()
            if k.startswith(stem) and k[len(stem) : len(stem) + 1].isupper()
            for v in listed(value)
        ]
    return listed(node.get(name))


def _walk(value: Any, rel: str) -> list[Any]:
    current = [value]
    for step in rel.split("."):
        current = [c for node in current for c in _children(node, step.partition(":")[0])]
    return current
