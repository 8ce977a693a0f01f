"""pcocheck.rules inside the real input pipeline (discovery, reading, Bundle splitting,
NDJSON records), across input shapes, on the repository's IG-example recreations, with
malformed content, and with bounded facts on an NDJSON export."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.inputs.source import RecordLine
from pcocheck.rules import PcoRules
from pcocheck.runner import run
from pcocheck.view import Anchor
from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.rules.conftest import FIXTURES, case_views, document_views, questionnaire_lookup
from tests.rules.test_pco_rule_cases import CASES


def _pipeline(*paths: Path) -> list[Finding]:
    rules = PcoRules(questionnaires=questionnaire_lookup())
    result = run(RunConfig(paths=tuple(str(p) for p in paths)), [rules])
    return [f for f in result.findings if f.code.startswith("PCO-")]


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_the_real_pipeline_reports_what_the_case_expects(folder: Path) -> None:
    inputs = sorted(p for p in folder.iterdir() if p.name != "expected.json")
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["findings"]
    got = sorted((f.code, f.severity.label, f.expression) for f in _pipeline(*inputs))
    assert got == sorted((e["code"], e["severity"], e["expression"]) for e in expected)


def _resources(case: str) -> list[dict[str, Any]]:
    bundle = json.loads((FIXTURES / case / "input.json").read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


@pytest.mark.parametrize("shape", ["bundle", "ndjson", "folder"])
@pytest.mark.parametrize("case", ["gas-level-not-defined", "prom-derived-mismatch"])
def test_cross_resource_checks_work_in_every_input_shape(
    case: str, shape: str, tmp_path: Path
) -> None:
    resources = _resources(case)
    if shape == "bundle":
        paths = [FIXTURES / case / "input.json"]
    elif shape == "ndjson":
        export = tmp_path / "export.ndjson"
        export.write_text("\n".join(json.dumps(r) for r in resources) + "\n", encoding="utf-8")
        paths = [export]
    else:
        for resource in resources:
            name = f"{resource['resourceType']}-{resource['id']}.json"
            (tmp_path / name).write_text(json.dumps(resource, indent=2), encoding="utf-8")
        paths = [tmp_path]
    found = _pipeline(*paths)
    cross = [f for f in found if f.code in ("PCO-GAS-005", "PCO-PROM-007")]
    assert len(cross) == 1, [f.message for f in found]
    assert cross[0].line is not None and cross[0].file is not None


@pytest.mark.parametrize(
    "path",
    [
        "ig-examples/[A-Z]*.json",  # the single-resource files (the folder's Bundle repeats them)
        "ig-examples/bundle-ig-examples.json",
        "journeys/gas-goal-journey.json",
        "journeys/prom-journey.json",
    ],
)
def test_ig_example_recreations_give_no_pco_error_or_warning(path: str) -> None:
    """The repository's recreations of the STU1 examples: the only PCO note is the PROM goal
    whose follow-up (10) sits on its strict target (< 10), facts §9.4 item 6."""
    found = _pipeline(*sorted(ALL_FIXTURES.glob(path)))
    serious = [f"{f.code} {f.message}" for f in found if f.severity.label != "information"]
    assert serious == []
    notes = {f.code for f in found}
    assert notes <= {"PCO-PROM-012"}
    if path.startswith("ig-examples"):
        (note,) = found
        assert "10" in note.message and "does not meet the target < 10" in note.message


# --- malformed content never crashes the rules -------------------------------------------
ODD: list[Any] = [
    None,
    0,
    -3,
    2.5,
    True,
    "",
    "  ",
    "x",
    [],
    {},
    [None],
    [1, "a"],
    {"a": 1},
    {"reference": 7},
    {"coding": "x"},
    {"coding": [None]},
    "2025-02-30",
    "2025-13-01T10:00:00Z",
    10**400,
    {"extension": [{"url": None}]},
    {"value": "12"},
    "#",
    "urn:uuid:",
    "Goal/",
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_malformed_values_become_no_exception(folder: Path) -> None:
    rng = random.Random(folder.name)
    base = case_views(folder)
    documents = [(v.anchor, v.resource) for v in base if v.anchor.base_path == ()]
    for _ in range(60):
        rules = PcoRules(questionnaires=questionnaire_lookup())
        for anchor, resource in documents:
            mutated = copy.deepcopy(resource)
            paths = list(_paths(mutated))
            for _ in range(3):
                target = rng.choice(paths[1:]) if len(paths) > 1 else ()
                try:
                    mutated = _set(mutated, target, copy.deepcopy(rng.choice(ODD)))
                except (KeyError, IndexError, TypeError):
                    continue
            assert anchor.source is not None
            for view in document_views(anchor.source, mutated):
                list(rules.check(view))
        list(rules.finish())


# --- bounded memory on an export ------------------------------------------------------------
def _walk(value: Any) -> Iterator[Any]:
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name))
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _walk(item)


def test_facts_from_an_ndjson_export_hold_neither_resources_nor_record_text(
    tmp_path: Path,
) -> None:
    resources = _resources("gas-level-not-defined") + _resources("prom-derived-mismatch")
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join(json.dumps(r) for r in resources) + "\n", encoding="utf-8")
    rules = PcoRules(questionnaires=questionnaire_lookup())
    run(RunConfig(paths=(str(export),)), [rules])
    facts = [
        *rules.goals.values(),
        *rules.gas_scores,
        *rules.prom_scores,
        *rules.panels,
        *rules.items.values(),
        *rules.responses.values(),
    ]
    assert rules.goals and rules.gas_scores and rules.prom_scores and rules.responses
    for value in (v for fact in facts for v in _walk(fact)):
        assert not isinstance(value, dict), "a fact keeps part of a resource"
        if isinstance(value, Anchor):
            assert isinstance(value.source, RecordLine), "a fact keeps an NDJSON record's text"


def test_non_pco_resources_leave_no_fact(tmp_path: Path) -> None:
    export = tmp_path / "plain.ndjson"
    plain = {
        "resourceType": "Observation",
        "id": "bp",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "valueQuantity": {"value": 120, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
    }
    lines = [json.dumps({**plain, "id": f"bp-{n}"}) for n in range(500)]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rules = PcoRules(questionnaires=questionnaire_lookup())
    result = run(RunConfig(paths=(str(export),)), [rules])
    assert result.findings == []
    assert not (rules.gas_scores or rules.prom_scores or rules.items or rules.goals)
