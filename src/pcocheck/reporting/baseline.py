"""Baselines: accept the findings a project already has, fail only on new ones.

JSON cannot carry inline suppressions, so a baseline file records findings by what
identifies them independently of formatting — rule code, file, resource and FHIRPath
expression, never line or column — so that inserting lines above a finding does not
make it "new". Matching counts occurrences: two identical findings need two entries.
Entries that no longer match anything are stale and reported (FHIR-BASELINE-080), so a
baseline shrinks as problems are fixed. ``pcocheck diff`` matches reports the same way.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcocheck.finding import Finding
from pcocheck.reporting.text import encodable_tree

BASELINE_SCHEMA = "pcocheck-baseline/1"
STALE_CODE = "FHIR-BASELINE-080"

# (code, file, resource, expression)
MatchKey = tuple[str, str | None, str | None, str | None]


class BaselineError(Exception):
    """An unreadable or malformed baseline file (exit code 2)."""


def _is_local(file: str | None) -> bool:
    return bool(file) and file != "<stdin>" and "://" not in (file or "")


def _relative_file(file: str | None, base: Path | None) -> str | None:
    """Files are recorded relative to the baseline's folder (posix separators), so the
    baseline matches whatever folder pcocheck is started from."""
    if file is None or base is None or not _is_local(file):
        return file
    return Path(os.path.relpath(os.path.abspath(file), base)).as_posix()


def match_key(item: Mapping[str, Any] | Finding, base: Path | None = None) -> MatchKey:
    if isinstance(item, Finding):
        code, file, resource, expression = item.code, item.file, item.resource, item.expression
    else:
        code, file = str(item.get("code")), item.get("file")
        resource, expression = item.get("resource"), item.get("expression")
    return (code, _relative_file(file, base), resource, expression)


@dataclass(frozen=True, slots=True)
class Baseline:
    path: Path
    entries: tuple[dict[str, Any], ...]

    @property
    def base(self) -> Path:
        return self.path.resolve().parent


def _entry(finding: Finding, base: Path) -> dict[str, Any]:
    code, file, resource, expression = match_key(finding, base)
    return {
        "code": code,
        "file": file,
        "resource": resource,
        "expression": expression,
        "message": finding.message,  # for people reading the file; not matched
    }


def baseline_document(findings: Iterable[Finding], path: Path) -> dict[str, Any]:
    base = path.resolve().parent
    entries = [_entry(f, base) for f in sorted(findings, key=Finding.sort_key)]
    entries.sort(key=lambda e: tuple("" if e[k] is None else str(e[k]) for k in e))
    return encodable_tree({"schema": BASELINE_SCHEMA, "entries": entries})  # type: ignore[no-any-return]


def render_baseline(findings: Iterable[Finding], path: Path) -> str:
    return json.dumps(baseline_document(findings, path), indent=2, ensure_ascii=False) + "\n"


def read_json_file(path: Path, label: str, error: type[Exception]) -> Any:
    """The JSON in ``path``, or ``error`` with one line naming ``label`` (exit code 2)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{label}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as problem:
        raise error(f"{label}: not a readable JSON file ({problem})") from None


def load_baseline(path: Path) -> Baseline:
    data = read_json_file(path, f"--baseline {path}", BaselineError)
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise BaselineError(f"--baseline {path}: not a {BASELINE_SCHEMA} file")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"--baseline {path}: 'entries' must be a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            raise BaselineError(f"--baseline {path}: entries[{index}] has no code")
        for key in ("file", "resource", "expression"):
            if entry.get(key) is not None and not isinstance(entry.get(key), str):
                raise BaselineError(f"--baseline {path}: entries[{index}].{key} must be a string")
    return Baseline(path=path, entries=tuple(entries))


@dataclass(frozen=True, slots=True)
class BaselineOutcome:
    kept: list[Finding]
    suppressed: int
    stale: list[Finding]


def apply_baseline(findings: Iterable[Finding], baseline: Baseline) -> BaselineOutcome:
    base = baseline.base
    remaining: Counter[MatchKey] = Counter(match_key(e) for e in baseline.entries)
    kept: list[Finding] = []
    suppressed = 0
    for finding in sorted(findings, key=Finding.sort_key):
        key = match_key(finding, base)
        if remaining[key] > 0:
            remaining[key] -= 1
            suppressed += 1
        else:
            kept.append(finding)
    stale = [_stale_finding(key, count, baseline) for key, count in remaining.items() if count > 0]
    return BaselineOutcome(kept=kept, suppressed=suppressed, stale=stale)


def _stale_finding(key: MatchKey, count: int, baseline: Baseline) -> Finding:
    from pcocheck.view import Anchor

    code, file, resource, expression = key
    where = " at ".join(p for p in (resource, expression) if p) or "the whole file"
    times = f" ({count} entries)" if count > 1 else ""
    # Shown where the run would show the file: relative to the working directory.
    shown = file
    if file is not None and _is_local(file):
        shown = os.path.relpath(baseline.base / file)
    message = (
        f"baseline entry {code} for {where}{times} no longer matches any finding; "
        f"remove it from {baseline.path}"
    )
    return Anchor(source=None, file=shown, resource=resource).finding(STALE_CODE, message)
