"""Values remembered as clean (engine/memo.py) must never hide a finding.

The same JSON value under the same compiled slot is skipped when it was clean before,
unless a check looked beyond the value. Each case below puts one value first where it is
clean and then, under the same slot, where its context makes it wrong: the finding must be
there, and the compiled walk must agree with the interpretive one finding for finding.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pcocheck.engine.memo import LONGEST_KEY, WIDEST, slot_key
from tests.conftest import FIXTURES
from tests.engine.test_compiled_differential import _assert_same

BIRTH_TIME = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"


def _lines(resources: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in resources)


def _codes_at(findings: list[dict[str, Any]], code: str) -> list[str]:
    return [str(f.get("expression")) for f in findings if f["code"] == code]


def test_an_extension_clean_on_one_host_is_checked_again_on_another(tmp_path: Path) -> None:
    # Element.extension (the '_birthDate' companion) is one slot for every host.
    companion = {"extension": [{"url": BIRTH_TIME, "valueDateTime": "1960-02-17T10:00:00Z"}]}
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1960-02-17"}
    practitioner = {"resourceType": "Practitioner", "id": "d", "birthDate": "1960-02-17"}
    patient["_birthDate"] = copy.deepcopy(companion)
    practitioner["_birthDate"] = copy.deepcopy(companion)
    path = tmp_path / "hosts.ndjson"
    path.write_text(_lines([patient, patient | {"id": "p2"}, practitioner]), encoding="utf-8")
    findings = _assert_same([str(path)])
    where = _codes_at(findings, "FHIR-STRUCT-042")
    assert where and all(w.startswith("Practitioner") for w in where)


def test_an_invariant_reading_the_resource_is_checked_in_every_resource(tmp_path: Path) -> None:
    # sdf-8a (on StructureDefinition.differential) compares with %resource.type.
    differential = {"element": [{"id": "Patient", "path": "Patient"}]}

    def profile(name: str, rtype: str) -> dict[str, Any]:
        return {
            "resourceType": "StructureDefinition",
            "id": name,
            "url": f"http://example.org/fhir/StructureDefinition/{name}",
            "name": name,
            "status": "draft",
            "kind": "resource",
            "abstract": False,
            "type": rtype,
            "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}",
            "derivation": "constraint",
            "differential": copy.deepcopy(differential),
        }

    path = tmp_path / "profiles.ndjson"
    path.write_text(
        _lines([profile("A", "Patient"), profile("B", "Patient"), profile("C", "Observation")]),
        encoding="utf-8",
    )
    findings = _assert_same([str(path)])
    failed = [f for f in findings if f["code"] == "FHIR-INV-001" and "sdf-8a" in f["message"]]
    print(failed)
    assert len(failed) == 1


def test_a_contained_reference_is_resolved_in_each_resource(tmp_path: Path) -> None:
    reference = {"reference": "#o1"}
    organization = {"resourceType": "Organization", "id": "o1", "name": "Clinic"}
    with_target = {
        "resourceType": "Patient",
        "id": "a",
        "contained": [organization],
        "managingOrganization": dict(reference),
    }
    without = {"resourceType": "Patient", "id": "b", "managingOrganization": dict(reference)}
    path = tmp_path / "contained.ndjson"
    path.write_text(_lines([with_target, with_target | {"id": "a2"}, without]), encoding="utf-8")
    findings = _assert_same([str(path)])
    assert any("managingOrganization" in str(f.get("expression")) for f in findings)


def test_keys_tell_apart_what_validation_tells_apart() -> None:
    different = [
        (True, 1),
        (1, Decimal("1")),
        (Decimal("1.0"), Decimal("1.00")),
        ([], {}),
        (["a"], {"a": None}),
        ("{'a': 1}", {"a": 1}),  # a string that looks like an object
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # member order is kept
        (1, 1.0),
        ({"a": 1}, {"a": True}),  # equal in Python, not in JSON
        ({"a": [1]}, {"a": [Decimal("1")]}),  # marshal renders one, repr() the other
        ("\ud83d\ude00", "\U0001f600"),  # two lone surrogates are not the character
        ("e\u0301", "\u00e9"),  # not normalised
        ({"a": "b"}, {"a": ["b"]}),
        ([{"a": "b"}, {"c": "d"}], [{"a": "b", "c": "d"}]),
        (["a", "b"], ["ab"]),
        ("", None),
    ]
    for one, other in different:
        assert slot_key(one, None) != slot_key(other, None), (one, other)
        # The same value built anew (no object shared with the first) has the same key.
        assert slot_key(one, None) == slot_key(copy.deepcopy(one), None)
    assert slot_key({"a": [1, {"b": "c"}]}, None) == slot_key({"a": [1, {"b": "c"}]}, None)
    # Equal values have equal keys however their objects are shared or interned (marshal's
    # format 2 has no back-references).
    import sys

    shared = sys.intern("http://loinc.org/shared-text")
    unshared = "".join(["http://loinc.org/", "shared-text"])
    assert shared is not unshared
    assert slot_key([shared, shared], None) == slot_key([unshared, shared[:]], None)
    assert slot_key({"system": shared}, None) == slot_key({"system": unshared}, None)
    inner = {"code": "x"}
    assert slot_key([inner, inner], None) == slot_key([{"code": "x"}, {"code": "x"}], None)
    assert slot_key("x", None) != slot_key("x", {"id": "1"})
    assert slot_key(["x"], None) != slot_key("x", ["x"])


def test_a_value_equal_in_python_but_not_in_json_is_checked(tmp_path: Path) -> None:
    # A communication with "preferred": true is clean and remembered; the same with 1 or
    # 1.0 is equal in Python but holds no boolean: each must still be reported, the memo in
    # place (a key by Python equality would skip them).
    def patient(pid: str, preferred: Any) -> dict[str, Any]:
        language = {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}
        return {
            "resourceType": "Patient",
            "id": pid,
            "communication": [{"language": language, "preferred": preferred}],
        }

    patients = [patient(f"p{i}", True) for i in range(5)]
    patients += [patient("one", 1), patient("decimal", 1.0), patient("again", True)]
    path = tmp_path / "preferred.ndjson"
    path.write_text(_lines(patients), encoding="utf-8")
    findings = _assert_same([str(path)])
    reported = sorted(
        {str(f["resource"]) for f in findings if "preferred" in str(f.get("expression"))}
    )
    assert reported == ["Patient/decimal", "Patient/one"]


@pytest.mark.parametrize(
    "value",
    [
        "x" * (LONGEST_KEY + 1),
        list(range(WIDEST + 1)),
        {"items": [{"a": i} for i in range(LONGEST_KEY)]},
    ],
)
def test_large_values_are_not_remembered(value: Any) -> None:
    assert slot_key(value, None) is None


def test_a_profiled_reference_is_resolved_again_in_each_bundle(tmp_path: Path) -> None:
    # The focus of a GAS score must be a GAS goal: the same focus value, clean where the
    # Goal it resolves to is one, must be reported where the Goal is not.
    journey = json.loads((FIXTURES / "journeys" / "gas-goal-journey.json").read_text("utf-8"))
    broken = copy.deepcopy(journey)
    for entry in broken["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Goal":
            del resource["meta"]  # claims nothing, and is no Goal at all:
            del resource["lifecycleStatus"]  # a required element is missing
    first = tmp_path / "a_journey.json"
    first.write_text(json.dumps(journey), encoding="utf-8")
    second = tmp_path / "b_broken.json"
    second.write_text(json.dumps(broken), encoding="utf-8")
    findings = _assert_same([str(first), str(second)])
    focus = [
        f for f in findings if ".focus" in str(f.get("expression")) and f["severity"] == "error"
    ]
    assert focus and all(str(f["file"]).endswith("b_broken.json") for f in focus)


@pytest.mark.parametrize(
    "value",
    [
        "x",
        "x" * (LONGEST_KEY + 1),
        [1, 2],
        list(range(WIDEST + 1)),
        {"a": [1, {"b": "c"}]},
        {"items": [{"a": i} for i in range(LONGEST_KEY)]},
        Decimal("1.0"),
        True,
    ],
)
def test_value_key_renders_what_slot_key_renders(value: Any) -> None:
    # CompiledPass.value_key renders slot_key inline and once per value object: the same
    # key, the first time and from its table, and with a companion.
    from types import SimpleNamespace

    from pcocheck.engine.compiled import CompiledPass

    walk = SimpleNamespace(engine=SimpleNamespace(value_keys={}))
    expected = slot_key(value, None)
    assert CompiledPass.value_key(walk, value, None) == expected  # type: ignore[arg-type]
    assert CompiledPass.value_key(walk, value, None) == expected  # type: ignore[arg-type]
    assert walk.engine.value_keys == {id(value): expected}
    companion = {"id": "1"}
    assert CompiledPass.value_key(walk, value, companion) == slot_key(value, companion)  # type: ignore[arg-type]


def test_a_member_remembered_under_one_slice_is_checked_under_another(tmp_path: Path) -> None:
    # The GAS goal profile slices Goal.extension by url; the same scaling extension is a
    # clean member on a Goal, and is reported on a Patient, where its context is wrong.
    journey = json.loads((FIXTURES / "journeys" / "gas-goal-journey.json").read_text("utf-8"))
    resources = [e["resource"] for e in journey["entry"]]
    goal = next(r for r in resources if r["resourceType"] == "Goal")
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    scaling = [e for e in goal.get("extension", []) if "attainment-scaling" in e["url"]]
    assert scaling
    misplaced = copy.deepcopy(patient) | {"id": "misplaced", "extension": copy.deepcopy(scaling)}
    lines = [patient, goal, goal | {"id": "goal2"}, misplaced]
    path = tmp_path / "members.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    findings = _assert_same([str(path)])
    context = [f["resource"] for f in findings if f["code"] == "FHIR-STRUCT-042"]
    assert context and set(context) == {"Patient/misplaced"}
