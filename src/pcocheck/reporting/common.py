"""Small helpers several reporters share."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from urllib.parse import quote

from pcocheck.finding import Finding

RUN_FILE = "<run>"  # findings about the run itself (no file)


def is_url(file: str) -> bool:
    return "://" in file


def file_uri(file: str) -> str:
    """A URI reference for a finding's file: relative paths stay relative (percent-encoded,
    forward slashes), absolute ones become file URIs, URLs (server mode) stay as they are.
    Bytes that are not valid UTF-8 are percent-encoded as the bytes they were."""
    if is_url(file):
        return file
    raw = os.fsencode(file)
    absolute = os.path.isabs(file)
    text = quote(raw.replace(b"\\", b"/") if os.sep == "\\" else raw, safe=b"/-._~")
    return f"file://{text}" if absolute else text


def fingerprint(*parts: str | int | None) -> str:
    """A stable hash of what identifies a finding (never its line: lines shift)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


def occurrence_fingerprints(findings: Iterable[Finding]) -> list[str]:
    """One fingerprint per finding, unique within the report: identical findings (same
    code, file, resource, expression and message) are told apart by their order."""
    seen: dict[str, int] = {}
    prints: list[str] = []
    for finding in findings:
        base = fingerprint(
            finding.code, finding.file, finding.resource, finding.expression, finding.message
        )
        count = seen.get(base, 0)
        seen[base] = count + 1
        prints.append(base if count == 0 else fingerprint(base, count))
    return prints


def where(finding: Finding) -> str:
    place = finding.file or RUN_FILE
    if finding.line is not None:
        place += f":{finding.line}"
        if finding.column is not None:
            place += f":{finding.column}"
    return place


def resource_heading(resource: str | None, entry: int | None) -> str:
    heading = resource or "(document)"
    if entry is not None:
        heading += f" [entry {entry}]"
    return heading
