"""The cross-resource phase gives the same findings, in the same order, when a large run's
facts are checked part by part (rules/parts.py) as in one pass; facts of NDJSON records
are kept compressed (rules/store.py) and come back equal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.rules import PcoRules
from pcocheck.rules import parts as fact_parts
from pcocheck.rules.store import Spool
from pcocheck.runner import run
from tests.rules.conftest import FIXTURES, questionnaire_lookup

CASES: list[Path] = sorted(
    [p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("cases", "questionnaires")]
    + sorted((FIXTURES / "cases").glob("*.json"))
)


def _resources(path: Path) -> list[dict[str, Any]]:
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    found: list[dict[str, Any]] = []
    for file in files:
        if file.name.startswith("expected"):
            continue
        value = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            found += [e["resource"] for e in value.get("entry", []) if "resource" in e]
        else:
            found.append(value)
    return found


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every rule fixture's resources as one NDJSON export (plus, in a second file, the
    same again: ids then repeat across files)."""
    folder = tmp_path_factory.mktemp("export")
    lines = [json.dumps(r) for case in CASES for r in _resources(case)]
    (folder / "a.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "b.ndjson").write_text("\n".join(reversed(lines)) + "\n", encoding="utf-8")
    return folder


def _findings(paths: list[Path]) -> tuple[list[dict[str, Any]], PcoRules]:
    rules = PcoRules(questionnaires=questionnaire_lookup())
    result = run(RunConfig(paths=tuple(str(p) for p in paths)), [rules])
    return [f.to_dict() for f in result.findings], rules


@pytest.mark.parametrize("per_part", [1, 3, 40])
def test_parts_give_the_findings_of_one_pass(
    export: Path, per_part: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for inputs in ([export], CASES):
        whole, rules = _findings(inputs)
        assert any(f["code"].startswith(("PCO-GAS-0", "PCO-PROM-01")) for f in whole)
        facts = len(rules.goals) + len(rules.gas_scores) + len(rules.prom_scores)
        monkeypatch.setattr(fact_parts, "FACTS_PER_PART", per_part)
        monkeypatch.setattr(fact_parts, "ONE_PASS_FACTS", 0)
        assert facts > per_part  # so the run is checked in parts
        calls: list[int] = []
        in_parts_of = fact_parts.finish_in_parts

        def spied(
            rules: PcoRules, settled: Any, parts: int, calls: list[int] = calls, **kw: Any
        ) -> Any:
            calls.append(parts)
            return in_parts_of(rules, settled, parts, **kw)  # noqa: B023 - called in this loop

        monkeypatch.setattr(fact_parts, "finish_in_parts", spied)
        in_parts, _ = _findings(inputs)
        monkeypatch.undo()
        assert calls and calls[0] > 1
        assert in_parts == whole


def test_a_run_with_few_facts_is_checked_in_one_pass(
    export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(fact_parts, "FACTS_PER_PART", 1)  # would be many parts
    monkeypatch.setattr(fact_parts, "finish_in_parts", lambda *args: calls.append(1) or [])
    _findings([export])
    assert calls == []  # below ONE_PASS_FACTS: decoded once, nothing re-encoded


def test_facts_of_records_are_compressed_and_come_back_equal(export: Path) -> None:
    _, rules = _findings([export])
    assert all(isinstance(s, Spool) for s in rules.gas_scores.segments)  # nothing kept as is
    again = PcoRules(questionnaires=questionnaire_lookup())
    for log_name in ("goals", "gas_scores", "prom_scores", "items", "responses", "panels"):
        log = getattr(rules, log_name)
        copy = getattr(again, log_name)
        for entry in log.entries():
            copy.add(entry)
        assert list(copy.entries()) == list(log.entries()), log_name
        assert len(copy) == len(log)


def test_a_finding_list_is_a_list_of_findings(export: Path) -> None:
    rules = PcoRules(questionnaires=questionnaire_lookup())
    result = run(RunConfig(paths=(str(export),)), [rules])
    assert all(isinstance(f, Finding) for f in result.findings)
