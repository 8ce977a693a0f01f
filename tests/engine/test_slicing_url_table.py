"""The url table of extension slicings (Slicer._url_table) assigns every item to the
slice the discriminator evaluation (Slicer.matches) assigns it to: checked on every
assignment made while validating the fixtures and mutated extensions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.slicing import Slicer
from pcocheck.runner import Run, build_checkers

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _gas_goal() -> dict[str, Any]:
    for path in sorted((FIXTURES / "journeys").glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") == "Goal" and resource.get("extension"):
                return dict(resource)
    raise AssertionError("no Goal with extensions in fixtures/journeys")


def _variants() -> list[dict[str, Any]]:
    """The goal, with its extensions' urls changed, duplicated, dropped or mistyped."""
    goal = _gas_goal()
    out = [goal]
    for change in ("drop-url", "int-url", "other-url", "duplicate", "null-url", "sub-level"):
        variant = copy.deepcopy(goal)
        first = variant["extension"][0]
        inner = first.get("extension", [{}])
        if change == "drop-url":
            inner[0].pop("url", None)
        elif change == "int-url":
            inner[0]["url"] = 7
        elif change == "other-url":
            inner[0]["url"] = "http://example.org/unknown"
        elif change == "duplicate":
            first["extension"] = inner + copy.deepcopy(inner)
        elif change == "null-url":
            first["url"] = None
        elif change == "sub-level":
            inner.append({"url": "level", "valueString": "x"})
        out.append(variant)
    return out


@pytest.fixture
def compare_assignments(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every assign() through a url table, and the disagreements with the discriminators
    (collected: the runner turns an exception in a check into a finding)."""
    used: list[Any] = []
    original = Slicer.assign

    def assign(
        self: Slicer, walk: Any, sd: Any, slices: Any, discriminators: Any, value: Any
    ) -> Any:
        found = original(self, walk, sd, slices, discriminators, value)
        if self._url_table(sd, slices, discriminators) is not None:
            general = self.assign_by_discriminators(walk, sd, slices, discriminators, value)
            used.append((value, found, general))
        return found

    monkeypatch.setattr(Slicer, "assign", assign)
    return used


def test_url_table_agrees_with_the_discriminators(
    tmp_path: Path, compare_assignments: list[Any]
) -> None:
    path = tmp_path / "goals.ndjson"
    path.write_text("".join(json.dumps(g) + "\n" for g in _variants()), encoding="utf-8")
    files = [str(path), *(str(p) for p in sorted((FIXTURES / "journeys").glob("*.json")))]
    config = RunConfig(paths=tuple(files))
    result = Run(config, build_checkers(config)).execute()
    assert not [f for f in result.findings if f.code == "FHIR-PROFILE-070"]
    assert len(compare_assignments) > 20
    assert any(found[0] is None for _, found, _ in compare_assignments)  # unknown urls too
    assert [(v, a, b) for v, a, b in compare_assignments if a != b] == []
