"""The value set engine: ValueSet resources compiled once into membership tables.

A compiled value set answers "is system|code a member?" with one of four verdicts.
Enumerable parts (explicit concepts, whole local code systems, filters evaluated on
local code systems, imports of enumerable value sets) become one dictionary, so the
common case is a single lookup. Parts that cannot be enumerated offline (all of SNOMED
CT, a LOINC property filter, an import pcocheck does not have) stay as small predicates
that answer yes, no or "cannot tell"; the verdict combines them with three-valued logic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pcocheck.definitions.model import Concept
from pcocheck.terminology import known_codes
from pcocheck.terminology.codesystem import CodeSystemIndex
from pcocheck.terminology.syntax import LoincKind, parse_loinc

Key = tuple[str, str]  # (system, code normalised for the system's case sensitivity)
Possible = Callable[[str, str], "bool | None"]  # can this code exist in this system?
Norm = Callable[[str, str], str]


class Verdict(Enum):
    MEMBER = "member"
    NOT_MEMBER = "not a member"
    UNKNOWN = "cannot be decided offline"
    UNCONFIRMED = "not among the known members (membership list unconfirmed)"


@dataclass(frozen=True, slots=True)
class Expansion:
    """The enumerable content of a value set.

    ``complete`` is False when pcocheck knows only part of the membership (a LOINC answer
    list whose exact content is unconfirmed): codes outside ``concepts`` may still belong.
    """

    url: str
    concepts: tuple[Concept, ...]
    complete: bool = True
    _keys: frozenset[tuple[str, str]] = field(default=frozenset(), repr=False, compare=False)

    @classmethod
    def of(cls, url: str, concepts: Iterable[Concept], complete: bool = True) -> Expansion:
        items = tuple(concepts)
        return cls(url, items, complete, frozenset((c.system, c.code) for c in items))

    def contains(self, system: str, code: str) -> bool:
        return (system, code) in self._keys

    def __len__(self) -> int:
        return len(self.concepts)


_MEMBER = Verdict.MEMBER
_NOT_MEMBER = Verdict.NOT_MEMBER
_UNKNOWN = Verdict.UNKNOWN
_UNCONFIRMED = Verdict.UNCONFIRMED

# --------------------------------------------------------------------------- parts


class Part:
    """An include or exclude row that is not a plain set of codes."""

    systems: frozenset[str] | None = None  # systems it can match; None = any
    reason: str = ""

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        raise NotImplementedError


class _SetPart(Part):
    def __init__(self, keys: frozenset[Key], norm: Norm) -> None:
        self.keys = keys
        self.norm = norm
        self.systems = frozenset(s for s, _ in keys)

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        return (system, self.norm(system, code)) in self.keys


class _SystemPart(Part):
    """All codes of a system pcocheck cannot enumerate (or knows only a fragment of)."""

    def __init__(
        self,
        system: str,
        version: str | None,
        known: frozenset[str],
        norm: Norm,
        possible: Possible,
        reason: str,
    ) -> None:
        self.system = system
        self.version = version
        self.known = known
        self.norm = norm
        self.possible = possible
        self.systems = frozenset({system})
        self.reason = reason

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        if system != self.system:
            return False
        if self.version and version and version != self.version:
            return False
        if self.norm(system, code) in self.known:
            return True
        return self.possible(system, code)


class _FilterPart(Part):
    """A filter on a system pcocheck cannot evaluate (LOINC CLASSTYPE, SNOMED is-a ...)."""

    def __init__(self, system: str, possible: Possible, reason: str) -> None:
        self.system = system
        self.possible = possible
        self.systems = frozenset({system})
        self.reason = reason

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        if system != self.system or self.possible(system, code) is False:
            return False
        return None


class _ValueSetPart(Part):
    def __init__(self, compiled: CompiledValueSet) -> None:
        self.compiled = compiled
        self.systems = None if compiled.any_system else compiled.systems
        self.reason = "; ".join(compiled.reasons)

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        verdict = self.compiled.verdict(system, code, version)
        if verdict is Verdict.MEMBER:
            return True
        if verdict is Verdict.NOT_MEMBER:
            return False
        return None


class _UnknownPart(Part):
    def __init__(self, reason: str) -> None:
        self.reason = reason

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        return None


class _AndPart(Part):
    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        systems: frozenset[str] | None = None
        for part in parts:
            if part.systems is not None:
                systems = part.systems if systems is None else systems & part.systems
        self.systems = systems
        self.reason = "; ".join(p.reason for p in parts if p.reason)

    def test(self, system: str, code: str, version: str | None) -> bool | None:
        result: bool | None = True
        for part in self.parts:
            value = part.test(system, code, version)
            if value is False:
                return False
            if value is None:
                result = None
        return result


# --------------------------------------------------------------------------- compiled


class CompiledValueSet:
    """Membership tables for one value set (see the module docstring)."""

    def __init__(self, url: str, version: str | None, name: str, norm: Norm) -> None:
        self.url = url
        self.version = version
        self.name = name
        self.norm = norm
        self.members: dict[Key, Concept] = {}
        self.by_code: dict[str, Concept] = {}
        self.by_code_lower: dict[str, Concept] = {}
        self.by_lower: dict[tuple[str, str], Concept] = {}
        self.displays: dict[Key, tuple[str, ...]] = {}
        self.versions: dict[Key, frozenset[str] | None] = {}
        self.excluded: set[Key] = set()
        self.open_includes: list[Part] = []
        self.open_excludes: list[Part] = []
        self.systems: frozenset[str] = frozenset()
        self.any_system = False
        self.unconfirmed: str | None = None
        self.notes: dict[str, str] = {}  # per-value-set message fragments, built once
        self._concepts: list[Concept] | None = None
        self._insensitive: frozenset[str] = frozenset()
        self._answer_list = url.startswith("http://loinc.org/vs/LL")

    # -- building

    def add_members(
        self,
        items: Mapping[Key, Concept],
        displays: Mapping[Key, tuple[str, ...]],
        version: str | None,
    ) -> None:
        for key, concept in items.items():
            self.members.setdefault(key, concept)
            if key in displays:
                self.displays[key] = _merge(self.displays.get(key, ()), displays[key])
            if version is None:
                self.versions[key] = None
            elif key not in self.versions or self.versions[key] is not None:
                self.versions[key] = (self.versions.get(key) or frozenset()) | {version}

    def finish(self) -> None:
        for key, concept in self.members.items():
            if key in self.excluded:
                continue
            self.by_code.setdefault(concept.code, concept)
            self.by_code_lower.setdefault(concept.code.lower(), concept)
            self.by_lower.setdefault((concept.system, concept.code.lower()), concept)
        systems = {s for s, _ in self.members}
        for part in self.open_includes:
            if part.systems is None:
                self.any_system = True
            else:
                systems |= part.systems
        self.systems = frozenset(systems)
        if all(v is None for v in self.versions.values()):
            self.versions = {}
        self._insensitive = frozenset(
            s for s in self.systems | {s for s, _ in self.excluded} if self.norm(s, "A") == "a"
        )

    # -- queries

    @property
    def enumerable(self) -> bool:
        return not self.open_includes and not self.open_excludes

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(p.reason for p in (*self.open_includes, *self.open_excludes) if p.reason)

    def concepts(self) -> list[Concept]:
        """The enumerated members (excluded codes removed), in definition order."""
        if self._concepts is None:
            self._concepts = [c for k, c in self.members.items() if k not in self.excluded]
        return self._concepts

    def verdict(self, system: str | None, code: str, version: str | None = None) -> Verdict:
        if system is None:
            return self._verdict_code_only(code)
        key = (system, code.lower() if system in self._insensitive else code)
        if key in self.members and (
            not self.versions or version is None or self._version_ok(key, version)
        ):
            result = _MEMBER
        else:
            result = _NOT_MEMBER
            for part in self.open_includes:
                if part.systems is not None and system not in part.systems:
                    continue
                value = part.test(system, code, version)
                if value:
                    result = _MEMBER
                    break
                if value is None:
                    result = _UNKNOWN
            if result is _NOT_MEMBER:
                if self.unconfirmed is not None and self._candidate(system, code):
                    return _UNCONFIRMED
                return result
        if self.excluded and key in self.excluded:
            return _NOT_MEMBER
        for part in self.open_excludes:
            if part.systems is not None and system not in part.systems:
                continue
            value = part.test(system, code, version)
            if value:
                return _NOT_MEMBER
            if value is None:
                result = _UNKNOWN
        return result

    def _version_ok(self, key: Key, version: str) -> bool:
        allowed = self.versions.get(key)
        return allowed is None or version in allowed

    def _verdict_code_only(self, code: str) -> Verdict:
        """For elements of type ``code``: the system is implied by the value set."""
        concept = self.by_code.get(code)
        if concept is None:
            candidate = self.by_code_lower.get(code.lower())
            if candidate is not None and self.norm(candidate.system, code) == self.norm(
                candidate.system, candidate.code
            ):
                concept = candidate
        if concept is not None:
            return self.verdict(concept.system, concept.code)
        if self.open_includes:
            return Verdict.UNKNOWN
        return Verdict.NOT_MEMBER

    def _candidate(self, system: str, code: str) -> bool:
        """Could this code belong to a value set whose membership is only partly known?"""
        if self._answer_list:
            parsed = parse_loinc(code)
            return (
                system == known_codes.LOINC
                and parsed is not None
                and (parsed.kind is LoincKind.ANSWER)
            )
        return system in self.systems

    def case_variant(self, system: str | None, code: str) -> Concept | None:
        """A member whose code differs only by case (a hint for the message)."""
        if system is None:
            return self.by_code_lower.get(code.lower())
        return self.by_lower.get((system, code.lower()))

    def expansion(self) -> Expansion | None:
        if not self.enumerable:
            return None
        return Expansion.of(self.url, self.concepts(), complete=self.unconfirmed is None)


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(x for x in b if x not in a)


# --------------------------------------------------------------------------- compiler


class ValueSetCompiler:
    """Compiles ValueSet resources on demand and caches them (one per run)."""

    def __init__(
        self,
        value_set: Callable[[str], Mapping[str, Any] | None],
        code_system: Callable[[str], CodeSystemIndex | None],
        possible: Possible,
    ) -> None:
        self._value_set = value_set
        self._code_system = code_system
        self._possible = possible
        self._cache: dict[str, CompiledValueSet | None] = {}
        self._building: set[str] = set()
        self._sensitive: dict[str, bool] = {}

    def case_sensitive(self, system: str) -> bool:
        known = self._sensitive.get(system)
        if known is None:
            cs = self._code_system(system)
            known = (
                cs.case_sensitive
                if cs is not None
                else (known_codes.CASE_SENSITIVE.get(system, True))
            )
            self._sensitive[system] = known
        return known

    def norm(self, system: str, code: str) -> str:
        return code if self.case_sensitive(system) else code.lower()

    def get(self, url: str) -> CompiledValueSet | None:
        """The compiled value set for a canonical (``url`` or ``url|version``)."""
        try:
            return self._cache[url]
        except KeyError:
            pass
        bare = url.split("|", 1)[0]
        if bare in self._cache:
            self._cache[url] = self._cache[bare]
            return self._cache[bare]
        if bare in self._building:  # an import cycle: the inner reference is unknown
            return None
        resource = self._value_set(bare)
        if resource is None:
            resource = known_codes.BUILTIN_VALUE_SETS.get(bare)
        if resource is None:
            self._cache[bare] = None
            return None
        self._building.add(bare)
        try:
            compiled = self._compile(bare, resource)
        finally:
            self._building.discard(bare)
        self._cache[bare] = compiled
        return compiled

    def _compile(self, url: str, resource: Mapping[str, Any]) -> CompiledValueSet:
        name = str(resource.get("title") or resource.get("name") or url)
        compiled = CompiledValueSet(url, resource.get("version"), name, self.norm)
        compose = resource.get("compose")
        expansion = resource.get("expansion")
        if isinstance(compose, Mapping):
            for row in compose.get("include") or []:
                if isinstance(row, Mapping):
                    self._add_row(compiled, row, exclude=False)
            for row in compose.get("exclude") or []:
                if isinstance(row, Mapping):
                    self._add_row(compiled, row, exclude=True)
            if not compiled.enumerable and isinstance(expansion, Mapping):
                compiled = CompiledValueSet(url, resource.get("version"), name, self.norm)
                self._add_expansion(compiled, expansion)
        elif isinstance(expansion, Mapping):
            self._add_expansion(compiled, expansion)
        else:
            compiled.open_includes.append(
                _UnknownPart(f"value set {url} has neither a compose nor an expansion")
            )
        if url in known_codes.UNCONFIRMED_VALUE_SETS:
            compiled.unconfirmed = known_codes.UNCONFIRMED_VALUE_SETS[url]
        compiled.finish()
        return compiled

    def _add_expansion(self, compiled: CompiledValueSet, expansion: Mapping[str, Any]) -> None:
        found: dict[Key, Concept] = {}
        displays: dict[Key, tuple[str, ...]] = {}
        queue = deque(expansion.get("contains") or [])
        while queue:
            item = queue.popleft()
            if not isinstance(item, Mapping):
                continue
            queue.extend(item.get("contains") or [])
            system, code = item.get("system"), item.get("code")
            if not isinstance(system, str) or not isinstance(code, str) or item.get("abstract"):
                continue
            key = (system, self.norm(system, code))
            display = item.get("display") if isinstance(item.get("display"), str) else None
            found.setdefault(key, Concept(system, code, display))
            if display:
                displays[key] = _merge(displays.get(key, ()), (display,))
        compiled.add_members(found, displays, None)
        total = expansion.get("total")
        if isinstance(total, int) and total > len(found):
            for system in sorted({s for s, _ in found}):
                known = frozenset(k for s, k in found if s == system)
                compiled.open_includes.append(
                    _SystemPart(
                        system,
                        None,
                        known,
                        self.norm,
                        self._possible,
                        f"the expansion of {compiled.url} is paged ({total} codes)",
                    )
                )

    def _add_row(self, compiled: CompiledValueSet, row: Mapping[str, Any], exclude: bool) -> None:
        pieces: list[dict[Key, Concept] | Part] = []
        displays: dict[Key, tuple[str, ...]] = {}
        system = row.get("system")
        version = row.get("version") if isinstance(row.get("version"), str) else None
        if isinstance(system, str):
            pieces.extend(self._system_pieces(system, version, row, displays))
        for ref in row.get("valueSet") or []:
            if not isinstance(ref, str):
                continue
            sub = self.get(ref)
            if sub is None:
                pieces.append(_UnknownPart(f"imported value set {ref} is not available offline"))
            elif sub.enumerable and sub.unconfirmed is None:
                items = {k: c for k, c in sub.members.items() if k not in sub.excluded}
                for key in items:
                    if key in sub.displays:
                        displays[key] = _merge(displays.get(key, ()), sub.displays[key])
                pieces.append(items)
            else:
                pieces.append(_ValueSetPart(sub))
        if not pieces:
            return
        sets = [p for p in pieces if isinstance(p, dict)]
        parts = [p for p in pieces if isinstance(p, Part)]
        if not parts:
            merged = sets[0]
            for other in sets[1:]:
                merged = {k: c for k, c in merged.items() if k in other}
            if exclude:
                compiled.excluded.update(merged)
            else:
                compiled.add_members(merged, displays, version)
            return
        combined: Part = (
            parts[0]
            if len(pieces) == 1
            else _AndPart([_SetPart(frozenset(s), self.norm) for s in sets] + parts)
        )
        (compiled.open_excludes if exclude else compiled.open_includes).append(combined)

    def _system_pieces(
        self,
        system: str,
        version: str | None,
        row: Mapping[str, Any],
        displays: dict[Key, tuple[str, ...]],
    ) -> list[dict[Key, Concept] | Part]:
        cs = self._code_system(system)
        pieces: list[dict[Key, Concept] | Part] = []
        concepts = [c for c in row.get("concept") or [] if isinstance(c, Mapping)]
        filters = [f for f in row.get("filter") or [] if isinstance(f, Mapping)]
        if concepts:
            items: dict[Key, Concept] = {}
            for item in concepts:
                code = item.get("code")
                if not isinstance(code, str):
                    continue
                key = (system, self.norm(system, code))
                shown = [item["display"]] if isinstance(item.get("display"), str) else []
                shown += [
                    d["value"]
                    for d in item.get("designation") or []
                    if isinstance(d, Mapping) and isinstance(d.get("value"), str)
                ]
                entry = cs.get(code) if cs is not None else None
                display = shown[0] if shown else (entry.display if entry else None)
                items.setdefault(key, Concept(system, code, display))
                if shown:
                    displays[key] = _merge(displays.get(key, ()), tuple(shown))
            pieces.append(items)
        if filters:
            described = ", ".join(
                f"{f.get('property')} {f.get('op')} {f.get('value')}" for f in filters
            )
            selected: set[str] | None = set(cs.concepts) if cs is not None and cs.complete else None
            for flt in filters:
                if selected is None or cs is None:
                    break
                hits = cs.select(flt)
                selected = None if hits is None else selected & hits
            if selected is None or cs is None:
                pieces.append(
                    _FilterPart(
                        system,
                        self._possible,
                        f"the filter ({described}) on {system} cannot be evaluated offline",
                    )
                )
            else:
                pieces.append(self._from_code_system(cs, selected))
        if not concepts and not filters:
            if cs is not None and cs.complete:
                pieces.append(self._from_code_system(cs, set(cs.concepts)))
            else:
                known = frozenset(cs.norm(e.code) for e in cs) if cs is not None else frozenset()
                what = (
                    "is not available offline"
                    if cs is None
                    else (f"is only partly known offline (content {cs.content})")
                )
                if system in known_codes.LARGE_SYSTEMS:
                    what = "is not shipped (too large)"
                pieces.append(
                    _SystemPart(
                        system,
                        version,
                        known,
                        self.norm,
                        self._possible,
                        f"it includes all of {system}, which {what}",
                    )
                )
        return pieces

    @staticmethod
    def _from_code_system(cs: CodeSystemIndex, codes: set[str]) -> dict[Key, Concept]:
        return {
            (cs.url, cs.norm(e.code)): Concept(cs.url, e.code, e.display)
            for e in cs
            if e.code in codes
        }
