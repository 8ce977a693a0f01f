"""Writes fixtures/references/: inputs for reference resolution and resource identity.

Run from the repository root: ``python -m tests.references.make_fixtures``. The inputs are
built from the repository's own GAS case (fixtures/rules/gas-level-not-defined) and the GAS
journey; tests/references/test_resolution.py holds what each must give.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "references"
BASE = "http://example.org/fhir/"
VS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
Json = dict[str, Any]


def _load(relative: str) -> Json:
    data: Json = json.loads((ROOT / "fixtures" / relative).read_text(encoding="utf-8"))
    return data


GAS = _load("rules/gas-level-not-defined/input.json")  # Patient, Goal (no +2), 3 scores
JOURNEY = _load("journeys/gas-goal-journey.json")


def _write(relative: str, value: Any) -> None:
    path = OUT / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(value, str):
        path.write_text(value, encoding="utf-8")
    else:
        path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def _gas_bundle(broken: bool) -> Json:
    """The GAS case; ``broken``: the practitioner follow-up scores +2, a level its goal does
    not define (else +1, which it does)."""
    bundle = copy.deepcopy(GAS)
    if not broken:
        score = bundle["entry"][4]["resource"]
        score["valueCodeableConcept"]["coding"][0]["code"] = "LA34480-6"
        score["valueCodeableConcept"]["coding"][0]["display"] = "Somewhat better than expected"
    return bundle


def _ndjson(bundle: Json) -> str:
    return "".join(json.dumps(e["resource"]) + "\n" for e in bundle["entry"])


def _entry(resource: Json, full_url: str) -> Json:
    return {"fullUrl": full_url, "resource": resource}


def _collection(bid: str, entries: list[Json]) -> Json:
    return {"resourceType": "Bundle", "id": bid, "type": "collection", "entry": entries}


def _observation(oid: str, version: str | None = None, **extra: Any) -> Json:
    resource: Json = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/p1"},
    }
    if version is not None:
        resource["meta"] = {"versionId": version}
    resource.update(extra)
    return resource


def _patient(pid: str) -> Json:
    return {"resourceType": "Patient", "id": pid, "gender": "female"}


def _list(lid: str, references: list[str]) -> Json:
    return {
        "resourceType": "List",
        "id": lid,
        "status": "current",
        "mode": "working",
        "entry": [{"item": {"reference": r}} for r in references],
    }


def main() -> None:
    # Two self-contained Bundles reusing the same ids; only the second is broken.
    _write("two-bundles/first.json", _gas_bundle(broken=False))
    _write("two-bundles/second.json", _gas_bundle(broken=True))
    # The same pair as NDJSON exports.
    _write("two-ndjson/first.ndjson", _ndjson(_gas_bundle(broken=False)))
    _write("two-ndjson/second.ndjson", _ndjson(_gas_bundle(broken=True)))

    # Across files: the goal in one file, the scores in another (unique), and the same with
    # a second file holding a goal with the same id (ambiguous).
    broken = _gas_bundle(broken=True)
    goal = broken["entry"][1]["resource"]
    scores = _ndjson(_collection("s", broken["entry"][2:]))
    _write("cross-file-unique/Goal-walk-to-shop.json", goal)
    _write("cross-file-unique/scores.ndjson", scores)
    _write("cross-file-ambiguous/Goal-walk-to-shop.json", goal)
    other = copy.deepcopy(goal)
    other["extension"] = other["extension"][:2]
    _write("cross-file-ambiguous/Goal-walk-to-shop-copy.json", other)
    _write("cross-file-ambiguous/scores.ndjson", scores)

    # Versioned references: match, mismatch, two matches.
    _write(
        "versioned.json",
        _collection(
            "versioned",
            [
                _entry(_patient("p1"), BASE + "Patient/p1"),
                _entry(_observation("x", "1"), BASE + "Observation/x"),
                _entry(_observation("x", "2"), BASE + "Observation/x"),
                _entry(
                    _list(
                        "l",
                        [
                            "Observation/x/_history/1",
                            "Observation/x/_history/3",
                            "Observation/x",
                            BASE + "Observation/x/_history/2",
                        ],
                    ),
                    BASE + "List/l",
                ),
            ],
        ),
    )

    # Relative references against a RESTful fullUrl base vs a urn:uuid entry.
    _write(
        "relative-base.json",
        _collection(
            "relative",
            [
                _entry(_patient("p1"), BASE + "Patient/p1"),
                _entry(_patient("p2"), "urn:uuid:0c3f6e4a-7d21-4b8e-9a55-3e2f1d0b9c11"),
                # RESTful referrer: Patient/p1 resolves to BASE + Patient/p1 (no finding);
                # Patient/p2 matches only by type and id (warning).
                _entry(
                    _list("rest", ["Patient/p1", "Patient/p2"]),
                    BASE + "List/rest",
                ),
                # urn:uuid referrer: no base to resolve against (warning), and a urn:uuid
                # reference that is not in the Bundle (warning).
                _entry(
                    _list(
                        "urn",
                        ["Patient/p1", "urn:uuid:9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"],
                    ),
                    "urn:uuid:7b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                ),
            ],
        ),
    )

    # A fullUrl that is not absolute.
    _write(
        "non-absolute-fullurl.json",
        _collection("relative-fullurl", [_entry(_patient("p1"), "Patient/p1")]),
    )

    # A canonical to a loaded resource of the wrong type: the GAS levels ValueSet where a
    # Questionnaire belongs.
    _write(
        "canonical-wrong-type.json",
        {
            "resourceType": "QuestionnaireResponse",
            "id": "qr",
            "questionnaire": "http://loinc.org/vs/LL6900-6",
            "status": "completed",
        },
    )

    # Parameters holding a resource with dangling references, and a nested Bundle.
    inner = _observation(
        "in-parameters",
        subject={"reference": "urn:uuid:1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b"},
        hasMember=[{"reference": "#missing"}],
    )
    _write(
        "parameters-dangling.json",
        {
            "resourceType": "Parameters",
            "id": "params",
            "parameter": [{"name": "observation", "resource": inner}],
        },
    )
    nested = _collection(
        "nested",
        [
            _entry(
                _observation(
                    "in-nested",
                    subject={"reference": "urn:uuid:2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"},
                ),
                "urn:uuid:3b4c5d6e-7f8a-4b9c-8d0e-1f2a3b4c5d6e",
            ),
            _entry(_patient("p9"), "Patient/p9"),
        ],
    )
    _write(
        "nested-bundle.json",
        _collection("outer", [_entry(nested, "urn:uuid:4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f")]),
    )

    # ctm-1: onBehalfOf is only allowed when the member is a Practitioner.
    journey = copy.deepcopy(JOURNEY)
    patient_url = journey["entry"][0]["fullUrl"]
    care_team = {
        "resourceType": "CareTeam",
        "id": "team",
        "participant": [
            {
                "member": {"reference": "Patient/gasJourneyPatient"},
                "onBehalfOf": {"reference": "Organization/org"},
            },
            {
                "member": {"reference": "Practitioner/gasJourneyPractitioner"},
                "onBehalfOf": {"reference": "Organization/org"},
            },
        ],
    }
    organization = {"resourceType": "Organization", "id": "org", "name": "Clinic"}
    journey["entry"] = journey["entry"][:2] + [
        _entry(care_team, patient_url.replace("Patient/gasJourneyPatient", "CareTeam/team")),
        _entry(organization, patient_url.replace("Patient/gasJourneyPatient", "Organization/org")),
    ]
    _write("ctm-1.json", journey)

    # A test profile whose invariant uses resolve(): every focus that resolves is a Goal.
    _write(
        "profiles/StructureDefinition-pcocheck-test-focus-goal.json",
        {
            "resourceType": "StructureDefinition",
            "id": "pcocheck-test-focus-goal",
            "url": "http://pcocheck.invalid/StructureDefinition/pcocheck-test-focus-goal",
            "version": "0.1.0",
            "name": "PcocheckTestFocusGoal",
            "status": "draft",
            "kind": "resource",
            "abstract": False,
            "type": "Observation",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
            "derivation": "constraint",
            "differential": {
                "element": [
                    {
                        "id": "Observation",
                        "path": "Observation",
                        "constraint": [
                            {
                                "key": "pct-1",
                                "severity": "error",
                                "human": "Every focus that resolves is a Goal",
                                "expression": "focus.resolve().all($this is Goal)",
                            }
                        ],
                    }
                ]
            },
        },
    )
    focus = copy.deepcopy(_gas_bundle(broken=False))
    for entry in focus["entry"][2:]:
        entry["resource"]["meta"]["profile"].append(
            "http://pcocheck.invalid/StructureDefinition/pcocheck-test-focus-goal"
        )
    focus["entry"][3]["resource"]["focus"] = [{"reference": "Patient/walker"}]
    _write("focus-goal-invariant.json", focus)

    # 130 Observations chained by hasMember (target conformance must not recurse without
    # bound).
    chain = []
    for index in range(130):
        extra: Json = {}
        if index + 1 < 130:
            extra["hasMember"] = [{"reference": f"Observation/o{index + 1}"}]
        obs = _observation(f"o{index}", **extra)
        # Vital signs that conform to the core vitalsigns profile without claiming it, so
        # each hasMember target is probed for conformance, and its own targets in turn.
        obs["category"] = [{"coding": [{"system": VS_CATEGORY, "code": "vital-signs"}]}]
        obs["effectiveDateTime"] = "2025-01-15T09:30:00Z"
        obs["valueQuantity"] = {
            "value": 72,
            "unit": "beats/minute",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        }
        if index == 0:
            obs["meta"] = {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]}
        chain.append(_entry(obs, f"{BASE}Observation/o{index}"))
    chain.insert(0, _entry(_patient("p1"), BASE + "Patient/p1"))
    _write("has-member-chain.json", _collection("chain", chain))


if __name__ == "__main__":
    main()
