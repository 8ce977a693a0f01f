"""Definitions from the command line: --profiles, --package FILE.tgz, --profile, and
`pcocheck profiles`; configuration mistakes exit 2 with one line."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from typer.testing import CliRunner

from pcocheck.cli import app
from tests.conftest import FIXTURES

RUNNER = CliRunner()
ENGINE = FIXTURES / "engine"
TEST_PROFILE = ENGINE / "profiles" / "StructureDefinition-pcocheck-test-observation.json"
FIXED_CASE = ENGINE / "custom-cases" / "fixed-mismatch.json"


def _codes(output: str) -> list[str]:
    return [issue["code"] for issue in json.loads(output)["issues"]]


def _package(tmp_path: Path) -> Path:
    path = tmp_path / "example.test-1.0.0.tgz"
    manifest = {
        "name": "example.test",
        "version": "1.0.0",
        "fhirVersions": ["4.0.1"],
        "dependencies": {"hl7.fhir.r4.core": "4.0.1"},
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (
            ("package/package.json", json.dumps(manifest).encode()),
            (f"package/{TEST_PROFILE.name}", TEST_PROFILE.read_bytes()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_profiles_folder_is_applied() -> None:
    without = RUNNER.invoke(app, ["validate", str(FIXED_CASE), "-f", "json"])
    assert "FHIR-FIXED-001" not in _codes(without.output)
    assert "FHIR-PROFILE-001" in _codes(without.output)  # claimed but unknown
    with_dir = RUNNER.invoke(
        app, ["validate", str(FIXED_CASE), "-f", "json", "--profiles", str(ENGINE / "profiles")]
    )
    assert "FHIR-FIXED-001" in _codes(with_dir.output)
    assert with_dir.exit_code == 1


def test_package_tgz_is_applied(tmp_path: Path) -> None:
    result = RUNNER.invoke(
        app, ["validate", str(FIXED_CASE), "-f", "json", "--package", str(_package(tmp_path))]
    )
    assert "FHIR-FIXED-001" in _codes(result.output)


def test_extra_profile_applies_to_resources_that_do_not_claim_it(tmp_path: Path) -> None:
    bundle = json.loads(FIXED_CASE.read_text(encoding="utf-8"))
    del bundle["entry"][0]["resource"]["meta"]
    path = tmp_path / "unclaimed.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    url = "http://example.org/fhir/StructureDefinition/pcocheck-test-observation"
    result = RUNNER.invoke(
        app,
        [
            "validate",
            str(path),
            "-f",
            "json",
            "--profiles",
            str(ENGINE / "profiles"),
            "--profile",
            url,
        ],
    )
    assert "FHIR-FIXED-001" in _codes(result.output)


def test_configuration_errors_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "defs"
    broken.mkdir()
    (broken / "StructureDefinition-broken.json").write_text("{not json", encoding="utf-8")
    cases = [
        ["--profiles", str(broken)],
        ["--profiles", str(tmp_path / "missing")],
        ["--profile", "http://example.org/fhir/StructureDefinition/nope"],
        ["--package", str(tmp_path / "missing.tgz")],
        ["--package", "hl7.fhir.us.pco"],
        ["--package", "example.never#1.0.0"],  # not cached, and fetching was not allowed
    ]
    for extra in cases:
        result = RUNNER.invoke(app, ["validate", str(FIXED_CASE), *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert "Traceback" not in result.output
        assert result.output.count("\n") == 1, result.output


def test_profiles_command_lists_what_is_loaded() -> None:
    result = RUNNER.invoke(app, ["profiles"])
    assert result.exit_code == 0
    for expected in (
        "hl7.fhir.r4.core",
        "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-goal-profile",
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal",
        "http://loinc.org/vs/LL6900-6",
        "http://hl7.org/fhir/us/pco/Questionnaire/44249-1",
    ):
        assert expected in result.output
