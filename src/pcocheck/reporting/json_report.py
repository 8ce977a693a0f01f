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
    return {
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


def render_json(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(report_document(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
