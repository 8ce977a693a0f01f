"""Each engine fixture is the valid GAS journey broken in exactly one way: the findings
it adds over the valid journey must be exactly the expected ones.

Regenerate the cases with tools/make_engine_fixtures.py; after reviewing a deliberate
change, ``pytest --update-goldens`` rewrites fixtures/engine/expected.json.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

CASES = FIXTURES / "engine" / "cases"
EXPECTED_FILE = FIXTURES / "engine" / "expected.json"
BASE = FIXTURES / "journeys" / "gas-goal-journey.json"
NAMES = sorted(p.stem for p in CASES.glob("*.json"))


def _key(finding: Finding) -> tuple[str, str | None, str]:
    return (finding.code, finding.expression, finding.message)


def _findings(path: Path) -> list[Finding]:
    return validate_config(RunConfig(paths=(str(path),))).sorted_findings()


@cache
def _base_keys() -> frozenset[tuple[str, str | None, str]]:
    return frozenset(_key(f) for f in _findings(BASE))


def _added(name: str) -> list[dict[str, object]]:
    base = _base_keys()
    return [
        {"code": f.code, "severity": f.severity.label, "expression": f.expression, "line": f.line}
        for f in _findings(CASES / f"{name}.json")
        if _key(f) not in base
    ]


def test_valid_journey_has_no_errors() -> None:
    assert [f for f in _findings(BASE) if f.severity.label in ("error", "fatal")] == []


def test_every_case_has_expectations(update_goldens: bool) -> None:
    if update_goldens:
        EXPECTED_FILE.write_text(
            json.dumps({name: _added(name) for name in NAMES}, indent=2) + "\n", encoding="utf-8"
        )
    expected = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    assert sorted(expected) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_case_adds_exactly_the_expected_findings(name: str) -> None:
    expected = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))[name]
    assert _added(name) == expected
    assert expected, f"{name} must trigger at least one finding"
