"""tools/build_r4core.py on a tiny synthetic package: the archive it writes is what
CoreArchive reads, and the build is reproducible."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from pcocheck.definitions import DefinitionRegistry
from pcocheck.definitions.core import CoreArchive
from tests.conftest import load_script

from .conftest import make_tgz

TOOL = Path(__file__).resolve().parents[2] / "tools" / "build_r4core.py"
BASE = "http://hl7.org/fhir/StructureDefinition/"


def _tool() -> ModuleType:
    return load_script(TOOL, "build_r4core")


def _package() -> bytes:
    thing = {
        "resourceType": "StructureDefinition",
        "id": "Thing",
        "url": BASE + "Thing",
        "version": "4.0.1",
        "name": "Thing",
        "kind": "resource",
        "abstract": False,
        "type": "Thing",
        "derivation": "specialization",
        "baseDefinition": BASE + "DomainResource",
        "text": {"status": "generated", "div": "<div>dropped</div>"},
        "snapshot": {
            "element": [
                {"id": "Thing", "path": "Thing", "min": 0, "max": "*", "definition": "dropped"},
                {
                    "id": "Thing.status",
                    "path": "Thing.status",
                    "min": 1,
                    "max": "1",
                    "type": [{"code": "code"}],
                    "binding": {
                        "strength": "required",
                        "valueSet": "http://hl7.org/fhir/ValueSet/thing-status|4.0.1",
                    },
                    "constraint": [
                        {"key": "thg-1", "severity": "error", "human": "h", "expression": "true",
                         "xpath": "dropped"}
                    ],
                },
            ]
        },
    }  # fmt: skip
    extension = {
        "resourceType": "StructureDefinition",
        "id": "thing-note",
        "url": BASE + "thing-note",
        "name": "ThingNote",
        "kind": "complex-type",
        "type": "Extension",
        "derivation": "constraint",
        "context": [{"type": "element", "expression": "Thing"}],
        "baseDefinition": BASE + "Extension",
        "snapshot": {"element": [{"id": "Extension", "path": "Extension"}]},
    }
    value_set = {
        "resourceType": "ValueSet",
        "id": "thing-status",
        "url": "http://hl7.org/fhir/ValueSet/thing-status",
        "version": "4.0.1",
        "compose": {"include": [{"system": "http://hl7.org/fhir/thing-status"}]},
    }
    code_system = {
        "resourceType": "CodeSystem",
        "id": "thing-status",
        "url": "http://hl7.org/fhir/thing-status",
        "content": "complete",
        "concept": [{"code": "on", "concept": [{"code": "very-on"}]}],
    }
    return make_tgz(
        {
            "package/package.json": {"name": "hl7.fhir.r4.core", "version": "4.0.1"},
            "package/StructureDefinition-Thing.json": thing,
            "package/StructureDefinition-thing-note.json": extension,
            "package/ValueSet-thing-status.json": value_set,
            "package/CodeSystem-thing-status.json": code_system,
            "package/SearchParameter-x.json": {"resourceType": "SearchParameter"},
        }
    )


def test_build_and_read_back(tmp_path: Path) -> None:
    source = tmp_path / "core.tgz"
    source.write_bytes(_package())
    tool = _tool()
    stats = tool.build(source, tmp_path / "one.zip")
    assert stats["structures"] == 2 and stats["value sets"] == 1 and stats["code systems"] == 1
    tool.build(source, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()

    core = CoreArchive(tmp_path / "one.zip")
    registry = DefinitionRegistry(core=core)
    assert registry.resource_types() == frozenset({"Thing"})
    thing = registry.structure("Thing")
    assert thing is not None and thing.package == "hl7.fhir.r4.core#4.0.1"
    status = thing.by_id["Thing.status"]
    assert status.binding is not None
    assert status.binding.value_set == "http://hl7.org/fhir/ValueSet/thing-status"
    assert status.constraints[0].key == "thg-1"
    note = registry.structure(BASE + "thing-note")
    assert note is not None and note.context == ("Thing",)
    assert registry.value_set("http://hl7.org/fhir/ValueSet/thing-status") is not None
    system = registry.code_system("http://hl7.org/fhir/thing-status")
    assert system is not None
    assert system["concept"][1] == {
        "code": "very-on",
        "property": [{"code": "parent", "valueCode": "on"}],
    }
    index = json.loads(core._zip.read("index.json"))
    assert index["types"] == {"Thing": BASE + "Thing"}
    assert "dropped" not in core._zip.read("sd/Thing.json").decode()
