"""FHIR NPM packages: safe .tgz reading, dependencies, the cache, downloads from a local
registry served on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from pcocheck.definitions import DefinitionError, DefinitionRegistry
from pcocheck.definitions.packages import UnsafePackage, check_member_name

from .conftest import make_tgz, package_members

GOAL_URL = "http://example.org/example.fhir.test/StructureDefinition/goal"
VS_URL = "http://example.org/example.fhir.test/ValueSet/vs"


def _write(tmp_path: Path, data: bytes, name: str = "package.tgz") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("with_index", [True, False])
def test_package_tgz_loads(tmp_path: Path, with_index: bool) -> None:
    path = _write(tmp_path, make_tgz(package_members(with_index=with_index)))
    registry = DefinitionRegistry()
    info = registry.add_package_tgz(path)
    assert info is not None
    assert (info.name, info.version, info.resources) == ("example.fhir.test", "0.1.0", 2)
    assert info.dependencies == {"hl7.fhir.r4.core": "4.0.1"}
    goal = registry.structure(GOAL_URL)
    assert goal is not None and goal.package == "example.fhir.test#0.1.0"
    # The differential reached into a datatype: Goal.description is a CodeableConcept.
    assert goal.by_id["Goal.description.text"].min == 1
    assert registry.value_set(VS_URL) is not None
    assert registry.problems == []


def test_official_snapshots_are_used_as_is(tmp_path: Path) -> None:
    members = package_members(with_index=False)
    profile = members["package/StructureDefinition-goal.json"]
    profile["snapshot"] = {
        "element": [
            {"id": "Goal", "path": "Goal", "min": 0, "max": "*"},
            {
                "id": "Goal.note",
                "path": "Goal.note",
                "min": 0,
                "max": "0",
                "type": [{"code": "Annotation"}],
            },
        ]
    }
    registry = DefinitionRegistry()
    registry.add_package_tgz(_write(tmp_path, make_tgz(members)))
    goal = registry.structure(GOAL_URL)
    assert goal is not None
    assert [e.id for e in goal.elements] == ["Goal", "Goal.note"]  # not regenerated


@pytest.mark.parametrize(
    "evil",
    ["package/../../evil.json", "../evil.json", "/etc/evil.json", "package\\..\\evil.json"],
)
def test_traversal_rejects_the_whole_package(tmp_path: Path, evil: str) -> None:
    members = package_members()
    members[evil] = {"resourceType": "ValueSet", "url": "http://evil"}
    path = _write(tmp_path, make_tgz(members))
    before = _listing(tmp_path)
    registry = DefinitionRegistry()
    assert registry.add_package_tgz(path) is None
    assert registry.structure(GOAL_URL) is None
    problems = registry.problems
    assert len(problems) == 1
    assert problems[0].kind == "unsafe-path" and problems[0].severity == "error"
    assert repr(evil) in problems[0].message
    assert _listing(tmp_path) == before  # nothing was extracted anywhere


def test_links_are_rejected(tmp_path: Path) -> None:
    data = make_tgz(package_members(), links={"package/link.json": "/etc/passwd"})
    registry = DefinitionRegistry()
    assert registry.add_package_tgz(_write(tmp_path, data)) is None
    assert "link" in registry.problems[0].message


def test_member_names() -> None:
    assert check_member_name("package/./a.json") == ["package", "a.json"]
    for bad in ("/abs", "C:/x", "a/../../b", "a\\b"):
        with pytest.raises(UnsafePackage):
            check_member_name(bad)


def test_members_outside_package_are_ignored_with_a_warning(tmp_path: Path) -> None:
    members = package_members()
    members["other/readme.json"] = {"resourceType": "ValueSet", "url": "http://outside"}
    registry = DefinitionRegistry()
    info = registry.add_package_tgz(_write(tmp_path, make_tgz(members)))
    assert info is not None
    assert registry.value_set("http://outside") is None
    assert registry.structure(GOAL_URL) is not None
    [problem] = registry.problems
    assert problem.severity == "warning" and "other/readme.json" in problem.message


def test_corrupt_and_non_package_archives(tmp_path: Path) -> None:
    registry = DefinitionRegistry()
    assert registry.add_package_tgz(_write(tmp_path, b"\x1f\x8b garbage", "bad.tgz")) is None
    no_manifest = make_tgz({"package/ValueSet-x.json": {"resourceType": "ValueSet"}})
    assert registry.add_package_tgz(_write(tmp_path, no_manifest, "nomanifest.tgz")) is None
    kinds = [(p.kind, Path(p.source).name) for p in registry.problems]
    assert kinds == [("unreadable", "bad.tgz"), ("unsafe-path", "nomanifest.tgz")]
    assert "package.json" in registry.problems[1].message
    with pytest.raises(DefinitionError, match="does not exist"):
        registry.add_package_tgz(tmp_path / "missing.tgz")


def test_broken_member_json_is_a_problem_when_used(tmp_path: Path) -> None:
    members = package_members()
    members["package/ValueSet-vs.json"] = "{ broken"
    registry = DefinitionRegistry()
    registry.add_package_tgz(_write(tmp_path, make_tgz(members)))
    assert registry.value_set(VS_URL) is None
    assert [p.kind for p in registry.problems] == ["bad-json"]


def test_missing_dependency_is_reported(tmp_path: Path) -> None:
    members = package_members(dependencies={"hl7.fhir.us.core": "6.1.0"})
    registry = DefinitionRegistry()
    registry.add_package_tgz(_write(tmp_path, make_tgz(members)))
    [problem] = registry.problems
    assert problem.kind == "missing-dependency" and problem.severity == "warning"
    assert "hl7.fhir.us.core#6.1.0" in problem.message


def test_dependency_added_later_satisfies_it(tmp_path: Path) -> None:
    registry = DefinitionRegistry()
    dependent = package_members(dependencies={"example.fhir.base": "1.0.0"})
    registry.add_package_tgz(_write(tmp_path, make_tgz(dependent), "a.tgz"))
    base = package_members(name="example.fhir.base", version="1.0.0")
    registry.add_package_tgz(_write(tmp_path, make_tgz(base), "b.tgz"))
    assert registry.problems == []


def test_dependency_is_loaded_from_the_cache(tmp_path: Path, isolated_package_cache: Path) -> None:
    cached = isolated_package_cache / "example.fhir.base#1.0.0" / "package"
    cached.mkdir(parents=True)
    for name, content in package_members(name="example.fhir.base", version="1.0.0").items():
        if name.count("/") == 1:
            target = cached / name.split("/", 1)[1]
            target.write_text(content if isinstance(content, str) else json.dumps(content))
    registry = DefinitionRegistry()
    dependent = package_members(dependencies={"example.fhir.base": "1.0.0"})
    registry.add_package_tgz(_write(tmp_path, make_tgz(dependent)))
    assert [p.name for p in registry.packages()] == [
        "hl7.fhir.r4.core", "example.fhir.test", "example.fhir.base",
    ]  # fmt: skip
    assert registry.structure("http://example.org/example.fhir.base/StructureDefinition/goal")
    assert registry.problems == []


def test_uncached_package_is_a_configuration_error() -> None:
    registry = DefinitionRegistry()
    with pytest.raises(DefinitionError, match="not in the FHIR package cache"):
        registry.add_cached_package("hl7.fhir.us.pco", "1.0.0")
    with pytest.raises(DefinitionError, match="not a valid FHIR package id"):
        registry.add_cached_package("../etc", "1.0.0")
    with pytest.raises(DefinitionError, match="neither a package file nor id#version"):
        registry.add_package("hl7.fhir.us.pco")


def test_offline_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network used without being asked")

    monkeypatch.setattr(requests.Session, "request", no_network)
    registry = DefinitionRegistry()
    with pytest.raises(DefinitionError, match="not in the FHIR package cache"):
        registry.add_package("hl7.fhir.us.pco#1.0.0")
    with pytest.raises(DefinitionError, match="not in the FHIR package cache"):
        registry.add_package("hl7.fhir.us.pco", "1.0.0", registry_url="http://127.0.0.1:9")


def test_package_cache_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(cache))
    registry = DefinitionRegistry()
    with pytest.raises(DefinitionError, match=re.escape(str(cache))):
        registry.add_cached_package("x.y", "1.0.0")


class _Registry(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/tar+gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_registry() -> Iterator[tuple[str, dict[str, bytes]]]:
    routes: ClassVar[dict[str, bytes]] = {}
    handler = type("Handler", (_Registry,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_from_a_local_registry_into_the_cache(
    local_registry: tuple[str, dict[str, bytes]], isolated_package_cache: Path
) -> None:
    url, routes = local_registry
    routes["/example.fhir.test/0.1.0"] = make_tgz(package_members())
    registry = DefinitionRegistry()
    info = registry.fetch_package("example.fhir.test", "0.1.0", registry_url=url)
    assert (info.name, info.version) == ("example.fhir.test", "0.1.0")
    folder = isolated_package_cache / "example.fhir.test#0.1.0" / "package"
    assert (folder / "package.json").is_file()
    assert (folder / "example" / "Goal-example.json").is_file()
    assert _listing(isolated_package_cache) == [
        "example.fhir.test#0.1.0",
        "example.fhir.test#0.1.0/package",
        "example.fhir.test#0.1.0/package/.index.json",
        "example.fhir.test#0.1.0/package/StructureDefinition-goal.json",
        "example.fhir.test#0.1.0/package/ValueSet-vs.json",
        "example.fhir.test#0.1.0/package/example",
        "example.fhir.test#0.1.0/package/example/Goal-example.json",
        "example.fhir.test#0.1.0/package/package.json",
    ]
    assert registry.structure(GOAL_URL) is not None
    # Cached now: a second registry loads it offline, also through add_package(fetch=True).
    routes.clear()
    again = DefinitionRegistry()
    assert again.add_package("example.fhir.test#0.1.0", fetch=True, registry_url=url)
    assert again.structure(GOAL_URL) is not None
    assert DefinitionRegistry().add_package("example.fhir.test", "0.1.0")


def test_fetch_errors_are_definition_errors(
    local_registry: tuple[str, dict[str, bytes]], isolated_package_cache: Path
) -> None:
    url, routes = local_registry
    registry = DefinitionRegistry()
    with pytest.raises(DefinitionError, match="not found"):
        registry.fetch_package("example.fhir.test", "0.1.0", registry_url=url)
    evil = package_members()
    evil["package/../../../escape.json"] = "{}"
    routes["/example.fhir.test/0.1.0"] = make_tgz(evil)
    with pytest.raises(DefinitionError, match="refusing"):
        registry.fetch_package("example.fhir.test", "0.1.0", registry_url=url)
    routes["/example.fhir.test/0.2.0"] = make_tgz(package_members())  # says 0.1.0 inside
    with pytest.raises(DefinitionError, match=re.escape("returned example.fhir.test#0.1.0")):
        registry.fetch_package("example.fhir.test", "0.2.0", registry_url=url)
    routes["/example.fhir.test/0.3.0"] = b"<html>not a package</html>"
    with pytest.raises(DefinitionError, match="readable package"):
        registry.fetch_package("example.fhir.test", "0.3.0", registry_url=url)
    assert not isolated_package_cache.exists() or _listing(isolated_package_cache) == []


def test_unreachable_registry(isolated_package_cache: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registry = DefinitionRegistry()
    with pytest.raises(DefinitionError, match="cannot download"):
        registry.fetch_package(
            "example.fhir.test", "0.1.0", registry_url=f"http://127.0.0.1:{port}"
        )
