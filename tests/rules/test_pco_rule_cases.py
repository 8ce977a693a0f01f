"""PCO clinical rules (pcocheck.rules), driven by data: each fixtures/rules/<case>/ holds its
input and an expected.json with exactly the findings the rules must report (code,
severity, FHIRPath location, sometimes the line and a part of the message). Cases whose
list is empty are the ones that must not trigger anything.

The cases are written by tests/rules/build_rule_fixtures.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pcocheck.catalog import catalog
from pcocheck.finding import Finding
from tests.rules.conftest import FIXTURES, case_views, run_rules

NOT_CASES = {"cases", "questionnaires"}  # fixtures of the runner-level rule tests
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in NOT_CASES)
RULES_SRC = Path(__file__).resolve().parents[2] / "src" / "pcocheck" / "rules"
CODE_LITERAL = re.compile(r'"(PCO-[A-Z]+-\d{3})"')
FAMILIES = ("PCO-GAS", "PCO-GOAL", "PCO-PROM", "PCO-QR", "PCO-STALE")


def _expected(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return data


def _findings(folder: Path) -> list[Finding]:
    return run_rules(case_views(folder))


def test_cases_exist() -> None:
    assert len(CASES) > 40
    for folder in CASES:
        assert (folder / "expected.json").is_file(), f"{folder.name} has no expected.json"


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_case_reports_exactly_the_expected_findings(folder: Path) -> None:
    expected = _expected(folder)["findings"]
    found = _findings(folder)
    got = Counter((f.code, f.severity.label, f.expression) for f in found)
    want = Counter((e["code"], e["severity"], e["expression"]) for e in expected)
    shown = [f"{f.code} {f.severity.label} {f.expression} | {f.message}" for f in found]
    assert got == want, "\n".join(shown)
    for entry in expected:
        matching = [
            f for f in found if (f.code, f.expression) == (entry["code"], entry["expression"])
        ]
        if "message_contains" in entry:
            assert any(entry["message_contains"] in f.message for f in matching), shown
        if "line" in entry:
            assert any(f.line == entry["line"] for f in matching), shown
        for finding in matching:
            assert finding.line is not None, "every finding is located in its file"


def test_every_emitted_code_is_documented_in_the_catalog() -> None:
    used = set()
    for path in RULES_SRC.glob("*.py"):
        used.update(CODE_LITERAL.findall(path.read_text(encoding="utf-8")))
    specs = catalog()
    assert used, "no codes found in the rules source"
    for code in sorted(used):
        assert code in specs, f"{code} is not in the catalog"
        spec = specs[code]
        assert spec.family in FAMILIES
        assert spec.family_file == f"{spec.family.lower()}.toml"
        for text in (spec.summary, spec.what, spec.why, spec.example, spec.fix):
            assert text.strip(), code


def test_every_pco_code_has_a_case_that_triggers_it() -> None:
    triggered: set[str] = set()
    for folder in CASES:
        triggered |= {e["code"] for e in _expected(folder)["findings"]}
    pco = {code for code in catalog() if code.startswith(FAMILIES)}
    assert pco - triggered == set(), "codes without a case that triggers them"


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_every_case_is_documented(folder: Path) -> None:
    assert _expected(folder)["description"].strip()


def test_findings_carry_the_claimed_pco_profile() -> None:
    found = _findings(FIXTURES / "gas-level-not-defined")
    (score,) = [f for f in found if f.code == "PCO-GAS-005"]
    assert (
        score.profile == "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-score-observation"
    )


def test_every_pco_code_has_a_near_miss_that_stays_silent() -> None:
    covered: set[str] = set()
    for folder in CASES:
        expected = _expected(folder)
        silent = set(expected.get("must_not_trigger", []))
        assert not silent & {e["code"] for e in expected["findings"]}, folder.name
        covered |= silent
    pco = {code for code in catalog() if code.startswith(FAMILIES)}
    missing = pco - covered
    assert missing == set(), f"codes without a must-not-trigger case: {sorted(missing)}"
