"""Conformance resources found in the input are checked as definitions, not only as
resources: a StructureDefinition's differential must apply to its base (the snapshot it
generates), and a ValueSet's compose must name code systems pcocheck can find.

The HL7 reference validator generates the snapshot of a StructureDefinition it validates
and reports what fails as errors on it; pcocheck does the same with the loader's own
snapshot generator (:mod:`pcocheck.definitions.snapshot`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pcocheck.definitions.model import StructureDef
from pcocheck.definitions.snapshot import expand_differential
from pcocheck.engine.references import is_absolute_url
from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.view import ResourceView

Structure = Callable[[str], StructureDef | None]
CodeSystemLookup = Callable[[str], Any]

# Code systems no FHIR package holds: their content lives with their publishers, so a
# ValueSet drawing on them cannot be expanded offline, but it does not miss a CodeSystem.
EXTERNAL_SYSTEMS: Final = (
    "http://loinc.org",
    "http://snomed.info/sct",
    "http://unitsofmeasure.org",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://hl7.org/fhir/sid/",
    "urn:ietf:bcp:",
    "urn:iso:std:iso:",
    "http://www.ama-assn.org/go/cpt",
    "http://www.whocc.no/atc",
    "http://ncimeta.nci.nih.gov",
    "urn:oid:",
    "http://nucc.org/provider-taxonomy",
    "http://www.cms.gov/Medicare/Coding/ICD10",
    "http://fdasis.nlm.nih.gov",
    "http://unstats.un.org/unsd/methods/m49/m49.htm",
)
# Canonical bases of HL7 terminology pcocheck does not ship in full (THO): not available
# offline rather than missing.
HL7_TERMINOLOGY: Final = ("http://terminology.hl7.org/CodeSystem/",)


def check_structure_definition(
    view: ResourceView, sd: dict[str, Any], rel_base: JsonPath, structure: Structure
) -> list[Finding]:
    if sd.get("derivation") != "constraint":
        return []
    differential = sd.get("differential")
    raw = differential.get("element") if isinstance(differential, dict) else None
    if not isinstance(raw, list):
        return []
    base = sd.get("baseDefinition")
    parent = structure(base) if isinstance(base, str) else None
    if parent is None:
        return [
            view.finding(
                "FHIR-PROFILE-042",
                f"StructureDefinition: its base definition {base} is not loaded, so its "
                "snapshot could not be generated and the differential was not checked",
                rel_base + ("baseDefinition",),
            )
        ]
    out: list[Finding] = []
    _, problems = expand_differential(raw, parent, structure)
    for severity, message in problems:
        if severity == "error":
            out.append(
                view.finding(
                    "FHIR-PROFILE-041",
                    f"StructureDefinition: generating its snapshot failed: {message}",
                    rel_base + ("differential",),
                )
            )
    by_path = {e.path: e for e in parent.elements}
    for index, element in enumerate(raw):
        if not isinstance(element, dict):
            continue
        path = element.get("path")
        if not isinstance(path, str) or path.endswith("[x]") or "." not in path:
            continue
        head, _, name = path.rpartition(".")
        choice = next(
            (
                e
                for p, e in by_path.items()
                if p.endswith("[x]")
                and p.rpartition(".")[0] == head
                and name.startswith(p.rpartition(".")[2][:-3])
            ),
            None,
        )
        if choice is None or f"{head}.{name}" in by_path:
            continue
        suffix = name[len(choice.name) - 3 :]
        if not any(t.code[:1].upper() + t.code[1:] == suffix for t in choice.types):
            continue  # not a type of the choice: the snapshot generation reported it
        if not element.get("type"):
            out.append(
                view.finding(
                    "FHIR-PROFILE-041",
                    f"StructureDefinition: differential element {path} renames {choice.path} "
                    "without constraining its type to the one the name implies",
                    rel_base + ("differential", "element", index),
                )
            )
    return out


def check_value_set(
    view: ResourceView, vs: dict[str, Any], rel_base: JsonPath, code_system: CodeSystemLookup
) -> list[Finding]:
    compose = vs.get("compose")
    if not isinstance(compose, dict):
        return []
    out: list[Finding] = []
    offline: list[str] = []
    for part in ("include", "exclude"):
        for index, include in enumerate(listed(compose.get(part))):
            if not isinstance(include, dict):
                continue
            system = include.get("system")
            if not isinstance(system, str):
                continue
            if system.startswith((*EXTERNAL_SYSTEMS, *HL7_TERMINOLOGY)):
                offline.append(system)
                continue
            if code_system(system) is None:
                out.append(
                    view.finding(
                        "FHIR-BIND-040",
                        f"ValueSet: compose.{part}[{index}] draws on the code system {system}, "
                        "which pcocheck cannot find (load it with --profiles or --package)",
                        rel_base + ("compose", part, index, "system"),
                    )
                )
    if offline:
        out.append(
            view.finding(
                "FHIR-BIND-041",
                "ValueSet: its compose draws on "
                f"{', '.join(sorted(set(offline)))}, whose content pcocheck does not ship, so "
                "it cannot be expanded offline",
                rel_base + ("compose",),
            )
        )
    return out


def _identifies_canonically(sd: StructureDef) -> bool:
    """Whether the resource type's ``url`` is its canonical identity (the R4 canonical
    resources: ValueSet, Questionnaire, Measure, ...), recognised from the definition's
    own wording ("Canonical identifier for this ...")."""
    for element in sd.elements:
        if element.path == f"{sd.type}.url":
            return (element.short or "").startswith("Canonical identifier")
    return False


def check_canonical_url(
    view: ResourceView, resource: dict[str, Any], rel_base: JsonPath, sd: StructureDef
) -> list[Finding]:
    """R4: the ``url`` of a canonical resource is "an absolute URI that is used to identify
    this ... when it is referenced"; the reference validator rejects a relative one (in a
    contained resource as well)."""
    url = resource.get("url")
    if not isinstance(url, str) or not url or is_absolute_url(url):
        return []
    if not _identifies_canonically(sd):
        return []
    return [
        view.finding(
            "FHIR-STRUCT-051",
            f"{sd.type}.url {url!r} is not an absolute URI: the canonical url of a "
            f"{sd.type} identifies it everywhere it is referenced",
            (*rel_base, "url"),
        )
    ]
