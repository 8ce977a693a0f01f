"""Cross-resource rules work across all inputs of a run, keyed by reference: the same
journey as a Bundle, as an NDJSON export, and as a folder of single-resource files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcocheck.config import RunConfig
from pcocheck.runner import validate_config
from tests.conftest import FIXTURES

CASE = FIXTURES / "rules" / "cases" / "gas-level-not-defined.json"


def _resources() -> list[dict[str, object]]:
    bundle = json.loads(CASE.read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


def _as_ndjson(tmp_path: Path) -> Path:
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in _resources()) + "\n", encoding="utf-8")
    return path


def _as_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    for resource in _resources():
        name = f"{resource['resourceType']}-{resource['id']}.json"
        (folder / name).write_text(json.dumps(resource, indent=1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("shape", ["bundle", "ndjson", "folder"])
def test_score_level_is_checked_against_its_goal_in_every_input_shape(
    shape: str, tmp_path: Path
) -> None:
    path = {
        "bundle": lambda: CASE,
        "ndjson": lambda: _as_ndjson(tmp_path),
        "folder": lambda: _as_folder(tmp_path),
    }[shape]()
    result = validate_config(RunConfig(paths=(str(path),), select=("PCO-GAS-005",)))
    (finding,) = result.findings
    assert "LA34480-6 (+1) is not defined on Goal/gasJourneyGoal" in finding.message
    assert finding.line is not None
