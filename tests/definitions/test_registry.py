"""Registry sources: folders, Bundles, precedence, terminology normalisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcocheck.definitions import DefinitionError, DefinitionRegistry, default_registry
from pcocheck.definitions.registry import SHIPPED_PROFILES_LABEL, shipped_profiles_dir

from .conftest import EXAMPLE, PROFILES


def test_value_set_is_normalised(registry: DefinitionRegistry) -> None:
    value_set = registry.value_set("http://example.org/fhir/ValueSet/test-categories")
    assert value_set == {
        "resourceType": "ValueSet",
        "id": "test-categories",
        "url": "http://example.org/fhir/ValueSet/test-categories",
        "version": "1.0.0",
        "name": "TestCategories",
        "status": "active",
        "compose": {
            "include": [
                {
                    "system": "http://example.org/fhir/CodeSystem/test-concepts",
                    "concept": [
                        {
                            "code": "pco",
                            "display": "Person-centered",
                            "designation": [{"value": "Personenzentriert", "language": "de"}],
                        }
                    ],
                }
            ]
        },
    }
    assert registry.value_set("http://example.org/fhir/ValueSet/test-categories|1.0.0")
    assert registry.value_set("http://example.org/fhir/ValueSet/test-categories|2") is None


def test_code_system_is_flattened(registry: DefinitionRegistry) -> None:
    system = registry.code_system("http://example.org/fhir/CodeSystem/test-concepts")
    assert system is not None
    assert system["caseSensitive"] is True and system["content"] == "complete"
    concepts = {c["code"]: c for c in system["concept"]}
    assert list(concepts) == ["pco", "gas", "prom", "other"]
    assert "definition" not in concepts["pco"]
    prom = concepts["prom"]["property"]
    # Nesting and a `child` property on another concept both become `parent`.
    assert {"code": "parent", "valueCode": "pco"} in prom
    assert {"code": "parent", "valueCode": "other"} in prom
    assert {"code": "status", "valueCode": "retired"} in prom
    assert "property" not in concepts["other"]


def test_questionnaire_from_a_bundle(registry: DefinitionRegistry) -> None:
    url = "http://example.org/fhir/Questionnaire/test-q"
    for ref in (url, f"{url}|2.0.0", f"{url}|2.0"):
        questionnaire = registry.questionnaire(ref)
        assert questionnaire is not None and questionnaire["item"][0]["linkId"] == "1"
    assert registry.questionnaire(f"{url}|1.0.0") is None
    assert [q.url for q in registry.questionnaires()] == [url]


def test_summaries_and_packages(registry: DefinitionRegistry) -> None:
    summaries = registry.value_sets()
    assert {(s.resource_type, s.name) for s in summaries} == {
        ("ValueSet", "TestCategories"),
        ("CodeSystem", "TestConcepts"),
    }
    with_core = registry.value_sets(include_core=True)
    assert len(with_core) > 2000
    packages = registry.packages()
    assert packages[0].name == "hl7.fhir.r4.core" and packages[0].origin == "builtin"
    assert packages[1].origin == str(PROFILES) and packages[1].resources == 7


def test_later_sources_win_and_versions_select(tmp_path: Path) -> None:
    newer = tmp_path / "newer"
    newer.mkdir()
    original = json.loads((PROFILES / "StructureDefinition-test-goal.json").read_text())
    original["version"] = "2.0.0"
    original["differential"]["element"].append({"id": "Goal.note", "path": "Goal.note", "max": "0"})
    (newer / "goal.json").write_text(json.dumps(original))
    registry = DefinitionRegistry()
    registry.add_folder(PROFILES)
    registry.add_folder(newer, label="override")
    latest = registry.structure(EXAMPLE + "test-goal")
    assert latest is not None and latest.version == "2.0.0" and latest.package == "override"
    assert latest.by_id["Goal.note"].max == "0"
    pinned = registry.structure(EXAMPLE + "test-goal|1.0.0")
    assert pinned is not None and pinned.by_id["Goal.note"].max == "*"


def test_broken_files_are_problems_not_exceptions(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "bad.json").write_text("{ nope")
    (folder / "latin1.json").write_bytes(b'{"resourceType": "ValueSet", "name": "\xe9"}')
    (folder / "no-url.json").write_text('{"resourceType": "ValueSet", "id": "x"}')
    (folder / "example.json").write_text('{"resourceType": "Goal", "id": "g"}')
    (folder / "list.json").write_text("[1, 2]")
    (folder / "malformed.json").write_text(
        json.dumps(
            {
                "resourceType": "StructureDefinition",
                "url": "http://example.org/malformed",
                "type": "Goal",
                "kind": "resource",
                "derivation": "constraint",
                "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Goal",
                "differential": {
                    "element": [
                        {"id": "Goal.lifecycleStatus", "path": "Goal.lifecycleStatus", "min": "x"}
                    ]
                },
            }
        )
    )
    hidden = folder / ".git"
    hidden.mkdir()
    (hidden / "ignored.json").write_text("{ not read")
    registry = DefinitionRegistry()
    info = registry.add_folder(folder)
    assert info.resources == 1  # only the malformed StructureDefinition has a url
    malformed = registry.structure("http://example.org/malformed")
    assert malformed is not None and malformed.by_id["Goal.lifecycleStatus"].min == 1
    kinds = sorted((p.kind, Path(p.source).name) for p in registry.problems)
    assert kinds == [
        ("bad-definition", "no-url.json"),
        ("bad-json", "bad.json"),
        ("bad-json", "latin1.json"),
        ("snapshot", "malformed.json"),
    ]
    assert all(p.severity == "error" for p in registry.problems)


def test_a_single_file_can_be_added(tmp_path: Path) -> None:
    registry = DefinitionRegistry()
    info = registry.add_folder(PROFILES / "terminology.json")
    assert info.resources == 3
    assert registry.code_system("http://example.org/fhir/CodeSystem/test-concepts")


def test_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="does not exist"):
        DefinitionRegistry().add_folder(tmp_path / "nope")


def test_folder_with_package_manifest_takes_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "package.json").write_text('{"name": "my.profiles", "version": "3.1.0"}')
    info = DefinitionRegistry().add_folder(folder)
    assert (info.name, info.version, info.resources) == ("my.profiles", "3.1.0", 0)


def test_default_registry_uses_the_shipped_profiles() -> None:
    registry = default_registry()
    assert registry.structure("Goal") is not None
    folder = shipped_profiles_dir()
    names = [p.name for p in registry.packages()]
    if folder is None:
        assert names == ["hl7.fhir.r4.core", "hl7.fhir.us.core"]
    else:
        assert names == ["hl7.fhir.r4.core", "hl7.fhir.us.core", SHIPPED_PROFILES_LABEL]
        assert not [p for p in registry.problems if p.severity == "error"], registry.problems


def test_shipped_profiles_compile_cleanly() -> None:
    registry = default_registry()
    structures = registry.structures()
    errors = [p for p in registry.problems if p.severity == "error"]
    assert errors == [], errors
    for sd in structures:
        assert sd.elements and sd.elements[0].id == sd.elements[0].path


def test_problem_codes_are_in_the_catalog() -> None:
    from pcocheck.catalog import lookup
    from pcocheck.definitions import DefinitionProblem
    from pcocheck.definitions.model import _PROBLEM_CODES

    for code in set(_PROBLEM_CODES.values()):
        assert lookup(code).family == "FHIR-PROFILE"
    for (kind, severity), code in _PROBLEM_CODES.items():
        problem = DefinitionProblem("src", "msg", kind, severity or "error")
        assert problem.code == code or severity == ""
        if severity:
            assert lookup(code).severity.label == severity
    assert DefinitionProblem("s", "m", "missing-dependency", "warning").code == "FHIR-PROFILE-024"
    assert DefinitionProblem("s", "m", "something-new").code == "FHIR-PROFILE-027"


def test_implementation_guide_global_profiles() -> None:
    """R4 ImplementationGuide.global: each loaded guide's global profiles, per type; a
    global profile that is not loaded is a definition problem (warning), never ignored."""
    registry = DefinitionRegistry()
    guide = {
        "resourceType": "ImplementationGuide",
        "url": "http://example.org/fhir/ImplementationGuide/g",
        "global": [
            {"type": "Patient", "profile": "http://example.org/fhir/StructureDefinition/p"},
            {"type": "Observation", "profile": "http://example.org/fhir/StructureDefinition/o"},
        ],
    }
    registry.add_resource(guide)
    assert registry.global_profiles("Patient") == [
        (
            "http://example.org/fhir/StructureDefinition/p",
            "http://example.org/fhir/ImplementationGuide/g",
        )
    ]
    assert registry.global_profiles("Goal") == []
    missing = [p for p in registry.problems if p.kind == "missing-dependency"]
    assert len(missing) == 2 and all(p.severity == "warning" for p in missing)
