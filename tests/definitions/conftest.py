"""Fixtures for the definitions layer: small hand-written profiles and packages built
in memory. Nothing here touches the network or the real FHIR package cache."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcocheck.definitions import DefinitionRegistry

DATA = Path(__file__).resolve().parent / "data"
PROFILES = DATA / "profiles"
BROKEN = DATA / "broken"
EXAMPLE = "http://example.org/fhir/StructureDefinition/"


@pytest.fixture(autouse=True)
def isolated_package_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME (and so ~/.fhir/packages) at an empty temporary folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("FHIR_PACKAGE_CACHE", raising=False)
    yield home / ".fhir" / "packages"


@pytest.fixture
def registry() -> DefinitionRegistry:
    reg = DefinitionRegistry()
    reg.add_folder(PROFILES)
    return reg


def make_tgz(members: dict[str, Any], *, links: dict[str, str] | None = None) -> bytes:
    """A gzipped tar holding ``members`` (name -> bytes, str or JSON-able object)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            if isinstance(content, bytes):
                data = content
            elif isinstance(content, str):
                data = content.encode()
            else:
                data = json.dumps(content).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def package_members(
    name: str = "example.fhir.test",
    version: str = "0.1.0",
    dependencies: dict[str, str] | None = None,
    with_index: bool = True,
) -> dict[str, Any]:
    """A small valid package: one Goal profile (differential) and one ValueSet."""
    profile = {
        "resourceType": "StructureDefinition",
        "id": f"{name}-goal",
        "url": f"http://example.org/{name}/StructureDefinition/goal",
        "version": version,
        "name": "PackagedGoal",
        "status": "active",
        "kind": "resource",
        "abstract": False,
        "type": "Goal",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Goal",
        "derivation": "constraint",
        "differential": {
            "element": [{"id": "Goal.description.text", "path": "Goal.description.text", "min": 1}]
        },
    }
    value_set = {
        "resourceType": "ValueSet",
        "id": f"{name}-vs",
        "url": f"http://example.org/{name}/ValueSet/vs",
        "version": version,
        "name": "PackagedValueSet",
        "status": "active",
        "compose": {"include": [{"system": "http://loinc.org", "concept": [{"code": "1-8"}]}]},
    }
    members: dict[str, Any] = {
        "package/package.json": {
            "name": name,
            "version": version,
            "fhirVersions": ["4.0.1"],
            "dependencies": {"hl7.fhir.r4.core": "4.0.1", **(dependencies or {})},
        },
        "package/StructureDefinition-goal.json": profile,
        "package/ValueSet-vs.json": value_set,
        "package/example/Goal-example.json": {"resourceType": "Goal", "id": "example"},
    }
    if with_index:
        members["package/.index.json"] = {
            "index-version": 1,
            "files": [
                {
                    "filename": "StructureDefinition-goal.json",
                    "resourceType": "StructureDefinition",
                    "id": profile["id"],
                    "url": profile["url"],
                    "version": version,
                },
                {
                    "filename": "ValueSet-vs.json",
                    "resourceType": "ValueSet",
                    "id": value_set["id"],
                    "url": value_set["url"],
                    "version": version,
                },
            ],
        }
    return members
