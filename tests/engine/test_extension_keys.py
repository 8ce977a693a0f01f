"""Extensions remembered clean by what their definition's pass reads
(engine/extension_keys.py) must never hide or change a finding.

Each case is a GAS goal whose first level extension is mutated (a wrong or missing url,
value or slice, a repeated slice, an array or null where one value is due, a '_'
companion, another type, a nested extension...), put after goals whose levels are clean
and whose free text differs (so that the memo holds the clean keys), and before them
again. The findings must be those of the interpretive walk (which remembers nothing) and
those of the compiled walk with the memo switched off, finding for finding; and the memo
must have skipped passes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.core import ProfileEngine
from pcocheck.engine.extension_keys import ExtensionKeys
from pcocheck.runner import Run, build_checkers
from tests.engine.test_compiled_differential import _assert_same

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GAS = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-attainment-scaling"


def _gas_goal() -> dict[str, Any]:
    bundle = json.loads((FIXTURES / "journeys" / "gas-goal-journey.json").read_text("utf-8"))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Goal" and resource.get("extension"):
            return dict(resource)
    raise AssertionError("no GAS goal in fixtures/journeys/gas-goal-journey.json")


def _texts(goal: dict[str, Any], tag: str) -> dict[str, Any]:
    """``goal`` with other free text in every level (a fresh repr, the same key)."""
    goal = copy.deepcopy(goal)
    for extension in goal["extension"]:
        for inner in extension.get("extension", []):
            if "valueString" in inner:
                inner["valueString"] = f"{inner['valueString']} ({tag})"
    return goal


def _levels(extension: dict[str, Any]) -> list[dict[str, Any]]:
    inner: list[dict[str, Any]] = extension["extension"]
    return inner


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "clean-other-text": lambda e: _levels(e)[1].update(valueString="other words"),
    "text-as-integer": lambda e: (
        _levels(e)[1].pop("valueString"),
        _levels(e)[1].update(valueInteger=3),
    ),
    "text-as-array": lambda e: _levels(e)[1].update(valueString=["a", "b"]),
    "text-null": lambda e: _levels(e)[1].update(valueString=None),
    "text-empty": lambda e: _levels(e)[1].update(valueString=""),
    "text-companion": lambda e: _levels(e)[1].update(_valueString={"id": "t1"}),
    "no-text": lambda e: _levels(e).pop(1),
    "two-texts": lambda e: _levels(e).append(copy.deepcopy(_levels(e)[1])),
    "two-levels": lambda e: _levels(e).append(copy.deepcopy(_levels(e)[0])),
    "levels-swapped": lambda e: _levels(e).reverse(),
    "wrong-level-code": lambda e: _levels(e)[0]["valueCoding"].update(code="LA00000-0"),
    "level-as-string": lambda e: _levels(e)[0].update(valueCoding="LA34479-8"),
    "level-as-array": lambda e: _levels(e)[0].update(valueCoding=[_levels(e)[0]["valueCoding"]]),
    "level-nested": lambda e: _levels(e)[0].update(extension=[{"url": "x", "valueString": "y"}]),
    "other-sub-url": lambda e: _levels(e)[1].update(url="somethingElse"),
    "no-sub-url": lambda e: _levels(e)[1].pop("url"),
    "sub-url-integer": lambda e: _levels(e)[1].update(url=7),
    "sub-not-object": lambda e: _levels(e).append("level"),
    "sub-null": lambda e: _levels(e).append(None),
    "sub-empty": lambda e: _levels(e).append({}),
    "no-subs": lambda e: e.pop("extension"),
    "subs-empty": lambda e: e.update(extension=[]),
    "subs-object": lambda e: e.update(extension=_levels(e)[0]),
    "value-too": lambda e: e.update(valueString="not allowed"),
    "two-values": lambda e: e.update(valueString="a", valueCode="b"),
    "id-added": lambda e: e.update(id="level-1"),
    "unknown-key": lambda e: e.update(comment="what"),
    "url-versioned": lambda e: e.update(url=GAS + "|1.0.0"),
}


def _corpus(tmp_path: Path) -> str:
    goal = _gas_goal()
    resources: list[dict[str, Any]] = []
    for number, (name, mutate) in enumerate(MUTATIONS.items()):
        for round_ in range(2):
            resources.append(dict(_texts(goal, f"{name} {round_}"), id=f"clean-{number}-{round_}"))
        wrong = _texts(goal, name)
        mutate(wrong["extension"][0])
        resources.append(dict(wrong, id=f"case-{number}"))
    resources.append(dict(_texts(goal, "last"), id="clean-last"))
    path = tmp_path / "gas.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return str(path)


def _run(path: str) -> tuple[list[dict[str, Any]], int]:
    config = RunConfig(paths=(path,))
    checkers = build_checkers(config)
    result = Run(config, checkers).execute()
    engine = next(c for c in checkers if isinstance(c, ProfileEngine))
    hits = sum(m.hits for _, m in engine.extension_keys.memos.values() if m is not None)
    return [f.to_dict() for f in result.findings], hits


def test_mutated_extensions_give_the_findings_of_full_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _corpus(tmp_path)
    remembered, hits = _run(path)
    assert hits >= len(MUTATIONS)  # the clean goals' levels, at least
    with monkeypatch.context() as patch:
        patch.setattr(ExtensionKeys, "memo_for", lambda self, definition: None)
        every, none = _run(path)
    assert none == 0
    assert remembered == every
    # Most mutations are findings (on the mutated goal only), and the interpretive walk
    # agrees finding for finding.
    about = [f for f in remembered if ".extension[0]" in str(f.get("expression"))]
    cases = {f["resource"] for f in about}
    assert len(cases) >= len(MUTATIONS) - 6
    assert all(str(resource).startswith("Goal/case-") for resource in cases)
    assert _assert_same([path]) == remembered


def test_a_key_names_what_the_pass_reads(tmp_path: Path) -> None:
    # Two levels that differ only in free text have one key; a level whose code differs
    # has another; a level with an unknown key or a companion has none.
    config = RunConfig(paths=(_corpus(tmp_path),))
    checkers = build_checkers(config)
    engine = next(c for c in checkers if isinstance(c, ProfileEngine))
    definition = engine.structure(GAS)
    assert definition is not None
    assert engine.extension_keys.memo_for(definition) is not None
    goal = _gas_goal()
    walk = engine.pass_class(
        engine,
        None,
        goal,
        (),
        definition,
        "base",
        None,
        "x",
        lambda _: None,  # type: ignore[arg-type]
    )
    keys = engine.extension_keys
    first = copy.deepcopy(goal["extension"][0])
    other_text = copy.deepcopy(first)
    _levels(other_text)[1]["valueString"] = "different words"
    other_code = copy.deepcopy(first)
    _levels(other_code)[0]["valueCoding"]["code"] = "LA34480-6"
    companion = copy.deepcopy(first)
    _levels(companion)[1]["_valueString"] = {"id": "x"}
    assert keys.key(walk, definition, first) == keys.key(walk, definition, other_text)  # type: ignore[arg-type]
    assert keys.key(walk, definition, first) != keys.key(walk, definition, other_code)  # type: ignore[arg-type]
    assert keys.key(walk, definition, companion) is None  # type: ignore[arg-type]
