"""A single small NDJSON input is read and parsed once: the first pass keeps what it read
for the checks (pcocheck.runner.HELD_NDJSON_BYTES), with the same findings as reading it
twice, reading problems included."""

from __future__ import annotations

import gc
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


class _Reads:
    """Counts the runner's reads of input files (the first pass's and the checks')."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name in ("read_documents", "index_documents"):
            patch.setattr(runner, name, self._counted(getattr(runner, name)))

    def _counted(self, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return function(*args, **kwargs)

        return wrapper


def _run(path: Path, monkeypatch: pytest.MonkeyPatch, held: bool) -> tuple[list[Any], int]:
    with monkeypatch.context() as patch:
        reads = _Reads(patch)
        if not held:
            patch.setattr(runner, "HELD_NDJSON_BYTES", 0)
            patch.setattr(runner, "HELD_SERIAL_NDJSON_BYTES", 0)
        config = RunConfig(paths=(str(path),))
        result = Run(config, build_checkers(config)).execute()
    return [f.to_dict() for f in result.findings], reads.count


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
    monkeypatch.setattr(runner, "HELD_SERIAL_NDJSON_BYTES", path.stat().st_size)
    once, reads = _run(path, monkeypatch, held=True)
    assert reads == 2
    twice, _ = _run(path, monkeypatch, held=False)
    assert once == twice


def _run_with(
    path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> tuple[list[Any], int, list[int]]:
    """Findings, reads, and the collector's freeze count seen by each check."""
    frozen: list[int] = []
    check_view = Run.check_view

    def watched(self: Run, view: Any, indexed: bool = True) -> None:
        frozen.append(gc.get_freeze_count())
        check_view(self, view, indexed)

    with monkeypatch.context() as patch:
        reads = _Reads(patch)
        patch.setattr(Run, "check_view", watched)
        config = RunConfig(paths=(str(path),), jobs=jobs)
        result = Run(config, build_checkers(config)).execute()
    return [f.to_dict() for f in result.findings], reads.count, frozen


@pytest.mark.parametrize("serial_bound", [0, None])
def test_a_larger_file_is_held_in_a_one_job_run_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serial_bound: int | None
) -> None:
    """Over HELD_NDJSON_BYTES but under HELD_SERIAL_NDJSON_BYTES: read once by a one-job
    run, its records frozen while checked and thawed after; read twice by a run that may
    map in parallel (its helpers would read their chunks again), and past either bound."""
    path = tmp_path / "larger.ndjson"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    monkeypatch.setattr(runner, "HELD_NDJSON_BYTES", 0)  # this file counts as large
    if serial_bound is not None:
        monkeypatch.setattr(runner, "HELD_SERIAL_NDJSON_BYTES", serial_bound)
    assert gc.get_freeze_count() == 0
    serial, reads_serial, frozen_serial = _run_with(path, monkeypatch, jobs=1)
    assert gc.get_freeze_count() == 0  # thawed
    parallel, reads_parallel, frozen_parallel = _run_with(path, monkeypatch, jobs=2)
    assert serial == parallel
    assert reads_parallel == 2
    assert frozen_parallel and not any(frozen_parallel)
    if serial_bound is None:
        assert reads_serial == 1
        assert frozen_serial and all(frozen_serial)
    else:
        assert reads_serial == 2
        assert not any(frozen_serial)


def test_held_records_are_thawed_when_a_check_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "larger.ndjson"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    monkeypatch.setattr(runner, "HELD_NDJSON_BYTES", 0)

    def broken(self: Run, *args: Any, **kwargs: Any) -> None:
        assert gc.get_freeze_count()
        raise RuntimeError("boom")

    monkeypatch.setattr(Run, "check_document", broken)
    config = RunConfig(paths=(str(path),))
    result = Run(config, build_checkers(config)).execute()
    assert gc.get_freeze_count() == 0
    assert any("boom" in f.message for f in result.findings)
