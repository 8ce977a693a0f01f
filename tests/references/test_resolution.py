"""Reference resolution and resource identity, end to end (fixtures/references, written by
tests/references/make_fixtures.py): FHIR's Bundle rules, resolution across the inputs of a
run, the same answers in any order and on every run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.result import RunResult
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

REFS = FIXTURES / "references"


def _run(*paths: Path | str, profiles: tuple[str, ...] = ()) -> RunResult:
    return validate_config(RunConfig(paths=tuple(str(p) for p in paths), profile_dirs=profiles))


def _codes(result: RunResult, prefix: str) -> list[Finding]:
    return [f for f in result.sorted_findings() if f.code.startswith(prefix)]


def _shape(findings: list[Finding]) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(f.code, f.file, f.line, f.expression) for f in findings]


# -- two self-contained Bundles (and NDJSON exports) reusing the same ids ---------------------
@pytest.mark.parametrize(
    ("folder", "broken", "line", "expression"),
    [
        ("two-bundles", "second.json", 279, "Bundle.entry[4].resource.valueCodeableConcept"),
        ("two-ndjson", "second.ndjson", 5, "Observation.valueCodeableConcept"),
    ],
)
def test_the_defect_is_reported_once_in_its_own_file_whatever_the_order(
    folder: str, broken: str, line: int, expression: str
) -> None:
    files = sorted((REFS / folder).iterdir())
    outcomes = []
    for paths in (files, list(reversed(files)), [REFS / folder]):
        result = _run(*paths)
        level = _codes(result, "PCO-GAS-005")
        assert _shape(level) == [("PCO-GAS-005", str(REFS / folder / broken), line, expression)]
        outcomes.append(sorted(_shape(_codes(result, ""))))
        assert result.exit_code == 1
    assert outcomes[0] == outcomes[1]  # the same findings in either order


def test_the_first_bundle_alone_is_clean_and_the_second_alone_is_not() -> None:
    assert _codes(_run(REFS / "two-bundles" / "first.json"), "PCO-GAS-005") == []
    assert len(_codes(_run(REFS / "two-bundles" / "second.json"), "PCO-GAS-005")) == 1


# -- across files -------------------------------------------------------------------------
def test_a_reference_resolves_across_files_when_the_target_is_unique() -> None:
    result = _run(REFS / "cross-file-unique")
    (finding,) = _codes(result, "PCO-GAS-005")
    assert finding.file is not None and finding.file.endswith("scores.ndjson")
    assert finding.line == 3
    assert "Goal-walk-to-shop.json" in finding.message  # says how it was resolved


def test_two_candidates_in_the_run_are_ambiguous_never_a_silent_pick() -> None:
    result = _run(REFS / "cross-file-ambiguous")
    assert _codes(result, "PCO-GAS-005") == []
    ambiguous = _codes(result, "FHIR-REF-010")
    assert [f.line for f in ambiguous] == [1, 2, 3]
    for finding in ambiguous:
        assert finding.severity.label == "information"
        assert "Goal-walk-to-shop.json" in finding.message
        assert "Goal-walk-to-shop-copy.json" in finding.message
    focus = _codes(result, "PCO-GAS-006")
    assert len(focus) == 3 and all("ambiguous" in f.message for f in focus)


# -- FHIR's Bundle rules --------------------------------------------------------------------
def _by_expression(result: RunResult, prefix: str) -> dict[str, str]:
    return {str(f.expression): f.code for f in _codes(result, prefix)}


def test_versioned_references_match_mismatch_and_two_matches() -> None:
    found = _by_expression(_run(REFS / "versioned.json"), "FHIR-REF")
    item = "Bundle.entry[3].resource.entry[{}].item.reference"
    assert found == {
        item.format(1): "FHIR-REF-008",  # _history/3: versions 1 and 2 exist
        item.format(2): "FHIR-REF-007",  # unversioned: two entries match
    }  # _history/1 (relative) and the absolute _history/2 resolve silently


def test_version_mismatch_and_multiple_matches_say_why() -> None:
    result = _run(REFS / "versioned.json")
    (mismatch,) = _codes(result, "FHIR-REF-008")
    assert "entry 1 has versionId 1, entry 2 has versionId 2" in mismatch.message
    (multiple,) = _codes(result, "FHIR-REF-007")
    assert "found 2 matches for Observation/x in the Bundle (entry 1, entry 2)" in (
        multiple.message
    )
    assert multiple.severity.label == "error"


def test_relative_references_against_a_restful_base_and_urn_entries() -> None:
    result = _run(REFS / "relative-base.json")
    found = _by_expression(result, "FHIR-REF")
    assert found == {
        # RESTful referrer, Patient/p2 whose entry has a urn:uuid fullUrl: type/id match
        "Bundle.entry[2].resource.entry[1].item.reference": "FHIR-REF-009",
        # urn:uuid referrer: no RESTful base to resolve Patient/p1 against
        "Bundle.entry[3].resource.entry[0].item.reference": "FHIR-REF-009",
        # a urn:uuid that no entry has: a warning, as the HL7 validator
        "Bundle.entry[3].resource.entry[1].item.reference": "FHIR-REF-006",
    }
    (missing,) = _codes(result, "FHIR-REF-006")
    assert missing.severity.label == "warning"
    assert "not locally contained within the Bundle" in missing.message


def test_a_non_absolute_full_url_is_an_error() -> None:
    (finding,) = _codes(_run(REFS / "non-absolute-fullurl.json"), "FHIR-BUNDLE-005")
    assert finding.expression == "Bundle.entry[0].fullUrl" and finding.line == 7


def test_a_canonical_to_a_loaded_resource_of_the_wrong_type_is_an_error() -> None:
    (finding,) = _codes(_run(REFS / "canonical-wrong-type.json"), "FHIR-REF-011")
    assert "refers to a ValueSet, expected Questionnaire" in finding.message
    assert finding.expression == "QuestionnaireResponse.questionnaire"


def test_a_resource_inside_parameters_resolves_at_its_own_level() -> None:
    result = _run(REFS / "parameters-dangling.json")
    (urn,) = _codes(result, "FHIR-REF-006")
    assert urn.expression == "Parameters.parameter[0].resource.subject.reference"
    (local,) = [f for f in result.findings if "ref-1" in f.message]
    assert local.expression == "Parameters.parameter[0].resource.hasMember[0]"
    assert local.severity.label == "error"


def test_a_nested_bundle_gets_the_same_treatment_at_its_own_level() -> None:
    result = _run(REFS / "nested-bundle.json")
    assert _by_expression(result, "FHIR-REF") == {
        "Bundle.entry[0].resource.entry[0].resource.subject.reference": "FHIR-REF-006"
    }
    assert _by_expression(result, "FHIR-BUNDLE") == {
        "Bundle.entry[0].resource.entry[1].fullUrl": "FHIR-BUNDLE-005"
    }


# -- resolve() in invariants ------------------------------------------------------------------
def test_ctm_1_fails_where_the_member_resolves_to_a_patient() -> None:
    result = _run(REFS / "ctm-1.json")
    failed = [f for f in result.findings if "ctm-1" in f.message]
    assert [(f.code, f.expression) for f in failed] == [
        ("FHIR-INV-001", "Bundle.entry[2].resource.participant[0]")
    ]


def test_a_profile_invariant_using_resolve_fails_where_it_should() -> None:
    result = _run(REFS / "focus-goal-invariant.json", profiles=(str(REFS / "profiles"),))
    failed = [f for f in result.findings if "pct-1" in f.message]
    assert [(f.code, f.expression) for f in failed] == [
        ("FHIR-INV-001", "Bundle.entry[3].resource")
    ]
    assert not [f for f in result.findings if f.code == "FHIR-INV-003"]


# -- bounded target conformance -----------------------------------------------------------------
def test_a_long_has_member_chain_is_bounded_and_says_so() -> None:
    result = _run(REFS / "has-member-chain.json")
    assert result.incomplete is None
    assert result.resources == 132
    (bounded,) = _codes(result, "FHIR-REF-012")
    assert bounded.expression == "Bundle.entry[1].resource.hasMember[0].reference"


# -- deterministic conformance across many files ------------------------------------------------
def _alternating_folder(folder: Path, count: int) -> None:
    journey = json.loads((FIXTURES / "journeys" / "gas-goal-journey.json").read_text("utf-8"))
    patient, goal = journey["entry"][0], journey["entry"][3]
    del patient["resource"]["meta"]  # unclaimed: its conformance is probed at the reference
    for index in range(count):
        broken = json.loads(json.dumps(patient))
        if index % 2:
            del broken["resource"]["identifier"]  # US Core Patient requires one
        bundle = {
            "resourceType": "Bundle",
            "id": f"b{index}",
            "type": "collection",
            "entry": [broken, goal],
        }
        (folder / f"bundle-{index:03d}.json").write_text(json.dumps(bundle), encoding="utf-8")


def test_many_files_alternating_targets_give_the_exact_count_twice(tmp_path: Path) -> None:
    _alternating_folder(tmp_path, 60)
    counts = []
    for _ in range(2):
        result = _run(tmp_path, tmp_path / "bundle-000.json")  # and one file named twice
        assert result.files == 60
        nonconformant = _codes(result, "FHIR-REF-002")
        counts.append(Counter(f.file for f in nonconformant))
    # Goal.subject and Goal.expressedBy both point at the Patient: two per broken file.
    expected = Counter({str(tmp_path / f"bundle-{i:03d}.json"): 2 for i in range(1, 60, 2)})
    assert counts == [expected, expected]


def test_the_same_file_named_twice_is_read_once(tmp_path: Path) -> None:
    source = REFS / "two-bundles" / "second.json"
    other_name = tmp_path / "alias.json"
    other_name.hardlink_to(source)
    result = _run(source, source, other_name)
    assert result.files == 1
    assert len(_codes(result, "PCO-GAS-005")) == 1
