"""``--format gitlab``: GitLab Code Quality (the Code Climate JSON subset GitLab reads).

Each finding: description, check_name, fingerprint (unique and stable: it does not
depend on the line, so a moved finding is not "new" in a merge request), severity
(info, minor, major, critical, blocker) and location.path / location.lines.begin.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import fingerprint, occurrence_fingerprints, ordered_findings
from pcocheck.reporting.outcomes import test_outcomes
from pcocheck.reporting.text import encodable_tree
from pcocheck.result import RunResult

SEVERITIES = {
    Severity.FATAL: "blocker",
    Severity.ERROR: "major",
    Severity.WARNING: "minor",
    Severity.INFORMATION: "info",
}


def _issue(finding: Finding, print_: str) -> dict[str, Any]:
    description = f"{finding.code}: {finding.message}"
    if finding.expression:
        description += f" (at {finding.expression})"
    return {
        "type": "issue",
        "description": description,
        "check_name": finding.code,
        "categories": ["Bug Risk" if finding.severity >= Severity.ERROR else "Style"],
        "fingerprint": print_,
        "severity": SEVERITIES[finding.severity],
        # GitLab needs a path: findings about the run itself point at the project root.
        "location": {"path": finding.file or ".", "lines": {"begin": finding.line or 1}},
    }


def gitlab_document(result: RunResult) -> list[dict[str, Any]]:
    findings = ordered_findings(result)
    issues = [
        _issue(f, p) for f, p in zip(findings, occurrence_fingerprints(findings), strict=True)
    ]
    for test in test_outcomes(result):
        if test.failed:
            issues.append(
                {
                    "type": "issue",
                    "description": f"{test.id} {test.title}: {test.reason or test.result}",
                    "check_name": test.id,
                    "categories": ["Compatibility"],
                    "fingerprint": fingerprint("test", test.group, test.id),
                    "severity": SEVERITIES[test.severity],
                    "location": {"path": ".", "lines": {"begin": 1}},
                }
            )
    return encodable_tree(issues)  # type: ignore[no-any-return]


def render_gitlab(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(gitlab_document(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
