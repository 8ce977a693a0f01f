"""Generate synthetic PCO corpora for benchmarks (seeded, deterministic, no network).

Each "patient journey" is 10 resources: a US Core Organization (with an NPI) and
Practitioner (with an NPI, the performer of the practitioner GAS score), a US Core
Patient managed by the organization, a GAS goal with five levels, a GAS baseline and two
follow-ups, a PROM goal, and two PROM score observations. Names, dates, scores and NPIs
vary with ``--seed`` (same seed, same bytes).

``--vary`` makes content repeat far less (the engine remembers values that validated
clean, so repeats are cheap; see BENCHMARKS.md "Repeated content"): every resource gets
its own meta (versionId, lastUpdated), narrative and text; organisations, practitioners
and patients get distinct names, addresses and telecoms; dates carry times and time
zones; goal domains, PROM measures, GAS levels and identifier systems are drawn from
larger pools. It uses its own random stream, so the default output is unchanged.

    python bench/make_corpus.py --resources 10000 --out bench/out/corpus-10k.ndjson
    python bench/make_corpus.py --resources 10000 --bundle --out bench/out/bundle-10k.json
    python bench/make_corpus.py --linked-observations 8000 --out bench/out/linked-8k.json
    python bench/make_corpus.py --resources 10000 --vary --out bench/out/vary-10k.ndjson

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
from datetime import date, timedelta
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


# --vary: pools to draw from (every code valid for the PCO profiles).
GOAL_DOMAINS = [
    ("housing", "Housing"),
    ("access-to-services", "Access To Services"),
    ("caregiver-needs", "Caregiver Needs"),
    ("end-of-life", "End Of Life"),
    ("independence", "Independence"),
    ("legal", "Legal"),
    ("managing-conditions", "Managing Conditions"),
    ("medication-management", "Medication Management"),
    ("improving-health-and-wellness", "Improving Health And Wellness"),
    ("physical-function", "Physical Function"),
    ("social-functioning", "Social Functioning"),
    ("emotional-and-mental-health", "Emotional And Mental Health"),
]
PROM_MEASURES = ["70274-6", "44261-6", "77854-8", "77848-0", "89921-1", "77862-1", "81531-6"]
WORDS = [
    "walk",
    "garden",
    "cook",
    "read",
    "paint",
    "swim",
    "visit",
    "call",
    "sing",
    "dance",
    "knit",
    "fish",
    "hike",
    "cycle",
    "pray",
    "volunteer",
    "shop",
    "drive",
    "write",
    "rest",
    "stretch",
    "breathe",
    "sleep",
    "work",
    "study",
    "play",
    "travel",
]
PLACES = [
    "park",
    "library",
    "church",
    "market",
    "pool",
    "beach",
    "lake",
    "museum",
    "clinic",
    "school",
    "office",
    "theatre",
    "gym",
    "river",
    "cafe",
]
CITIES = [
    ("Springfield", "MA"),
    ("Portland", "OR"),
    ("Austin", "TX"),
    ("Dayton", "OH"),
    ("Fresno", "CA"),
    ("Tampa", "FL"),
    ("Boise", "ID"),
    ("Mobile", "AL"),
    ("Omaha", "NE"),
    ("Reno", "NV"),
    ("Albany", "NY"),
    ("Tucson", "AZ"),
]
STREETS = [
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Lake",
    "Hill",
    "Park",
    "River",
    "Church",
    "Market",
]
MORE_GIVEN = GIVEN + [
    "Ana",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kira",
    "Luis",
]
MORE_FAMILY = FAMILY + [
    "Brown",
    "Lopez",
    "Patel",
    "Kim",
    "Rossi",
    "Dubois",
    "Ivanova",
    "Silva",
    "Cohen",
    "Ali",
]


def instant(rng: random.Random, on: date) -> str:
    """A dateTime on ``on`` with seconds (sometimes milliseconds) and a time zone."""
    zone = rng.choice(["Z", "-05:00", "-06:00", "-08:00", "+01:00"])
    frac = f".{rng.randrange(1000):03d}" if rng.random() < 0.5 else ""
    clock = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    return f"{on.isoformat()}T{clock}{frac}{zone}"


def phrase(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)} to the {rng.choice(PLACES)} {rng.randrange(1, 8)} times a week"


def varied(n: int, journey_resources: list[dict[str, Any]], rng: random.Random) -> None:
    """Make one journey's content far less repetitive, in place (--vary)."""
    org, prac, patient, goal, *gas_scores, prom_goal, prom_base, prom_follow = journey_resources
    for resource in journey_resources:
        resource["meta"]["versionId"] = str(rng.randrange(1, 40))
        resource["meta"]["lastUpdated"] = instant(
            rng, date(2025, 11, 1) + timedelta(rng.randrange(25))
        )
    city, state = rng.choice(CITIES)
    family = rng.choice(MORE_FAMILY)
    org["name"] = f"{family} {rng.choice(PLACES).title()} Health {n}-{rng.randrange(10**6)}"
    org["text"] = narrative(f"{org['name']}, {city}")
    org["telecom"] = [
        {
            "system": "phone",
            "value": f"{rng.randrange(200, 999)}-555-{rng.randrange(10**4):04d}",
            "use": "work",
        },
        {"system": "email", "value": f"desk{rng.randrange(10**6)}@clinic{n}.example.org"},
    ]
    org["address"] = [
        {
            "line": [f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} St"],
            "city": city,
            "state": state,
            "postalCode": f"{rng.randrange(10**5):05d}",
        }
    ]
    prac_family, prac_given = rng.choice(MORE_FAMILY), rng.choice(MORE_GIVEN)
    initial = chr(ord("A") + rng.randrange(26))
    prac["name"] = [{"family": prac_family, "given": [prac_given, initial]}]
    prac["text"] = narrative(
        f"{prac_given} {initial}. {prac_family}, NPI {prac['identifier'][0]['value']}"
    )
    prac["telecom"] = [
        {"system": "phone", "value": f"{rng.randrange(200, 999)}-555-{rng.randrange(10**4):04d}"}
    ]
    given, family = rng.choice(MORE_GIVEN), rng.choice(MORE_FAMILY)
    patient["name"] = [{"family": family, "given": [given, rng.choice(MORE_GIVEN)]}]
    patient["text"] = narrative(f"{given} {family}, born {patient['birthDate']}")
    patient["identifier"][0]["system"] = f"http://example.org/site{rng.randrange(40)}/mrn"
    patient["address"] = [
        {
            "line": [f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} Ave"],
            "city": city,
            "state": state,
            "postalCode": f"{rng.randrange(10**5):05d}",
        }
    ]
    # Scores stay in the PCO follow-up window (days 14-182 after the goal's start).
    first = date(2025, 1, 1) + timedelta(rng.randrange(150))
    start, due = first.isoformat(), (first + timedelta(rng.randrange(120, 182))).isoformat()
    score_days = [
        first,
        first + timedelta(rng.randrange(14, 80)),
        first + timedelta(rng.randrange(80, 182)),
    ]
    for g in (goal, prom_goal):
        aim = phrase(rng).capitalize()
        code, display = rng.choice(GOAL_DOMAINS)
        g["category"][0]["coding"][0].update(code=code, display=display)
        g["description"] = {"text": aim}
        g["text"] = narrative(f"{aim} (goal of {given} {family})")
        g["startDate"] = start
        g["target"][0]["dueDate"] = due
    for level in goal["extension"]:
        level["extension"][1]["valueString"] = (
            f"{level['extension'][0]['valueCoding']['display']}: {phrase(rng)}"
        )
    for score, on in zip(gas_scores, score_days, strict=True):
        code, display = rng.choice(LEVELS)
        score["valueCodeableConcept"] = {
            "coding": [{"system": LOINC, "code": code}],
            "text": display,
        }
        score["effectiveDateTime"] = instant(rng, on)
        score["text"] = narrative(f"GAS {score['id']}: {display} on {score['effectiveDateTime']}")
    measure = rng.choice(PROM_MEASURES)
    prom_goal["target"][0]["measure"]["coding"][0]["code"] = measure
    target = prom_goal["target"][0]["detailQuantity"]["value"] = rng.randrange(3, 15)
    # The baseline does not meet the target "< target" yet (else PCO-PROM-010).
    lowest = {prom_base["id"]: target, prom_follow["id"]: 0}
    for score, on in ((prom_base, score_days[0]), (prom_follow, score_days[2])):
        score["code"]["coding"][0]["code"] = measure
        score["effectiveDateTime"] = instant(rng, on)
        score["valueQuantity"]["value"] = rng.randrange(lowest[score["id"]], 22)
        score["text"] = narrative(
            f"Score {score['valueQuantity']['value']} ({measure}) on {score['effectiveDateTime']}"
        )


def resources(count: int, seed: int, vary: bool = False) -> Iterator[dict[str, Any]]:
    """The first ``count`` resources of the journeys for ``seed``."""
    rng = random.Random(seed)
    vary_rng = random.Random(f"vary-{seed}")  # its own stream: the default stays as it was
    produced = 0
    n = 0
    while produced < count:
        journey_resources = journey(n, rng)
        if vary:
            varied(n, journey_resources, vary_rng)
        for resource in journey_resources:
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
    parser.add_argument(
        "--vary", action="store_true", help="content that repeats far less (see above)"
    )
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
            for r in resources(count, args.seed, args.vary)
        ]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        args.out.write_text(json.dumps(bundle), encoding="utf-8")
    else:
        with args.out.open("w", encoding="utf-8") as out:
            for resource in resources(count, args.seed, args.vary):
                out.write(json.dumps(resource, separators=(",", ":")) + "\n")
    print(f"wrote {count} resources to {args.out}")


if __name__ == "__main__":
    main()
