"""The re-created STU1 examples (facts §9.1) validate with no error, as files and as
one Bundle."""

from __future__ import annotations

import pytest

from pcocheck.config import RunConfig
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

EXAMPLES = FIXTURES / "ig-examples"


@pytest.mark.parametrize(
    "paths",
    [
        (str(EXAMPLES / "bundle-ig-examples.json"),),
        tuple(
            str(p) for p in sorted(EXAMPLES.glob("*.json")) if p.name != "bundle-ig-examples.json"
        ),
        (str(FIXTURES / "journeys"),),
    ],
    ids=["bundle", "files", "journeys"],
)
def test_examples_have_no_errors(paths: tuple[str, ...]) -> None:
    result = validate_config(RunConfig(paths=paths))
    errors = [
        f"{f.code} {f.expression}: {f.message}"
        for f in result.findings
        if f.severity.label in ("error", "fatal")
    ]
    assert errors == []
    assert result.resources >= 10


def test_thirty_examples_are_present() -> None:
    files = [p for p in EXAMPLES.glob("*.json") if p.name != "bundle-ig-examples.json"]
    assert len(files) == 30


def test_references_across_files_resolve_in_both_directions() -> None:
    """CarePlan.goal and Goal.addresses point at files read later (alphabetically): the
    prescan pass indexes every resource first, so their profile-based slices resolve.
    (The single-resource files only: the folder's Bundle holds the same resources again,
    which makes those references ambiguous — see tests/references.)"""
    files = sorted(str(p) for p in EXAMPLES.glob("[A-Z]*.json"))
    result = validate_config(RunConfig(paths=tuple(files)))
    unresolved = [f.code for f in result.findings if f.code in ("FHIR-SLICE-006", "FHIR-REF-004")]
    assert unresolved == []
