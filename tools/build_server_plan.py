"""Build the server test plan (data) from an official US Core package.

Reads the US Core server CapabilityStatement and the SearchParameters it names from the
package archive and writes, for the resource types PCO builds on, what a server SHALL /
SHOULD / MAY support: interactions, search parameters (type, element paths, comparators,
multipleOr), combinations, ``_revinclude`` and supported profiles. ``pcocheck server``
reads this file; a new US Core version means running this tool again, not new code.

    python tools/build_server_plan.py -o src/pcocheck/server/plan-us-core-6.1.0.json

reads the US Core 6.1.0 package pcocheck ships (src/pcocheck/data/uscore.zip, compiled from
the official package by tools/build_uscore.py); give a package ``.tgz`` to build from another
US Core version.

The PCO additions (score codes, questionnaires, first searches, references) are authored
by hand in ``src/pcocheck/server/pco-additions.json``; Must Support elements are derived
at run time from the PCO StructureDefinitions pcocheck ships.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from pathlib import Path
from typing import Any

EXPECTATION = "http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation"
COMBINATION = (
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination"
)
# The types the PCO profiles build on or reference (pco-ig-facts.md §3).
PCO_TYPES = (
    "Patient",
    "Goal",
    "Observation",
    "CarePlan",
    "QuestionnaireResponse",
    "ServiceRequest",
    "Questionnaire",
    "Practitioner",
    "RelatedPerson",
    "Organization",
)


def expectation(node: Any, default: str = "MAY") -> str:
    if isinstance(node, dict):
        for ext in node.get("extension", []):
            if ext.get("url") == EXPECTATION:
                return str(ext["valueCode"])
    return default


def element_paths(expression: str, base: str) -> list[str]:
    """Element paths a SearchParameter expression reads, relative to the resource:
    ``Goal.subject.where(resolve() is Patient)`` -> ``subject``; ``(Goal.target.due as
    date)`` -> ``target.due``; ``Organization.name | Organization.alias`` -> both."""
    paths = []
    for part in expression.split("|"):
        text = re.sub(r"\.where\(.*\)", "", part.strip())
        text = re.sub(r"\s+as\s+\w+", "", text).strip().strip("()").strip()
        if text.startswith(base + "."):
            paths.append(text[len(base) + 1 :])
    return paths


def load_shipped() -> dict[str, dict[str, Any]]:
    """The CapabilityStatements and SearchParameters of the US Core package pcocheck ships."""
    from pcocheck.definitions.uscore import (
        CAPABILITY_STATEMENT_URLS,
        search_parameters,
        shared_uscore,
    )

    found: dict[str, dict[str, Any]] = {}
    for url in CAPABILITY_STATEMENT_URLS.values():
        statement = shared_uscore().capability_statement(url)
        if statement is not None:
            found[url] = statement
    for parameter in search_parameters():
        found[str(parameter.get("url") or parameter.get("id"))] = parameter
    return found


def load_package(path: Path | None) -> dict[str, dict[str, Any]]:
    """Every JSON resource of the package by canonical URL (or by id when it has none);
    without a path, what the shipped US Core archive holds."""
    if path is None:
        return load_shipped()
    found: dict[str, dict[str, Any]] = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name
            if not name.startswith("package/") or "/" in name[len("package/") :]:
                continue
            if not name.endswith(".json") or not member.isfile():
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            try:
                data = json.loads(handle.read())
            except ValueError:
                continue
            if isinstance(data, dict) and "resourceType" in data:
                found[str(data.get("url") or data.get("id"))] = data
    return found


def search_param(
    entry: dict[str, Any], definitions: dict[str, dict[str, Any]], base: str
) -> dict[str, Any]:
    definition = definitions.get(str(entry.get("definition")), {})
    comparators = {}
    for code, meta in zip(
        definition.get("comparator", []), definition.get("_comparator", []), strict=False
    ):
        comparators[code] = expectation(meta)
    expression = str(definition.get("expression", ""))
    return {
        "expectation": expectation(entry),
        "type": entry.get("type") or definition.get("type"),
        "definition": entry.get("definition"),
        "expression": expression,
        "paths": element_paths(expression, base) if expression else [],
        "target": definition.get("target", []),
        "comparators": comparators,
        "multipleOr": expectation(definition.get("_multipleOr")) if definition else "MAY",
        "multipleAnd": expectation(definition.get("_multipleAnd")) if definition else "MAY",
    }


def resource_plan(
    resource: dict[str, Any], definitions: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    base = str(resource["type"])
    params = {
        str(p["name"]): search_param(p, definitions, base) for p in resource.get("searchParam", [])
    }
    combinations = []
    for ext in resource.get("extension", []):
        if ext.get("url") != COMBINATION:
            continue
        required = [
            str(e["valueString"]) for e in ext.get("extension", []) if e.get("url") == "required"
        ]
        combinations.append({"params": required, "expectation": expectation(ext)})
    interactions = {str(i["code"]): expectation(i) for i in resource.get("interaction", [])}
    profiles = resource.get("supportedProfile", [])
    profile_meta = resource.get("_supportedProfile", [])
    revincludes = resource.get("searchRevInclude", [])
    revinclude_meta = resource.get("_searchRevInclude", [])
    return {
        "expectation": expectation(resource),
        "profiles": {
            str(url): expectation(profile_meta[i] if i < len(profile_meta) else None, "SHALL")
            for i, url in enumerate(profiles)
        },
        "interactions": interactions,
        "searchParams": params,
        "combinations": combinations,
        "revincludes": {
            str(name): expectation(revinclude_meta[i] if i < len(revinclude_meta) else None)
            for i, name in enumerate(revincludes)
        },
    }


def build_plan(package: Path | None = None) -> dict[str, Any]:
    resources = load_package(package)
    statement = next(
        (
            r
            for r in resources.values()
            if r.get("resourceType") == "CapabilityStatement"
            and str(r.get("url", "")).endswith("us-core-server")
        ),
        None,
    )
    if statement is None:
        raise SystemExit(f"{package or 'shipped US Core'}: no server CapabilityStatement found")
    rest = statement["rest"][0]
    by_type = {str(r["type"]): r for r in rest.get("resource", [])}
    formats = {
        str(code): expectation(meta)
        for code, meta in zip(
            statement.get("format", []), statement.get("_format", []), strict=False
        )
    }
    return {
        "source": {
            "package": "hl7.fhir.us.core",
            "version": statement.get("version"),
            "capabilityStatement": statement.get("url"),
            "builtBy": "tools/build_server_plan.py",
        },
        "fhirVersion": statement.get("fhirVersion"),
        "formats": formats,
        "instantiates": statement.get("url"),
        "resources": {t: resource_plan(by_type[t], resources) for t in PCO_TYPES if t in by_type},
        "notDeclared": [t for t in PCO_TYPES if t not in by_type],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "package",
        type=Path,
        nargs="?",
        help="hl7.fhir.us.core-X.Y.Z.tgz (default: the US Core package pcocheck ships)",
    )
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    plan = build_plan(args.package)
    args.output.write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.output}: {len(plan['resources'])} resource types", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
