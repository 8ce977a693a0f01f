"""CodeSystem supplements: they add to another code system's concepts, they define none.

R4 CodeSystem.supplements: "The canonical URL of the code system that this code system
supplement is adding designations and properties to", and content ``supplement``: "The
CodeSystem is a supplement that is used to add additional information to another
CodeSystem". Hence, as the HL7 reference validator checks:

* a Coding cannot use a supplement's url as its ``system``: the codes belong to the base
  code system (``FHIR-BIND-130``);
* every concept a supplement lists must be a concept of the code system it supplements
  (``FHIR-BIND-131``); checked where pcocheck can tell: a loaded complete code system, or
  a code that cannot be one of the base system's at all (LOINC and SNOMED CT syntax and
  check digits, the code systems pcocheck ships).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pcocheck.finding import Finding, JsonPath, Severity
from pcocheck.terminology.service import TerminologyService
from pcocheck.view import ResourceView

CodeSystemLookup = Callable[[str], Mapping[str, Any] | None]


def supplemented(code_system: Mapping[str, Any] | None) -> str | None:
    """The url of the code system that ``code_system`` supplements, if it is a supplement."""
    if code_system is None:
        return None
    base = code_system.get("supplements")
    if isinstance(base, str) and base:
        return base.split("|", 1)[0]
    if code_system.get("content") == "supplement":
        return "?"
    return None


def supplement_as_system(system: str, lookup: CodeSystemLookup) -> str | None:
    """A message when ``system`` (a Coding.system) is the url of a loaded supplement."""
    base = supplemented(lookup(system))
    if base is None:
        return None
    target = f"its codes belong to {base}" if base != "?" else "it defines no codes"
    return (
        f"{system} is a CodeSystem supplement, so it cannot be used as Coding.system; "
        f"{target} (use that system)"
    )


def _concepts(concepts: Any, path: JsonPath) -> Iterator[tuple[str, JsonPath]]:
    if not isinstance(concepts, list):
        return
    for index, concept in enumerate(concepts):
        if not isinstance(concept, dict):
            continue
        where = (*path, index)
        if isinstance(concept.get("code"), str):
            yield concept["code"], (*where, "code")
        yield from _concepts(concept.get("concept"), (*where, "concept"))


def check_supplement(
    view: ResourceView,
    code_system: dict[str, Any],
    rel_base: JsonPath,
    terminology: TerminologyService,
) -> list[Finding]:
    """FHIR-BIND-131 for each concept of a supplement that its base system lacks."""
    base = supplemented(code_system)
    if base is None or base == "?":
        return []
    index = terminology.code_system(base)
    findings: list[Finding] = []
    for code, rel in _concepts(code_system.get("concept"), (*rel_base, "concept")):
        if index is not None and index.complete:
            missing = code not in index.concepts
        else:
            # Not enumerable here: only a code that cannot be one of the system's at all.
            issues = terminology.check_code_syntax(base, code, None)
            missing = any(issue.severity >= Severity.ERROR for issue in issues)
        if missing:
            findings.append(
                view.finding(
                    "FHIR-BIND-131",
                    f"CodeSystem supplement: the code {code!r} is not a concept of the code "
                    f"system it supplements ({base}); a supplement only adds designations "
                    "and properties to that system's concepts",
                    rel,
                )
            )
    return findings
