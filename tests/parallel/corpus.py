"""A generated PCO corpus whose cross-resource rules span files, folders, NDJSON chunks
and a Bundle: goals in one NDJSON file, their scores in another, PROM scores in a Bundle,
a duplicated goal id (ambiguous references), and a mix of findings made per resource and
only at the end of the run (GAS levels not on the goal's scale, follow-ups before the
baseline, missing goals, PROM targets not met)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PCO = "http://hl7.org/fhir/us/pco/StructureDefinition/"
LOINC = "http://loinc.org"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
        }
    ]
}
LEVELS = ["LA34479-8", "LA34480-6", "LA34481-4", "LA34483-0", "LA34484-8"]


def _text(words: str) -> dict[str, str]:
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{words}</p></div>',
    }


def patient(n: int) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": f"p{n}",
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "text": _text(f"Patient {n}"),
        "identifier": [{"system": "http://example.org/mrn", "value": f"MRN{n:05d}"}],
        "name": [{"family": f"Family{n}", "given": ["Alex"]}],
        "gender": "female" if n % 2 else "male",
    }


def gas_goal(n: int) -> dict[str, Any]:
    levels = LEVELS if n % 5 != 1 else LEVELS[:3]  # a scale without the lower levels
    return {
        "resourceType": "Goal",
        "id": f"gas{n}",
        "meta": {"profile": [PCO + "pco-gas-goal-profile"]},
        "text": _text("Walk every week"),
        "extension": [
            {
                "url": PCO + "pco-goal-attainment-scaling",
                "extension": [
                    {"url": "level", "valueCoding": {"system": LOINC, "code": code}},
                    {"url": "progressText", "valueString": f"level {i}"},
                ],
            }
            for i, code in enumerate(levels)
        ],
        "lifecycleStatus": "active",
        "description": {"text": "Walk every week"},
        "subject": {"reference": f"Patient/p{n}"},
        "startDate": "2025-02-15",
        "target": [{"measure": {"coding": [{"system": LOINC, "code": "107332-9"}]}}],
    }


def gas_score(n: int, suffix: str, code: str, level: str, when: str) -> dict[str, Any]:
    goal = f"gas{n}" if n % 5 != 3 else f"gas-missing{n}"
    return {
        "resourceType": "Observation",
        "id": f"gas{n}-{suffix}",
        "meta": {"profile": [PCO + "pco-gas-score-observation"]},
        "text": _text(f"GAS score {suffix}"),
        "status": "final" if n % 13 else "bogus",
        "category": [SURVEY],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/p{n}"},
        "effectiveDateTime": when,
        "focus": [{"reference": f"Goal/{goal}"}],
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": level}]},
    }


def gas_scores(n: int) -> list[dict[str, Any]]:
    follow_up = "2025-01-10T10:15:00Z" if n % 5 == 2 else "2025-03-10T10:15:00Z"
    return [
        gas_score(n, "baseline", "112296-9", "LA34483-0", "2025-02-15T15:15:00Z"),
        gas_score(n, "patient", "107334-5", "LA34484-8", follow_up),
    ]


def prom_goal(n: int) -> dict[str, Any]:
    return {
        "resourceType": "Goal",
        "id": f"prom{n}",
        "meta": {"profile": [PCO + "pco-prom-goal-profile"]},
        "text": _text("Feel less anxious"),
        "lifecycleStatus": "active",
        "description": {"text": "Feel less anxious"},
        "subject": {"reference": f"Patient/p{n}"},
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


def prom_score(n: int, suffix: str, value: int, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"prom{n}-{suffix}",
        "meta": {"profile": [PCO + "pco-prom-score-observation"]},
        "text": _text(f"GAD-7 {value}"),
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [{"system": LOINC, "code": "70274-6"}]},
        "subject": {"reference": f"Patient/p{n}"},
        "effectiveDateTime": when,
        "focus": [{"reference": f"Goal/prom{n}"}],
        "valueQuantity": {
            "value": value,
            "unit": "score",
            "system": "http://unitsofmeasure.org",
            "code": "1",
        },
    }


def _ndjson(path: Path, resources: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in resources), "utf-8"
    )


def write_corpus(folder: Path, journeys: int) -> Path:
    """Write the corpus into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    people = [patient(n) for n in range(journeys) if n % 11 != 10]  # some are missing
    goals = [g for n in range(journeys) for g in (gas_goal(n), prom_goal(n))]
    _ndjson(folder / "a-scores.ndjson", [s for n in range(journeys) for s in gas_scores(n)])
    _ndjson(folder / "b-goals.ndjson", people + goals)
    _ndjson(folder / "c-duplicate-goal.ndjson", [gas_goal(4)])  # Goal/gas4 twice: ambiguous
    entries = [
        {"fullUrl": f"urn:uuid:0000-{n}-{i}", "resource": r}
        for n in range(journeys)
        for i, r in enumerate(
            (
                prom_score(n, "baseline", 15, "2025-02-15T13:15:00Z"),
                prom_score(n, "followup", 9 if n % 7 else 12, "2025-04-01T13:15:00Z"),
            )
        )
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    (folder / "d-proms.json").write_text(json.dumps(bundle, indent=1), "utf-8")
    nested = folder / "more"
    nested.mkdir(exist_ok=True)
    _ndjson(nested / "late-goals.ndjson", [gas_goal(n) for n in range(journeys, journeys + 3)])
    _ndjson(nested / "late-scores.ndjson", gas_scores(journeys) + gas_scores(journeys + 1))
    return folder
