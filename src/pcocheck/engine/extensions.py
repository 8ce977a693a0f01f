"""Extensions: what to say about an unknown one, and where a known one may be used.

Unknown extensions follow the HL7 reference validator: an extension whose definition
cannot be found is an error ("could not be found, so is not allowed here") unless its
url is in a domain the user accepts (``--extension-domain``, or ``any``) or on an example
domain while example URLs are allowed; those are accepted with a warning. An extension of
a published HL7 package pcocheck does not ship (the FHIR extensions pack, SDC, THO, ...,
recognisable by its canonical base) is "not available offline" information, exactly like
a value set that is not shipped. Unknown modifier extensions are always errors.

Known extensions are checked against their definition's ``context`` (FHIR R4
extensibility.html#context): the element they sit on must be one of the listed element
paths or types (or derive from a listed type). Where the context allows it, each of the
definition's ``contextInvariant`` rules must be true, evaluated as FHIRPath on the element
the extension sits on (the focus and ``%context``), with ``%resource`` its resource and
``%extension`` the extension itself (R4 StructureDefinition.contextInvariant, as the
reference validator evaluates it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pcocheck.definitions.model import Constraint, StructureDef
from pcocheck.engine.plan import ChildIndex, content_target

if TYPE_CHECKING:
    from pcocheck.engine.invariants import InvariantEvaluator

# Canonical bases of published HL7 packages pcocheck does not ship in full: an unknown
# extension under one of them most likely exists there, so it is "not checked offline".
HL7_PACKAGE_BASES: Final = (
    "http://hl7.org/fhir/StructureDefinition/",  # core and the FHIR extensions pack
    "http://hl7.org/fhir/uv/",  # SDC, IPS, ... (universal realm IGs)
    "http://hl7.org/fhir/us/",  # US realm IGs (US Core, ...), except what ships
    "http://hl7.org/fhir/tools/",  # FHIR tooling extensions
    "http://hl7.org/fhir/5.0/",  # cross-version extensions
    "http://hl7.org/fhir/4.3/",
    "http://terminology.hl7.org/",  # THO
)
# Canonical bases of what pcocheck ships whole: an unknown extension there is a mistake.
SHIPPED_BASES: Final = ("http://hl7.org/fhir/us/pco/",)
# Extension contexts R4 4.0.1 publishes too narrow, replaced as the reference validator
# replaces them (InstanceValidator.fixContexts): (url, index of the context, replacement).
# The core's own snapshots put structuredefinition-fhir-type on ElementDefinition.type,
# not on .code as its context says; the others are used all over R4 (or IGs) where their
# lists of contexts fall short.
_CORE_EXT = "http://hl7.org/fhir/StructureDefinition/"
CONTEXT_ERRATA: Final[dict[str, tuple[tuple[int, str], ...]]] = {
    _CORE_EXT + "structuredefinition-fhir-type": ((0, "ElementDefinition.type"),),
    _CORE_EXT + "regex": ((1, "ElementDefinition.type"),),
    _CORE_EXT + "structuredefinition-normative-version": ((0, "Element"),),
    _CORE_EXT + "capabilitystatement-expectation": ((0, "Element"),),
    _CORE_EXT + "capabilitystatement-prohibited": ((0, "Element"),),
}


def effective_contexts(url: str, contexts: tuple[str, ...]) -> tuple[str, ...]:
    """The contexts of the extension ``url`` with the R4 corrections above applied."""
    fixes = CONTEXT_ERRATA.get(url)
    if not fixes:
        return contexts
    fixed = list(contexts)
    for index, replacement in fixes:
        if index < len(fixed):
            fixed[index] = replacement
    return tuple(fixed)


# Example domains (RFC 2606 and the ones the reference validator treats as examples).
EXAMPLE_DOMAINS: Final = ("example.org", "example.com", "example.net", "acme.com", "acme.org")


def is_example_url(url: str) -> bool:
    """Whether ``url`` is on an example domain (``http://example.org/...``)."""
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split(":", 1)[0].lower()
    return any(host == d or host.endswith("." + d) for d in EXAMPLE_DOMAINS)


@dataclass(frozen=True, slots=True)
class ExtensionPolicy:
    domains: tuple[str, ...] = ()  # --extension-domain values; "any" accepts every url
    allow_example_urls: bool = True

    def unknown(self, url: str) -> tuple[str, str]:
        """(code, message) for a (non-modifier) extension whose definition is not known."""
        if url.startswith(HL7_PACKAGE_BASES) and not url.startswith(SHIPPED_BASES):
            return (
                "FHIR-STRUCT-012",
                f"extension {url} belongs to a published HL7 package pcocheck does not ship; "
                "it is not available offline, so its content was not checked (load the "
                "package with --package to check it)",
            )
        if "any" in self.domains or any(url.startswith(d) for d in self.domains):
            return (
                "FHIR-STRUCT-041",
                f"extension {url} could not be found; accepted unchecked because its domain "
                "is allowed by --extension-domain",
            )
        if self.allow_example_urls and is_example_url(url):
            return (
                "FHIR-STRUCT-041",
                f"extension {url} could not be found; accepted unchecked because it is on an "
                "example domain (--no-allow-example-urls makes this an error)",
            )
        return (
            "FHIR-STRUCT-040",
            f"extension {url} could not be found, so it is not allowed here (load its "
            "definition with --profiles or --package, or accept its domain with "
            "--extension-domain)",
        )


Structure = Callable[[str], StructureDef | None]


class HostContexts:
    """The context names an element satisfies: its element paths (``Patient.name``,
    ``HumanName.family``) and its type with the types that type derives from."""

    def __init__(self, structure: Structure, children: Callable[..., ChildIndex]) -> None:
        self._structure = structure
        self._children = children
        self._cache: dict[tuple[str, tuple[str, ...]], frozenset[str] | None] = {}

    def of(self, resource_type: str, steps: tuple[str, ...]) -> frozenset[str] | None:
        """Contexts of the element at ``steps`` (JSON names, no indices) below a resource
        of ``resource_type``; None when the path cannot be followed (not checked)."""
        key = (resource_type, steps)
        if key not in self._cache:
            self._cache[key] = self._compute(resource_type, steps)
        return self._cache[key]

    def _compute(self, resource_type: str, steps: tuple[str, ...]) -> frozenset[str] | None:
        sd = self._structure(resource_type)
        if sd is None:
            return None
        scope = sd.root
        paths = [resource_type]
        host_type = resource_type
        for position, name in enumerate(steps):
            if sd is None:
                return None
            found = self._children(sd, scope).by_key.get(name)
            if found is None:
                return None
            element = found.element
            paths = [f"{p}.{element.name}" for p in paths]
            if sd.children_of(element.id):
                scope, host_type = element, "BackboneElement"
                continue
            target = content_target(sd, element)
            if target is not None:
                # Questionnaire.item.item is defined as Questionnaire.item: contexts name
                # the definition's path, as the reference reads them.
                scope, host_type = target, "BackboneElement"
                paths = [target.path]
                continue
            type_code = found.keys.get(name, "")
            type_sd = self._structure(type_code) if type_code else None
            if type_sd is None or position == len(steps) - 1:
                host_type = type_code or "Element"
                if type_sd is None:
                    sd = None  # nothing below an unknown type can be followed
                paths.append(type_code)
                continue
            sd, scope, host_type = type_sd, type_sd.root, type_code
            paths.append(type_code)
        names = set(paths)
        names.update(self._type_chain(host_type))
        return frozenset(names)

    def _type_chain(self, type_code: str) -> Iterable[str]:
        seen: list[str] = []
        current = self._structure(type_code)
        name = type_code
        while name and name not in seen:
            seen.append(name)
            if current is None or not current.base_definition:
                break
            current = self._structure(current.base_definition)
            name = current.type if current is not None else ""
        return seen


def context_allows(
    contexts: tuple[str, ...], host: frozenset[str], parent_extension_url: str | None
) -> bool:
    """Whether an extension with ``contexts`` may sit on an element with ``host``."""
    if not contexts:
        return True
    for context in contexts:
        if context == "Element" or context in host:
            return True
        if "://" in context:  # an "extension" context: the url of the parent extension
            if parent_extension_url is not None and context.split("|")[0] == parent_extension_url:
                return True
            continue
        if "(" in context or " " in context:
            return True  # a FHIRPath context pcocheck does not evaluate: not an error
    return False


CONTEXT_INVARIANT_KEY: Final = "contextInvariant"


def context_invariant_problems(
    definition: StructureDef,
    evaluator: InvariantEvaluator,
    *,
    host: Any,
    host_path: str,
    extension: dict[str, Any],
    resource: dict[str, Any],
    root: dict[str, Any],
    resolver: Any = None,
) -> Iterator[tuple[str, str]]:
    """(code, message) for each ``contextInvariant`` of ``definition`` that is not true on
    ``host``, the element at ``host_path`` (``Questionnaire.item.item``) that holds
    ``extension``; one that cannot be evaluated is ``FHIR-INV-003``, never a pass."""
    for expression in definition.context_invariants:
        constraint = Constraint(CONTEXT_INVARIANT_KEY, "error", expression, expression)
        outcome = evaluator.evaluate(
            constraint,
            host,
            resource=resource,
            root=root,
            type_name="Element",
            path=host_path,
            resolver=resolver,
            variables={"extension": extension},
        )
        if outcome.passed is True:
            continue
        if outcome.passed is None:
            yield (
                "FHIR-INV-003",
                f"contextInvariant {expression!r} of extension {definition.url} could not be "
                f"evaluated on {host_path} ({outcome.error})",
            )
            continue
        yield (
            "FHIR-STRUCT-130",
            f"extension {definition.url} is not allowed here: its contextInvariant "
            f"{expression!r} is not true on {host_path}",
        )
