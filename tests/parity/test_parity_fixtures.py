"""Agreement with the HL7 reference validator, one fixture pair per behaviour.

``fixtures/parity/expected.json`` maps each fixture in ``fixtures/parity/cases`` to the
FHIR rule it follows (``rule``), the run options it needs (``options``, RunConfig fields),
the findings it must produce (``expect``: code and severity, optionally the expression)
and the codes it must not produce (``absent``; ``"error"`` means no error or fatal finding
at all). Each behaviour has one fixture that triggers it and one that must not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

PARITY = FIXTURES / "parity"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (PARITY / "expected.json").read_text(encoding="utf-8")
)


def _run(name: str) -> list[Finding]:
    spec = EXPECTED[name]
    options = dict(spec.get("options", {}))
    for key, value in options.items():
        if isinstance(value, list):
            options[key] = tuple(value)
    if "profile_dirs" in options:  # definitions the case needs, relative to fixtures/parity
        options["profile_dirs"] = tuple(str(PARITY / d) for d in options["profile_dirs"])
    path = PARITY / "cases" / spec.get("file", f"{name}.json")
    return validate_config(RunConfig(paths=(str(path),), **options)).sorted_findings()


def test_every_fixture_has_expectations() -> None:
    files = {p.name for p in (PARITY / "cases").iterdir()}
    named = {spec.get("file", f"{name}.json") for name, spec in EXPECTED.items()}
    assert files == named
    for name, spec in EXPECTED.items():
        assert spec.get("rule"), f"{name} must name the FHIR rule it follows"
        assert spec.get("expect") or spec.get("absent"), f"{name} asserts nothing"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parity_case(name: str) -> None:
    spec = EXPECTED[name]
    findings = _run(name)
    shown = [(f.code, f.severity.label, f.expression, f.message) for f in findings]
    for wanted in spec.get("expect", []):
        hits = [
            f
            for f in findings
            if f.code == wanted["code"]
            and f.severity.label == wanted["severity"]
            and ("expression" not in wanted or f.expression == wanted["expression"])
            and ("message" not in wanted or wanted["message"] in f.message)
        ]
        assert hits, f"{name}: expected {wanted}, got {shown}"
    for unwanted in spec.get("absent", []):
        if unwanted == "error":
            bad = [s for s in shown if s[1] in ("error", "fatal")]
        elif isinstance(unwanted, str):
            bad = [s for s in shown if s[0] == unwanted]
        else:  # {"code": ..., "message": part of the message}
            bad = [s for s in shown if s[0] == unwanted["code"] and unwanted["message"] in s[3]]
        assert bad == [], f"{name}: must not report {unwanted}: {bad}"


def test_string_longer_than_one_mib_is_an_error(tmp_path: Path) -> None:
    """R4 datatypes.html: strings SHALL NOT exceed 1 MB (generated here: too big to ship)."""
    resource = {"resourceType": "Basic", "id": "b1", "code": {"text": "x" * (1024 * 1024 + 1)}}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(resource), encoding="utf-8")
    findings = validate_config(RunConfig(paths=(str(path),))).sorted_findings()
    assert [f.expression for f in findings if f.code == "FHIR-STRUCT-045"] == ["Basic.code.text"]
    resource["code"] = {"text": "x" * (1024 * 1024)}
    path.write_text(json.dumps(resource), encoding="utf-8")
    findings = validate_config(RunConfig(paths=(str(path),))).sorted_findings()
    assert [f for f in findings if f.code == "FHIR-STRUCT-045"] == []
