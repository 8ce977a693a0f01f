"""The compiled R4 core archive: contents, normalisation, laziness."""

from __future__ import annotations

import io
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from pcocheck.definitions import DefinitionError, DefinitionRegistry
from pcocheck.definitions.core import ARCHIVE_NAME, CoreArchive
from pcocheck.fhir_types import R4_RESOURCE_TYPES

GOAL = "http://hl7.org/fhir/StructureDefinition/Goal"


@pytest.fixture(scope="module")
def core() -> CoreArchive:
    return CoreArchive()


def test_archive_is_small_and_deflated() -> None:
    data = resources.files("pcocheck.data").joinpath(ARCHIVE_NAME).read_bytes()
    assert len(data) < 6 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert "index.json" in archive.namelist()
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
        # Few members keep the zip directory cheap to read at start-up.
        assert len(infos) < 500


def test_goal_by_name_url_and_version() -> None:
    registry = DefinitionRegistry()
    goal = registry.structure("Goal")
    assert goal is not None
    assert goal.url == GOAL and goal.kind == "resource" and goal.version == "4.0.1"
    assert goal.derivation == "specialization"
    assert goal.base_definition == "http://hl7.org/fhir/StructureDefinition/DomainResource"
    assert registry.structure(GOAL) is goal
    assert registry.structure(f"{GOAL}|4.0.1") is goal
    assert registry.structure(f"{GOAL}|3.0.2") is None
    assert registry.structure("NoSuchType") is None
    measure = goal.by_id["Goal.target.measure"]
    assert measure.path == "Goal.target.measure"
    assert [t.code for t in measure.types] == ["CodeableConcept"]
    assert measure.binding is not None and measure.binding.strength == "example"
    assert goal.by_id["Goal.lifecycleStatus"].min == 1
    assert goal.by_id["Goal.lifecycleStatus"].is_modifier
    assert [e.name for e in goal.children_of("Goal.target")] == [
        "id", "extension", "modifierExtension", "measure", "detail[x]", "due[x]",
    ]  # fmt: skip


def test_observation_invariants_carry_expressions() -> None:
    observation = DefinitionRegistry().structure("Observation")
    assert observation is not None
    constraints = {c.key: c for c in observation.root.constraints}
    obs6 = constraints["obs-6"]
    assert obs6.severity == "error"
    assert obs6.expression == "dataAbsentReason.empty() or value.empty()"
    assert "dataAbsentReason" in obs6.human
    assert constraints["dom-6"].severity == "warning"
    value = observation.by_id["Observation.value[x]"]
    assert value.is_choice and len(value.types) == 11
    status = observation.by_id["Observation.status"]
    assert status.binding is not None
    assert status.binding.strength == "required"
    assert status.binding.value_set == "http://hl7.org/fhir/ValueSet/observation-status"
    subject = observation.by_id["Observation.subject"]
    assert "http://hl7.org/fhir/StructureDefinition/Patient" in subject.types[0].target_profiles


def test_system_types_use_the_fhir_type_extension() -> None:
    registry = DefinitionRegistry()
    string = registry.structure("string")
    assert string is not None and string.kind == "primitive-type"
    value = string.by_id["string.value"]
    assert [t.code for t in value.types] == ["string"]
    assert value.regex == "[ \\r\\n\\t\\S]+"
    assert value.max_length == 1048576
    assert [t.code for t in string.by_id["string.id"].types] == ["string"]
    extension = registry.structure("Extension")
    assert extension is not None
    assert [t.code for t in extension.by_id["Extension.url"].types] == ["uri"]
    boolean = registry.structure("boolean")
    assert boolean is not None
    assert [t.code for t in boolean.by_id["boolean.value"].types] == ["boolean"]


def test_datatypes_and_core_profiles() -> None:
    registry = DefinitionRegistry()
    quantity = registry.structure("Quantity")
    assert quantity is not None
    assert "qty-3" in {c.key for c in quantity.root.constraints}
    simple = registry.structure("http://hl7.org/fhir/StructureDefinition/SimpleQuantity")
    assert simple is not None and simple.is_profile and simple.type == "Quantity"
    assert simple.by_id["Quantity.comparator"].max == "0"
    vitals = registry.structure("http://hl7.org/fhir/StructureDefinition/bp")
    assert vitals is not None
    assert vitals.by_id["Observation.component:SystolicBP"].slice_name == "SystolicBP"
    # Core extensions live in shared members; each is still found by its URL.
    data_absent = registry.structure("http://hl7.org/fhir/StructureDefinition/data-absent-reason")
    assert data_absent is not None and data_absent.type == "Extension"
    assert data_absent.context


def test_short_descriptions_are_truncated() -> None:
    goal = DefinitionRegistry().structure("Goal")
    assert goal is not None
    assert all(e.short is None or len(e.short) <= 80 for e in goal.elements)


def test_resource_types_match_r4(core: CoreArchive) -> None:
    registry = DefinitionRegistry()
    assert registry.resource_types() == R4_RESOURCE_TYPES
    assert registry.is_resource_type("Goal")
    assert not registry.is_resource_type("goal")
    assert not registry.is_resource_type("DomainResource")  # abstract
    assert not registry.is_resource_type("CodeableConcept")


def test_observation_status_value_set_and_codes() -> None:
    registry = DefinitionRegistry()
    value_set = registry.value_set("http://hl7.org/fhir/ValueSet/observation-status")
    assert value_set is not None
    assert value_set["resourceType"] == "ValueSet"
    assert value_set["compose"]["include"] == [{"system": "http://hl7.org/fhir/observation-status"}]
    assert registry.value_set("http://hl7.org/fhir/ValueSet/observation-status|4.0.1")
    assert registry.value_set("http://hl7.org/fhir/ValueSet/observation-status|9.9") is None
    system = registry.code_system("http://hl7.org/fhir/observation-status")
    assert system is not None and system["content"] == "complete"
    codes = {c["code"] for c in system["concept"]}
    assert {"registered", "preliminary", "final", "amended", "entered-in-error"} <= codes
    assert "text" not in system


def test_code_system_hierarchy_is_flattened_with_parents() -> None:
    registry = DefinitionRegistry()
    act_code = registry.code_system("http://terminology.hl7.org/CodeSystem/v3-ActCode")
    assert act_code is not None
    concepts = {c["code"]: c for c in act_code["concept"]}
    parents = [
        p["valueCode"] for p in concepts["ACCTRECEIVABLE"]["property"] if p["code"] == "parent"
    ]
    assert parents == ["_ActAccountCode"]
    assert all("concept" not in c for c in act_code["concept"])


def test_value_set_with_enumerated_concepts() -> None:
    registry = DefinitionRegistry()
    value_set = registry.value_set("http://hl7.org/fhir/ValueSet/quantity-comparator")
    assert value_set is not None
    system = registry.code_system("http://hl7.org/fhir/quantity-comparator")
    assert system is not None
    assert [c["code"] for c in system["concept"]] == ["<", "<=", ">=", ">"]


def test_members_load_lazily(core: CoreArchive) -> None:
    fresh = CoreArchive()
    fresh.structure("http://hl7.org/fhir/StructureDefinition/Goal")
    # The index and Goal's own member, nothing else.
    assert sorted(fresh._members) == ["index.json", "sd/Goal.json"]


def test_damaged_archive_is_a_definition_error(tmp_path: Path) -> None:
    broken = tmp_path / "r4core.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(DefinitionError, match="cannot be read"):
        CoreArchive(broken)
    with pytest.raises(DefinitionError):
        CoreArchive(tmp_path / "missing.zip")


def test_extensions_keep_context_and_context_invariant(core: CoreArchive) -> None:
    """R4 StructureDefinition.context and .contextInvariant survive the compilation."""
    unit = core.structure("http://hl7.org/fhir/StructureDefinition/questionnaire-unit")
    assert unit is not None
    assert unit.context == ("Questionnaire.item", "Questionnaire.item.item")
    assert unit.context_invariants == ("type='integer' or type='decimal'",)
    change_base = core.structure("http://hl7.org/fhir/StructureDefinition/list-changeBase")
    assert change_base is not None and change_base.context_invariants == ("mode = 'changes'",)


def test_search_parameters_are_kept(core: CoreArchive) -> None:
    """The R4 core SearchParameters' code, type and base (CapabilityStatement checks)."""
    found = core.search_parameter("http://hl7.org/fhir/SearchParameter/clinical-code")
    assert found is not None and found["type"] == "token" and found["code"] == "code"
    assert "Condition" in found["base"]
    assert core.search_parameter("http://example.org/SearchParameter/none") is None
