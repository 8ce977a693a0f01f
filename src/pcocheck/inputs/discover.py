"""Turn command-line PATH arguments into the list of inputs to read.

Files, folders (recursive, by extension), shell-style globs and ``-`` for stdin.
Problems (a missing path, a folder without FHIR files) become findings, never errors
that stop the run.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from pcocheck.finding import Finding
from pcocheck.view import Anchor

JSON_SUFFIXES = (".json", ".json.gz")
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
STDIN = "-"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input to read. ``path`` is None for stdin and for in-memory ``data``."""

    display: str
    path: Path | None
    ndjson: bool
    gzipped: bool
    data: bytes | None = None  # in-memory content (the Python API), read instead of a file


def classify(name: str) -> tuple[bool, bool] | None:
    """(ndjson, gzipped) for a FHIR file name, or None when it is not one."""
    lower = name.lower()
    if lower.endswith(NDJSON_SUFFIXES):
        return True, lower.endswith(".gz")
    if lower.endswith(JSON_SUFFIXES):
        return False, lower.endswith(".gz")
    return None


def _explicit_file(path: Path, display: str) -> InputFile:
    kind = classify(path.name)
    # A file named explicitly is read even without a known extension: as JSON,
    # or NDJSON when its name says so.
    ndjson, gzipped = kind if kind is not None else (False, path.name.lower().endswith(".gz"))
    return InputFile(display=display, path=path, ndjson=ndjson, gzipped=gzipped)


def _display(path: Path) -> str:
    text = str(path)
    return text if not text.startswith("./") else text[2:]


def _walk_folder(folder: Path) -> list[InputFile]:
    found: list[InputFile] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            kind = classify(name)
            if kind is None or name.startswith("."):
                continue
            path = Path(root) / name
            found.append(InputFile(_display(path), path, kind[0], kind[1]))
    return found


def discover(arguments: list[str]) -> tuple[list[InputFile], list[Finding]]:
    """Expand PATH arguments in order, without duplicates."""
    inputs: list[InputFile] = []
    problems: list[Finding] = []
    seen: set[str] = set()

    def add(item: InputFile) -> None:
        key = item.display if item.path is None else str(item.path.resolve())
        if key not in seen:
            seen.add(key)
            inputs.append(item)

    for argument in arguments:
        anchor = Anchor(source=None, file=argument)
        if argument == STDIN:
            add(InputFile(display="<stdin>", path=None, ndjson=False, gzipped=False))
            continue
        path = Path(argument)
        if path.is_dir():
            files = _walk_folder(path)
            if not files:
                problems.append(
                    anchor.finding(
                        "FHIR-JSON-011",
                        f"folder {argument} holds no .json/.ndjson files (or .gz variants)",
                    )
                )
            for item in files:
                add(item)
        elif path.exists():
            add(_explicit_file(path, _display(path)))
        elif glob.has_magic(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            files = []
            for match in matches:
                match_path = Path(match)
                if match_path.is_dir():
                    files.extend(_walk_folder(match_path))
                elif classify(match_path.name) is not None:
                    files.append(_explicit_file(match_path, _display(match_path)))
            if not files:
                problems.append(
                    anchor.finding("FHIR-JSON-010", f"pattern {argument} matched no FHIR files")
                )
            for item in files:
                add(item)
        else:
            problems.append(anchor.finding("FHIR-JSON-010", f"path {argument} does not exist"))
    return inputs, problems
