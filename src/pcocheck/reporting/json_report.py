"""``--format json``: the ``pcocheck-report/1`` document (design-notes §3)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pcocheck import __version__
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import ordered_findings
from pcocheck.reporting.outcomes import test_outcomes
from pcocheck.reporting.text import encodable_tree
from pcocheck.result import RunResult

SCHEMA_ID = "pcocheck-report/1"


def report_document(result: RunResult, options: ReportOptions | None = None) -> dict[str, Any]:
    counts = result.counts()
    document: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "tool": {"name": "pcocheck", "version": __version__},
        "summary": {
            "files": result.files,
            "resources": result.resources,
            "fatal": counts["fatal"],
            "error": counts["error"],
            "warning": counts["warning"],
            "information": counts["information"],
            "passed": result.passed,
            "failOn": result.fail_on.label if result.fail_on is not None else "never",
        },
        "issues": [finding.to_dict() for finding in ordered_findings(result)],
    }
    if options is not None and options.baselined is not None:
        document["summary"]["baselined"] = options.baselined
    tests = test_outcomes(result)
    if tests:
        document["tests"] = [
            {
                "id": t.id,
                "title": t.title,
                "group": t.group,
                "result": t.result,
                "reason": t.reason,
                "expectation": t.expectation,
                "requests": list(t.requests),
            }
            for t in tests
        ]
    # Lone surrogates (valid JSON escapes in the input) cannot be written as UTF-8.
    return encodable_tree(document)  # type: ignore[no-any-return]


def render_json(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(report_document(result, options), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
