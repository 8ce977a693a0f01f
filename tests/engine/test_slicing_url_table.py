"""The url table of extension slicings (Slicer._url_table: urls fixed by the slices, or the
slices' type profiles) assigns every item to the slice the discriminator evaluation
(Slicer.matches) assigns it to: checked on every assignment made while validating the
fixtures and mutated extensions."""

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
    changes = (
        "drop-url",
        "int-url",
        "other-url",
        "duplicate",
        "null-url",
        "sub-level",
        "outer-other-url",
    )
    for change in changes:
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
        elif change == "outer-other-url":
            # Goal.extension is sliced by url against the extension's definition (the
            # slice's type profile): an unknown definition url matches no slice.
            first["url"] = "http://example.org/StructureDefinition/other"
        elif change == "sub-level":
            inner.append({"url": "level", "valueString": "x"})
        out.append(variant)
    return out


@pytest.fixture
def compare_assignments(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every item Slicer.check assigns through a url table, with the table's slice and the
    discriminators' (collected: the runner turns an exception in a check into a finding)."""
    used: list[Any] = []
    original = Slicer.check

    def check(self: Slicer, walk: Any, sd: Any, child: Any, items: Any, rel: Any, key: str) -> None:
        slicing = child.element.slicing
        if slicing is not None and child.slices:
            discriminators = slicing.discriminators
            table = self._url_table(sd, child.slices, discriminators)
            for _, value, _ in items:
                if table is not None and type(value) is dict and type(value.get("url")) is str:
                    general = self.assign_by_discriminators(
                        walk, sd, child.slices, discriminators, value
                    )
                    used.append((value, (table.get(value["url"]), []), general))
        original(self, walk, sd, child, items, rel, key)

    monkeypatch.setattr(Slicer, "check", check)
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
    # Both kinds of table: urls fixed by the slices, and the slices' type profiles.
    urls = {value["url"] for value, _, _ in compare_assignments}
    assert "level" in urls
    assert any(url.startswith("http://hl7.org/fhir/us/pco/") for url in urls)
    assert [(v, a, b) for v, a, b in compare_assignments if a != b] == []
