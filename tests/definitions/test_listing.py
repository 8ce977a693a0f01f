"""`pcocheck profiles` names every source with its version and origin, and what the
shipped US Core leaves to packages pcocheck does not carry."""

from __future__ import annotations

import io

from typer.testing import CliRunner

from pcocheck.cli import app
from pcocheck.definitions import default_registry
from pcocheck.reporting.definitions import render_definitions

US_CORE = "http://hl7.org/fhir/us/core/"


def _listing() -> str:
    stream = io.StringIO()
    render_definitions(default_registry(), stream)
    return stream.getvalue()


def test_us_core_is_listed_as_a_package_with_version_and_source() -> None:
    lines = _listing().splitlines()
    packages = lines[1 : lines.index("")]
    names = [line.split()[0] for line in packages if not line.startswith("    ")]
    assert names == ["hl7.fhir.r4.core#4.0.1", "hl7.fhir.us.core#6.1.0", "pcocheck:profiles"]
    us_core = next(line for line in packages if "hl7.fhir.us.core#6.1.0" in line)
    for expected in (
        "59 StructureDefinitions, 36 ValueSets, 5 CodeSystems, 106 SearchParameters, "
        "2 CapabilityStatements",
        "builtin: pcocheck/data/uscore.zip",
        "tools/build_uscore.py",
        "official package hl7.fhir.us.core-6.1.0.tgz (built 2023-06-29)",
        "sha256 4c4e7fbb07ef2fdb35bdfc3f5d09a417ee0d8644ea17cb3692ca6d03c4358b1d",
        "CC0-1.0",
    ):
        assert expected in us_core
    not_shipped = packages[packages.index(us_core) + 1]
    assert "not available offline" in not_shipped
    for dependency in ("hl7.fhir.uv.sdc#3.0.0", "us.nlm.vsac#0.10.0", "hl7.terminology.r4#5.0.0"):
        assert dependency in not_shipped
    assert "hl7.fhir.r4.core" not in not_shipped  # that one is loaded


def test_us_core_definitions_are_listed_with_their_package() -> None:
    text = _listing()
    assert (
        f"{US_CORE}StructureDefinition/us-core-genderIdentity|6.1.0  extension of Extension" in text
    )
    assert (
        f"{US_CORE}StructureDefinition/us-core-observation-lab|6.1.0  profile of Observation"
        in (text)
    )
    assert f"{US_CORE}ValueSet/us-core-narrative-status|6.1.0  [hl7.fhir.us.core#6.1.0]" in text
    # each canonical once, even where profiles/ and the archive could both define it
    urls = [line.split()[0] for line in text.splitlines() if line.startswith("  http")]
    assert len(urls) == len(set(urls))


def test_cli_profiles_lists_us_core() -> None:
    result = CliRunner().invoke(app, ["profiles"])
    assert result.exit_code == 0
    assert "hl7.fhir.us.core#6.1.0" in result.output
    assert f"{US_CORE}StructureDefinition/us-core-careteam|6.1.0" in result.output
