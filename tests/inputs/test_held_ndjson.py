"""A single small NDJSON input is read and parsed once: the first pass keeps what it read
for the checks (pcocheck.runner.HELD_NDJSON_BYTES), with the same findings as reading it
twice, reading problems included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pcocheck.runner as runner
from pcocheck.config import RunConfig
from pcocheck.runner import Run, build_checkers


def _lines() -> list[str]:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female"}
    goal = {
        "resourceType": "Goal",
        "id": "g1",
        "lifecycleStatus": "active",
        "description": {"text": "walk"},
        "subject": {"reference": "Patient/p1"},
    }
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": "Patient/p9"},
    }
    return [
        json.dumps(goal),  # refers to a later record
        json.dumps(patient),
        '{"resourceType": "Patient", "id": "p2", "id": "p3"}',  # a repeated key
        '{"resourceType": "Patient", "id": ',  # truncated
        "",
        json.dumps(observation),
        "[1, 2]",
    ]


def _run(path: Path, monkeypatch: pytest.MonkeyPatch, held: bool) -> tuple[list[Any], int]:
    reads = 0
    read_documents = runner.read_documents
    index_documents = runner.index_documents

    def counted(function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            return function(*args, **kwargs)

        return wrapper

    with monkeypatch.context() as patch:
        patch.setattr(runner, "read_documents", counted(read_documents))
        patch.setattr(runner, "index_documents", counted(index_documents))
        if not held:
            patch.setattr(runner, "HELD_NDJSON_BYTES", 0)
        config = RunConfig(paths=(str(path),))
        result = Run(config, build_checkers(config)).execute()
    return [f.to_dict() for f in result.findings], reads


def test_a_small_ndjson_file_is_read_once_with_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "small.ndjson"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    twice, reads_twice = _run(path, monkeypatch, held=False)
    once, reads_once = _run(path, monkeypatch, held=True)
    assert reads_twice == 2
    assert reads_once == 1
    assert once == twice
    codes = {f["code"] for f in once}
    assert {"FHIR-JSON-003", "FHIR-JSON-002", "FHIR-JSON-004"} <= codes


def test_a_file_at_or_over_the_bound_is_read_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "large.ndjson"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    monkeypatch.setattr(runner, "HELD_NDJSON_BYTES", path.stat().st_size)
    once, reads = _run(path, monkeypatch, held=True)
    assert reads == 2
    twice, _ = _run(path, monkeypatch, held=False)
    assert once == twice
