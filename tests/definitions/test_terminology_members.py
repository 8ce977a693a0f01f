"""Large terminology resources get an archive member of their own, so that a run that
needs a small code system (or value set) never parses a large one sharing its member
(tools/build_r4core.py, OWN_MEMBER_BYTES). Sizes, not times: see tests/test_startup.py."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from types import ModuleType

from pcocheck.definitions import DefinitionRegistry
from pcocheck.definitions.core import CoreArchive
from tests.conftest import load_script

from .conftest import make_tgz

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "build_r4core.py"
SHIPPED = ROOT / "src" / "pcocheck" / "data" / "r4core.zip"


def _tool() -> ModuleType:
    return load_script(TOOL, "build_r4core_members")


def _code_system(name: str, concepts: int) -> dict[str, object]:
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": f"http://example.org/CodeSystem/{name}",
        "content": "complete",
        "concept": [{"code": f"c{n}", "display": f"concept number {n}"} for n in range(concepts)],
    }


def test_a_large_code_system_is_a_member_of_its_own(tmp_path: Path) -> None:
    tool = _tool()
    source = tmp_path / "core.tgz"
    source.write_bytes(
        make_tgz(
            {
                "package/package.json": {"name": "hl7.fhir.r4.core", "version": "4.0.1"},
                "package/CodeSystem-big.json": _code_system("big", 400),
                "package/CodeSystem-small.json": _code_system("small", 3),
            }
        )
    )
    tool.build(source, tmp_path / "core.zip")
    core = CoreArchive(tmp_path / "core.zip")
    members = core.index["codeSystems"]
    big = members["http://example.org/CodeSystem/big"]
    small = members["http://example.org/CodeSystem/small"]
    assert big != small
    assert list(json.loads(core._zip.read(big))) == ["http://example.org/CodeSystem/big"]
    assert len(small) == len("cs/00.json")  # a shared, hashed member
    registry = DefinitionRegistry(core=core)
    found = registry.code_system("http://example.org/CodeSystem/small")
    assert found is not None and len(found["concept"]) == 3
    found = registry.code_system("http://example.org/CodeSystem/big")
    assert found is not None and len(found["concept"]) == 400


def test_shipped_terminology_members_stay_small_when_shared() -> None:
    """In the shipped archive, a member holding several terminology resources holds only
    small ones (rebuild with tools/build_r4core.py when this fails)."""
    limit = _tool().OWN_MEMBER_BYTES
    with zipfile.ZipFile(SHIPPED) as archive:
        for name in archive.namelist():
            if not name.startswith(("cs/", "vs/")):
                continue
            content = json.loads(archive.read(name))
            if len(content) == 1:
                continue
            sizes = {
                url: len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode())
                for url, item in content.items()
            }
            too_large = [url for url, size in sizes.items() if size > limit]
            assert too_large == [], name
