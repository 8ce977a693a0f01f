"""Each machine format against its schema or consumer's rules, server test outcomes in
every format, and stable ordering."""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from pcocheck.finding import Severity
from pcocheck.reporting import FORMATS, ReportOptions, reporter
from pcocheck.result import RunResult
from tests.reporting.conftest import SCHEMAS, SERVER_TESTS, GoldenRun, ServerResult

SARIF_SCHEMA = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
JUNIT_XSD = xmlschema.XMLSchema(str(SCHEMAS / "jenkins-junit.xsd"))


def render(result: RunResult, fmt: str, **options: object) -> str:
    buffer = io.StringIO()
    reporter(fmt)(result, buffer, ReportOptions(**options))  # type: ignore[arg-type]
    return buffer.getvalue()


def server_result(golden_run: GoldenRun) -> ServerResult:
    base = golden_run.result
    return ServerResult(
        findings=list(base.findings),
        files=base.files,
        resources=base.resources,
        tests=list(SERVER_TESTS),
    )


# --- SARIF ---------------------------------------------------------------------------


def test_sarif_validates_against_the_sarif_2_1_0_schema(golden_run: GoldenRun) -> None:
    document = json.loads(golden_run.render("sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    bind = next(r for r in run["results"] if r["ruleId"] == "FHIR-BIND-001")
    physical = bind["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "input/bundle.json"
    assert physical["region"] == {"startLine": 12, "startColumn": 9}
    assert bind["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "Bundle.entry[0].resource.gender"
    )
    assert bind["level"] == "error"
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["FHIR-STRUCT-011"] == "warning"


def test_sarif_schema_check_can_fail(golden_run: GoldenRun) -> None:
    document = json.loads(golden_run.render("sarif"))
    document["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)


def test_sarif_server_tests_are_results(golden_run: GoldenRun) -> None:
    document = json.loads(render(server_result(golden_run), "sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    results = {r["ruleId"]: r for r in document["runs"][0]["results"]}
    assert results["SRV-SEARCH-01"]["kind"] == "fail"
    assert results["SRV-SEARCH-01"]["level"] == "error"
    assert results["SRV-READ-01"]["kind"] == "pass"
    assert results["SRV-SEARCH-02"]["kind"] == "notApplicable"
    assert results["SRV-META-01"]["kind"] == "fail"


# --- JUnit ---------------------------------------------------------------------------


def test_junit_validates_against_the_jenkins_junit_xsd(golden_run: GoldenRun) -> None:
    text = golden_run.render("junit")
    JUNIT_XSD.validate(text)
    tree = JUNIT_XSD.to_dict(text)
    suites = {s["@name"]: s for s in tree["testsuite"]}
    assert set(suites) == {
        "input/broken.json",
        "input/bundle.json",
        "input/clean.json",
        "input/export.ndjson",
    }
    bundle = suites["input/bundle.json"]
    names = [case["@name"] for case in bundle["testcase"]]
    # Every resource is a testcase, including the ones that passed.
    assert names == ["Bundle/golden-bundle", "Patient/p1 [entry 0]", "Basic/b1 [entry 1]"]
    assert bundle["@tests"] == "3" and bundle["@failures"] == "1"
    assert suites["input/clean.json"]["@failures"] == "0"
    assert suites["input/export.ndjson"]["@tests"] == "2"


def test_junit_xsd_check_can_fail(golden_run: GoldenRun) -> None:
    text = golden_run.render("junit").replace("<testcase ", "<testcase bogus='1' ", 1)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        JUNIT_XSD.validate(text)


def test_junit_server_tests_are_testcases(golden_run: GoldenRun) -> None:
    text = render(server_result(golden_run), "junit")
    JUNIT_XSD.validate(text)
    tree = JUNIT_XSD.to_dict(text)
    suites = {s["@name"]: s for s in tree["testsuite"]}
    search = suites["server: search"]
    assert search["@failures"] == "1" and search["@skipped"] == "1"
    cases = {c["@name"]: c for c in search["testcase"]}
    assert "failure" in cases["SRV-SEARCH-01 Goal search by patient"]
    assert "skipped" in cases["SRV-SEARCH-02 Observation focus search"]
    assert suites["server: capabilities"]["@errors"] == "1"


# --- GitLab Code Quality -----------------------------------------------------------


def test_gitlab_code_quality_fields(golden_run: GoldenRun) -> None:
    issues = json.loads(golden_run.render("gitlab"))
    assert len(issues) == len(golden_run.result.findings)
    severities = {"info", "minor", "major", "critical", "blocker"}
    for issue in issues:
        assert issue["description"] and issue["check_name"]
        assert issue["severity"] in severities
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_do_not_depend_on_lines(golden_run: GoldenRun) -> None:
    import dataclasses

    moved = dataclasses.replace(
        golden_run.result,
        findings=[
            dataclasses.replace(f, line=(f.line or 0) + 5) for f in golden_run.result.findings
        ],
    )
    before = [i["fingerprint"] for i in json.loads(golden_run.render("gitlab"))]
    after = [i["fingerprint"] for i in json.loads(render(moved, "gitlab"))]
    assert before == after


# --- GitHub ------------------------------------------------------------------------


def test_github_annotations_and_job_summary(golden_run: GoldenRun, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    text = golden_run.render("github", summary_path=str(summary))
    lines = text.splitlines()
    assert lines[0] == (
        "::error file=input/broken.json,line=2,col=9,title=FHIR-JSON-001::"
        'invalid JSON: Expecting value (near "}")'
    )
    assert any(line.startswith("::warning file=input/bundle.json,line=22") for line in lines)
    assert lines[-1].startswith("pcocheck FAILED")
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("earlier step\n## pcocheck ❌ failed")  # appended
    assert "| FHIR-BIND-001 | 1 |" in markdown


def test_github_commands_cannot_be_injected() -> None:
    from pcocheck.finding import Finding
    from pcocheck.reporting.github import annotation

    finding = Finding(
        code="FHIR-STRUCT-001",
        severity=Severity.ERROR,
        type="structure",
        message="bad\n::notice::fake 100%\x1b[2J",
        file="a,b:c.json",
        line=1,
        column=2,
    )
    line = annotation(finding)
    assert "\n" not in line and "\x1b" not in line
    assert line.startswith("::error file=a%2Cb%3Ac.json,line=1,col=2,title=FHIR-STRUCT-001::")
    assert "bad%0A::notice::fake 100%25\\x1b[2J" in line


# --- OperationOutcome --------------------------------------------------------------


def test_operationoutcome_validates_cleanly_with_pcocheck(
    golden_run: GoldenRun, tmp_path: Path
) -> None:
    for name, result in (("many", golden_run.result), ("server", server_result(golden_run))):
        path = tmp_path / f"{name}.json"
        path.write_text(render(result, "operationoutcome", inventory=golden_run.inventory))
        proc = subprocess.run(
            [sys.executable, "-m", "pcocheck", "validate", str(path), "-f", "json", "--no-config"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        report = json.loads(proc.stdout)
        assert report["issues"] == [], report["issues"]
        assert proc.returncode == 0
    bundle = json.loads((tmp_path / "many.json").read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    outcomes = [e["resource"] for e in bundle["entry"]]
    assert len(outcomes) == 4  # one per input file, the clean one included
    clean = next(o for o in outcomes if "clean.json" in o["text"]["div"])
    assert clean["issue"][0]["code"] == "informational"
    issues = [i for o in outcomes for i in o["issue"]]
    bind = next(i for i in issues if i["diagnostics"].startswith("FHIR-BIND-001"))
    assert bind["severity"] == "error" and bind["code"] == "code-invalid"
    assert bind["expression"] == ["Bundle.entry[0].resource.gender"]
    assert bind["location"] == ["Line[12] Col[9]"]


def test_operationoutcome_for_one_input_is_one_resource(tmp_path: Path) -> None:
    from pcocheck.finding import Finding

    result = RunResult(
        findings=[Finding("FHIR-JSON-001", Severity.FATAL, "structure", "bad", "x.json", 1, 2)],
        files=1,
    )
    document = json.loads(render(result, "operationoutcome"))
    assert document["resourceType"] == "OperationOutcome"
    assert document["issue"][0]["severity"] == "fatal"


# --- every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_stable_ordering_whatever_order_the_checks_found_things(
    fmt: str, golden_run: GoldenRun
) -> None:
    import dataclasses

    shuffled = list(golden_run.result.findings)
    random.Random(7).shuffle(shuffled)
    reordered = dataclasses.replace(golden_run.result, findings=list(reversed(shuffled)))
    options = {"inventory": golden_run.inventory}
    assert render(reordered, fmt, **options) == render(golden_run.result, fmt, **options)


@pytest.mark.parametrize("fmt", FORMATS)
def test_server_tests_appear_in_every_format(fmt: str, golden_run: GoldenRun) -> None:
    text = render(server_result(golden_run), fmt)
    assert "SRV-SEARCH-01" in text


def test_json_report_lists_server_tests(golden_run: GoldenRun) -> None:
    report = json.loads(render(server_result(golden_run), "json"))
    schema_path = Path(__file__).resolve().parents[2] / (
        "src/pcocheck/reporting/schemas/pcocheck-report-1.schema.json"
    )
    jsonschema.validate(report, json.loads(schema_path.read_text(encoding="utf-8")))
    results = {t["id"]: t["result"] for t in report["tests"]}
    assert results == {
        "SRV-SEARCH-01": "fail",
        "SRV-READ-01": "pass",
        "SRV-SEARCH-02": "skip",
        "SRV-META-01": "error",
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", report["tool"]["version"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_ties_on_position_code_and_message_are_ordered_too(fmt: str) -> None:
    from pcocheck.finding import Finding

    def tie(resource: str, expression: str) -> Finding:
        # Cross-resource findings on an NDJSON line carry no column: same place, code, text.
        return Finding(
            "FHIR-REF-004", Severity.INFORMATION, "not-found", "same message", "x.ndjson", 3,
            None, None, resource, expression,
        )  # fmt: skip

    findings = [tie("Goal/a", "Goal.target[0]"), tie("Goal/b", "Goal.target[1]")]
    first = render(RunResult(findings=findings, files=1), fmt)
    second = render(RunResult(findings=list(reversed(findings)), files=1), fmt)
    assert first == second


def test_junit_on_a_large_export_lists_a_bounded_number_of_testcases(tmp_path: Path) -> None:
    from pcocheck.config import RunConfig
    from pcocheck.inventory import Inventory
    from pcocheck.runner import validate_config

    lines = [json.dumps({"resourceType": "Basic", "id": f"b{i}"}) for i in range(30)]
    lines[25] = json.dumps({"resourceType": "Basic", "id": "b25", "colour": "red"})
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join(lines) + "\n")
    inventory = Inventory(limit=10)
    result = validate_config(
        RunConfig(paths=(str(export),), select=("FHIR-STRUCT-001",)), extra=[inventory]
    )
    text = render(result, "junit", inventory=inventory)
    JUNIT_XSD.validate(text)
    suite = JUNIT_XSD.to_dict(text)["testsuite"][0]
    names = [case["@name"] for case in suite["testcase"]]
    # 10 listed, the failing one past the limit, and one testcase for the other 19.
    assert names[:10] == [f"Basic/b{i}" for i in range(10)]
    assert "Basic/b25" in names and names[-1] == "19 more resource(s)"
    assert suite["@tests"] == "12" and suite["@failures"] == "1"
