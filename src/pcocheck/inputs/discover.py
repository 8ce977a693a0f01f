"""Turn command-line PATH arguments into the list of inputs to read.

Files, folders (recursive, by extension), shell-style globs and ``-`` for stdin.
Problems (a missing path, a folder without FHIR files) become findings, never errors
that stop the run.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
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


def _kind_of_special(mode: int) -> str | None:
    """What a non-regular file is, for the message; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _walk_folder(folder: Path) -> tuple[list[InputFile], list[Finding]]:
    """FHIR files under ``folder``. Entries that are not regular files (a FIFO would block
    the run forever, a link to /dev/zero never ends) and broken or looping symbolic links
    are skipped, each with a finding: a folder never fails silently."""
    found: list[InputFile] = []
    skipped: list[Finding] = []

    def unreadable(error: OSError) -> None:  # os.walk would skip it silently
        where = _display(Path(error.filename)) if error.filename else str(folder)
        anchor = Anchor(source=None, file=where)
        reason = error.strerror or str(error)
        skipped.append(anchor.finding("FHIR-JSON-007", f"cannot read folder {where}: {reason}"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            kind = classify(name)
            if kind is None or name.startswith("."):
                continue
            path = Path(root) / name
            display = _display(path)
            anchor = Anchor(source=None, file=display)
            try:
                mode = os.stat(path).st_mode
            except OSError as error:
                skipped.append(anchor.finding("FHIR-JSON-010", _missing_message(display, error)))
                continue
            special = _kind_of_special(mode)
            if special is not None:
                skipped.append(
                    anchor.finding("FHIR-JSON-017", f"{display} is {special}; it was skipped")
                )
                continue
            found.append(InputFile(display, path, kind[0], kind[1]))
    return found, skipped


def _missing_message(argument: str, error: OSError | None) -> str:
    if error is not None and error.errno == errno.ELOOP:
        return f"path {argument} is a loop of symbolic links"
    if error is not None and error.errno == errno.ENOENT and os.path.islink(argument):
        return f"path {argument} is a symbolic link to a file that does not exist"
    if error is not None and error.errno not in (errno.ENOENT, errno.ENOTDIR):
        return f"path {argument} cannot be examined: {error.strerror or error}"
    return f"path {argument} does not exist"


def _special_match(path: Path) -> Finding | None:
    """A finding for a glob match that is not a regular file (globs are discovery too)."""
    display = _display(path)
    anchor = Anchor(source=None, file=display)
    try:
        special = _kind_of_special(os.stat(path).st_mode)
    except OSError as error:
        return anchor.finding("FHIR-JSON-010", _missing_message(display, error))
    if special is None:
        return None
    return anchor.finding("FHIR-JSON-017", f"{display} is {special}; it was skipped")


def _stat_error(path: Path) -> OSError | None:
    try:
        os.stat(path)
    except OSError as error:
        return error
    return None


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
            files, skipped = _walk_folder(path)
            problems.extend(skipped)
            if not files and not skipped:
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
            before = len(problems)
            for match in matches:
                match_path = Path(match)
                if match_path.is_dir():
                    in_folder, skipped = _walk_folder(match_path)
                    files.extend(in_folder)
                    problems.extend(skipped)
                elif classify(match_path.name) is not None:
                    special = _special_match(match_path)
                    if special is not None:
                        problems.append(special)
                    else:
                        files.append(_explicit_file(match_path, _display(match_path)))
            if not files and len(problems) == before:
                problems.append(
                    anchor.finding("FHIR-JSON-010", f"pattern {argument} matched no FHIR files")
                )
            for item in files:
                add(item)
        else:
            message = _missing_message(argument, _stat_error(path))
            problems.append(anchor.finding("FHIR-JSON-010", message))
    return inputs, problems
