"""Issue 14 items 4, 5 and 10 (definitions): hostile --profiles files and packages are a
configuration error (exit 2) naming the file, never a crash; big differentials stay linear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import pcocheck.definitions.packages as packages
from pcocheck.cli import app
from pcocheck.definitions import snapshot
from pcocheck.definitions.registry import default_registry
from tests.definitions.conftest import make_tgz, package_members
from tests.robustness.helpers import PATIENT, only, run_paths

DEEP = "[" * 50_000 + "]" * 50_000
RUNNER = CliRunner()


def _validate(tmp_path: Path, *options: str) -> tuple[int, str]:
    good = tmp_path / "good.json"
    good.write_text(PATIENT)
    result = RUNNER.invoke(app, ["validate", str(good), *options])
    return result.exit_code, result.output


def test_deep_json_in_a_profiles_folder_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "deep.json").write_text('{"resourceType": "StructureDefinition", "x": ' + DEEP + "}")
    code, output = _validate(tmp_path, "--profiles", str(folder))
    assert code == 2, output
    assert "deep.json" in output and "nesting" in output


@pytest.mark.parametrize("member", ["package/package.json", "package/StructureDefinition-x.json"])
def test_deep_json_in_a_package_is_exit_2_naming_it(tmp_path: Path, member: str) -> None:
    members = package_members(with_index=False)
    members[member] = DEEP
    archive = tmp_path / "p.tgz"
    archive.write_bytes(make_tgz(members))
    code, output = _validate(tmp_path, "--package", str(archive))
    assert code == 2, output
    assert "p.tgz" in output


def test_deep_package_index_falls_back_to_reading_files(tmp_path: Path) -> None:
    members = package_members(with_index=True)
    members["package/.index.json"] = DEEP
    archive = tmp_path / "p.tgz"
    archive.write_bytes(make_tgz(members))
    registry = default_registry()
    registry.add_package_tgz(str(archive))
    assert any(".index.json" in p.source and p.severity == "warning" for p in registry.problems)


def test_package_with_too_many_members_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packages, "MAX_MEMBERS", 50)
    members: dict[str, Any] = package_members()
    members.update({f"package/other/empty-{i}.txt": b"" for i in range(60)})
    archive = tmp_path / "p.tgz"
    archive.write_bytes(make_tgz(members))
    code, output = _validate(tmp_path, "--package", str(archive))
    assert code == 2 and "more than 50 members" in output, output


def _profile(elements: list[dict[str, Any]], url: str = "http://example.org/sd") -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "url": url,
        "name": "Hostile",
        "status": "active",
        "kind": "resource",
        "abstract": False,
        "type": "Observation",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def test_element_path_of_5000_segments_is_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    path = ".".join(["Observation"] + ["code"] * 5000)
    (folder / "long.json").write_text(json.dumps(_profile([{"id": path, "path": path}])))
    code, output = _validate(
        tmp_path, "--profiles", str(folder), "--profile", "http://example.org/sd"
    )
    assert code == 2, output
    assert "long.json" in output and "segments" in output


def test_thousands_of_slices_are_expanded_in_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    scanned = [0]
    run_end = snapshot._Snapshot._run_end

    def counting(self: Any, start: int, prefixes: tuple[str, ...]) -> int:
        end = run_end(self, start, prefixes)
        scanned[0] += end - start + 1
        return end

    monkeypatch.setattr(snapshot._Snapshot, "_run_end", counting)
    elements: list[dict[str, Any]] = [
        {
            "id": "Observation.component",
            "path": "Observation.component",
            "slicing": {"discriminator": [{"type": "pattern", "path": "code"}], "rules": "open"},
        }
    ]
    slices = 1500
    for i in range(slices):
        elements.append(
            {
                "id": f"Observation.component:s{i}",
                "path": "Observation.component",
                "sliceName": f"s{i}",
            }
        )
        elements.append(
            {
                "id": f"Observation.component:s{i}.code",
                "path": "Observation.component.code",
                "patternCodeableConcept": {"coding": [{"system": "http://x", "code": f"c{i}"}]},
            }
        )
    registry = default_registry()
    folder_file = Path(__file__).parent  # placeholder origin; the resource is added directly
    registry._register(_profile(elements), "test", str(folder_file / "slices.json"))
    structure = registry.structure("http://example.org/sd")
    assert structure is not None
    size = len(structure.elements)
    assert size > slices * 9
    # the old scans touched every element for every slice (~slices * size steps)
    assert scanned[0] < 20 * size, (scanned[0], size)


def test_cyclic_base_definition_is_reported_as_a_cycle(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    folder.mkdir()
    for name, base in (("a", "b"), ("b", "a")):
        profile = _profile([], url=f"http://example.org/{name}")
        profile["type"], profile["baseDefinition"] = "Patient", f"http://example.org/{base}"
        (folder / f"{name}.json").write_text(json.dumps(profile))
    claimed = tmp_path / "claimed.json"
    claimed.write_text(
        '{"resourceType": "Patient", "id": "c", "meta": {"profile": ["http://example.org/a"]}}'
    )
    result = run_paths(claimed, profile_dirs=(str(folder),))
    finding = only(result, "FHIR-PROFILE-001")
    assert "cycle" in finding.message and "not known" not in finding.message
    code, output = _validate(
        tmp_path, "--profiles", str(folder), "--profile", "http://example.org/a"
    )
    assert code == 2 and "cycle" in output


def test_dripping_package_registry_hits_the_overall_deadline(tmp_path: Path) -> None:
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pcocheck.definitions.model import DefinitionError

    class Drip(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)  # always within the read timeout
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(DefinitionError, match="took longer than 1 s"):
            packages.download_package("example.fhir.test", "0.1.0", tmp_path, url, timeout=0.2)
        assert not list(tmp_path.iterdir())  # nothing written to the cache
    finally:
        server.shutdown()
        server.server_close()
