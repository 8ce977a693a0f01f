"""Generate synthetic PCO corpora for benchmarks (seeded, deterministic, no network).

Each "patient journey" is 10 resources: a US Core Organization (with an NPI) and
Practitioner (with an NPI, the performer of the practitioner GAS score), a US Core
Patient managed by the organization, a GAS goal with five levels, a GAS baseline and two
follow-ups, a PROM goal, and two PROM score observations. Names, dates, scores and NPIs
vary with ``--seed`` (same seed, same bytes).

    python bench/make_corpus.py --resources 10000 --out bench/out/corpus-10k.ndjson
    python bench/make_corpus.py --resources 10000 --bundle --out bench/out/bundle-10k.json
    python bench/make_corpus.py --linked-observations 8000 --out bench/out/linked-8k.json

``--linked-observations N`` writes one collection Bundle with a Patient and N PROM score
Observations whose entries reference each other: each observation lists the next two as
``hasMember`` and the previous one as ``derivedFrom`` (full URLs, so every reference
resolves inside the Bundle).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PCO = "http://hl7.org/fhir/us/pco/StructureDefinition/"
LOINC = "http://loinc.org"
CATEGORY_SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
LEVELS = [
    ("LA34479-8", "Much better than expected"),
    ("LA34480-6", "Better than expected"),
    ("LA34481-4", "Expected outcome"),
    ("LA34483-0", "Less than expected"),
    ("LA34484-8", "Much less than expected"),
]


def narrative(text: str) -> dict[str, str]:
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>',
    }


NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
GIVEN = ["Alex", "Sam", "Jordan", "Maria", "Wei", "Aisha", "Noah", "Olga", "Ravi", "Lena"]
FAMILY = ["Garcia", "Smith", "Nguyen", "Okafor", "Müller", "Kowalski", "Haddad", "Tanaka"]


def npi(rng: random.Random) -> str:
    """A random 10-digit NPI with a valid check digit (Luhn over the ``80840`` prefix)."""
    body = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(8)]
    total = 24  # the doubled-and-summed digits of the 80840 prefix
    for index, digit in enumerate(body):
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return "".join(map(str, body)) + str((10 - total % 10) % 10)


def day(rng: random.Random, year: int) -> str:
    return f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def journey(n: int, rng: random.Random) -> list[dict[str, Any]]:
    pid, gas, prom = f"p{n}", f"gas{n}", f"prom{n}"
    org, prac = f"org{n}", f"prac{n}"
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    organization = {
        "resourceType": "Organization",
        "id": org,
        "meta": {
            "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization"]
        },
        "text": narrative(f"Clinic {n}"),
        "identifier": [{"system": NPI_SYSTEM, "value": npi(rng)}],
        "active": True,
        "name": f"{family} Family Clinic {n}",
        "telecom": [{"system": "phone", "value": f"555-{n % 10000:04d}", "use": "work"}],
        "address": [{"line": [f"{n} Main St"], "city": "Springfield", "state": "MA"}],
    }
    practitioner = {
        "resourceType": "Practitioner",
        "id": prac,
        "meta": {
            "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner"]
        },
        "text": narrative(f"Dr. {family}"),
        "identifier": [{"system": NPI_SYSTEM, "value": npi(rng)}],
        "name": [{"family": family, "given": [rng.choice(GIVEN)], "prefix": ["Dr."]}],
    }
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "text": narrative(f"{given} {family}"),
        "identifier": [{"system": "http://example.org/mrn", "value": f"MRN{n:07d}"}],
        "name": [{"family": family, "given": [given]}],
        "gender": rng.choice(["female", "male", "other", "unknown"]),
        "birthDate": day(rng, rng.randrange(1935, 2006)),
        "managingOrganization": {"reference": f"Organization/{org}"},
    }
    goal = {
        "resourceType": "Goal",
        "id": gas,
        "meta": {"profile": [PCO + "pco-gas-goal-profile"]},
        "text": narrative("Walk to the park with a friend every week"),
        "extension": [
            {
                "url": PCO + "pco-goal-attainment-scaling",
                "extension": [
                    {
                        "url": "level",
                        "valueCoding": {"system": LOINC, "code": code, "display": disp},
                    },
                    {"url": "progressText", "valueString": f"{disp}: walks {5 - i} times a month"},
                ],
            }
            for i, (code, disp) in enumerate(LEVELS)
        ],
        "lifecycleStatus": "active",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/pco/CodeSystem/pco-goal-domains-temporary",
                        "code": "social-functioning",
                        "display": "Social Functioning",
                    }
                ]
            }
        ],
        "description": {"text": "Walk to the park with a friend every week"},
        "subject": {"reference": f"Patient/{pid}"},
        "startDate": "2025-02-15",
        "target": [
            {
                "measure": {"coding": [{"system": LOINC, "code": "107332-9"}]},
                "dueDate": "2025-07-31",
            }
        ],
    }

    def gas_score(suffix: str, code: str, level: str, when: str) -> dict[str, Any]:
        performer = {"performer": [{"reference": f"Practitioner/{prac}"}]}
        return {
            "resourceType": "Observation",
            "id": f"{gas}-{suffix}",
            "meta": {"profile": [PCO + "pco-gas-score-observation"]},
            "text": narrative(f"GAS score {suffix}"),
            "status": "final",
            "category": [CATEGORY_SURVEY],
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": when,
            "focus": [{"reference": f"Goal/{gas}"}],
            "valueCodeableConcept": {"coding": [{"system": LOINC, "code": level}]},
            **(performer if suffix == "practitioner" else {}),
        }

    prom_goal = {
        "resourceType": "Goal",
        "id": prom,
        "meta": {"profile": [PCO + "pco-prom-goal-profile"]},
        "text": narrative("Reduce anxiety"),
        "lifecycleStatus": "active",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/pco/CodeSystem/pco-goal-domains-temporary",
                        "code": "emotional-and-mental-health",
                        "display": "Emotional And Mental Health",
                    }
                ]
            }
        ],
        "description": {"text": "Feel less anxious"},
        "subject": {"reference": f"Patient/{pid}"},
        "startDate": "2025-02-15",
        "target": [
            {
                "measure": {"coding": [{"system": LOINC, "code": "70274-6"}]},
                "detailQuantity": {
                    "value": 10,
                    "comparator": "<",
                    "unit": "score",
                    "system": "http://unitsofmeasure.org",
                    "code": "1",
                },
                "dueDate": "2025-07-31",
            }
        ],
    }

    def prom_score(suffix: str, value: int, when: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": f"{prom}-{suffix}",
            "meta": {"profile": [PCO + "pco-prom-score-observation"]},
            "text": narrative(f"GAD-7 {value}"),
            "status": "final",
            "category": [CATEGORY_SURVEY],
            "code": {"coding": [{"system": LOINC, "code": "70274-6"}]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": when,
            "focus": [{"reference": f"Goal/{prom}"}],
            "valueQuantity": {
                "value": value,
                "unit": "score",
                "system": "http://unitsofmeasure.org",
                "code": "1",
            },
        }

    baseline, followup = rng.randrange(10, 22), rng.randrange(0, 15)
    return [
        organization,
        practitioner,
        patient,
        goal,
        gas_score("baseline", "112296-9", "LA34483-0", "2025-02-15T15:15:00Z"),
        gas_score("patient", "107334-5", "LA34483-0", "2025-03-10T10:15:00Z"),
        gas_score("practitioner", "107333-7", "LA34481-4", "2025-04-17T10:15:00Z"),
        prom_goal,
        prom_score("baseline", baseline, "2025-02-15T13:15:00Z"),
        prom_score("followup", followup, "2025-04-01T13:15:00Z"),
    ]


def resources(count: int, seed: int) -> Iterator[dict[str, Any]]:
    """The first ``count`` resources of the journeys for ``seed``."""
    rng = random.Random(seed)
    produced = 0
    n = 0
    while produced < count:
        for resource in journey(n, rng):
            if produced == count:
                return
            yield resource
            produced += 1
        n += 1


def linked_observations(count: int, seed: int) -> dict[str, Any]:
    """A collection Bundle: a Patient and ``count`` PROM score Observations that refer to
    each other by full URL (hasMember: the next two; derivedFrom: the previous one)."""
    rng = random.Random(seed)
    base = "http://example.org/fhir/"
    patient = journey(0, rng)[2]
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"{base}Patient/{patient['id']}", "resource": patient}
    ]
    for i in range(count):
        observation: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"obs{i}",
            "meta": {"profile": [PCO + "pco-prom-score-observation"]},
            "text": narrative(f"GAD-7 score {i}"),
            "status": "final",
            "category": [CATEGORY_SURVEY],
            "code": {"coding": [{"system": LOINC, "code": "70274-6"}]},
            "subject": {"reference": f"{base}Patient/{patient['id']}"},
            "effectiveDateTime": f"2025-02-15T13:{i % 60:02d}:00Z",
            "valueQuantity": {
                "value": rng.randrange(0, 22),
                "unit": "score",
                "system": "http://unitsofmeasure.org",
                "code": "1",
            },
        }
        members = [f"{base}Observation/obs{j}" for j in (i + 1, i + 2) if j < count]
        if members:
            observation["hasMember"] = [{"reference": url} for url in members]
        if i > 0:
            observation["derivedFrom"] = [{"reference": f"{base}Observation/obs{i - 1}"}]
        entries.append({"fullUrl": f"{base}Observation/obs{i}", "resource": observation})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--resources", type=int, help="number of resources (default 10000)")
    size.add_argument("--journeys", type=int, help="number of 10-resource journeys")
    size.add_argument("--linked-observations", type=int, metavar="N")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--bundle", action="store_true", help="one collection Bundle")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.linked_observations is not None:
        bundle = linked_observations(args.linked_observations, args.seed)
        args.out.write_text(json.dumps(bundle), encoding="utf-8")
        print(f"wrote {len(bundle['entry'])} entries to {args.out}")
        return
    count = args.journeys * 10 if args.journeys is not None else (args.resources or 10000)
    if args.bundle:
        entries = [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources(count, args.seed)
        ]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        args.out.write_text(json.dumps(bundle), encoding="utf-8")
    else:
        with args.out.open("w", encoding="utf-8") as out:
            for resource in resources(count, args.seed):
                out.write(json.dumps(resource, separators=(",", ":")) + "\n")
    print(f"wrote {count} resources to {args.out}")


if __name__ == "__main__":
    main()
