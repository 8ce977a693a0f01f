"""tools/build_uscore.py on a tiny synthetic IG package: the archive it writes is what
UsCoreArchive reads (profiles with their snapshots, elements shared with the R4 core,
terminology, search parameters, CapabilityStatements), the build is reproducible, and
--examples copies the examples unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

from pcocheck.definitions import DefinitionRegistry
from pcocheck.definitions.registry import shared_core
from pcocheck.definitions.uscore import UsCoreArchive
from tests.conftest import load_script

from .conftest import make_tgz

TOOL = Path(__file__).resolve().parents[2] / "tools" / "build_uscore.py"
EX = "http://example.org/fhir/"
BASE = "http://hl7.org/fhir/StructureDefinition/"


def _tool() -> ModuleType:
    return load_script(TOOL, "build_uscore")


def _raw(compact: dict[str, Any]) -> dict[str, Any]:
    """A compact core element back in FHIR ElementDefinition form (what a package has)."""
    raw: dict[str, Any] = {"id": compact["id"], "path": compact.get("path", compact["id"])}
    raw["min"], raw["max"] = compact.get("min", 0), compact.get("max", "*")
    types = []
    for entry in compact.get("types", ()):
        if isinstance(entry, str):
            types.append({"code": entry})
        else:
            types.append(
                {"code": entry["code"]}
                | ({"profile": entry["profiles"]} if "profiles" in entry else {})
                | ({"targetProfile": entry["targets"]} if "targets" in entry else {})
            )
    if "regex" in compact and types:
        types[0]["extension"] = [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/regex",
                "valueString": compact["regex"],
            }
        ]
    if types:
        raw["type"] = types
    if "constraints" in compact:
        raw["constraint"] = compact["constraints"]
    for key in ("binding", "short", "isModifier", "mustSupport", "maxLength", "contentReference"):
        if key in compact:
            raw[key] = compact[key]
    return raw


def _package() -> bytes:
    core = shared_core()
    url = core.type_url("Goal")
    assert url is not None
    # a profile whose snapshot is the R4 core Goal with lifecycleStatus fixed to active
    snapshot = [_raw(e) for e in core._read(core.index["structures"][url])[url]["elements"]]
    goal = {
        "resourceType": "StructureDefinition",
        "id": "my-goal",
        "url": EX + "StructureDefinition/my-goal",
        "version": "1.2.3",
        "name": "MyGoal",
        "kind": "resource",
        "type": "Goal",
        "derivation": "constraint",
        "baseDefinition": BASE + "Goal",
        "text": {"status": "generated", "div": "<div>dropped</div>"},
        "snapshot": {"element": snapshot},
        "differential": {
            "element": [
                {"id": "Goal.lifecycleStatus", "path": "Goal.lifecycleStatus",
                 "fixedCode": "active", "definition": "dropped"}
            ]
        },
    }  # fmt: skip
    for raw in snapshot:
        if raw["id"] == "Goal.lifecycleStatus":
            raw["fixedCode"] = "active"
    search = {
        "resourceType": "SearchParameter",
        "id": "my-goal-status",
        "url": EX + "SearchParameter/my-goal-status",
        "code": "status",
        "base": ["Goal"],
        "type": "token",
        "text": {"status": "generated", "div": "<div>dropped</div>"},
    }
    server = {
        "resourceType": "CapabilityStatement",
        "id": "my-server",
        "url": EX + "CapabilityStatement/my-server",
        "rest": [{"mode": "server", "resource": [{"type": "Goal"}]}],
    }
    value_set = {
        "resourceType": "ValueSet",
        "url": EX + "ValueSet/v",
        "compose": {"include": [{"system": EX + "CodeSystem/c"}]},
    }
    code_system = {
        "resourceType": "CodeSystem",
        "url": EX + "CodeSystem/c",
        "content": "complete",
        "concept": [{"code": "a"}],
    }
    return make_tgz(
        {
            "package/package.json": {
                "name": "example.ig",
                "version": "1.2.3",
                "license": "CC0-1.0",
                "date": "20230629124228",
                "dependencies": {"hl7.fhir.r4.core": "4.0.1", "hl7.fhir.uv.sdc": "3.0.0"},
            },
            "package/StructureDefinition-my-goal.json": goal,
            "package/SearchParameter-my-goal-status.json": search,
            "package/CapabilityStatement-my-server.json": server,
            "package/ValueSet-v.json": value_set,
            "package/CodeSystem-c.json": code_system,
            "package/ImplementationGuide-x.json": {"resourceType": "ImplementationGuide"},
            "package/example/Goal-g1.json": {"resourceType": "Goal", "id": "g1"},
        }
    )


def test_build_read_back_and_examples(tmp_path: Path) -> None:
    source = tmp_path / "ig.tgz"
    source.write_bytes(_package())
    tool = _tool()
    stats = tool.build(source, tmp_path / "one.zip")
    assert (stats["structures"], stats["value sets"], stats["code systems"]) == (1, 1, 1)
    assert (stats["search parameters"], stats["capability statements"]) == (1, 1)
    assert stats["not compiled (other resource types)"] == 1
    # every element but the fixed one is the core's own
    core_goal = DefinitionRegistry().structure("Goal")
    assert core_goal is not None
    assert stats["elements shared with the R4 core"] == len(core_goal.elements) - 1
    tool.build(source, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()

    archive = UsCoreArchive(tmp_path / "one.zip")
    assert archive.index["source"]["file"] == "ig.tgz"
    assert archive.dependencies["hl7.fhir.uv.sdc"] == "3.0.0"
    registry = DefinitionRegistry()
    info = registry.add_archive(archive)
    assert (info.name, info.version) == ("example.ig", "1.2.3")
    goal = registry.structure(EX + "StructureDefinition/my-goal")
    assert goal is not None and goal.package == "example.ig#1.2.3"
    assert goal.by_id["Goal.lifecycleStatus"].fixed == ("Code", "active")
    assert goal.by_id["Goal.subject"] is core_goal.by_id["Goal.subject"]  # shared
    assert [e.id for e in goal.elements] == [e.id for e in core_goal.elements]
    assert archive.differential(goal.url) == [
        {"id": "Goal.lifecycleStatus", "path": "Goal.lifecycleStatus", "fixedCode": "active"}
    ]
    assert registry.value_set(EX + "ValueSet/v") is not None
    assert registry.code_system(EX + "CodeSystem/c") is not None
    parameter = archive.search_parameter(EX + "SearchParameter/my-goal-status")
    assert parameter is not None and "text" not in parameter and parameter["base"] == ["Goal"]
    server = archive.capability_statement(EX + "CapabilityStatement/my-server")
    assert server is not None and server["rest"][0]["mode"] == "server"
    assert "dropped" not in archive._zip.read("sd/my-goal.json").decode()
    assert registry.unavailable_dependency("http://hl7.org/fhir/uv/sdc/StructureDefinition/x")

    copied = tool.copy_examples(source, tmp_path / "examples")
    assert copied == 1
    assert json.loads((tmp_path / "examples" / "Goal-g1.json").read_text()) == {
        "resourceType": "Goal",
        "id": "g1",
    }
