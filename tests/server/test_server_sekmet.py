"""`pcocheck server` against a real FHIR server: sekmet-fhir 0.1.1 as shipped, with the
PCO journeys loaded. It lacks Goal and QuestionnaireResponse search parameters (it ignores
unknown parameters with an `outcome` entry): the report must say exactly that and pass
what works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from pcocheck.cli import app
from tests.server.conftest import GAS_PATIENT, PROM_PATIENT, read_report

RUNNER = CliRunner()
SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2]
        / "src/pcocheck/reporting/schemas/pcocheck-report-1.schema.json"
    ).read_text(encoding="utf-8")
)
TOKEN = "tok-3f9c2b7e-very-secret-value"


def run(base: str, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    report = tmp_path / "report.json"
    args = ["server", base, "-f", "json", "-o", str(report), "--timeout", "10", *extra]
    result = RUNNER.invoke(app, args, env=env)
    return result, read_report(report) if report.exists() else None


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in report["tests"]}


@pytest.fixture(scope="module")
def first_run(sekmet: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("run1")
    result, report = run(
        sekmet,
        tmp,
        "--patient",
        GAS_PATIENT,
        "--patient",
        PROM_PATIENT,
        "--evidence",
        str(tmp / "evidence"),
        env={"PCOCHECK_TOKEN": TOKEN},
    )
    return {"result": result, "report": report, "tmp": tmp}


def test_report_shape_and_exit_code(first_run: dict[str, Any]) -> None:
    report = first_run["report"]
    jsonschema.validate(report, SCHEMA)
    assert first_run["result"].exit_code == 1  # SHALL failures, run complete
    assert report["summary"]["incomplete"] is False
    assert report["server"]["patients"] == [GAS_PATIENT, PROM_PATIENT]
    assert len({t["id"] for t in report["tests"]}) == len(report["tests"])  # ids are unique
    for test in report["tests"]:
        assert test["result"] in {"pass", "fail", "skip", "omit", "error"}
        if test["result"] in ("fail", "skip"):
            assert test["reason"], test["id"]
        if test["result"] == "fail":  # every failure names the request that showed it
            assert test["requests"], test["id"]
            assert any(f"({r})" in test["reason"] for r in test["requests"]), test["id"]


def test_goal_patient_search_fails_naming_the_request(first_run: dict[str, Any]) -> None:
    tests = by_id(first_run["report"])
    goal = tests["search-goal-patient"]
    assert goal["result"] == "fail"
    assert goal["expectation"] == "SHALL"
    assert "'patient' was ignored" in goal["reason"]
    assert "Unknown search parameter 'patient' for Goal" in goal["reason"]
    first = goal["requests"][0]
    assert f"({first})" in goal["reason"]
    har = json.loads((first_run["tmp"] / "evidence" / "requests.har").read_text())
    entry = next(e for e in har["log"]["entries"] if e["_pcocheckRequestId"] == first)
    assert "/Goal?patient=gasJourneyPatient" in entry["request"]["url"]
    codes = {
        i["code"] for i in first_run["report"]["issues"] if i["file"] == entry["request"]["url"]
    }
    assert "SRV-SEARCH-001" in codes


def test_what_works_passes(first_run: dict[str, Any]) -> None:
    tests = by_id(first_run["report"])
    for test_id in (
        "capabilities-metadata",
        "capabilities-json",
        "search-observation-patient-category",
        "search-observation-patient-code",
        "search-careplan-patient-category",
        "search-servicerequest-patient",
        "search-patient-_id",
        "read-patients-under-test",
        "search-observation-patient-category-date",
        "paging",
        "read-observation",
        "read-goal",
        "references-observation-focus",
        "references-careplan-goal",
        "validation-goal",
        "validation-observation",
        "validation-questionnaireresponse",
        "errors-unknown-parameter",
        "errors-unknown-id",
        "must-support-pco-gas-goal-profile",
    ):
        assert tests[test_id]["result"] == "pass", (test_id, tests[test_id]["reason"])
    # the server does not declare QuestionnaireResponse searches: a SHOULD, so skipped
    qr = tests["search-questionnaireresponse-patient"]
    assert qr["result"] == "skip"
    assert "does not declare QuestionnaireResponse" in qr["reason"]
    assert tests["capabilities-goal"]["result"] == "fail"
    assert "resource Goal" in tests["capabilities-goal"]["reason"]
    # Must Support gaps are listed, as a skip
    ms = tests["must-support-pco-gas-score-observation"]
    assert ms["result"] == "skip" and "dataAbsentReason" in ms["reason"]


def test_every_request_of_a_test_is_in_the_evidence(first_run: dict[str, Any]) -> None:
    evidence = first_run["tmp"] / "evidence"
    har = json.loads((evidence / "requests.har").read_text())
    assert har["log"]["version"] == "1.2"
    ids = {e["_pcocheckRequestId"] for e in har["log"]["entries"]}
    assert len(ids) == first_run["report"]["server"]["requests"]
    for test in first_run["report"]["tests"]:
        assert set(test["requests"]) <= ids, test["id"]
    for entry in har["log"]["entries"]:
        assert entry["request"]["method"] in ("GET", "POST")  # read-only
        if entry["request"]["method"] == "POST":
            assert entry["request"]["url"].endswith("/_search")
    saved = read_report(evidence / "report.json")
    assert saved["tests"] == first_run["report"]["tests"]


def test_the_token_appears_nowhere(first_run: dict[str, Any]) -> None:
    evidence = first_run["tmp"] / "evidence"
    assert TOKEN not in first_run["result"].output
    assert TOKEN not in (first_run["tmp"] / "report.json").read_text()
    for path in evidence.iterdir():
        assert TOKEN not in path.read_text(), path.name
    har = json.loads((evidence / "requests.har").read_text())
    auth = [
        h["value"]
        for e in har["log"]["entries"]
        for h in e["request"]["headers"]
        if h["name"].lower() == "authorization"
    ]
    assert auth and set(auth) == {"[redacted]"}


def test_reproducible_with_discovered_patients(sekmet: str, tmp_path: Path) -> None:
    _, one = run(sekmet, tmp_path / "a")
    _, two = run(sekmet, tmp_path / "b")
    assert one is not None and two is not None
    assert one["server"]["patientsDiscovered"] is True
    assert set(one["server"]["patients"]) == {GAS_PATIENT, PROM_PATIENT}
    assert [(t["id"], t["result"], t["reason"]) for t in one["tests"]] == [
        (t["id"], t["result"], t["reason"]) for t in two["tests"]
    ]
    assert one["issues"] == two["issues"]


def test_console_report_shows_the_test_table(sekmet: str) -> None:
    result = RUNNER.invoke(app, ["server", sekmet, "--patient", GAS_PATIENT, "--timeout", "10"])
    assert result.exit_code == 1
    assert "search-goal-patient" in result.output
    assert "fail" in result.output
    assert "Must Support coverage" in result.output and "pco-gas-goal-profile" in result.output


def test_a_server_that_supports_the_searches_passes_them(
    conformant_sekmet: str, tmp_path: Path
) -> None:
    """Not an answer shaped to one server: register the missing R4 search parameters and
    the same plan passes the Goal and QuestionnaireResponse searches."""
    _, report = run(
        conformant_sekmet, tmp_path, "--patient", GAS_PATIENT, "--patient", PROM_PATIENT
    )
    tests = by_id(report)
    for test_id in (
        "search-goal-patient",
        "search-questionnaireresponse-patient",
        "search-questionnaireresponse-patient-questionnaire",
        "search-goal-patient-lifecycle-status",
        "read-questionnaireresponse",
        "validation-questionnaireresponse",
    ):
        assert tests[test_id]["result"] == "pass", (test_id, tests[test_id]["reason"])
    assert "SRV-SEARCH-001" not in {i["code"] for i in report["issues"]}
