"""Findings that ``--select``/``--ignore`` drop are not located: their line and column
would never be shown, and locating one may seek through the record's text (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.inputs.source import SourceText
from pcocheck.runner import validate_config
from pcocheck.view import Anchor, locating_only

ROOT = Path(__file__).resolve().parents[2]
INPUTS = (str(ROOT / "fixtures" / "engine"), str(ROOT / "fixtures" / "rules"))


def located(findings: list[Any]) -> list[tuple[Any, ...]]:
    return [(f.code, f.file, f.line, f.column, f.expression, f.message) for f in findings]


def count_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = SourceText.position

    def position(self: SourceText, path: Any) -> Any:
        calls[0] += 1
        return original(self, path)

    monkeypatch.setattr(SourceText, "position", position)
    return calls


def test_an_anchor_skips_the_lookup_for_a_dropped_code() -> None:
    source = SourceText("x.json", '{"resourceType": "Patient",\n "gender": 1}')
    anchor = Anchor(source=source, file="x.json", root="Patient")
    assert anchor.finding("FHIR-STRUCT-006", "m", ("gender",)).line == 2
    with locating_only(lambda code: code != "FHIR-STRUCT-006"):
        dropped = anchor.finding("FHIR-STRUCT-006", "m", ("gender",))
        kept = anchor.finding("FHIR-STRUCT-001", "m", ("gender",))
    assert (dropped.line, dropped.column) == (None, None)
    assert dropped.expression == "Patient.gender"  # everything else is as before
    assert kept.line == 2
    assert anchor.finding("FHIR-STRUCT-006", "m", ("gender",)).line == 2  # block left


@pytest.mark.parametrize("jobs", [1, 2])
def test_kept_findings_are_located_as_before_and_dropped_ones_cost_no_lookup(
    monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    everything = validate_config(RunConfig(paths=INPUTS, jobs=1)).findings
    noisy = "FHIR-INV-002"
    assert sum(f.code == noisy for f in everything) > 50  # the fixtures exercise it
    expected = [f for f in everything if f.code != noisy]
    calls = count_lookups(monkeypatch)
    ignored = validate_config(RunConfig(paths=INPUTS, jobs=jobs, ignore=(noisy,))).findings
    assert located(ignored) == located(expected)
    if jobs == 1:  # forked workers count in their own process
        all_calls = calls[0]
        calls[0] = 0
        validate_config(RunConfig(paths=INPUTS, jobs=1))
        assert all_calls < calls[0]
