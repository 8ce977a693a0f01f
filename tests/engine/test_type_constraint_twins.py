"""A type's constraints that its element repeats (ext-1 on every extension element and on
the Extension type) are checked once when the element's quick pre-checks all passed
(VisitSpec.type_rest, engine.slow), and twice otherwise: the findings stay those of the
interpretive walk, which checks both every time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.compiled import VisitSpec
from pcocheck.engine.core import ProfileEngine
from pcocheck.runner import Run, build_checkers
from tests.engine.test_compiled_differential import _assert_same

BOTH = {
    "url": "http://example.org/x",
    "valueString": "a",
    "extension": [{"url": "y", "valueCode": "b"}],
}
NEITHER = {"url": "http://example.org/x"}
GOOD = {"url": "http://example.org/x", "valueString": "a"}


def _patients() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, extension in enumerate((GOOD, BOTH, NEITHER, GOOD, BOTH)):
        out.append(
            {
                "resourceType": "Patient",
                "id": f"p{number}",
                "extension": [extension, GOOD],
                "modifierExtension": [extension],
                "name": [{"family": "Ng", "extension": [extension]}],
                "_gender": {"extension": [extension]},
                "gender": "female",
                "contact": [
                    {"extension": [{"url": "http://example.org/c", "extension": [extension]}]}
                ],
            }
        )
    return out


def test_findings_are_those_of_both_checks(tmp_path: Path) -> None:
    path = tmp_path / "patients.ndjson"
    path.write_text("".join(json.dumps(p) + "\n" for p in _patients()), encoding="utf-8")
    findings = _assert_same([str(path)])
    broken = {f["resource"] for f in findings if "ext-1" in f["message"]}
    assert broken == {"Patient/p1", "Patient/p2", "Patient/p4"}


def test_an_extension_element_checks_ext1_once(tmp_path: Path) -> None:
    path = tmp_path / "patients.ndjson"
    path.write_text(json.dumps(_patients()[0]) + "\n", encoding="utf-8")
    config = RunConfig(paths=(str(path),))
    checkers = build_checkers(config)
    Run(config, checkers).execute()
    engine = next(c for c in checkers if isinstance(c, ProfileEngine))
    patient = engine.structure("Patient")
    assert patient is not None
    spec = engine.compiled_scope(patient, patient.root).slots["extension"].spec
    assert isinstance(spec, VisitSpec) and spec.sub_resolved
    keys = [c.key for c, _, _ in spec.type_constraints]
    assert "ext-1" in keys and "ext-1" in [c.key for c, _, _ in spec.constraints]
    assert "ext-1" not in [c.key for c, _, _ in spec.type_rest]


def test_a_broken_extension_is_checked_by_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One patient, its extensions broken (ext-1 fails): the element's and the type's
    # ext-1 are both evaluated in full (they are one finding after deduplication).
    patient = {
        "resourceType": "Patient",
        "id": "p",
        "extension": [BOTH],
        "name": [{"family": "Ng", "extension": [NEITHER]}],
    }
    path = tmp_path / "patient.ndjson"
    path.write_text(json.dumps(patient) + "\n", encoding="utf-8")
    evaluated: list[str] = []
    original = ProfileEngine.evaluate_constraint

    def counted(self: ProfileEngine, walk: Any, constraint: Any, *args: Any) -> None:
        if constraint.key == "ext-1":
            evaluated.append(constraint.key)
        original(self, walk, constraint, *args)

    monkeypatch.setattr(ProfileEngine, "evaluate_constraint", counted)
    config = RunConfig(paths=(str(path),))
    result = Run(config, build_checkers(config)).execute()
    assert len([f for f in result.findings if "ext-1" in f.message]) == 2
    assert len(evaluated) == 4
