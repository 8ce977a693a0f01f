"""A CodeSystem resource indexed for lookups, hierarchy and filter evaluation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pcocheck.terminology import known_codes

# Concept properties that state hierarchy (parent ← child).
_PARENT_PROPERTIES = frozenset({"parent", "subsumedBy"})
_CHILD_PROPERTIES = frozenset({"child"})


@dataclass(frozen=True, slots=True)
class ConceptEntry:
    code: str
    display: str | None
    designations: tuple[str, ...] = ()
    properties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def displays(self) -> tuple[str, ...]:
        first = (self.display,) if self.display else ()
        return first + tuple(d for d in self.designations if d != self.display)


def property_text(prop: Mapping[str, Any]) -> str | None:
    """The value of a concept property (or a filter value) as text."""
    for key, value in prop.items():
        if not key.startswith("value"):
            continue
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            code = value.get("code")
            return str(code) if code is not None else None
        return str(value)
    return None


class CodeSystemIndex:
    """Concepts of one CodeSystem by code, with parent/child links.

    ``complete`` is True when the resource claims to hold every code of the system
    (``content = complete``) and the system is not one of the large external ones that
    IGs sometimes declare a fragment of.
    """

    def __init__(self, resource: Mapping[str, Any]) -> None:
        self.url: str = str(resource.get("url", ""))
        self.version: str | None = resource.get("version")
        self.name: str = str(resource.get("title") or resource.get("name") or self.url)
        content = str(resource.get("content", "complete"))
        self.content = content
        default_cs = known_codes.CASE_SENSITIVE.get(self.url, True)
        sensitive = resource.get("caseSensitive")
        self.case_sensitive: bool = sensitive if isinstance(sensitive, bool) else default_cs
        self.complete = content == "complete" and self.url not in known_codes.LARGE_SYSTEMS
        self.usable = content in ("complete", "fragment", "example")
        self.concepts: dict[str, ConceptEntry] = {}
        self._by_lower: dict[str, ConceptEntry] = {}
        self._children: dict[str, list[str]] = {}
        self._descendants: dict[str, frozenset[str]] = {}
        if self.usable:
            self._load(resource.get("concept") or [], None)

    def _load(self, concepts: Iterable[Any], parent: str | None) -> None:
        for item in concepts:
            if not isinstance(item, Mapping) or not isinstance(item.get("code"), str):
                continue
            code = item["code"]
            props: dict[str, list[str]] = {}
            for prop in item.get("property") or []:
                if isinstance(prop, Mapping) and isinstance(prop.get("code"), str):
                    text = property_text(prop)
                    if text is not None:
                        props.setdefault(prop["code"], []).append(text)
            designations = tuple(
                str(d["value"])
                for d in item.get("designation") or []
                if isinstance(d, Mapping) and isinstance(d.get("value"), str)
            )
            display = item.get("display")
            entry = ConceptEntry(
                code=code,
                display=display if isinstance(display, str) else None,
                designations=designations,
                properties={k: tuple(v) for k, v in props.items()},
            )
            self.concepts.setdefault(code, entry)
            self._by_lower.setdefault(code.lower(), entry)
            if parent is not None:
                self._link(parent, code)
            for name, values in props.items():
                for value in values:
                    if name in _PARENT_PROPERTIES:
                        self._link(value, code)
                    elif name in _CHILD_PROPERTIES:
                        self._link(code, value)
            self._load(item.get("concept") or [], code)

    def _link(self, parent: str, child: str) -> None:
        children = self._children.setdefault(parent, [])
        if child not in children:
            children.append(child)

    def norm(self, code: str) -> str:
        return code if self.case_sensitive else code.lower()

    def get(self, code: str) -> ConceptEntry | None:
        """The concept for ``code``, honouring the system's case sensitivity."""
        entry = self.concepts.get(code)
        if entry is None and not self.case_sensitive:
            entry = self._by_lower.get(code.lower())
        return entry

    def get_any_case(self, code: str) -> ConceptEntry | None:
        """A concept whose code differs from ``code`` only by case (for hints)."""
        return self._by_lower.get(code.lower())

    def descendants(self, code: str) -> frozenset[str]:
        """All codes below ``code`` (not including it)."""
        cached = self._descendants.get(code)
        if cached is not None:
            return cached
        found: set[str] = set()
        stack = list(self._children.get(code, ()))
        while stack:
            child = stack.pop()
            if child in found:
                continue
            found.add(child)
            stack.extend(self._children.get(child, ()))
        result = frozenset(found)
        self._descendants[code] = result
        return result

    def ancestors(self, code: str) -> frozenset[str]:
        return frozenset(c for c in self.concepts if code in self.descendants(c))

    def values(self, entry: ConceptEntry, prop: str) -> tuple[str, ...]:
        if prop in ("code", "concept"):
            return (entry.code,)
        if prop == "display":
            return entry.displays
        return entry.properties.get(prop, ())

    def __iter__(self) -> Iterator[ConceptEntry]:
        return iter(self.concepts.values())

    def __len__(self) -> int:
        return len(self.concepts)

    def select(self, flt: Mapping[str, Any]) -> set[str] | None:
        """Codes matching one compose filter, or None when the filter is unsupported.

        Supported: ``is-a``, ``descendent-of``, ``is-not-a``, ``generalizes`` on the
        hierarchy (property ``concept``/``code``, or a hierarchy property), and ``=``,
        ``in``, ``not-in``, ``regex``, ``exists`` on any concept property.
        """
        prop = flt.get("property")
        op = flt.get("op")
        value = flt.get("value")
        if not isinstance(prop, str) or not isinstance(op, str) or not isinstance(value, str):
            return None
        codes = set(self.concepts)
        if op in ("is-a", "descendent-of", "is-not-a", "generalizes"):
            root = self.get(value)
            if root is None:
                return set() if op != "is-not-a" else codes
            below = self.descendants(root.code)
            if op == "is-a":
                return {root.code, *below}
            if op == "descendent-of":
                return set(below)
            if op == "is-not-a":
                return codes - below - {root.code}
            return {root.code, *self.ancestors(root.code)}
        if op == "=":
            return {e.code for e in self if value in self.values(e, prop)}
        if op in ("in", "not-in"):
            wanted = {v.strip() for v in value.split(",")}
            hits = {e.code for e in self if wanted.intersection(self.values(e, prop))}
            return hits if op == "in" else codes - hits
        if op == "regex":
            try:
                pattern = re.compile(value)
            except re.error:
                return None
            return {e.code for e in self if any(pattern.fullmatch(v) for v in self.values(e, prop))}
        if op == "exists":
            want = value.lower() == "true"
            return {e.code for e in self if bool(self.values(e, prop)) == want}
        return None
