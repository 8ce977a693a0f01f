"""Generate a synthetic PCO corpus for benchmarks (deterministic, no network).

Each "patient journey" is 8 resources: a US Core Patient, a GAS goal with five levels,
a GAS baseline and two follow-ups, a PROM goal, and two PROM score observations.

    python bench/make_corpus.py --journeys 1250 --out bench/out/corpus.ndjson   # 10,000 resources
    python bench/make_corpus.py --journeys 1000 --bundle --out bench/out/bundle.json
"""

from __future__ import annotations

import argparse
import json
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


def journey(n: int) -> list[dict[str, Any]]:
    pid, gas, prom = f"p{n}", f"gas{n}", f"prom{n}"
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "text": narrative(f"Patient {n}"),
        "identifier": [{"system": "http://example.org/mrn", "value": f"MRN{n:07d}"}],
        "name": [{"family": f"Family{n}", "given": ["Alex"]}],
        "gender": "female" if n % 2 else "male",
        "birthDate": "1970-01-01",
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
        }

    prom_goal = {
        "resourceType": "Goal",
        "id": prom,
        "meta": {"profile": [PCO + "pco-prom-goal-profile"]},
        "text": narrative("Reduce anxiety"),
        "lifecycleStatus": "active",
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

    return [
        patient,
        goal,
        gas_score("baseline", "112296-9", "LA34483-0", "2025-02-15T15:15:00Z"),
        gas_score("patient", "107334-5", "LA34483-0", "2025-03-10T10:15:00Z"),
        gas_score("practitioner", "107333-7", "LA34481-4", "2025-04-17T10:15:00Z"),
        prom_goal,
        prom_score("baseline", 15, "2025-02-15T13:15:00Z"),
        prom_score("followup", 9, "2025-04-01T13:15:00Z"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=1250)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--bundle", action="store_true", help="one collection Bundle")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.bundle:
        entries = [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for n in range(args.journeys)
            for r in journey(n)
        ]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        args.out.write_text(json.dumps(bundle), encoding="utf-8")
        count = len(entries)
    else:
        count = 0
        with args.out.open("w", encoding="utf-8") as out:
            for n in range(args.journeys):
                for resource in journey(n):
                    out.write(json.dumps(resource, separators=(",", ":")) + "\n")
                    count += 1
    print(f"wrote {count} resources to {args.out}")


if __name__ == "__main__":
    main()
