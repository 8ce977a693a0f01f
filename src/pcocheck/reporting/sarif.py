"""``--format sarif``: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDEs).

One run; ``tool.driver.rules`` holds, from the rule catalog, every rule that has a result
in this run (id, name, descriptions, help, default level) in code order — the report
stays small and does not change when unrelated rules are added. Results carry the
physical location (relative URI, line, column) and the FHIRPath as a logical location.
Server test outcomes become results of their own rules with ``kind`` pass/fail/
notApplicable.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from pcocheck import __version__
from pcocheck.catalog import RuleSpec, catalog
from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import (
    file_uri,
    fingerprint,
    occurrence_fingerprints,
    ordered_findings,
)
from pcocheck.reporting.outcomes import TestOutcome, test_outcomes
from pcocheck.reporting.text import encodable_tree
from pcocheck.result import RunResult

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://hl7.org/fhir/us/pco/"

LEVELS = {
    Severity.FATAL: "error",
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
}


def _rule(spec: RuleSpec) -> dict[str, Any]:
    help_text = f"{spec.what}\n\nWhy: {spec.why}\n\nExample: {spec.example}\n\nFix: {spec.fix}"
    help_markdown = (
        f"{spec.what}\n\n**Why it matters:** {spec.why}\n\n**Example:**\n\n"
        f"```\n{spec.example}\n```\n\n**How to fix:** {spec.fix}"
    )
    return {
        "id": spec.code,
        "name": spec.code.replace("-", ""),
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": spec.what},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVELS[spec.severity]},
        "properties": {
            "tags": [spec.family, spec.type],
            "fhirIssueType": spec.type,
            "fhirSeverity": spec.severity.label,
        },
    }


def _test_rule(test: TestOutcome) -> dict[str, Any]:
    return {
        "id": test.id,
        "name": test.id.replace("-", "").replace(".", ""),
        "shortDescription": {"text": test.title or test.id},
        "defaultConfiguration": {"level": LEVELS[test.severity]},
        "properties": {"group": test.group, "expectation": test.expectation or "SHALL"},
    }


def _location(finding: Finding) -> dict[str, Any] | None:
    location: dict[str, Any] = {}
    if finding.file and finding.file != "<stdin>":
        physical: dict[str, Any] = {"artifactLocation": {"uri": file_uri(finding.file)}}
        if finding.line is not None:
            region: dict[str, Any] = {"startLine": finding.line}
            if finding.column is not None:
                region["startColumn"] = finding.column
            physical["region"] = region
        location["physicalLocation"] = physical
    logical: dict[str, Any] = {}
    if finding.expression:
        logical = {"fullyQualifiedName": finding.expression, "kind": "element"}
    elif finding.resource:
        logical = {"fullyQualifiedName": finding.resource, "kind": "resource"}
    if logical:
        location["logicalLocations"] = [logical]
    return location or None


def _result(finding: Finding, index: int, print_: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
    }
    location = _location(finding)
    if location is not None:
        result["locations"] = [location]
    result["partialFingerprints"] = {"pcocheckFinding/v1": print_}
    properties: dict[str, Any] = {"severity": finding.severity.label, "issueType": finding.type}
    if finding.resource:
        properties["resource"] = finding.resource
    if finding.entry is not None:
        properties["bundleEntry"] = finding.entry
    if finding.profile:
        properties["profile"] = finding.profile
    if finding.file == "<stdin>":
        properties["file"] = "<stdin>"
    result["properties"] = properties
    return result


_TEST_KINDS = {"pass": "pass", "fail": "fail", "error": "fail", "skip": "notApplicable"}


def _test_result(test: TestOutcome, index: int) -> dict[str, Any]:
    kind = _TEST_KINDS.get(test.result, "notApplicable")
    text = test.title or test.id
    if test.reason:
        text += f": {test.reason}"
    return {
        "ruleId": test.id,
        "ruleIndex": index,
        "kind": kind,
        "level": LEVELS[test.severity] if kind == "fail" else "none",
        "message": {"text": f"{test.result}: {text}"},
        "partialFingerprints": {"pcocheckTest/v1": fingerprint(test.group, test.id)},
        "properties": {"result": test.result, "group": test.group, "requests": list(test.requests)},
    }


def sarif_document(result: RunResult) -> dict[str, Any]:
    findings = ordered_findings(result)
    known = catalog()
    specs = [known[code] for code in sorted({f.code for f in findings})]
    rules = [_rule(spec) for spec in specs]
    index = {spec.code: i for i, spec in enumerate(specs)}
    results = [
        _result(f, index[f.code], p)
        for f, p in zip(findings, occurrence_fingerprints(findings), strict=True)
    ]
    for test in test_outcomes(result):
        if test.id not in index:
            index[test.id] = len(rules)
            rules.append(_test_rule(test))
        results.append(_test_result(test, index[test.id]))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pcocheck",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": result.incomplete is None,
                **(
                    {"toolExecutionNotifications": [{"message": {"text": result.incomplete}}]}
                    if result.incomplete
                    else {}
                ),
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "files": result.files,
            "resources": result.resources,
            "passed": result.passed,
            "failOn": result.fail_on.label if result.fail_on is not None else "never",
        },
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return encodable_tree(document)  # type: ignore[no-any-return]


def render_sarif(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    json.dump(sarif_document(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
