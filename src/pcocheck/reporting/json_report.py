"""``--format json``: the ``pcocheck-report/1`` document (design-notes §3)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pcocheck import __version__
from pcocheck.reporting import ReportOptions
from pcocheck.result import RunResult

SCHEMA_ID = "pcocheck-report/1"


def report_document(result: RunResult) -> dict[str, Any]:
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
            "incomplete": result.incomplete is not None,
        },
        "issues": [finding.to_dict() for finding in result.sorted_findings()],
    }
    if result.incomplete is not None:
        document["summary"]["incompleteReason"] = result.incomplete
    if result.tests is not None:  # pcocheck server (design-notes §3)
        document["tests"] = [test.to_dict() for test in result.tests]
        tally: dict[str, int] = {}
        for test in result.tests:
            tally[test.result] = tally.get(test.result, 0) + 1
        document["summary"]["tests"] = tally
    if result.server is not None:
        document["server"] = result.server
    return document


def render_json(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(report_document(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
