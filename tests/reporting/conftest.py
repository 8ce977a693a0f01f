"""One validation run of tests/golden/input (a parse error, a Bundle with findings in
its entries, an NDJSON export with a finding on line 2, a clean file) shared by the
reporter tests; paths are relative to tests/golden like a user's would be."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pcocheck import __version__
from pcocheck.config import RunConfig
from pcocheck.inventory import Inventory
from pcocheck.reporting import ReportOptions, reporter
from pcocheck.result import RunResult
from pcocheck.runner import validate_config
from tests.conftest import GOLDEN

SCHEMAS = Path(__file__).resolve().parent / "schemas"


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    here = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(here)


@dataclass(frozen=True)
class GoldenRun:
    result: RunResult
    inventory: Inventory

    def render(self, fmt: str, **options: Any) -> str:
        buffer = io.StringIO()
        with working_directory(GOLDEN):  # the HTML excerpts read the inputs
            reporter(fmt)(
                self.result,
                buffer,
                ReportOptions(color=False, width=100, inventory=self.inventory, **options),
            )
        return buffer.getvalue().replace(__version__, "<version>")


@pytest.fixture(scope="session")
def golden_run() -> GoldenRun:
    inventory = Inventory()
    with working_directory(GOLDEN):
        result = validate_config(RunConfig(paths=("input",)), extra=[inventory])
    return GoldenRun(result, inventory)


@dataclass(slots=True)
class ServerResult(RunResult):
    """A run result as server mode will produce it: with test outcomes."""

    tests: list[dict[str, Any]] = field(default_factory=list)


SERVER_TESTS = [
    {
        "id": "SRV-SEARCH-01",
        "title": "Goal search by patient",
        "group": "search",
        "result": "fail",
        "reason": "HTTP 400 for GET Goal?patient=p1",
        "expectation": "SHALL",
        "requests": ["r1"],
    },
    {
        "id": "SRV-READ-01",
        "title": "Read a Goal",
        "group": "read",
        "result": "pass",
        "reason": None,
        "expectation": "SHALL",
        "requests": ["r2"],
    },
    {
        "id": "SRV-SEARCH-02",
        "title": "Observation focus search",
        "group": "search",
        "result": "skip",
        "reason": "not in the CapabilityStatement",
        "expectation": "SHOULD",
        "requests": [],
    },
    {
        "id": "SRV-META-01",
        "title": "CapabilityStatement",
        "group": "capabilities",
        "result": "error",
        "reason": "timeout",
        "expectation": "SHALL",
        "requests": ["r0"],
    },
]
