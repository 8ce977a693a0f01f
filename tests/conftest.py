"""Shared test helpers. No test reaches the internet."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"


def fixture_files() -> list[str]:
    """Every input file under fixtures/ (not the expected-findings files), sorted."""
    return sorted(
        str(p)
        for p in FIXTURES.rglob("*")
        if p.is_file()
        and p.suffix in (".json", ".ndjson", ".gz")
        and not p.name.endswith("expected.json")
    )


def load_script(path: Path, name: str) -> ModuleType:
    """A script that is not a package module (bench/, tools/) imported as ``name``; it is
    registered in ``sys.modules`` (its dataclasses resolve annotations through it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite golden output files from the current output instead of comparing.",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def check_golden(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {name} was missing and has been written; rerun")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from golden {name} (rerun with --update-goldens)"
