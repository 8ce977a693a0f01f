"""PCO clinical rules, driven by data: each case is a valid journey broken in one way;
the findings it adds over its journey must be exactly the expected ones. The valid
journeys and the re-created IG examples are the cases that must not trigger them.

Regenerate the cases with tools/make_rule_fixtures.py; after reviewing a deliberate
change, ``pytest --update-goldens`` rewrites fixtures/rules/cases-expected.json.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from pcocheck.catalog import catalog
from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

RULES = FIXTURES / "rules"
INDEX: dict[str, dict[str, str]] = json.loads((RULES / "cases.json").read_text(encoding="utf-8"))
EXPECTED_FILE = RULES / "cases-expected.json"
# Codes proven by dedicated tests instead of a journey case (see test_questionnaire_rules).
COVERED_ELSEWHERE = {"PCO-QR-008"}
# Emitted only by pcocheck.rules so far; its cases are in fixtures/rules/<case>/ (see
# tests/rules/test_pco_rule_cases.py).
COVERED_ELSEWHERE |= {"PCO-PROM-013", "PCO-GAS-040", "PCO-PROM-040"}


def _key(finding: Finding) -> tuple[str, str | None, str]:
    return (finding.code, finding.expression, finding.message)


def _findings(path: Path) -> list[Finding]:
    return validate_config(RunConfig(paths=(str(path),))).sorted_findings()


@cache
def _base(relative: str) -> frozenset[tuple[str, str | None, str]]:
    return frozenset(_key(f) for f in _findings(FIXTURES / relative))


def _added(name: str) -> list[dict[str, object]]:
    base = _base(INDEX[name]["base"])
    return [
        {"code": f.code, "severity": f.severity.label, "expression": f.expression, "line": f.line}
        for f in _findings(RULES / "cases" / f"{name}.json")
        if _key(f) not in base
    ]


@pytest.mark.parametrize(
    # The IG examples as single-resource files; the folder's Bundle repeats the same
    # resources, which would make every cross-file reference ambiguous.
    "path",
    ["journeys/gas-goal-journey.json", "journeys/prom-journey.json", "ig-examples/[A-Z]*.json"],
)
def test_valid_content_triggers_no_pco_warning_or_error(path: str) -> None:
    findings = _findings(FIXTURES / path)
    serious = [
        f"{f.code}: {f.message}"
        for f in findings
        if f.code.startswith("PCO-") and f.severity.label != "information"
    ]
    assert serious == []


def test_ig_example_oddity_is_information_not_error() -> None:
    """STU1's PROM goal targets < 10 and its follow-up is exactly 10 (facts §9.4)."""
    findings = _findings(FIXTURES / "ig-examples" / "bundle-ig-examples.json")
    notes = [f for f in findings if f.code == "PCO-PROM-012"]
    assert [f.severity.label for f in notes] == ["information"]
    assert "score 10" in notes[0].message
    assert "does not meet the target < 10" in notes[0].message


def test_every_case_has_expectations(update_goldens: bool) -> None:
    if update_goldens:
        expected = {name: _added(name) for name in sorted(INDEX)}
        EXPECTED_FILE.write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    assert sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))) == sorted(INDEX)


@pytest.mark.parametrize("name", sorted(INDEX))
def test_case_adds_exactly_the_expected_findings(name: str) -> None:
    expected = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))[name]
    assert _added(name) == expected
    assert any(str(e["code"]).startswith("PCO-") for e in expected), name


def test_every_pco_rule_has_a_triggering_case() -> None:
    expected = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    triggered = {str(f["code"]) for findings in expected.values() for f in findings}
    pco_codes = {code for code in catalog() if code.startswith("PCO-")}
    assert pco_codes - triggered - COVERED_ELSEWHERE == set()
