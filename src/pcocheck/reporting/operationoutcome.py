"""``--format operationoutcome``: FHIR R4 OperationOutcome, the way FHIR tools exchange
validation results.

One OperationOutcome per input file (a ``collection`` Bundle of them when there are
several), each issue with severity, code (the FHIR IssueType), details.text (the
message), diagnostics (rule code, file:line:column, profile), expression (FHIRPath) and
location (``Line[n] Col[m]``, as the HL7 validator writes it). A file without findings
gets one ``informational`` issue ("no issues"), since OperationOutcome needs one. The
output itself validates cleanly with pcocheck (tested). Ids and fullUrls are derived
from the file names, so the output is the same on every run.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from html import escape
from typing import Any, TextIO

from pcocheck import __version__
from pcocheck.finding import Finding
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import RUN_FILE, ordered_findings, where
from pcocheck.reporting.outcomes import TestOutcome, test_outcomes
from pcocheck.reporting.text import encodable_tree, printable
from pcocheck.result import RunResult

_NAMESPACE = uuid.UUID("6f0b3c1e-5d3a-4c7e-9a55-7c1f0e2b9d10")


def _uuid(text: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, text.encode("utf-8", "backslashreplace").decode()))


def _issue(finding: Finding) -> dict[str, Any]:
    diagnostics = f"{finding.code} at {where(finding)}"
    if finding.resource:
        diagnostics += f" in {finding.resource}"
    if finding.profile:
        diagnostics += f" (profile {finding.profile})"
    issue: dict[str, Any] = {
        "severity": finding.severity.label,
        "code": finding.type,
        "details": {"text": finding.message},
        "diagnostics": diagnostics,
    }
    if finding.line is not None:
        column = f" Col[{finding.column}]" if finding.column is not None else ""
        issue["location"] = [f"Line[{finding.line}]{column}"]
    if finding.expression:
        issue["expression"] = [finding.expression]
    return issue


def _test_issue(test: TestOutcome) -> dict[str, Any]:
    return {
        "severity": test.severity.label,
        "code": "exception" if test.result == "error" else "business-rule",
        "details": {"text": f"{test.id} {test.title}: {test.reason or test.result}"},
        "diagnostics": f"server test {test.id} ({test.group}): {test.result}",
    }


_NO_ISSUES = {
    "severity": "information",
    "code": "informational",
    "details": {"text": "No issues found"},
}


def _narrative(file: str, issues: list[dict[str, Any]]) -> dict[str, str]:
    counts: dict[str, int] = defaultdict(int)
    for issue in issues:
        if issue is not _NO_ISSUES:
            counts[issue["severity"]] += 1
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no issues"
    text = escape(printable(f"pcocheck {__version__}: {file}: {tally}"))
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{text}</div>'}


def _outcome(file: str, issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "id": _uuid(file),
        "text": _narrative(file, issues),
        "issue": issues or [_NO_ISSUES],
    }


def outcome_document(result: RunResult, options: ReportOptions | None = None) -> dict[str, Any]:
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in ordered_findings(result):
        by_file[finding.file or RUN_FILE].append(_issue(finding))
    inventory = options.inventory.files if options and options.inventory else {}
    files = sorted(set(by_file) | set(inventory))
    tests = test_outcomes(result)
    if tests:
        by_file["server tests"].extend(_test_issue(t) for t in tests)
        files.append("server tests")
    if not files:
        files = [RUN_FILE]
    outcomes = [_outcome(file, by_file.get(file, [])) for file in files]
    if len(outcomes) == 1:
        document = outcomes[0]
    else:
        document = {
            "resourceType": "Bundle",
            "id": _uuid("bundle:" + "\n".join(files)),
            "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{o['id']}", "resource": o} for o in outcomes],
        }
    return encodable_tree(document)  # type: ignore[no-any-return]


def render_operationoutcome(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(outcome_document(result, options), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
