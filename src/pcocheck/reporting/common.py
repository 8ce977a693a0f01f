"""Small helpers several reporters share."""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import quote

from pcocheck.finding import Finding
from pcocheck.result import RunResult

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
    import hashlib  # only the formats with fingerprints (SARIF, GitLab) need it

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


def _report_key(finding: Finding) -> tuple[object, ...]:
    # Finding.sort_key (file, line, column, code, message), then everything else that
    # tells two findings apart, so ties never depend on the order checks ran in.
    return (
        *finding.sort_key(),
        finding.entry if finding.entry is not None else -1,
        finding.resource or "",
        finding.expression or "",
        finding.profile or "",
        int(finding.severity),
        finding.type,
    )


def ordered_findings(result: RunResult) -> list[Finding]:
    """The findings in report order: by file, position and code, with every tie broken."""
    return sorted(result.findings, key=_report_key)
