"""Generated hostile inputs and a helper to run them through every checker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.result import RunResult
from pcocheck.runner import validate_config

PATIENT = '{"resourceType": "Patient", "id": "ok", "active": true}'


def run_paths(*paths: Path | str, **options: Any) -> RunResult:
    return validate_config(RunConfig(paths=tuple(str(p) for p in paths), **options))


def codes(result: RunResult, file: Path | str | None = None) -> list[str]:
    return [f.code for f in result.findings if file is None or f.file == str(file)]


def only(result: RunResult, code: str) -> Finding:
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in result.findings]
    return found[0]


def nested_extensions(depth: int, key: str = "extension") -> dict[str, Any]:
    node: dict[str, Any] = {"url": "http://example.org/e", "valueString": "a"}
    for _ in range(depth):
        node = {"url": "http://example.org/e", "extension": [node]}
    return {"resourceType": "Patient", "id": "deep", key: [node]}


def nested_contained(depth: int) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": "p0"}
    for level in range(depth):
        resource = {"resourceType": "Patient", "id": f"p{level + 1}", "contained": [resource]}
    return resource
