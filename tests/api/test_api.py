"""The Python API: what it accepts, the options (the same findings as the command line
with the same options), the Validator, the Report and its renderings."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import pcocheck
from pcocheck.api import validate_config
from pcocheck.cli import app
from pcocheck.config import RunConfig
from pcocheck.finding import Finding, Severity
from tests.conftest import FIXTURES, ROOT

JOURNEY = FIXTURES / "journeys" / "gas-goal-journey.json"
GAS_GOAL = FIXTURES / "ig-examples" / "Goal-pcoGoalSocialConnectionsWithGAS.json"
PCO_GOAL_PROFILE = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-profile"
ENGINE_PROFILES = FIXTURES / "engine" / "profiles"
TEST_PROFILE = "http://example.org/fhir/StructureDefinition/pcocheck-test-observation"
RUNNER = CliRunner()

# A Goal lacking its required elements: three FHIR-CARD-001 errors and a dom-6 warning.
BARE_GOAL: dict[str, Any] = {"resourceType": "Goal", "id": "bare"}


def cli(*args: str) -> tuple[int, str]:
    """``pcocheck validate ARGS -f json`` through the real command line, in process."""
    result = RUNNER.invoke(app, ["validate", *args, "-f", "json"])
    return result.exit_code, result.stdout


def codes(report: pcocheck.Report) -> list[str]:
    return [f.code for f in report.findings]


# -- sources ------------------------------------------------------------------------------


def test_a_dict_is_validated_and_located_in_its_indented_json() -> None:
    report = pcocheck.validate(BARE_GOAL)
    assert sorted(set(codes(report))) == ["FHIR-CARD-001", "FHIR-INV-002"]
    assert not report.passed and report.exit_code == 1
    finding = report.findings[0]
    assert finding.file == "<input 1>" and finding.resource == "Goal/bare"
    # positions point into json.dumps(value, indent=2)
    goal = {"resourceType": "Goal", "id": "g", "lifecycleStatus": "bogus"}
    located = [
        f for f in pcocheck.validate(goal).findings if f.expression == "Goal.lifecycleStatus"
    ]
    assert located and {(f.line, f.column) for f in located} == {(4, 3)}


def test_json_text_and_bytes_give_the_same_findings_as_the_file() -> None:
    data = GAS_GOAL.read_bytes()
    by_path = pcocheck.validate(GAS_GOAL).findings
    for source in (data, data.decode("utf-8"), bytearray(data)):
        findings = pcocheck.validate(source).findings
        assert [f.to_dict() | {"file": None} for f in findings] == [
            f.to_dict() | {"file": None} for f in by_path
        ]


def test_paths_folders_and_globs_as_on_the_command_line() -> None:
    folder = FIXTURES / "rules" / "gas-across-files"
    as_str = pcocheck.validate(str(folder))
    as_path = pcocheck.validate(folder)
    as_glob = pcocheck.validate(str(folder / "*"))
    assert as_str.to_json() == as_path.to_json() == as_glob.to_json()
    assert as_path.summary["files"] == len(list(folder.iterdir()))


def test_an_iterable_mixes_kinds_and_is_one_run(tmp_path: Path) -> None:
    goal = json.loads(GAS_GOAL.read_text(encoding="utf-8"))

    def generated() -> Any:
        yield copy.deepcopy(BARE_GOAL)
        yield json.dumps(goal)

    report = pcocheck.validate([GAS_GOAL, generated(), pcocheck.NamedInput("mine.json", goal)])
    assert report.summary["files"] == 4
    files = {f.file for f in report.findings}
    assert "<input 1>" in files  # the bare goal
    assert files <= {str(GAS_GOAL), "<input 1>", "<input 2>", "mine.json"}


def test_missing_paths_and_bad_json_are_findings_not_exceptions(tmp_path: Path) -> None:
    report = pcocheck.validate([tmp_path / "nope.json", "{not json", b""])
    assert sorted(codes(report)) == ["FHIR-JSON-001", "FHIR-JSON-010", "FHIR-JSON-012"]


def test_inputs_are_never_modified() -> None:
    goal = json.loads(GAS_GOAL.read_text(encoding="utf-8"))
    before = copy.deepcopy(goal)
    pcocheck.validate(goal)
    assert goal == before


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (42, "cannot validate a int"),
        ({"resourceType": "Goal", "start": object()}, "the dict is not JSON"),
        (pcocheck.NamedInput("x", Path("x.json")), "must be in memory"),
        (pcocheck.NamedInput("x", "x.json"), "must be in memory"),
    ],
)
def test_what_cannot_be_read_is_a_type_error(source: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        pcocheck.validate(source)


def test_nothing_to_validate_is_an_error_not_a_pass(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to validate"):
        pcocheck.validate([])
    # an empty folder is a finding, as on the command line
    assert codes(pcocheck.validate(tmp_path)) == ["FHIR-JSON-011"]


# -- options: the same findings as the command line with the same options -----------------


@pytest.mark.parametrize(
    ("cli_args", "options"),
    [
        (
            [str(JOURNEY), "--select", "PCO-GAS,FHIR-BIND", "--fail-on", "information"],
            {"select": "PCO-GAS,FHIR-BIND", "fail_on": "information"},
        ),
        (
            [str(FIXTURES / "rules" / "cases"), "--ignore", "FHIR-INV", "--ignore", "PCO-STALE"],
            {"ignore": ["FHIR-INV", "PCO-STALE"]},
        ),
        ([str(FIXTURES / "rules" / "cases"), "--fail-on", "never"], {"fail_on": "never"}),
        (
            [str(FIXTURES / "ig-examples"), "--profile", PCO_GOAL_PROFILE],
            {"profiles": PCO_GOAL_PROFILE},
        ),
        (
            [
                str(FIXTURES / "engine" / "custom-cases"),
                "--profiles",
                str(ENGINE_PROFILES),
                "--must-support",
            ],
            {"profile_dirs": ENGINE_PROFILES, "must_support": True},
        ),
        ([str(FIXTURES / "terminology" / "cases"), "--no-display-check"], {"display_check": False}),
    ],
    ids=["select-fail-on", "ignore", "never", "profile", "profiles-dir-must-support", "displays"],
)
def test_options_give_the_cli_report(cli_args: list[str], options: dict[str, Any]) -> None:
    exit_code, expected = cli(*cli_args)
    report = pcocheck.validate(Path(cli_args[0]), **options)
    assert report.to_json() == expected
    assert report.exit_code == exit_code


def _package(tmp_path: Path) -> Path:
    """A FHIR package (.tgz) holding the engine's test profile."""
    members = {
        "package/package.json": json.dumps(
            {
                "name": "pcocheck.test",
                "version": "0.1.0",
                "dependencies": {"hl7.fhir.r4.core": "4.0.1"},
            }
        ).encode(),
        "package/StructureDefinition-pcocheck-test-observation.json": (
            ENGINE_PROFILES / "StructureDefinition-pcocheck-test-observation.json"
        ).read_bytes(),
    }
    path = tmp_path / "test-package.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_packages_give_the_cli_report(tmp_path: Path) -> None:
    package = _package(tmp_path)
    cases = FIXTURES / "engine" / "custom-cases"
    exit_code, expected = cli(str(cases), "--package", str(package), "--profile", TEST_PROFILE)
    report = pcocheck.validate(cases, packages=package, profiles=[TEST_PROFILE])
    assert report.to_json() == expected and report.exit_code == exit_code
    assert any(f.profile and TEST_PROFILE in f.profile for f in report.findings)


def test_fail_on_levels() -> None:
    assert not pcocheck.validate(BARE_GOAL).passed
    assert pcocheck.validate(BARE_GOAL, fail_on="never").passed
    assert pcocheck.validate(BARE_GOAL, fail_on=None).passed
    assert pcocheck.validate(BARE_GOAL, fail_on=Severity.FATAL).passed
    warnings_only = pcocheck.validate(BARE_GOAL, select="FHIR-INV")
    assert warnings_only.passed and codes(warnings_only) == ["FHIR-INV-002"]
    assert not pcocheck.validate(BARE_GOAL, select="FHIR-INV", fail_on="warning").passed
    with pytest.raises(ValueError, match="fail_on must be one of"):
        pcocheck.validate(BARE_GOAL, fail_on="sometimes")


def test_configuration_errors_are_raised() -> None:
    with pytest.raises(pcocheck.ConfigurationError, match="no such profile"):
        pcocheck.validate(BARE_GOAL, profiles="http://example.org/StructureDefinition/nothing")
    with pytest.raises(pcocheck.ConfigurationError, match="no such profile"):
        pcocheck.Validator().validate(BARE_GOAL, profiles=["http://example.org/nothing"])
    with pytest.raises(pcocheck.ConfigurationError):
        pcocheck.Validator(packages=["not-a-package"])


# -- the Validator ------------------------------------------------------------------------


def test_a_validator_gives_each_input_a_run_of_its_own() -> None:
    validator = pcocheck.Validator()
    first = validator.validate(JOURNEY)
    again = validator.validate(JOURNEY)
    # "not checked offline" information is summarised once per run: a reused
    # Validator must report it again, as a fresh command line run does
    assert {"FHIR-BIND-004", "FHIR-BIND-005", "FHIR-BIND-006"} & set(codes(first))
    assert again.to_json() == first.to_json() == pcocheck.validate(JOURNEY).to_json()


def test_validator_options_and_per_call_overrides() -> None:
    validator = pcocheck.Validator(select="FHIR-CARD", fail_on="never")
    report = validator.validate(BARE_GOAL)
    assert set(codes(report)) == {"FHIR-CARD-001"} and report.passed
    overridden = validator.validate(BARE_GOAL, select=(), fail_on="error")
    assert "FHIR-INV-002" in codes(overridden) and not overridden.passed
    profiled = validator.validate(GAS_GOAL, profiles=PCO_GOAL_PROFILE, select=())
    assert (
        profiled.to_json()
        == pcocheck.validate(GAS_GOAL, profiles=PCO_GOAL_PROFILE, fail_on="never").to_json()
    )


def test_a_validator_can_be_shared_between_threads() -> None:
    validator = pcocheck.Validator()
    sources: list[Any] = [JOURNEY, BARE_GOAL, GAS_GOAL, FIXTURES / "rules" / "gas-across-files"]
    expected = [validator.validate(s).to_json() for s in sources]
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(3):
                results[index] = validator.validate(sources[index]).to_json()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sources))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [results[i] for i in range(len(sources))] == expected


# -- the Report ---------------------------------------------------------------------------


def test_report_fields() -> None:
    report = pcocheck.validate(BARE_GOAL)
    assert all(isinstance(f, Finding) for f in report.findings)
    assert report.to_dict()["issues"] == [f.to_dict() for f in report.findings]
    assert report.to_dict()["schema"] == "pcocheck-report/1"
    assert report.summary["error"] == 3 and report.summary["passed"] is False
    assert [f.severity for f in report.failures] == [Severity.ERROR] * 3
    assert report.incomplete is False and report.incomplete_reason is None
    assert repr(report) == "<pcocheck.Report failed: 3 error, 1 warning>"


def test_render_dispatches_to_the_cli_reporters() -> None:
    report = pcocheck.validate(BARE_GOAL)
    assert {"console", "json"} <= set(pcocheck.formats())
    console = report.render("console", width=120)
    assert "FHIR-CARD-001" in console and "FAILED" in console
    assert report.to_console() == report.render("console")
    assert json.loads(report.render("json")) == report.to_dict()
    with pytest.raises(ValueError, match=r"unknown report format 'nope'; available: .*json"):
        report.render("nope")


@pytest.mark.parametrize(
    ("method", "fmt"),
    [
        ("to_console", "console"),
        ("to_json", "json"),
        ("to_sarif", "sarif"),
        ("to_junit", "junit"),
        ("to_github", "github"),
        ("to_gitlab", "gitlab"),
        ("to_operationoutcome", "operationoutcome"),
        ("to_html", "html"),
    ],
)
def test_every_format_is_the_cli_report(method: str, fmt: str) -> None:
    # a folder with a resource that passes (JUnit and OperationOutcome list it too)
    folder = FIXTURES / "rules" / "gas-across-files"
    expected = RUNNER.invoke(app, ["validate", str(folder), "-f", fmt]).stdout
    report = pcocheck.validate(folder)
    assert fmt in pcocheck.formats()
    assert getattr(report, method)() == report.render(fmt) == expected


def test_import_pcocheck_loads_no_engine() -> None:
    code = (
        "import sys, pcocheck; "
        "print(sorted(m for m in sys.modules if m.startswith('pcocheck')), 'typing' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "['pcocheck'] False"


def test_the_cli_adapter_reads_stdin_like_the_cli() -> None:
    data = GAS_GOAL.read_bytes()
    result = RUNNER.invoke(app, ["validate", "-", "-f", "json", "--fail-on", "warning"], input=data)
    config = RunConfig(paths=("-",), fail_on=Severity.WARNING)
    report = validate_config(config, stdin=io.BytesIO(data))
    assert report.to_json() == result.stdout
    assert report.exit_code == result.exit_code
    assert {f.file for f in report.findings} == {"<stdin>"}


def test_a_name_says_what_bytes_hold_and_gzip_is_recognised() -> None:
    import gzip

    records = FIXTURES / "rules" / "gas-across-files" / "scores.ndjson"
    data = records.read_bytes()
    by_path = [f.to_dict() | {"file": None} for f in pcocheck.validate(records).findings]
    for source in (
        pcocheck.NamedInput("scores.ndjson", data),
        pcocheck.NamedInput("scores.ndjson.gz", gzip.compress(data)),
    ):
        findings = pcocheck.validate(source).findings
        assert [f.to_dict() | {"file": None} for f in findings] == by_path
    goal = GAS_GOAL.read_bytes()
    assert pcocheck.validate(gzip.compress(goal)).to_json().replace(
        "<input 1>", "x"
    ) == pcocheck.validate(goal).to_json().replace("<input 1>", "x")
