"""The pre-commit hook definition runs pcocheck on FHIR JSON, NDJSON and their .gz forms."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT

HOOKS = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")


def _value(key: str) -> str:
    match = re.search(rf"^\s*-?\s*{key}:\s*(.+)$", HOOKS, re.MULTILINE)
    assert match, key
    return match.group(1).strip().strip("'\"")


def test_hook_entry_is_the_installed_command() -> None:
    assert _value("id") == "pcocheck"
    assert _value("language") == "python"
    entry = _value("entry").split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry[0] in scripts and entry[1:] == ["validate"]


def test_hook_selects_fhir_files() -> None:
    pattern = re.compile(_value("files"))
    for name in ("a.json", "dir/export.ndjson", "x.jsonl", "b.json.gz", "c.ndjson.gz"):
        assert pattern.search(name), name
    for name in ("README.md", "a.json.bak", "pyproject.toml", "x.xml"):
        assert not pattern.search(name), name


def test_hook_command_fails_a_commit_with_a_broken_file(tmp_path: Path) -> None:
    # pre-commit runs `entry` with the staged file names appended.
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    entry = _value("entry").split()
    proc = subprocess.run(
        [sys.executable, "-m", "pcocheck", *entry[1:], "--no-config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and "FHIR-JSON-001" in proc.stdout
