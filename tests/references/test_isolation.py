"""Every PCO rule fixture gives the same findings alone and together with all the others in
one run: what else is in a run never changes a file's findings (the class of bug where two
Bundles reusing ids hid or moved each other's errors)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.rules import PcoRules
from pcocheck.runner import run, validate_config
from tests.conftest import FIXTURES
from tests.rules.conftest import questionnaire_lookup

RULES = FIXTURES / "rules"
# Each case folder is one input set; each file of fixtures/rules/cases is one more.
CASES: list[Path] = sorted(
    [p for p in RULES.iterdir() if p.is_dir() and p.name not in ("cases", "questionnaires")]
    + sorted((RULES / "cases").glob("*.json"))
)
# Run-level summaries ("[N such findings in this run]") count across the run by design.
SUMMARISED = ("FHIR-BIND-004", "FHIR-BIND-005", "FHIR-BIND-006", "FHIR-REF-004", "FHIR-REF-012")
# A reference whose target is neither in its own file nor in its folder is looked up in the
# whole run, where other inputs can make it ambiguous (information, by design): e.g. a
# case's Goal refers to Patient/walker, which only other cases hold.
RUN_WIDE = ("FHIR-REF-010",)

Key = tuple[str | None, str, str, str | None, int | None, str]


def _per_file(findings: list[Finding], skip: tuple[str, ...]) -> dict[str | None, Counter[Key]]:
    out: dict[str | None, Counter[Key]] = {}
    for f in findings:
        if f.code in SUMMARISED or f.code in skip:
            continue
        key = (f.file, f.code, f.severity.label, f.expression, f.line, f.message)
        out.setdefault(f.file, Counter())[key] += 1
    return out


def _rules_run(paths: list[Path]) -> list[Finding]:
    rules = PcoRules(questionnaires=questionnaire_lookup())
    return run(RunConfig(paths=tuple(str(p) for p in paths)), [rules]).findings


def test_there_are_many_cases() -> None:
    assert len(CASES) > 80


@pytest.mark.parametrize("checkers", ["pco-rules", "everything"])
def test_every_rule_fixture_gives_the_same_findings_alone_and_together(checkers: str) -> None:
    def findings(paths: list[Path]) -> list[Finding]:
        if checkers == "pco-rules":
            return _rules_run(paths)
        return validate_config(RunConfig(paths=tuple(str(p) for p in paths))).findings

    skip = RUN_WIDE if checkers == "everything" else ()
    alone: dict[str | None, Counter[Key]] = {}
    for case in CASES:
        for file, counted in _per_file(findings([case]), skip).items():
            alone.setdefault(file, Counter()).update(counted)
    together = _per_file(findings(CASES), skip)
    assert sorted(together, key=str) == sorted(alone, key=str)
    for file in alone:
        assert together[file] == alone[file], file
    assert any(code.startswith("PCO-") for c in alone.values() for _, code, *_ in c)


@pytest.mark.parametrize("jobs", [1, 2])
def test_once_per_run_summaries_do_not_move_with_the_order_of_the_inputs(
    tmp_path: Path, jobs: int
) -> None:
    # Repeated "could not be checked" information is shown once per run; the example shown
    # is the smallest occurrence by (file, line, entry, path), not the first one read.
    journey = (FIXTURES / "journeys" / "gas-goal-journey.json").read_text(encoding="utf-8")
    paths = []
    for name in ("a.json", "b.json", "c.json"):
        path = tmp_path / name
        path.write_text(journey, encoding="utf-8")
        paths.append(path)

    def findings(order: list[Path]) -> list[tuple[object, ...]]:
        config = RunConfig(paths=tuple(str(p) for p in order), jobs=jobs)
        result = validate_config(config)
        return sorted((f.file, f.line, f.column, f.code, f.message) for f in result.findings)

    forward = findings(paths)
    assert any("only the first is shown" in str(f[4]) for f in forward)
    assert findings(list(reversed(paths))) == forward
    assert findings([paths[1], paths[2], paths[0]]) == forward
