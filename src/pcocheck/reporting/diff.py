"""``pcocheck diff OLD.json NEW.json``: what changed between two JSON reports.

Findings are matched as a baseline matches them (rule code, file, resource, FHIRPath
expression; never line or column, occurrences counted), so reformatting a file does not
make its findings "new". New findings at or above ``--fail-on`` make the exit code 1.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pcocheck.finding import Severity
from pcocheck.reporting.baseline import MatchKey, match_key, read_json_file
from pcocheck.reporting.json_report import SCHEMA_ID
from pcocheck.reporting.text import encodable_tree, printable

DIFF_SCHEMA = "pcocheck-diff/1"
_SEVERITIES = {s.label for s in Severity}


class ReportFileError(Exception):
    """A report that cannot be read or is not a pcocheck JSON report (exit code 2)."""


def load_report(path: Path) -> list[dict[str, Any]]:
    data = read_json_file(path, str(path), ReportFileError)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        raise ReportFileError(f"{path}: not a {SCHEMA_ID} report (pcocheck validate -f json)")
    issues = data.get("issues")
    if not isinstance(issues, list):
        raise ReportFileError(f"{path}: 'issues' must be a list")
    for index, issue in enumerate(issues):
        if (
            not isinstance(issue, dict)
            or not isinstance(issue.get("code"), str)
            or issue.get("severity") not in _SEVERITIES
        ):
            raise ReportFileError(f"{path}: issues[{index}] has no code or severity")
    return issues


@dataclass(frozen=True, slots=True)
class ReportDiff:
    new: list[dict[str, Any]]
    fixed: list[dict[str, Any]]
    unchanged: list[dict[str, Any]]

    def failing(self, fail_on: Severity | None) -> list[dict[str, Any]]:
        if fail_on is None:
            return []
        return [i for i in self.new if Severity.parse(i["severity"]) >= fail_on]


def _order(issue: dict[str, Any]) -> tuple[str, int, int, str]:
    return (
        str(issue.get("file") or ""),
        issue.get("line") or 0,
        issue.get("column") or 0,
        str(issue.get("code")),
    )


def diff_reports(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> ReportDiff:
    remaining: Counter[MatchKey] = Counter(match_key(i) for i in old)
    added: list[dict[str, Any]] = []
    unchanged: list[dict[str, Any]] = []
    for issue in sorted(new, key=_order):
        key = match_key(issue)
        if remaining[key] > 0:
            remaining[key] -= 1
            unchanged.append(issue)
        else:
            added.append(issue)
    fixed: list[dict[str, Any]] = []
    for issue in sorted(old, key=_order):
        key = match_key(issue)
        if remaining[key] > 0:
            remaining[key] -= 1
            fixed.append(issue)
    return ReportDiff(new=added, fixed=fixed, unchanged=unchanged)


def _line(issue: dict[str, Any]) -> str:
    place = str(issue.get("file") or "<run>")
    if issue.get("line"):
        place += f":{issue['line']}"
        if issue.get("column"):
            place += f":{issue['column']}"
    text = f"{issue['severity']:<11} {issue['code']:<17} {place}"
    if issue.get("expression"):
        text += f"  at {issue['expression']}"
    return printable(text) + "\n      " + printable(str(issue.get("message", "")))


def render_diff_text(diff: ReportDiff, fail_on: Severity | None, stream: TextIO) -> None:
    for title, items in (("New", diff.new), ("Fixed", diff.fixed)):
        stream.write(f"{title} ({len(items)}):\n")
        for issue in items:
            stream.write(f"  {_line(issue)}\n")
        stream.write("\n")
    failing = diff.failing(fail_on)
    threshold = fail_on.label if fail_on is not None else "never"
    verdict = "FAILED" if failing else "PASSED"
    stream.write(
        f"{verdict}: {len(diff.new)} new, {len(diff.fixed)} fixed, {len(diff.unchanged)} "
        f"unchanged; {len(failing)} new at or above fail-on {threshold}\n"
    )


def render_diff_json(diff: ReportDiff, fail_on: Severity | None, stream: TextIO) -> None:
    document = {
        "schema": DIFF_SCHEMA,
        "summary": {
            "new": len(diff.new),
            "fixed": len(diff.fixed),
            "unchanged": len(diff.unchanged),
            "failOn": fail_on.label if fail_on is not None else "never",
            "passed": not diff.failing(fail_on),
        },
        "new": diff.new,
        "fixed": diff.fixed,
    }
    json.dump(encodable_tree(document), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
