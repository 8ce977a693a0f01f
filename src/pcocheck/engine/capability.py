"""CapabilityStatements in the input: a search parameter's type is its definition's type.

R4 CapabilityStatement.rest.resource.searchParam: ``definition`` is "An absolute URI that
is a formal reference to where this parameter was first defined", and ``type`` is "The
type of value a search parameter refers to"; the type a server declares for a parameter
it defines elsewhere must be that definition's type (a token parameter searched as a date
is not the parameter it names). The HL7 reference validator reports a mismatch as an
error. pcocheck knows the R4 core and US Core 6.1.0 SearchParameters; a definition it
does not know is not compared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pcocheck.finding import Finding, JsonPath
from pcocheck.view import ResourceView

SearchParameterLookup = Callable[[str], dict[str, Any] | None]


def shipped_search_parameter(core: Any) -> SearchParameterLookup:
    """A lookup over the R4 core SearchParameters of ``core`` and US Core's."""

    def lookup(url: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = core.search_parameter(url)
        if found is None and url.startswith("http://hl7.org/fhir/us/core/"):
            from pcocheck.definitions.uscore import shared_uscore

            found = shared_uscore().search_parameter(url.split("|", 1)[0])
        return found

    return lookup


def _search_params(statement: dict[str, Any], rel: JsonPath) -> Iterator[tuple[Any, JsonPath]]:
    for r, rest in enumerate(statement.get("rest") or []):
        if not isinstance(rest, dict):
            continue
        for s, param in enumerate(rest.get("searchParam") or []):
            yield param, (*rel, "rest", r, "searchParam", s)
        for i, resource in enumerate(rest.get("resource") or []):
            if not isinstance(resource, dict):
                continue
            for s, param in enumerate(resource.get("searchParam") or []):
                yield param, (*rel, "rest", r, "resource", i, "searchParam", s)


def check_capability_statement(
    view: ResourceView,
    statement: dict[str, Any],
    rel_base: JsonPath,
    search_parameter: SearchParameterLookup,
) -> list[Finding]:
    findings: list[Finding] = []
    for param, rel in _search_params(statement, rel_base):
        if not isinstance(param, dict):
            continue
        definition, declared = param.get("definition"), param.get("type")
        if not isinstance(definition, str) or not isinstance(declared, str):
            continue
        known = search_parameter(definition)
        defined = known.get("type") if known else None
        if isinstance(defined, str) and defined != declared:
            findings.append(
                view.finding(
                    "FHIR-REF-130",
                    f"search parameter {param.get('name', '?')!r} is declared as type "
                    f"{declared!r}, but its definition {definition} has type {defined!r}",
                    (*rel, "type"),
                )
            )
    return findings
