"""Compiled conformance definitions: what the engine needs from a StructureDefinition.

A :class:`StructureDef` always carries a full snapshot (``elements`` in snapshot
order); profiles authored as differentials are expanded onto their parent's snapshot
when they are loaded (see :mod:`pcocheck.definitions.snapshot`). Everything here is
plain data, cheap to build from the compact core archive and from FHIR JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_PACKAGE_REGISTRY = "https://packages.fhir.org"


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One allowed type of an element.

    ``code`` is the FHIR type name (``CodeableConcept``, ``Reference``, ``string``).
    The spec types ``Element.id``, ``Extension.url`` and primitive ``value`` elements with
    FHIRPath system types; those are replaced by the FHIR type the
    ``structuredefinition-fhir-type`` extension names (``string``, ``uri``, ``boolean``),
    or ``System.String`` etc. when it is absent. Profiles are versionless canonicals.
    """

    code: str
    profiles: tuple[str, ...] = ()
    target_profiles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    severity: str  # "error" | "warning"
    human: str
    expression: str | None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Binding:
    strength: str  # required | extensible | preferred | example
    value_set: str | None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Discriminator:
    type: str  # value | pattern | type | profile | exists
    path: str


@dataclass(frozen=True, slots=True)
class Slicing:
    discriminators: tuple[Discriminator, ...]
    rules: str = "open"  # open | closed | openAtEnd
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One element of a snapshot.

    ``id`` follows FHIR element-id syntax (``Goal.category:pco.coding``); ``path`` is the
    slice-free path (``Goal.category.coding``). ``fixed``/``pattern`` hold
    ``(type suffix, value)`` as in ``fixedUri`` → ``("Uri", "http://...")``.
    Binding value sets are versionless canonicals.
    """

    id: str
    path: str
    min: int = 0
    max: str = "*"
    slice_name: str | None = None
    types: tuple[TypeRef, ...] = ()
    content_reference: str | None = None
    fixed: tuple[str, Any] | None = None
    pattern: tuple[str, Any] | None = None
    binding: Binding | None = None
    constraints: tuple[Constraint, ...] = ()
    slicing: Slicing | None = None
    must_support: bool = False
    is_modifier: bool = False
    max_length: int | None = None
    short: str | None = None
    regex: str | None = None  # primitive ``value`` elements: the spec's lexical regex

    @property
    def max_count(self) -> int | None:
        """``None`` for unbounded (``*``)."""
        return None if self.max == "*" else int(self.max)

    @property
    def name(self) -> str:
        """Last path segment (``value[x]``, ``coding``)."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def is_choice(self) -> bool:
        return self.path.endswith("[x]")


@dataclass(slots=True)
class StructureDef:
    url: str
    name: str
    type: str
    kind: str  # resource | complex-type | primitive-type | logical
    elements: list[ElementDef]
    version: str | None = None
    id: str | None = None
    title: str | None = None
    abstract: bool = False
    derivation: str | None = None  # specialization | constraint
    base_definition: str | None = None
    context: tuple[str, ...] = ()  # extension contexts (element paths)
    # FHIRPath rules on the element an extension sits on (R4 StructureDefinition.
    # contextInvariant); all must be true where the extension is used.
    context_invariants: tuple[str, ...] = ()
    package: str | None = None  # "hl7.fhir.us.pco#1.0.0" or "pcocheck:profiles"
    by_id: dict[str, ElementDef] = field(default_factory=dict, repr=False)
    children: dict[str, list[ElementDef]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the id and parent→children indexes after ``elements`` changed."""
        self.by_id = {e.id: e for e in self.elements}
        children: dict[str, list[ElementDef]] = {}
        for element in self.elements:
            parent = _parent_id(element.id)
            if parent is not None:
                children.setdefault(parent, []).append(element)
        self.children = children

    @property
    def root(self) -> ElementDef:
        return self.elements[0]

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}" if self.version else self.url

    @property
    def is_profile(self) -> bool:
        return self.derivation == "constraint"

    def children_of(self, element_id: str) -> list[ElementDef]:
        return self.children.get(element_id, [])


def _parent_id(element_id: str) -> str | None:
    """Parent element id: ``Goal.category:pco.coding`` → ``Goal.category:pco``.

    Dots inside slice names are not allowed by FHIR, so splitting on the last dot
    outside a ``:slice`` suffix is enough; a slice's parent is the element it slices
    from, one level up (``Goal.category:pco`` → ``Goal``).
    """
    if "." not in element_id:
        return None
    return element_id.rsplit(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Concept:
    system: str
    code: str
    display: str | None = None


@dataclass(slots=True)
class PackageInfo:
    """A loaded source of definitions (the shipped core, profiles/, a .tgz, a folder)."""

    name: str
    version: str | None
    origin: str  # file path or "builtin"
    resources: int = 0
    dependencies: dict[str, str] = field(default_factory=dict)
    # For listings: what the source holds ("59 profiles and extensions, ...") and the
    # dependencies it names that are not loaded (their definitions are not available).
    contents: str | None = None
    not_loaded: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceSummary:
    """One loaded ValueSet, CodeSystem or Questionnaire, for listings."""

    resource_type: str
    url: str
    version: str | None
    name: str | None
    package: str | None


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    """Something wrong with the definitions themselves (not with validated content).

    ``source`` names the file, package member or canonical URL; ``kind`` is a stable
    machine key (``unreadable``, ``bad-json``, ``unknown-base``, ``unsafe-path``,
    ``missing-dependency``, ``bad-definition``, ``snapshot``); ``severity`` is ``error``
    for definitions that could not be loaded or used, ``warning`` when loading went on
    with something missing. Callers typically exit 2 on errors and report warnings as
    findings under :attr:`code`.
    """

    source: str
    message: str
    kind: str = "bad-definition"
    severity: str = "error"

    @property
    def code(self) -> str:
        """The rule code (``catalog/fhir-profile.toml``) to report this problem under."""
        found = _PROBLEM_CODES.get((self.kind, self.severity))
        return found or _PROBLEM_CODES.get((self.kind, ""), "FHIR-PROFILE-027")


_PROBLEM_CODES: dict[tuple[str, str], str] = {
    ("unreadable", ""): "FHIR-PROFILE-020",
    ("bad-json", ""): "FHIR-PROFILE-020",
    ("bad-json", "warning"): "FHIR-PROFILE-028",  # only the package index is affected
    ("unknown-base", ""): "FHIR-PROFILE-021",
    ("unsafe-path", ""): "FHIR-PROFILE-022",
    ("unsafe-path", "warning"): "FHIR-PROFILE-023",
    ("missing-dependency", ""): "FHIR-PROFILE-024",
    ("snapshot", ""): "FHIR-PROFILE-025",
    ("snapshot", "warning"): "FHIR-PROFILE-026",
    ("bad-definition", ""): "FHIR-PROFILE-027",
}


class DefinitionError(Exception):
    """A fatal configuration error: the requested definitions cannot be used at all
    (core archive missing, package not found, download failed)."""
