"""Each engine fixture is a valid Bundle broken in exactly one way: the findings it adds
over the valid Bundle must be exactly the expected ones.

Two suites: ``cases`` (the GAS journey against the shipped PCO/US Core profiles) and
``custom-cases`` (a test-only profile, loaded with --profiles, for slicing rules the PCO
profiles do not use). Regenerate the cases with tools/make_engine_fixtures.py; after
reviewing a deliberate change, ``pytest --update-goldens`` rewrites the expected files.
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

ENGINE = FIXTURES / "engine"
SUITES = {
    "cases": (FIXTURES / "journeys" / "gas-goal-journey.json", RunConfig(paths=())),
    "custom-cases": (
        ENGINE / "custom-base.json",
        RunConfig(paths=(), profile_dirs=(str(ENGINE / "profiles"),), must_support=True),
    ),
}
PARAMS = [
    (suite, path.stem) for suite in SUITES for path in sorted((ENGINE / suite).glob("*.json"))
]


def _key(finding: Finding) -> tuple[str, str | None, str]:
    return (finding.code, finding.expression, finding.message)


def _findings(suite: str, path: Path) -> list[Finding]:
    config = SUITES[suite][1]
    run_config = RunConfig(
        paths=(str(path),), profile_dirs=config.profile_dirs, must_support=config.must_support
    )
    return validate_config(run_config).sorted_findings()


@cache
def _base_keys(suite: str) -> frozenset[tuple[str, str | None, str]]:
    return frozenset(_key(f) for f in _findings(suite, SUITES[suite][0]))


def _added(suite: str, name: str) -> list[dict[str, object]]:
    base = _base_keys(suite)
    return [
        {"code": f.code, "severity": f.severity.label, "expression": f.expression, "line": f.line}
        for f in _findings(suite, ENGINE / suite / f"{name}.json")
        if _key(f) not in base
    ]


def _expected_file(suite: str) -> Path:
    return ENGINE / f"{suite}-expected.json"


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_valid_base_has_no_errors(suite: str) -> None:
    findings = _findings(suite, SUITES[suite][0])
    assert [f for f in findings if f.severity.label in ("error", "fatal")] == []


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_every_case_has_expectations(suite: str, update_goldens: bool) -> None:
    names = [name for s, name in PARAMS if s == suite]
    if update_goldens:
        expected = {name: _added(suite, name) for name in names}
        _expected_file(suite).write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    assert sorted(json.loads(_expected_file(suite).read_text(encoding="utf-8"))) == sorted(names)


@pytest.mark.parametrize(("suite", "name"), PARAMS)
def test_case_adds_exactly_the_expected_findings(suite: str, name: str) -> None:
    expected = json.loads(_expected_file(suite).read_text(encoding="utf-8"))[name]
    assert _added(suite, name) == expected
    assert expected, f"{name} must trigger at least one finding"


WRITTEN_FOR: dict[str, dict[str, str]] = {
    suite: codes
    for suite, codes in json.loads(
        (ENGINE / "written-for.json").read_text(encoding="utf-8")
    ).items()
    if suite in SUITES
}


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_every_case_states_the_code_it_was_written_for(suite: str) -> None:
    names = sorted(name for s, name in PARAMS if s == suite)
    assert sorted(WRITTEN_FOR[suite]) == names


@pytest.mark.parametrize(("suite", "name"), PARAMS)
def test_case_produces_the_code_it_was_written_for(suite: str, name: str) -> None:
    """Independent of the expected files: the case must produce its own code."""
    wanted = WRITTEN_FOR[suite][name]
    produced = {str(f["code"]) for f in _added(suite, name)}
    assert wanted in produced, f"{name} was written for {wanted}, produced {sorted(produced)}"
