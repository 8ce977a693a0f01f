"""Which tool catches which kind of error: one broken resource per row (not a test).

    bench/.venv-peers/bin/python bench/probe_peers.py      # prints a Markdown table

Backs the "what it checks" column of BENCHMARKS.md with observed behaviour, not only
the tools' own descriptions. A cell says "yes" when the tool reported at least one
error-level issue for the resource (each probe has exactly one defect; the base probes
claim no profile), "no" when it reported none, "n/a" when the tool is not installed.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"
US = "http://hl7.org/fhir/us/core/StructureDefinition/"
OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
PRAC = {
    "resourceType": "Practitioner",
    "meta": {"profile": [US + "us-core-practitioner"]},
    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
    "name": [{"family": "Doe"}],
}

PROBES: list[tuple[str, dict[str, Any]]] = [
    ("control: a valid Practitioner (no error expected)", PRAC),
    ("unknown element", {"resourceType": "Patient", "foo": 1}),
    ("base cardinality: Observation without status and code", {"resourceType": "Observation"}),
    (
        "base cardinality: two birthDates",
        {"resourceType": "Patient", "birthDate": ["2020", "2021"]},
    ),
    ("primitive syntax: birthDate 20200101", {"resourceType": "Patient", "birthDate": "20200101"}),
    ("calendar: birthDate 2020-13-45", {"resourceType": "Patient", "birthDate": "2020-13-45"}),
    ("required binding: gender bogus", {"resourceType": "Patient", "gender": "bogus"}),
    (
        "invariant per-1: Period start after end",
        {**OBS, "effectivePeriod": {"start": "2020-02-01", "end": "2020-01-01"}},
    ),
    (
        "invariant obs-6: value and dataAbsentReason",
        {**OBS, "valueString": "a", "dataAbsentReason": {"text": "x"}},
    ),
    ("local reference to nothing: #nope", {**OBS, "subject": {"reference": "#nope"}}),
    (
        "profile cardinality: US Core Practitioner without identifier",
        {k: v for k, v in PRAC.items() if k != "identifier"},
    ),
    (
        "profile invariant us-core-17: NPI check digit wrong",
        {
            **PRAC,
            "identifier": [{"system": PRAC["identifier"][0]["system"], "value": "1234567890"}],
        },
    ),
]

Check = Callable[[dict[str, Any]], bool]


def pcocheck_check(resource: dict[str, Any]) -> bool:
    from pcocheck.config import RunConfig
    from pcocheck.finding import Severity
    from pcocheck.runner import Run, build_checkers

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.json"
        path.write_text(json.dumps(resource), encoding="utf-8")
        config = RunConfig(paths=(str(path),))
        result = Run(config, build_checkers(config)).execute()
    return any(f.severity >= Severity.ERROR for f in result.findings)


def fhir_resources_check(resource: dict[str, Any]) -> bool:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError:
        return True
    return False


def fhirkit_check(resource: dict[str, Any]) -> bool:
    import fhirkit

    return any(i.severity == "error" for i in fhirkit.validate(resource))


_PYFHIRCHECK: list[Any] = []


def pyfhircheck_check(resource: dict[str, Any]) -> bool:
    from pyfhircheck import Validator
    from pyfhircheck.config import ValidatorConfig

    if not _PYFHIRCHECK:
        config = {
            "fhirVersion": "4.0.1",
            "localPackagePaths": [str(PROFILES)],
            "terminology": {"mode": "local"},
        }
        _PYFHIRCHECK.append(Validator(ValidatorConfig.load_dict(config)))
    return bool(_PYFHIRCHECK[0].validate_resource(resource).errors)


def hl7fhirgen_check(resource: dict[str, Any]) -> bool:
    from hl7fhirgen.structure_definition import load_structure_definition
    from hl7fhirgen.validator import validate_resource

    found = False
    for url in (resource.get("meta") or {}).get("profile") or []:
        name = url.rsplit("/", 1)[1]
        definition = load_structure_definition(str(PROFILES / f"StructureDefinition-{name}.json"))
        found |= not validate_resource(resource, definition).valid
    return found  # without a claimed profile it checks nothing


TOOLS: dict[str, Check] = {
    "pcocheck": pcocheck_check,
    "fhir.resources (R4B)": fhir_resources_check,
    "fhirkit-rs": fhirkit_check,
    "pyfhircheck": pyfhircheck_check,
    "hl7fhirgen": hl7fhirgen_check,
}


def cell(check: Check, resource: dict[str, Any]) -> str:
    try:
        return "yes" if check(resource) else "no"
    except ImportError:
        return "n/a"


def main() -> None:
    print("| probe (one defect each) | " + " | ".join(TOOLS) + " |")
    print("|---|" + "---|" * len(TOOLS))
    for label, resource in PROBES:
        cells = [cell(check, resource) for check in TOOLS.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
