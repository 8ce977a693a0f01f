"""Sanity checks for the shipped definitions (profiles/) and the re-created IG examples.

Pure data checks: no network, no pcocheck imports. They guard the JSON itself (parses, no
duplicate keys, FHIR JSON conventions), the canonical URLs the engine relies on, and the
inventory of the 30 PCO STU1 example instances.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"
IG_EXAMPLES = ROOT / "fixtures" / "ig-examples"
JOURNEYS = ROOT / "fixtures" / "journeys"

PCO_SD = "http://hl7.org/fhir/us/pco/StructureDefinition/"
USC_SD = "http://hl7.org/fhir/us/core/StructureDefinition/"

PCO_PROFILE_IDS = {
    "pco-goal-profile",
    "pco-gas-goal-profile",
    "pco-prom-goal-profile",
    "pco-goal-attainment-scaling",
    "pco-gas-score-observation",
    "pco-prom-score-observation",
    "pco-readiness-assessment",
    "pco-what-matters-assessment",
    "pco-goal-barrier",
    "pco-care-plan",
    "pco-personal-priorities-organizer",
}

# facts sheet §9.1: id -> (resourceType, meta.profile)
IG_EXAMPLE_IDS: dict[str, tuple[str, str]] = {
    "pcoPatientJones": ("Patient", USC_SD + "us-core-patient"),
    "pcoPractitionerGonzalez": ("Practitioner", USC_SD + "us-core-practitioner"),
    "pcoPractitionerAnderson": ("Practitioner", USC_SD + "us-core-practitioner"),
    "pcoGoalSocialConnectionsWithGAS": ("Goal", PCO_SD + "pco-gas-goal-profile"),
    "pcoGoalSocialConnectionsWithoutExtensions": ("Goal", PCO_SD + "pco-goal-profile"),
    "pcoGoalAnxietyExample": ("Goal", PCO_SD + "pco-prom-goal-profile"),
    "pcoBarrierAnxietyCodedValue": ("Observation", PCO_SD + "pco-goal-barrier"),
    "pcoBarrierFreeTextValue": ("Observation", PCO_SD + "pco-goal-barrier"),
    "pcoPrioritiesList": ("List", PCO_SD + "pco-personal-priorities-organizer"),
    "pcoGASScoreBaselineExample": ("Observation", PCO_SD + "pco-gas-score-observation"),
    "pcoGASScorePatientFollowupExample": ("Observation", PCO_SD + "pco-gas-score-observation"),
    "pcoGASScorePractitionerFollowupExample": (
        "Observation",
        PCO_SD + "pco-gas-score-observation",
    ),
    "pcoPROMScoreAnxietyBaseline": ("Observation", PCO_SD + "pco-prom-score-observation"),
    "pcoPROMScoreAnxietyFollowUp": ("Observation", PCO_SD + "pco-prom-score-observation"),
    "pcoReadinessAssessmentPanel": ("Observation", PCO_SD + "pco-readiness-assessment"),
    "pcoReadinessAssessmentImportance": ("Observation", PCO_SD + "pco-readiness-assessment"),
    "pcoReadinessAssessmentConfidence": ("Observation", PCO_SD + "pco-readiness-assessment"),
    "pcoSocialConnectionsCarePlanExample": ("CarePlan", PCO_SD + "pco-care-plan"),
    "pcoMindfulnessSupportProgram": ("ServiceRequest", USC_SD + "us-core-servicerequest"),
}
IG_EXAMPLE_IDS.update(
    dict.fromkeys(
        (
            "pcoWhatMattersPurposeExample",
            "pcoWhatMattersStatementExample",
            "pcoWhatMattersFoodExample",
            "pcoWhatMattersFoodExampleNowRating",
            "pcoWhatMattersFoodExampleNowReasons",
            "pcoWhatMattersFoodExampleFutureRating",
            "pcoWhatMattersRelationshipsExample",
            "pcoWhatMattersRelationshipsExampleNowRating",
            "pcoWhatMattersRelationshipsExampleFutureRating",
            "pcoWhatMattersRelationshipsExampleFutureChanges",
            "pcoWhatMattersFocusAreaExample",
        ),
        ("Observation", PCO_SD + "pco-what-matters-assessment"),
    )
)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
    if dupes:
        raise ValueError(f"duplicate JSON keys: {dupes}")
    return dict(pairs)


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    assert isinstance(data, dict), f"{path.name}: root is not a JSON object"
    return data


def _json_problems(value: Any, where: str) -> list[str]:
    """FHIR JSON conventions: no null, no empty string/array/object."""
    if value is None:
        return [f"{where}: null"]
    if isinstance(value, str):
        return [f"{where}: empty string"] if value == "" else []
    if isinstance(value, list):
        if not value:
            return [f"{where}: empty array"]
        return [p for i, v in enumerate(value) for p in _json_problems(v, f"{where}[{i}]")]
    if isinstance(value, dict):
        if not value:
            return [f"{where}: empty object"]
        return [p for k, v in value.items() for p in _json_problems(v, f"{where}.{k}")]
    return []


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


ALL_DATA_FILES = _files(PROFILES) + _files(IG_EXAMPLES) + _files(JOURNEYS)


@pytest.mark.parametrize("path", ALL_DATA_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_is_clean_fhir_json(path: Path) -> None:
    data = load(path)
    assert isinstance(data.get("resourceType"), str)
    assert _json_problems(data, data["resourceType"]) == []


def _profiles_by_type(resource_type: str) -> list[dict[str, Any]]:
    out = []
    for path in _files(PROFILES):
        data = load(path)
        if data["resourceType"] == resource_type:
            out.append(data)
    return out


def test_profile_files_are_named_type_dash_id() -> None:
    for path in _files(PROFILES):
        data = load(path)
        assert path.name == f"{data['resourceType']}-{data['id']}.json"


def test_structure_definitions_have_core_metadata() -> None:
    sds = _profiles_by_type("StructureDefinition")
    assert sds
    for sd in sds:
        for key in ("url", "version", "name", "baseDefinition", "derivation", "type", "kind"):
            assert sd.get(key), f"{sd['id']}: missing {key}"
        assert sd["derivation"] == "constraint"
        assert sd["fhirVersion"] == "4.0.1"
        assert "snapshot" not in sd, f"{sd['id']}: authored as differential only"
        assert sd["url"].endswith("/StructureDefinition/" + sd["id"])
        assert sd["version"] == "1.0.0", sd["id"]


def test_us_core_is_not_re_authored_here() -> None:
    """US Core 6.1.0 ships whole from its official package (src/pcocheck/data/uscore.zip,
    tools/build_uscore.py); profiles/ holds PCO's own definitions only."""
    for path in _files(PROFILES):
        url = load(path).get("url", "")
        assert not url.startswith("http://hl7.org/fhir/us/core/"), path.name


def _path_of(element_id: str) -> str:
    return ".".join(part.split(":", 1)[0] for part in element_id.split("."))


def test_differentials_are_well_formed() -> None:
    for sd in _profiles_by_type("StructureDefinition"):
        elements = sd["differential"]["element"]
        ids = [e["id"] for e in elements]
        assert len(ids) == len(set(ids)), f"{sd['id']}: duplicate element ids"
        seen: set[str] = set()
        for element in elements:
            eid = element["id"]
            assert element["path"] == _path_of(eid), f"{sd['id']}: {eid} path"
            assert _path_of(eid).split(".")[0] == sd["type"], f"{sd['id']}: {eid} root"
            last = eid.rsplit(".", 1)[-1]
            if ":" in last:
                assert element.get("sliceName") == last.split(":", 1)[1], eid
            if "min" in element and element.get("max") not in (None, "*"):
                assert element["min"] <= int(element["max"]), eid
            for constraint in element.get("constraint", []):
                for key in ("key", "severity", "human", "expression"):
                    assert constraint.get(key), f"{sd['id']}: {eid} constraint {key}"
            seen.add(eid)
        # a slicing element must precede its slices when both are in the differential
        for index, element in enumerate(elements):
            if "slicing" in element:
                sliced = element["id"]
                for earlier in elements[:index]:
                    assert not earlier["id"].startswith(sliced + ":"), (
                        f"{sd['id']}: slice {earlier['id']} before slicing of {sliced}"
                    )


def test_the_eleven_pco_structure_definitions_exist() -> None:
    urls = {sd["url"] for sd in _profiles_by_type("StructureDefinition")}
    expected = {PCO_SD + sid for sid in PCO_PROFILE_IDS}
    assert expected <= urls
    pco_urls = {u for u in urls if u.startswith(PCO_SD)}
    assert pco_urls == expected


def test_gas_extension_shape() -> None:
    ext = load(PROFILES / "StructureDefinition-pco-goal-attainment-scaling.json")
    assert ext["kind"] == "complex-type"
    assert ext["type"] == "Extension"
    assert ext["context"] == [{"type": "element", "expression": "Goal"}]
    by_id = {e["id"]: e for e in ext["differential"]["element"]}
    assert by_id["Extension.url"]["fixedUri"] == PCO_SD + "pco-goal-attainment-scaling"
    assert by_id["Extension.value[x]"]["max"] == "0"
    assert by_id["Extension.extension:level.url"]["fixedUri"] == "level"
    assert by_id["Extension.extension:progressText.url"]["fixedUri"] == "progressText"
    assert by_id["Extension.extension:progressText"]["min"] == 1
    level_value = by_id["Extension.extension:level.value[x]"]
    assert level_value["binding"]["valueSet"] == "http://loinc.org/vs/LL6900-6"
    assert level_value["binding"]["strength"] == "required"


def test_terminology_urls_are_unique() -> None:
    urls = [d["url"] for kind in ("ValueSet", "CodeSystem") for d in _profiles_by_type(kind)]
    dupes = sorted(u for u, n in Counter(urls).items() if n > 1)
    assert dupes == []


def test_stu1_gas_score_value_set() -> None:
    vs = load(PROFILES / "ValueSet-goal-attainment-scaling-score.json")
    codes = {c["code"] for inc in vs["compose"]["include"] for c in inc.get("concept", [])}
    assert codes == {"112296-9", "107333-7", "107334-5", "107331-1"}


def test_questionnaire_link_ids_are_unique() -> None:
    def link_ids(items: list[dict[str, Any]]) -> list[str]:
        out: list[str] = []
        for item in items:
            out.append(item["linkId"])
            out.extend(link_ids(item.get("item", [])))
        return out

    questionnaires = _profiles_by_type("Questionnaire")
    assert {q["id"] for q in questionnaires} == {"44249-1", "69737-5", "health-inventory-example"}
    for q in questionnaires:
        ids = link_ids(q["item"])
        assert len(ids) == len(set(ids)), q["id"]
        assert q["url"] == f"http://hl7.org/fhir/us/pco/Questionnaire/{q['id']}"


def test_the_thirty_ig_examples_exist() -> None:
    assert len(IG_EXAMPLE_IDS) == 30
    found = {}
    for path in _files(IG_EXAMPLES):
        data = load(path)
        if data["resourceType"] == "Bundle":
            continue
        assert path.name == f"{data['resourceType']}-{data['id']}.json"
        found[data["id"]] = (data["resourceType"], data["meta"]["profile"])
    assert set(found) == set(IG_EXAMPLE_IDS)
    for rid, (rtype, profile) in IG_EXAMPLE_IDS.items():
        assert found[rid] == (rtype, [profile]), rid


def test_ig_examples_bundle_holds_all_thirty() -> None:
    bundle = load(IG_EXAMPLES / "bundle-ig-examples.json")
    assert bundle["type"] == "collection"
    entries = bundle["entry"]
    assert len(entries) == 30
    ids = set()
    for entry in entries:
        resource = entry["resource"]
        rtype, rid = resource["resourceType"], resource["id"]
        assert entry["fullUrl"] == f"http://example.org/fhir/{rtype}/{rid}"
        assert resource == load(IG_EXAMPLES / f"{rtype}-{rid}.json")
        ids.add(rid)
    assert ids == set(IG_EXAMPLE_IDS)


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


@pytest.mark.parametrize(
    "path",
    [
        IG_EXAMPLES / "bundle-ig-examples.json",
        JOURNEYS / "gas-goal-journey.json",
        JOURNEYS / "prom-journey.json",
    ],
    ids=lambda p: p.name,
)
def test_bundle_references_resolve_inside_the_bundle(path: Path) -> None:
    bundle = load(path)
    targets: set[str] = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        targets.add(entry["fullUrl"])
        targets.add(f"{resource['resourceType']}/{resource['id']}")
    unresolved = [r for r in _references(bundle) if r not in targets]
    assert unresolved == []
