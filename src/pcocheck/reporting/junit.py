"""``--format junit``: JUnit XML as Jenkins, GitLab, Azure DevOps and others read it.

One ``testsuite`` per input file, one ``testcase`` per resource (the resources that
passed too, from the run's inventory; past its per-file limit the rest are one summary
testcase), one ``failure`` per error or fatal finding; warnings and information go to
the testcase's ``system-out``. Findings about a whole file (a parse error) belong to a
``(document)`` testcase. Server test outcomes become testcases of one testsuite per
test group, with ``failure``/``error``/``skipped``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TextIO

from pcocheck.finding import Finding, Severity
from pcocheck.reporting import ReportOptions
from pcocheck.reporting.common import RUN_FILE, ordered_findings, resource_heading, where
from pcocheck.reporting.outcomes import TestOutcome, test_outcomes
from pcocheck.reporting.text import xml_safe
from pcocheck.result import RunResult

ResourceKey = tuple[str | None, int | None]


def _case_name(key: ResourceKey) -> str:
    return xml_safe(resource_heading(*key))


def _detail(finding: Finding) -> str:
    lines = [f"{finding.severity.label} {finding.code} at {where(finding)}"]
    if finding.expression:
        lines.append(f"  at {finding.expression}")
    lines.append(f"  {finding.message}")
    if finding.profile:
        lines.append(f"  profile {finding.profile}")
    return xml_safe("\n".join(lines))


def _file_suite(
    file: str,
    findings: list[Finding],
    checked: list[ResourceKey],
    unlisted: int,
) -> ET.Element:
    by_resource: dict[ResourceKey, list[Finding]] = defaultdict(list)
    for finding in findings:
        key = (finding.resource, finding.entry)
        if finding.resource is None and finding.entry is None:
            key = (None, None)
        by_resource[key].append(finding)
    # Resources in the order they appear in the file (the inventory's order: a Bundle
    # before its entries), then any with findings past the inventory's limit, by line.
    keys = list(dict.fromkeys([*checked, *by_resource]))
    suite = ET.Element("testsuite", name=xml_safe(file))
    failures = 0
    cases = 0
    for key in keys:
        case = ET.SubElement(suite, "testcase", name=_case_name(key), classname=xml_safe(file))
        case.set("time", "0")
        cases += 1
        problems = by_resource.get(key, [])
        failing = [f for f in problems if f.severity >= Severity.ERROR]
        for finding in failing:
            failure = ET.SubElement(
                case,
                "failure",
                message=xml_safe(f"{finding.code}: {finding.message}"),
                type=finding.code,
            )
            failure.text = _detail(finding)
        if failing:
            failures += 1
        others = [f for f in problems if f.severity < Severity.ERROR]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(_detail(f) for f in others)
    # Resources past the inventory's limit that had findings already have their testcase.
    unlisted -= len(set(by_resource) - set(checked) - {(None, None)}) if unlisted else 0
    if unlisted > 0:
        case = ET.SubElement(
            suite, "testcase", name=f"{unlisted} more resource(s)", classname=xml_safe(file)
        )
        case.set("time", "0")
        cases += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", "0")
    return suite


def _test_suite(group: str, tests: list[TestOutcome]) -> ET.Element:
    suite = ET.Element("testsuite", name=xml_safe(f"server: {group}" if group else "server"))
    failures = errors = skipped = 0
    for test in tests:
        name = f"{test.id} {test.title}".strip()
        case = ET.SubElement(
            suite, "testcase", name=xml_safe(name), classname=xml_safe(group or "server")
        )
        case.set("time", "0")
        reason = xml_safe(test.reason or test.result)
        if test.result in ("skip", "omit"):
            skip = ET.SubElement(case, "skipped")
            skip.text = reason
            skipped += 1
        elif test.result == "error":
            element = ET.SubElement(case, "error", message=reason, type=test.expectation or "SHALL")
            element.text = reason
            errors += 1
        elif test.result == "fail":
            element = ET.SubElement(
                case, "failure", message=reason, type=test.expectation or "SHALL"
            )
            element.text = reason
            failures += 1
        if test.requests:
            out = ET.SubElement(case, "system-out")
            out.text = xml_safe("requests: " + ", ".join(test.requests))
    suite.set("tests", str(len(tests)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    return suite


def junit_tree(result: RunResult, options: ReportOptions) -> ET.Element:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in ordered_findings(result):
        by_file[finding.file or RUN_FILE].append(finding)
    inventory = options.inventory.files if options.inventory is not None else {}
    root = ET.Element("testsuites", name="pcocheck")
    tests = failures = errors = 0
    for file in sorted(set(by_file) | set(inventory)):
        record = inventory.get(file)
        suite = _file_suite(
            file,
            by_file.get(file, []),
            record.resources if record else [],
            record.unlisted if record else 0,
        )
        root.append(suite)
    groups: dict[str, list[TestOutcome]] = defaultdict(list)
    for test in test_outcomes(result):
        groups[test.group].append(test)
    for group in sorted(groups):
        root.append(_test_suite(group, groups[group]))
    for suite in root:
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0"))
        errors += int(suite.get("errors", "0"))
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("time", "0")
    return root


def render_junit(result: RunResult, stream: TextIO, options: ReportOptions) -> None:
    tree = junit_tree(result, options)
    ET.indent(tree, space="  ")
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(tree, encoding="unicode"))
    stream.write("\n")
